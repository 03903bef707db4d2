import { assert, describe, it } from "@effect/vitest"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as JobDefinition from "../../src/domain/JobDefinition.ts"
import type { RawJson } from "../../src/domain/RawJson.ts"

const Resize = JobDefinition.make({
  name: "resize_image",
  payload: Schema.Struct({ url: Schema.String, width: Schema.Int.check(Schema.isGreaterThan(0)) }),
  result: Schema.Struct({ url: Schema.String, bytes: Schema.Number }),
  priority: "high",
  maxRetries: 5,
  timeout: "30 seconds"
})

const Report = JobDefinition.make({
  name: "report",
  payload: Schema.Struct({
    at: Schema.DateTimeUtc,
    until: Schema.OptionFromNullOr(Schema.DateTimeUtc),
    tags: Schema.Array(Schema.String)
  }),
  result: Schema.Struct({ generatedAt: Schema.DateTimeUtc, rows: Schema.Int })
})

describe("JobDefinition", () => {
  it("make keeps the definition and its defaults", () => {
    assert.strictEqual(Resize.name, "resize_image")
    assert.strictEqual(Resize.priority, "high")
    assert.strictEqual(Resize.maxRetries, 5)
    assert.strictEqual(Resize.timeout, "30 seconds")
  })

  it.effect("encodes a payload to Go-style JSON (sorted keys) and decodes it back", () =>
    Effect.gen(function*() {
      const raw = yield* JobDefinition.encodePayload(Resize, { url: "https://x/a.png?w=1&h=2", width: 640 })
      assert.strictEqual(raw, `{"url":"https://x/a.png?w=1\\u0026h=2","width":640}`)
      const back = yield* JobDefinition.decodePayload(Resize, raw)
      assert.deepStrictEqual(back, { url: "https://x/a.png?w=1&h=2", width: 640 })
    }))

  it.effect("encodes and decodes a result", () =>
    Effect.gen(function*() {
      const raw = yield* JobDefinition.encodeResult(Resize, { url: "u", bytes: 1.5 })
      assert.strictEqual(raw, `{"bytes":1.5,"url":"u"}`)
      assert.deepStrictEqual(yield* JobDefinition.decodeResult(Resize, raw), { url: "u", bytes: 1.5 })
    }))

  it.effect("a payload failing its schema is a ValidationError naming the field and the job", () =>
    Effect.gen(function*() {
      const e = yield* Effect.flip(JobDefinition.encodePayload(Resize, { url: "u", width: -1 }))
      assert.strictEqual(e._tag, "ValidationError")
      if (e._tag === "ValidationError") {
        assert.strictEqual(e.field, "payload")
        assert.include(e.message, "resize_image")
        assert.isFalse(e.isRetryable)
      }
      const wrongType = yield* Effect.flip(JobDefinition.encodePayload(Resize, { url: 1, width: 2 } as never))
      assert.strictEqual(wrongType._tag, "ValidationError")
      assert.include(wrongType.message, `at ["url"]`)
    }))

  it.effect("schema failures name the field path, nested and in arrays, both ways", () =>
    Effect.gen(function*() {
      const Order = JobDefinition.make({
        name: "order",
        payload: Schema.Struct({ customer: Schema.Struct({ email: Schema.String }), lines: Schema.Array(Schema.Struct({ qty: Schema.Int })) }),
        result: Schema.Struct({ total: Schema.Number })
      })
      const encoded = yield* Effect.flip(JobDefinition.encodePayload(Order, { customer: { email: 7 }, lines: [] } as never))
      assert.include(encoded.message, `invalid payload for job "order"`)
      assert.include(encoded.message, `at ["customer"]["email"]`)
      const decoded = yield* Effect.flip(JobDefinition.decodePayload(Order, `{"customer":{"email":"a@b.c"},"lines":[{"qty":1},{"qty":1.5}]}` as RawJson))
      assert.include(decoded.message, `stored payload of job "order" does not match its schema`)
      assert.include(decoded.message, `at ["lines"][1]["qty"]`)
      const result = yield* Effect.flip(JobDefinition.decodeResult(Order, `{"total":"12"}` as RawJson))
      assert.include(result.message, `at ["total"]`)
    }))

  it.effect("a result failing its schema is a ValidationError on field result", () =>
    Effect.gen(function*() {
      const e = yield* Effect.flip(JobDefinition.encodeResult(Resize, { url: "u" } as never))
      assert.strictEqual(e._tag, "ValidationError")
      if (e._tag === "ValidationError") assert.strictEqual(e.field, "result")
    }))

  it.effect("stored JSON that does not match the schema is a ValidationError; invalid JSON a SerializationError", () =>
    Effect.gen(function*() {
      const mismatch = yield* Effect.flip(JobDefinition.decodePayload(Resize, `{"url":"u"}` as RawJson))
      assert.strictEqual(mismatch._tag, "ValidationError")
      if (mismatch._tag === "ValidationError") {
        assert.strictEqual(mismatch.field, "payload")
        assert.include(mismatch.message, "does not match its schema")
      }
      const corrupt = yield* Effect.flip(JobDefinition.decodePayload(Resize, `{"url":` as RawJson))
      assert.strictEqual(corrupt._tag, "SerializationError")
    }))

  it.effect("a missing result decodes as null (and fails a non-nullable schema)", () =>
    Effect.gen(function*() {
      const Nothing = JobDefinition.make({ name: "n", payload: Schema.Null, result: Schema.Null })
      assert.isNull(yield* JobDefinition.decodeResult(Nothing, undefined))
      const e = yield* Effect.flip(JobDefinition.decodeResult(Resize, undefined))
      assert.strictEqual(e._tag, "ValidationError")
    }))

  it.effect("schema transformations (DateTimeUtc, Option) round-trip through JSON", () =>
    Effect.gen(function*() {
      const at = DateTime.makeUnsafe("2025-01-15T10:30:00.250Z")
      const payload = { at, until: Option.some(DateTime.makeUnsafe("2025-02-01T00:00:00Z")), tags: ["a", "<b>"] }
      const raw = yield* JobDefinition.encodePayload(Report, payload)
      assert.strictEqual(raw,
        `{"at":"2025-01-15T10:30:00.250Z","tags":["a","\\u003cb\\u003e"],"until":"2025-02-01T00:00:00.000Z"}`)
      const back = yield* JobDefinition.decodePayload(Report, raw)
      assert.isTrue(DateTime.isDateTime(back.at))
      assert.strictEqual(DateTime.toEpochMillis(back.at), DateTime.toEpochMillis(at))
      assert.isTrue(Option.isSome(back.until))
      assert.deepStrictEqual(back.tags, ["a", "<b>"])

      const none = yield* JobDefinition.encodePayload(Report, { at, until: Option.none(), tags: [] })
      assert.strictEqual(none, `{"at":"2025-01-15T10:30:00.250Z","tags":[],"until":null}`)
      assert.isTrue(Option.isNone((yield* JobDefinition.decodePayload(Report, none)).until))

      const result = yield* JobDefinition.encodeResult(Report, { generatedAt: at, rows: 3 })
      const decoded = yield* JobDefinition.decodeResult(Report, result)
      assert.strictEqual(DateTime.formatIso(decoded.generatedAt), "2025-01-15T10:30:00.250Z")
      assert.strictEqual(decoded.rows, 3)
    }))

  it.effect("decodes a payload written by Go (extra keys, big integers as strings)", () =>
    Effect.gen(function*() {
      const Order = JobDefinition.make({
        name: "order",
        payload: Schema.Struct({ order_id: Schema.String, amt: Schema.Number }),
        result: Schema.Void
      })
      const back = yield* JobDefinition.decodePayload(Order, `{"order_id":"12345678901234567890","amt":1.10,"extra":true}` as RawJson)
      assert.deepStrictEqual(back, { order_id: "12345678901234567890", amt: 1.1 })
    }))
})
