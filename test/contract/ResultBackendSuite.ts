/**
 * The contract of the `ResultBackend` service (src/services/ResultBackend.ts
 * JSDoc and docs/PROTOCOL.md §3 "Result store/get/wait/delete"), run against
 * every implementation on the live clock.
 */
import { assert, describe } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as JobResult from "../../src/domain/JobResult.ts"
import type { RawJson } from "../../src/domain/RawJson.ts"
import { assertTtl, dequeueNow, fresh, type It, makeJob, pause, takeJob, ts, uid } from "./Fixtures.ts"

/** Registers the ResultBackend contract tests in the current layer block. */
export const resultBackendTests = (it: It) => {
  describe("ResultBackend: store, get, delete", () => {
    it.effect("store writes Go's hash fields with the success TTL; get reads them back", () =>
      Effect.gen(function*() {
        const { results, raw, keys } = yield* fresh
        const result: JobResult.JobResult = {
          jobId: uid("r"),
          status: "completed",
          result: `{"order_id":12345678901234567890,"10":"x","2":"y"}` as RawJson,
          completedAt: ts("2025-01-15T10:30:09.75+05:00"),
          durationMs: 12
        }
        yield* results.store(result)
        assert.deepStrictEqual(yield* raw.hgetall(keys.result(result.jobId)), {
          status: "completed",
          completed_at: "2025-01-15T10:30:09+05:00",
          duration_ms: "12",
          result: `{"order_id":12345678901234567890,"10":"x","2":"y"}`
        })
        assertTtl(yield* raw.ttl(keys.result(result.jobId)), 3600)
        const read = Option.getOrThrow(yield* results.get(result.jobId))
        assert.strictEqual(read.status, "completed")
        assert.strictEqual(read.result, result.result)
        assert.strictEqual(read.durationMs, 12)
        assert.isTrue(Option.isNone(yield* results.get(uid("none"))))
      }))

    it.effect("a failed result carries its error and the failure TTL", () =>
      Effect.gen(function*() {
        const { results, raw, keys } = yield* fresh
        const id = uid("f")
        yield* results.store({ jobId: id, status: "failed", error: "smtp: timeout", completedAt: ts("2025-01-15T10:30:05Z"), durationMs: 5126 })
        assert.deepStrictEqual(yield* raw.hgetall(keys.result(id)), {
          status: "failed",
          completed_at: "2025-01-15T10:30:05Z",
          duration_ms: "5126",
          error: "smtp: timeout"
        })
        assertTtl(yield* raw.ttl(keys.result(id)), 86400)
        assert.strictEqual(Option.getOrThrow(yield* results.get(id)).error, "smtp: timeout")
      }))

    it.effect("fields merge as HSET does: a Go worker's failed attempt (vector 4) then success (vectors 7, 13)", () =>
      Effect.gen(function*() {
        const { queue, results, raw, keys } = yield* fresh
        const job = makeJob()
        yield* queue.enqueue(job)
        const taken = yield* takeJob()
        yield* results.store({ jobId: job.id, status: "failed", error: "smtp: timeout", completedAt: ts("2025-01-15T10:30:05Z"), durationMs: 5126 })
        yield* queue.complete(taken, { durationMs: 12, now: ts("2025-01-15T10:30:09Z") })
        assert.deepStrictEqual(yield* raw.hgetall(keys.result(job.id)), {
          status: "completed",
          completed_at: "2025-01-15T10:30:09Z",
          duration_ms: "12",
          error: "smtp: timeout"
        })
        assertTtl(yield* raw.ttl(keys.result(job.id)), 3600, "success TTL after the merge")
        const read = Option.getOrThrow(yield* results.get(job.id))
        assert.strictEqual(
          JobResult.toGoJson(read),
          `{"job_id":"${job.id}","status":"completed","error":"smtp: timeout","completed_at":"2025-01-15T10:30:09Z","duration":12000000}`
        )
      }))

    it.effect("delete: true once, then false; the result is gone", () =>
      Effect.gen(function*() {
        const { results, raw, keys } = yield* fresh
        const id = uid("d")
        yield* results.store({ jobId: id, status: "completed", completedAt: ts("2025-01-15T10:30:05Z"), durationMs: 1 })
        assert.isTrue(yield* results.delete(id))
        assert.isFalse(yield* results.delete(id))
        assert.isTrue(Option.isNone(yield* results.get(id)))
        assert.deepStrictEqual(yield* raw.hgetall(keys.result(id)), {})
      }))

    it.effect("get: a hash with an unknown status is a SerializationError naming the key", () =>
      Effect.gen(function*() {
        const { results, raw, keys } = yield* fresh
        const id = uid("bad")
        yield* raw.hset(keys.result(id), { status: "weird", completed_at: "2025-01-15T10:30:05Z", duration_ms: "1" })
        const error = yield* Effect.flip(results.get(id))
        assert.strictEqual(error._tag, "SerializationError")
        if (error._tag === "SerializationError") assert.strictEqual(error.key, keys.result(id))
      }))
  })

  describe("ResultBackend: wait", () => {
    it.effect("a result stored before the wait returns at once", () =>
      Effect.gen(function*() {
        const { results } = yield* fresh
        const id = uid("w")
        yield* results.store({ jobId: id, status: "completed", result: `"done"` as RawJson, completedAt: ts("2025-01-15T10:30:05Z"), durationMs: 3 })
        const result = yield* results.wait(id, Duration.seconds(5))
        assert.strictEqual(result.result, `"done"`)
      }))

    it.effect("a result stored while waiting wakes the waiter", () =>
      Effect.gen(function*() {
        const { results } = yield* fresh
        const id = uid("w")
        const waiter = yield* Effect.forkChild(results.wait(id, Duration.seconds(10)))
        yield* pause(30)
        assert.isUndefined(waiter.pollUnsafe(), "still waiting")
        yield* results.store({ jobId: id, status: "completed", result: `{"a":1}` as RawJson, completedAt: ts("2025-01-15T10:30:05Z"), durationMs: 3 })
        const result = yield* Fiber.join(waiter)
        assert.strictEqual(result.status, "completed")
        assert.strictEqual(result.result, `{"a":1}`)
      }))

    it.effect("a failed result of an attempt that will be retried does not end the wait; the final one does", () =>
      Effect.gen(function*() {
        const { queue, results } = yield* fresh
        const job = makeJob({ maxRetries: 2 })
        yield* queue.enqueue(job)
        const waiter = yield* Effect.forkChild(results.wait(job.id, Duration.seconds(10)))
        yield* pause(20)
        // A Go worker stores a failed result on every attempt (vector 4), then reschedules the job.
        const attempt = yield* takeJob()
        yield* results.store({ jobId: job.id, status: "failed", error: "try 1", completedAt: ts("2025-01-15T10:30:05Z"), durationMs: 1 })
        const retried = yield* queue.fail(attempt, "try 1", { durationMs: 1, now: ts("2025-01-15T10:30:05Z") })
        assert.strictEqual(retried._tag, "Retrying")
        yield* pause(50)
        assert.isUndefined(waiter.pollUnsafe(), "the job is pending again: not final")
        assert.strictEqual((yield* queue.promoteDue(ts("2025-01-15T10:31:00Z"))).promoted, 1)
        const outcome = yield* queue.fail(yield* takeJob(), "try 2", { durationMs: 1, now: ts("2025-01-15T10:31:00Z") })
        assert.strictEqual(outcome._tag, "Dead")
        const result = yield* Fiber.join(waiter)
        assert.strictEqual(result.status, "failed")
        assert.strictEqual(result.error, "try 2")
      }))

    it.effect("a failed result is final when the job's data is gone", () =>
      Effect.gen(function*() {
        const { results } = yield* fresh
        const id = uid("gone")
        yield* results.store({ jobId: id, status: "failed", error: "x", completedAt: ts("2025-01-15T10:30:05Z"), durationMs: 1 })
        const result = yield* results.wait(id, Duration.seconds(5))
        assert.strictEqual(result.error, "x")
      }))

    it.effect("a job dead-lettered for missing or corrupted data ends its waiters with the failed result (Go's text)", () =>
      Effect.gen(function*() {
        const { results, raw, keys } = yield* fresh
        const ghost = uid("ghost")
        const bad = uid("bad")
        yield* raw.set(keys.job(bad), `{"id":"${bad}","attempts":"1"}`)
        const waiters = yield* Effect.forEach([ghost, bad], (id) => Effect.forkChild(results.wait(id, Duration.seconds(10))))
        yield* pause(30)
        for (const w of waiters) assert.isUndefined(w.pollUnsafe(), "no result yet")
        yield* raw.lpush(keys.queue("normal"), ghost)
        yield* raw.lpush(keys.queue("normal"), bad)
        for (let i = 0; i < 2; i++) assert.strictEqual(Option.getOrThrow(yield* dequeueNow)._tag, "DeadLettered")
        const [onGhost, onBad] = yield* Fiber.joinAll(waiters)
        assert.strictEqual(onGhost!.jobId, ghost)
        assert.strictEqual(onGhost!.status, "failed")
        assert.strictEqual(onGhost!.error, "Job data not found (corrupted reference)")
        assert.strictEqual(onGhost!.durationMs, 0)
        assert.strictEqual(onBad!.status, "failed")
        assert.strictEqual(onBad!.error, "Failed to unmarshal job: json: cannot unmarshal string into Go struct field Job.attempts of type int")
        assert.strictEqual(onBad!.durationMs, 0)
        // Final for a later wait too: the job data is Go's dead-letter record.
        assert.strictEqual((yield* results.wait(ghost, Duration.seconds(1))).error, "Job data not found (corrupted reference)")
      }))

    it.effect("no final result in time: TimeoutError naming the job", () =>
      Effect.gen(function*() {
        const { queue, results } = yield* fresh
        const job = makeJob()
        yield* queue.enqueue(job)
        const error = yield* Effect.flip(results.wait(job.id, Duration.millis(60)))
        assert.strictEqual(error._tag, "TimeoutError")
        if (error._tag === "TimeoutError") {
          assert.strictEqual(error.jobId, job.id)
          assert.strictEqual(error.timeoutMillis, 60)
        }
      }))

    it.effect("many concurrent waiters on different jobs each get their own result", () =>
      Effect.gen(function*() {
        const { results } = yield* fresh
        const ids = Array.from({ length: 20 }, () => uid("many"))
        const waiters = yield* Effect.forEach(ids, (id) => Effect.forkChild(results.wait(id, Duration.seconds(10))))
        yield* pause(30)
        yield* Effect.forEach(ids, (id, i) =>
          results.store({ jobId: id, status: "completed", result: String(i) as RawJson, completedAt: ts("2025-01-15T10:30:05Z"), durationMs: 1 }))
        const got = yield* Fiber.joinAll(waiters)
        assert.deepStrictEqual(got.map((r) => [r.jobId, r.result]), ids.map((id, i) => [id, String(i)]))
      }))

    it.effect("start (RPC): runs once subscribed; a result stored and published inside it wakes the wait, created now or not", () =>
      Effect.gen(function*() {
        const { results } = yield* fresh
        for (const created of [true, false]) {
          const id = uid("rpc")
          let started = 0
          const result = yield* results.wait(id, Duration.seconds(5), {
            run: Effect.suspend(() => {
              started++
              // Finished before the wait ever looked: only the notification can tell it.
              return Effect.as(
                results.store({ jobId: id, status: "completed", result: `"fast"` as RawJson, completedAt: ts("2025-01-15T10:30:05Z"), durationMs: 1 }),
                created
              )
            })
          })
          assert.strictEqual(started, 1)
          assert.strictEqual(result.result, `"fast"`)
        }
      }))

    it.effect("start (RPC): the job's later result ends the wait; a failed attempt that will be retried does not", () =>
      Effect.gen(function*() {
        const { queue, results } = yield* fresh
        const job = makeJob({ maxRetries: 2 })
        const waiter = yield* Effect.forkChild(
          results.wait(job.id, Duration.seconds(10), { run: Effect.map(queue.enqueue(job), (outcome) => outcome === "created") })
        )
        yield* pause(30) // subscribed and submitted
        const attempt = yield* takeJob()
        yield* results.store({ jobId: job.id, status: "failed", error: "try 1", completedAt: ts("2025-01-15T10:30:05Z"), durationMs: 1 })
        yield* queue.fail(attempt, "try 1", { durationMs: 1, now: ts("2025-01-15T10:30:05Z") })
        yield* pause(50)
        assert.isUndefined(waiter.pollUnsafe(), "the job is pending again: not final")
        assert.strictEqual((yield* queue.promoteDue(ts("2025-01-15T10:31:00Z"))).promoted, 1)
        yield* queue.complete(yield* takeJob(), { durationMs: 2, now: ts("2025-01-15T10:31:00Z") })
        const result = yield* Fiber.join(waiter)
        assert.strictEqual(result.status, "completed")
      }))

    it.effect("start (RPC): not created now (false), a result already stored under the id is returned at once", () =>
      Effect.gen(function*() {
        const { results } = yield* fresh
        const id = uid("reused")
        yield* results.store({ jobId: id, status: "completed", result: `"old"` as RawJson, completedAt: ts("2025-01-15T10:30:05Z"), durationMs: 1 })
        const result = yield* results.wait(id, Duration.seconds(5), { run: Effect.succeed(false) })
        assert.strictEqual(result.result, `"old"`)
      }))

    it.effect("start (RPC): its failure ends the wait with that failure; nothing is left waiting", () =>
      Effect.gen(function*() {
        const { results } = yield* fresh
        const id = uid("nostart")
        const error = yield* Effect.flip(results.wait(id, Duration.seconds(5), { run: Effect.fail("enqueue failed" as const) }))
        assert.strictEqual(error, "enqueue failed")
        // A later result for the id wakes nobody and breaks nothing.
        yield* results.store({ jobId: id, status: "completed", completedAt: ts("2025-01-15T10:30:05Z"), durationMs: 1 })
      }))

    it.effect("start (RPC): no result in time is a TimeoutError naming the job", () =>
      Effect.gen(function*() {
        const { results } = yield* fresh
        const id = uid("slow")
        const error = yield* Effect.flip(results.wait(id, Duration.millis(60), { run: Effect.succeed(true) }))
        assert.strictEqual(error._tag, "TimeoutError")
        if (error._tag === "TimeoutError") assert.strictEqual(error.jobId, id)
      }))
  })
}
