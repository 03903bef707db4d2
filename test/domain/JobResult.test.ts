import { assert, describe, it } from "@effect/vitest"
import * as Result from "effect/Result"
import * as JobResult from "../../src/domain/JobResult.ts"
import type { RawJson } from "../../src/domain/RawJson.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"

const KEY = "bananas:result:J"

const read = (hash: Record<string, string>): JobResult.JobResult | undefined => {
  const r = JobResult.fromHash("J", KEY, hash)
  if (Result.isFailure(r)) assert.fail(`expected the hash to read, got ${r.failure.message}`)
  return r.success
}

describe("JobResult.toHashFields", () => {
  it("writes vector 4 (a failed attempt) in Go's field order", () => {
    const fields = JobResult.toHashFields({
      jobId: "J",
      status: "failed",
      error: "smtp: timeout",
      completedAt: Timestamp.parse("2025-01-15T10:30:05.250012Z")!,
      durationMs: 5126.9
    })
    assert.deepStrictEqual(fields, ["status", "failed", "completed_at", "2025-01-15T10:30:05Z", "duration_ms", "5126", "error", "smtp: timeout"])
  })

  it("writes a completed result with its raw JSON, and no error field", () => {
    const fields = JobResult.toHashFields({
      jobId: "J",
      status: "completed",
      result: `{"n":12345678901234567890}` as RawJson,
      error: "stale",
      completedAt: Timestamp.parse("2025-01-15T15:30:09.5+05:00")!,
      durationMs: 12
    })
    assert.deepStrictEqual(fields, [
      "status", "completed", "completed_at", "2025-01-15T15:30:09+05:00", "duration_ms", "12", "result", `{"n":12345678901234567890}`
    ])
  })

  it("omits an empty result; writes error \"\" for a failure without a message; never a negative duration", () => {
    const base = { jobId: "J", completedAt: Timestamp.zero, durationMs: -3 }
    assert.deepStrictEqual(JobResult.toHashFields({ ...base, status: "completed", result: "" as RawJson }),
      ["status", "completed", "completed_at", "0001-01-01T00:00:00Z", "duration_ms", "0"])
    assert.deepStrictEqual(JobResult.toHashFields({ ...base, status: "failed" }),
      ["status", "failed", "completed_at", "0001-01-01T00:00:00Z", "duration_ms", "0", "error", ""])
  })
})

describe("JobResult.fromHash", () => {
  it("an empty hash is no result", () => {
    assert.isUndefined(read({}))
  })

  it("reads vector 7's merged hash (completed, with a stale error)", () => {
    const r = read({ status: "completed", completed_at: "2025-01-15T10:30:09Z", duration_ms: "12", error: "smtp: timeout" })!
    assert.strictEqual(r.jobId, "J")
    assert.strictEqual(r.status, "completed")
    assert.strictEqual(r.error, "smtp: timeout")
    assert.isUndefined(r.result)
    assert.strictEqual(r.durationMs, 12)
    assert.strictEqual(Timestamp.format(r.completedAt), "2025-01-15T10:30:09Z")
  })

  it("keeps the result bytes and the writer's offset", () => {
    const r = read({ status: "completed", completed_at: "2025-01-15T15:30:09+05:00", duration_ms: "7", result: `{"b":1, "a":[1.10]}` })!
    assert.strictEqual(r.result, `{"b":1, "a":[1.10]}`)
    assert.strictEqual(Timestamp.formatSeconds(r.completedAt), "2025-01-15T15:30:09+05:00")
  })

  it("reads an unparsable completed_at or duration_ms as zero, as Go does", () => {
    for (const [completed_at, duration_ms] of [["yesterday", "abc"], ["2025-01-15 10:30:09", "1.5"], ["", "-"], ["2025-01-15T10:30:09", "1e3"]]) {
      const r = read({ status: "failed", completed_at: completed_at!, duration_ms: duration_ms!, error: "x" })!
      assert.isTrue(Timestamp.isZero(r.completedAt), completed_at)
      assert.strictEqual(r.durationMs, 0, duration_ms)
    }
    const missing = read({ status: "failed" })!
    assert.isTrue(Timestamp.isZero(missing.completedAt))
    assert.strictEqual(missing.durationMs, 0)
    assert.isUndefined(missing.error)
  })

  it("an unknown or missing status is corrupted data naming the key", () => {
    for (const hash of [{ status: "weird" }, { completed_at: "2025-01-15T10:30:09Z" }, { status: "" }]) {
      const r = JobResult.fromHash("J", KEY, hash)
      assert.isTrue(Result.isFailure(r))
      if (Result.isFailure(r)) {
        assert.strictEqual(r.failure._tag, "SerializationError")
        assert.strictEqual(r.failure.key, KEY)
        assert.include(r.failure.message, KEY)
      }
    }
  })

  it("round-trips through toHashFields", () => {
    const original: JobResult.JobResult = {
      jobId: "J",
      status: "completed",
      result: `[1,"two",{"3":4}]` as RawJson,
      completedAt: Timestamp.parse("2025-01-15T10:30:09-03:30")!,
      durationMs: 42
    }
    const fields = JobResult.toHashFields(original)
    const hash: Record<string, string> = {}
    for (let i = 0; i < fields.length; i += 2) hash[fields[i]!] = fields[i + 1]!
    assert.deepStrictEqual(read(hash), { ...original, error: undefined })
  })
})

describe("JobResult.toGoJson", () => {
  it("is vector 13 exactly (Go's GetResult of vector 7)", () => {
    const r = read({ status: "completed", completed_at: "2025-01-15T10:30:09Z", duration_ms: "12", error: "smtp: timeout" })!
    assert.strictEqual(JobResult.toGoJson(r),
      `{"job_id":"J","status":"completed","error":"smtp: timeout","completed_at":"2025-01-15T10:30:09Z","duration":12000000}`)
  })

  it("carries the raw result and escapes strings as Go", () => {
    assert.strictEqual(
      JobResult.toGoJson({
        jobId: "<J>",
        status: "failed",
        result: `{"x":12345678901234567890}` as RawJson,
        error: "a & b",
        completedAt: Timestamp.parse("2025-01-15T10:30:09.123+01:00")!,
        durationMs: 1
      }),
      `{"job_id":"\\u003cJ\\u003e","status":"failed","result":{"x":12345678901234567890},"error":"a \\u0026 b","completed_at":"2025-01-15T10:30:09.123+01:00","duration":1000000}`
    )
  })
})
