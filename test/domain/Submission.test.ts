/**
 * Validation before anything is written: each request a worker (Go's or
 * ours) could not run, or that would collide in Redis, is a
 * `ValidationError` naming the field, with a message saying what is wrong;
 * and nothing reaches the store.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { ValidationError } from "../../src/domain/Errors.ts"
import * as JobCodec from "../../src/domain/JobCodec.ts"
import * as JobDefinition from "../../src/domain/JobDefinition.ts"
import * as PayloadLimits from "../../src/domain/PayloadLimits.ts"
import * as RawJson from "../../src/domain/RawJson.ts"
import * as Submission from "../../src/domain/Submission.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import * as Bananas from "../../src/Bananas.ts"
import { MemoryStore } from "../../src/layers/memory/MemoryStore.ts"
import * as BananasMemory from "../../src/layers/memory/BananasMemory.ts"
import * as DirectTaskApi from "../../src/layers/DirectTaskApi.ts"
import * as Tasks from "../../src/Tasks.ts"

const now = Timestamp.fromMillis(Date.UTC(2025, 0, 15, 10, 30))
const request = (fields: Partial<Submission.SubmitRequest> = {}): Submission.SubmitRequest => ({
  name: "x",
  payload: `{"k":1}` as RawJson.RawJson,
  ...fields
})
const nested = (levels: number) => ("[".repeat(levels) + "]".repeat(levels)) as RawJson.RawJson

const refused = (req: Submission.SubmitRequest, field: string, expected: string, maxPayloadBytes?: number) => {
  const result = Submission.toJob(req, now, "", maxPayloadBytes)
  assert.isTrue(Result.isFailure(result), `expected ${field} to be refused`)
  if (Result.isFailure(result)) {
    assert.instanceOf(result.failure, ValidationError)
    assert.strictEqual(result.failure.field, field)
    assert.include(result.failure.message, expected)
  }
}

describe("Submission.toJob", () => {
  it("refuses a scheduled time beyond the year 9999 (Go cannot read it back)", () => {
    refused(request({ scheduledFor: Timestamp.fromMillis(Date.UTC(10000, 0, 1)) }), "scheduledFor", "scheduled time must be before the year 10000 (Go cannot read it), got +010000-01-01T00:00:00.000Z")
    refused(request({ delayMillis: 1e17 }), "scheduledFor", "scheduled time must be before the year 10000")
    refused(request({ submittedAt: Timestamp.fromMillis(Date.UTC(10000, 0, 1)) }), "submittedAt", "between the years 1 and 9999")
    const last = Submission.toJob(request({ scheduledFor: Timestamp.fromMillis(Date.UTC(9999, 11, 31, 23, 59, 59, 999)) }), now)
    assert.isTrue(Result.isSuccess(last))
  })

  it("refuses ids, names and descriptions that are not well-formed UTF-16 (lone surrogates collide in Redis)", () => {
    refused(request({ id: "job-\uD800" }), "id", "no lone surrogates")
    refused(request({ id: "job-\uDFFF" }), "id", "no lone surrogates")
    refused(request({ name: "x\uD83D" }), "name", "well-formed UTF-16")
    refused(request({ description: "\uDE00 broken" }), "description", "well-formed")
    assert.isTrue(Result.isSuccess(Submission.toJob(request({ id: "job-\uD83D\uDE00" }), now)), "a surrogate pair is fine")
  })

  it("refuses payloads nested deeper than workers read, and accepts the deepest they do", () => {
    const deepest = Submission.toJob(request({ payload: nested(PayloadLimits.maxPayloadDepth) }), now)
    assert.isTrue(Result.isSuccess(deepest))
    if (Result.isSuccess(deepest)) {
      // What was accepted is what a worker decodes.
      assert.isTrue(Result.isSuccess(JobCodec.decode(JobCodec.encode(deepest.success.job))))
    }
    refused(request({ payload: nested(PayloadLimits.maxPayloadDepth + 1) }), "payload", "payload nests 10000 levels deep; workers read at most 9999")
    // Brackets inside strings are not nesting.
    const inString = `{"s":"${"[".repeat(20_000)}"}` as RawJson.RawJson
    assert.isTrue(Result.isSuccess(Submission.toJob(request({ payload: inString }), now)))
    assert.strictEqual(PayloadLimits.depthOf(`[{"a":"\\"[[["},[[]]]`), 3)
  })

  it("refuses a payload over the size limit, counted in UTF-8 bytes", () => {
    const payload = `"${"é".repeat(600)}"` as RawJson.RawJson // 602 characters, 1202 bytes
    refused(request({ payload }), "payload", "payload is 1202 bytes, over the limit of 1000 bytes", 1000)
    assert.isTrue(Result.isSuccess(Submission.toJob(request({ payload }), now, "", 1202)))
    const batch = Submission.toJob(request({ payload }), now, "entries[3].", 1000)
    assert.isTrue(Result.isFailure(batch) && batch.failure.field === "entries[3].payload")
  })

  it("a job that JSON cannot carry is refused before any Go worker sees it", () => {
    refused(request({ payload: "{" as RawJson.RawJson }), "payload", "payload must be valid JSON text")
    refused(request({ name: " " }), "name", "job name must be a non-empty string")
    refused(request({ maxRetries: -1 }), "maxRetries", "maxRetries must be a non-negative integer, got -1")
  })
})

describe("limits applied where jobs are built (DirectTaskApi)", () => {
  const backend = DirectTaskApi.layer.pipe(Layer.provideMerge(BananasMemory.layerWithStore()))
  const nothingWritten = Effect.flatMap(MemoryStore, (store) => Effect.map(store.dump, (entries) => assert.deepStrictEqual(entries, [])))

  it.effect("MaxPayloadBytes is read for each submission, and nothing is written when refused", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Tasks.submit("big", { data: "x".repeat(100) })).pipe(
        Effect.provideService(PayloadLimits.MaxPayloadBytes, 64)
      )
      assert.instanceOf(error, ValidationError)
      assert.strictEqual((error as ValidationError).field, "payload")
      assert.include(error.message, "over the limit of 64 bytes")
      const batch = yield* Effect.flip(Tasks.submitBatch([{ name: "ok", payload: 1 }, { name: "big", payload: "y".repeat(100) }])).pipe(
        Effect.provideService(PayloadLimits.MaxPayloadBytes, 64)
      )
      assert.strictEqual((batch as ValidationError).field, "entries[1].payload")
      yield* nothingWritten
      // The default limit (10 MiB) lets it through.
      assert.isFalse((yield* Tasks.submit("big", { data: "x".repeat(100) })).duplicate)
    }).pipe(Effect.provide(backend)))

  it.effect("a scheduled time beyond 9999 and a deep payload are refused through Tasks, nothing written", () =>
    Effect.gen(function*() {
      const late = yield* Effect.flip(Tasks.submit("x", {}, { at: new Date(Date.UTC(10000, 0, 1)) }))
      assert.strictEqual((late as ValidationError).field, "scheduledFor")
      assert.include(late.message, "before the year 10000")
      const tooDeep = yield* Effect.flip(Tasks.submit("x", new RawJson.Raw(nested(PayloadLimits.maxPayloadDepth + 1))))
      assert.strictEqual((tooDeep as ValidationError).field, "payload")
      assert.include(tooDeep.message, "payload nests 10000 levels deep")
      // A JavaScript value too deep to marshal says so.
      let deep: unknown = 1
      for (let i = 0; i < 20_000; i++) deep = [deep]
      const unmarshalable = yield* Effect.flip(Tasks.submit("x", deep))
      assert.strictEqual(unmarshalable._tag, "SerializationError")
      assert.strictEqual(unmarshalable.message, "payload is not JSON-serializable: nested too deeply to marshal")
      yield* nothingWritten
    }).pipe(Effect.provide(backend)))

  it.effect("layerMaxPayloadBytes sets the limit, and refuses one that is not a positive whole number", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Tasks.submit("big", "x".repeat(20))).pipe(
        Effect.provide(Bananas.layerMemory().pipe(Layer.provideMerge(PayloadLimits.layerMaxPayloadBytes(16))))
      )
      assert.include(error.message, "over the limit of 16 bytes")
      const bad = yield* Effect.flip(Layer.build(PayloadLimits.layerMaxPayloadBytes(0)))
      assert.strictEqual(bad.field, "maxPayloadBytes")
    }))
})

describe("maxAttempts, the alias that says what maxRetries counts", () => {
  const backend = Bananas.layerMemory()
  const Report = JobDefinition.make({ name: "report", payload: Schema.Struct({}), result: Schema.Struct({}), maxAttempts: 5 })

  it.effect("is Go's max_retries (runs in all), from options or a definition; both with different values is refused", () =>
    Effect.gen(function*() {
      const once = yield* Tasks.submit("x", {}, { maxAttempts: 1 })
      assert.strictEqual((yield* Tasks.getJob(once.id)).maxRetries, 1)
      const same = yield* Tasks.submit("x", {}, { maxAttempts: 2, maxRetries: 2 })
      assert.strictEqual((yield* Tasks.getJob(same.id)).maxRetries, 2)
      const typed = yield* Tasks.submitTyped(Report, {})
      assert.strictEqual((yield* Tasks.getJob(typed.id)).maxRetries, 5, "the definition's default")
      const overridden = yield* Tasks.submitTyped(Report, {}, { maxRetries: 1 })
      assert.strictEqual((yield* Tasks.getJob(overridden.id)).maxRetries, 1, "the call's value wins over the definition's")
      const conflict = yield* Effect.flip(Tasks.submit("x", {}, { maxAttempts: 2, maxRetries: 3 }))
      assert.strictEqual((conflict as ValidationError).field, "maxAttempts")
      assert.include(conflict.message, "maxAttempts (2) and maxRetries (3) are the same setting (Go's max_retries: runs in all)")
      const batch = yield* Effect.flip(Tasks.submitBatch([{ name: "x", payload: 1, options: { maxAttempts: 1, maxRetries: 4 } }]))
      assert.strictEqual((batch as ValidationError).field, "entries[0].maxAttempts")
    }).pipe(Effect.provide(backend)))
})
