import { assert, describe, it } from "@effect/vitest"
import * as Result from "effect/Result"
import { SerializationError } from "../../src/domain/Errors.ts"
import * as RawJson from "../../src/domain/RawJson.ts"

const ok = (value: unknown): string => {
  const r = RawJson.fromValue(value)
  if (Result.isFailure(r)) assert.fail(`expected success, got ${r.failure.message}`)
  return r.success
}

const fails = (value: unknown): SerializationError => {
  const r = RawJson.fromValue(value)
  if (Result.isSuccess(r)) assert.fail(`expected a SerializationError, got ${r.success}`)
  assert.instanceOf(r.failure, SerializationError)
  assert.strictEqual(r.failure._tag, "SerializationError")
  return r.failure
}

describe("RawJson.fromValue (Go encoding/json style)", () => {
  it("sorts object keys at every depth and writes no whitespace", () => {
    assert.strictEqual(ok({ to: "a@b.c", subject: "Hi", nested: { z: 1, a: [{ y: true, b: null }] } }),
      `{"nested":{"a":[{"b":null,"y":true}],"z":1},"subject":"Hi","to":"a@b.c"}`)
  })

  it("sorts integer-like keys as strings, as Go sorts map keys", () => {
    assert.strictEqual(ok({ 2: "y", 10: "x", a: 1 }), `{"10":"x","2":"y","a":1}`)
  })

  it("sorts keys by code point, i.e. UTF-8 byte order as Go does (not UTF-16 order)", () => {
    // U+FF01 < U+1F600 by code point; in UTF-16 the emoji's surrogate (0xD83D) sorts first
    assert.strictEqual(ok({ "\u{1F600}": 1, "\uFF01": 2, "a": 3 }), `{"a":3,"\uFF01":2,"\u{1F600}":1}`)
  })

  it("reproduces vector 1's payload", () => {
    assert.strictEqual(ok({ to: "a@b.c", subject: "Hi <3" }), `{"subject":"Hi \\u003c3","to":"a@b.c"}`)
  })

  it("escapes <, >, &, U+2028 and U+2029 as Go does", () => {
    assert.strictEqual(ok("<a href='x'>&</a>"), `"\\u003ca href='x'\\u003e\\u0026\\u003c/a\\u003e"`)
    assert.strictEqual(ok("a\u2028b\u2029c"), `"a\\u2028b\\u2029c"`)
    assert.strictEqual(ok({ "<k>": "&" }), `{"\\u003ck\\u003e":"\\u0026"}`)
  })

  it("writes \\b and \\f as \\u0008 and \\u000c, and other controls as Go does", () => {
    assert.strictEqual(ok("a\bb\fc"), `"a\\u0008b\\u000cc"`)
    assert.strictEqual(ok("\n\r\t\"\\"), `"\\n\\r\\t\\"\\\\"`)
    assert.strictEqual(ok("\u0001\u001f"), `"\\u0001\\u001f"`)
  })

  it("does not mangle a literal backslash followed by b or f", () => {
    assert.strictEqual(ok("C:\\bin\\files"), `"C:\\\\bin\\\\files"`)
    assert.strictEqual(ok("\\\b"), `"\\\\\\u0008"`)
  })

  it("writes numbers, booleans, null, arrays and Dates", () => {
    assert.strictEqual(ok([1, -2.5, 1e21, 1e-7, 0.000001, true, false, null]), "[1,-2.5,1e+21,1e-7,0.000001,true,false,null]")
    assert.strictEqual(ok(new Date("2025-01-15T10:30:00.000Z")), `"2025-01-15T10:30:00.000Z"`)
    assert.strictEqual(ok({ a: undefined, b: 1 }), `{"b":1}`)
    assert.strictEqual(ok([undefined]), "[null]")
    assert.strictEqual(ok({ toJSON: () => ({ y: 1, x: 2 }) }), `{"x":2,"y":1}`)
  })

  it("accepts a value shared twice (not a cycle)", () => {
    const shared = { a: 1 }
    assert.strictEqual(ok({ x: shared, y: shared }), `{"x":{"a":1},"y":{"a":1}}`)
  })

  it("fails with a SerializationError for what JSON cannot carry", () => {
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = cyclic
    const cases: Array<[unknown, string]> = [
      [10n, "BigInt"],
      [{ n: 10n }, "$.n is a BigInt"],
      [cyclic, "circular"],
      [() => 1, "function"],
      [{ f: () => 1 }, "$.f is a function"],
      [Symbol("s"), "symbol"],
      [NaN, "NaN"],
      [Infinity, "Infinity"],
      [[1, -Infinity], "$[1] is -Infinity"],
      [new Map([["a", 1]]), "Map"],
      [new Set([1]), "Set"],
      [{ m: new Map() }, "$.m is a Map"],
      [undefined, "undefined"]
    ]
    for (const [value, fragment] of cases) {
      const e = fails(value)
      assert.include(e.message, fragment)
      assert.isFalse(e.isRetryable)
    }
  })
})

describe("RawJson.fromText / raw / parse", () => {
  it("keeps valid JSON text byte for byte", () => {
    const text = `{"order_id":12345678901234567890,"amt":1.10,"10":"x","2":"y", "ws" : [ 1 ]}`
    const r = RawJson.fromText(text)
    assert.isTrue(Result.isSuccess(r))
    if (Result.isSuccess(r)) assert.strictEqual(r.success, text)
  })

  it("rejects invalid JSON with a SerializationError", () => {
    for (const text of ["", "{", "{'a':1}", "undefined", "[1,]", "NaN"]) {
      const r = RawJson.fromText(text)
      assert.isTrue(Result.isFailure(r), JSON.stringify(text))
      if (Result.isFailure(r)) {
        assert.strictEqual(r.failure._tag, "SerializationError")
        assert.include(r.failure.message, "not valid JSON")
      }
    }
  })

  it("raw wraps checked text in a Raw payload", () => {
    const r = RawJson.raw(`{"b":1,"a":2}`)
    assert.isTrue(Result.isSuccess(r))
    if (Result.isSuccess(r)) {
      assert.instanceOf(r.success, RawJson.Raw)
      assert.strictEqual(r.success.json, `{"b":1,"a":2}`)
    }
    assert.isTrue(Result.isFailure(RawJson.raw("{nope")))
  })

  it("parse decodes, and fails on corrupt stored text", () => {
    const r = RawJson.parse(`{"a":[1,"x"]}` as RawJson.RawJson)
    assert.deepStrictEqual(Result.getOrUndefined(r), { a: [1, "x"] })
    const bad = RawJson.parse("{" as RawJson.RawJson)
    assert.isTrue(Result.isFailure(bad))
    assert.strictEqual(RawJson.nullJson, "null")
  })

  it("quote escapes like Go", () => {
    assert.strictEqual(RawJson.quote("a<b>&\u2028\b"), `"a\\u003cb\\u003e\\u0026\\u2028\\u0008"`)
  })
})
