/**
 * Property tests of the wire codecs (fast-check): any valid Go-shaped value
 * round-trips byte for byte, and anything else is rejected with a typed
 * error — never a thrown exception.
 *
 * - `JobCodec`: every job (any ids, names, texts, payload bytes, statuses,
 *   priorities, times with nanoseconds and offsets, integers, optional
 *   fields) encodes to Go's bytes and decodes back to the same job; any
 *   decodable text re-encodes to a fixed point; any string decodes to a job
 *   or a `SerializationError`; a value of the wrong type fails with Go's
 *   error text.
 * - `Timestamp`: format → parse is the identity (nanoseconds and offset
 *   kept), parse → format is byte-exact for Go-written text; any string
 *   parses or is refused (the schema's error is a typed `SchemaError`).
 * - `RawJson`: Go-shaped JSON text is kept exactly; any string is accepted
 *   exactly when it is JSON, and refused with a `SerializationError`.
 * - `JobResult`: a result written as a hash reads back the same (with Go's
 *   whole seconds and truncated milliseconds); any hash reads as a result,
 *   none, or a `SerializationError`.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Exit from "effect/Exit"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import fc from "fast-check"
import type { Job } from "../../src/domain/Job.ts"
import * as JobCodec from "../../src/domain/JobCodec.ts"
import * as JobResult from "../../src/domain/JobResult.ts"
import * as RawJson from "../../src/domain/RawJson.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"

const runs = { numRuns: 400 }

/** Any well-formed string (no lone surrogates: Redis would store them as other bytes). */
const text = fc.string({ unit: "binary", maxLength: 40 }).filter((s) => !/[\uD800-\uDFFF]/.test(s.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, "")))
const nonEmpty = text.filter((s) => s !== "")

/** Any instant Go can write and read back: years 1 to 9999 in its offset, any nanosecond. */
const timestamp: fc.Arbitrary<Timestamp.Timestamp> = fc.record({
  seconds: fc.integer({ min: Timestamp.zero.seconds + 86_400, max: 253_402_300_799 - 86_400 }),
  nanos: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 999_999_999 }), fc.integer({ min: 0, max: 999 }).map((ms) => ms * 1_000_000)),
  offsetSeconds: fc.oneof(fc.constant(0), fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }).map((m) => m * 60))
})

/** Go-shaped JSON text (compact, strings quoted as Go quotes them, numbers as any writer may spell them). */
const goJson: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { maxDepth: 4 },
    fc.constantFrom("null", "true", "false"),
    fc.stringMatching(/^-?(0|[1-9]\d{0,24})(\.\d{1,12})?([eE][+-]?\d{1,3})?$/),
    text.map(RawJson.quote),
    fc.array(tie("value"), { maxLength: 4 }).map((items) => `[${items.join(",")}]`),
    fc.array(fc.tuple(text, tie("value")), { maxLength: 4 }).map((members) =>
      `{${members.map(([k, v]) => `${RawJson.quote(k)}:${v}`).join(",")}}`)
  )
})).value

const traceparent = fc.tuple(
  fc.stringMatching(/^[0-9a-f]{32}$/),
  fc.stringMatching(/^[0-9a-f]{16}$/),
  fc.stringMatching(/^[0-9a-f]{2}$/)
).map(([t, s, f]) => `00-${t}-${s}-${f}`)

const optional = <A>(arb: fc.Arbitrary<A>) => fc.option(arb, { nil: undefined })
const int = fc.integer({ min: -(2 ** 31), max: 2 ** 31 })

/** Any job as Go (or this SDK) writes it. */
const job: fc.Arbitrary<Job> = fc.record({
  id: text,
  name: text,
  description: optional(nonEmpty),
  payload: goJson.map((p) => p as RawJson.RawJson),
  status: fc.constantFrom("pending", "processing", "completed", "failed", "scheduled", "" as const),
  priority: fc.constantFrom("high", "normal", "low"),
  createdAt: timestamp,
  updatedAt: timestamp,
  scheduledFor: optional(timestamp),
  attempts: int,
  maxRetries: int,
  error: optional(nonEmpty),
  routingKey: optional(text),
  traceContext: optional(traceparent)
}, { requiredKeys: ["id", "name", "payload", "status", "priority", "createdAt", "updatedAt", "attempts", "maxRetries"] }) as fc.Arbitrary<Job>

/** The job without its absent optional fields (the decoder leaves them out). */
const defined = (j: Job): Record<string, unknown> => Object.fromEntries(Object.entries(j).filter(([, v]) => v !== undefined))

const isSerializationError = (e: { readonly _tag: string }) => e._tag === "SerializationError"

/** The success of a result (asserting it is one). */
const ok = <A, E>(r: Result.Result<A, E>, what: string): A => {
  if (Result.isFailure(r)) return assert.fail(`${what}: ${String(r.failure)}`)
  return r.success
}

/** The failure of a result (asserting it is one). */
const err = <A, E>(r: Result.Result<A, E>, what: string): E => {
  if (Result.isSuccess(r)) return assert.fail(`${what}: expected a failure`)
  return r.failure
}

describe("JobCodec properties", () => {
  it("every Go-shaped job round-trips: decode(encode(job)) is the job, and its bytes re-encode identically", () => {
    fc.assert(fc.property(job, (j) => {
      const bytes = JobCodec.encode(j)
      const back = ok(JobCodec.decode(bytes), bytes)
      assert.deepStrictEqual(defined(back), defined(j))
      assert.strictEqual(JobCodec.encode(back), bytes)
    }), runs)
  })

  it("any string decodes to a job or a SerializationError, never a throw; what decodes re-encodes to a fixed point", () => {
    const anyText = fc.oneof(
      fc.string({ maxLength: 200 }),
      job.map(JobCodec.encode).chain((bytes) =>
        fc.tuple(fc.nat(bytes.length), fc.nat(bytes.length), fc.string({ maxLength: 5 })).map(([a, b, s]) =>
          bytes.slice(0, Math.min(a, b)) + s + bytes.slice(Math.max(a, b))))
    )
    fc.assert(fc.property(anyText, (t) => {
      const decoded = JobCodec.decode(t)
      if (Result.isFailure(decoded)) return assert.isTrue(isSerializationError(decoded.failure), String(decoded.failure))
      const once = JobCodec.encode(decoded.success)
      assert.strictEqual(JobCodec.encode(ok(JobCodec.decode(once), once)), once)
    }), runs)
  })

  it("a field of the wrong type fails the whole job with Go's error text", () => {
    const field = fc.constantFrom(
      { name: "attempts", bad: `"1"`, message: "json: cannot unmarshal string into Go struct field Job.attempts of type int" },
      { name: "max_retries", bad: "1.5", message: "json: cannot unmarshal number 1.5 into Go struct field Job.max_retries of type int" },
      { name: "name", bad: "7", message: "json: cannot unmarshal number into Go struct field Job.name of type string" },
      { name: "status", bad: "[]", message: "json: cannot unmarshal array into Go struct field Job.status of type string" }
    )
    fc.assert(fc.property(job, field, (j, f) => {
      const bytes = JobCodec.encode(j)
      const broken = bytes.replace(new RegExp(`"${f.name}":(-?\\d+|"(?:[^"\\\\]|\\\\.)*")`), `"${f.name}":${f.bad}`)
      const error = err(JobCodec.decode(broken), broken)
      assert.strictEqual(error._tag, "SerializationError")
      assert.strictEqual(error.message, f.message)
    }), runs)
  })
})

describe("Timestamp properties", () => {
  it("format then parse is the identity (nanoseconds and offset kept); parse then format is byte-exact", () => {
    fc.assert(fc.property(timestamp, (t) => {
      const written = Timestamp.format(t)
      assert.deepStrictEqual(Timestamp.parse(written), t)
      assert.strictEqual(Timestamp.format(Timestamp.parse(written)!), written)
      assert.deepStrictEqual(Timestamp.parse(Timestamp.formatSeconds(t)), { ...t, nanos: 0 })
    }), runs)
  })

  it("any string parses to a timestamp or is refused; the schema refuses with a typed SchemaError", () => {
    const decode = Schema.decodeUnknownExit(Timestamp.FromString)
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 40 }), timestamp.map(Timestamp.format).map((s) => s.replace(/\d/, "x"))), (s) => {
      const parsed = Timestamp.parse(s)
      const exit = decode(s)
      if (parsed === undefined) {
        assert.isTrue(Exit.isFailure(exit), s)
      } else {
        assert.isTrue(Exit.isSuccess(exit), s)
        assert.isTrue(Number.isInteger(parsed.seconds) && parsed.nanos >= 0 && parsed.nanos < 1e9, s)
      }
    }), runs)
  })
})

describe("RawJson properties", () => {
  it("Go-shaped JSON text is kept byte for byte", () => {
    fc.assert(fc.property(goJson, (t) => {
      assert.strictEqual(ok(RawJson.fromText(t), t), t)
    }), runs)
  })

  it("any string is accepted exactly when it is JSON, else refused with a SerializationError", () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 60 }), goJson.map((t) => t.slice(0, -1)), goJson), (t) => {
      let valid = true
      try {
        JSON.parse(t)
      } catch {
        valid = false
      }
      const r = RawJson.fromText(t)
      assert.strictEqual(Result.isSuccess(r), valid, t)
      if (Result.isFailure(r)) assert.strictEqual(r.failure._tag, "SerializationError")
    }), runs)
  })

  it("fromValue writes what Go's encoding/json writes: JSON.parse of it is the value, and it is stable", () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      const written = ok(RawJson.fromValue(v), JSON.stringify(v))
      assert.deepStrictEqual(JSON.parse(written), JSON.parse(JSON.stringify(v)))
      assert.strictEqual(ok(RawJson.fromValue(JSON.parse(written)), written), written)
    }), runs)
  })
})

describe("JobResult properties", () => {
  const result = fc.record({
    jobId: text,
    status: fc.constantFrom("completed" as const, "failed" as const),
    result: optional(goJson.map((p) => p as RawJson.RawJson)),
    error: optional(nonEmpty),
    completedAt: timestamp,
    durationMs: fc.oneof(fc.nat(), fc.double({ min: 0, max: 1e9, noNaN: true }))
  }, { requiredKeys: ["jobId", "status", "completedAt", "durationMs"] })

  it("a result written as a hash reads back the same (Go's whole seconds, truncated ms; result only when completed)", () => {
    fc.assert(fc.property(result, (r) => {
      const fields = JobResult.toHashFields(r)
      const hash: Record<string, string> = {}
      for (let i = 0; i < fields.length; i += 2) hash[fields[i]!] = fields[i + 1]!
      const read = ok(JobResult.fromHash(r.jobId, "result:x", hash), JSON.stringify(hash))!
      assert.deepStrictEqual(read, {
        jobId: r.jobId,
        status: r.status,
        result: r.status === "completed" ? r.result : undefined,
        error: r.status === "failed" ? r.error : undefined,
        completedAt: { ...r.completedAt, nanos: 0 },
        durationMs: Math.trunc(r.durationMs)
      })
    }), runs)
  })

  it("any hash reads as a result, none, or a SerializationError naming the key", () => {
    const hash = fc.dictionary(fc.oneof(fc.constantFrom("status", "completed_at", "duration_ms", "result", "error"), fc.string({ maxLength: 8 })), fc.oneof(fc.constantFrom("completed", "failed", "12", "2025-01-15T10:30:09Z"), fc.string({ maxLength: 20 })))
    fc.assert(fc.property(hash, (h) => {
      const r = JobResult.fromHash("j", "result:j", h)
      if (Result.isFailure(r)) {
        assert.strictEqual(r.failure._tag, "SerializationError")
        assert.include(r.failure.message, "result:j")
      } else if (r.success !== undefined) {
        assert.include(["completed", "failed"], r.success.status)
        assert.isTrue(Number.isSafeInteger(r.success.durationMs) && r.success.durationMs >= 0)
      } else {
        assert.deepStrictEqual(h, {})
      }
    }), runs)
  })
})
