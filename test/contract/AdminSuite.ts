/**
 * The contract of the `QueueAdmin` service (src/services/QueueAdmin.ts
 * JSDoc): cancel, stats, list, deadLetters, requeueDead and purgeDead (and
 * pausing, `PauseSuite`), run
 * against every implementation on the live clock.
 */
import { assert, describe } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import type { Job } from "../../src/domain/Job.ts"
import * as JobCodec from "../../src/domain/JobCodec.ts"
import type { JobPage, ListFilter } from "../../src/domain/JobPage.ts"
import * as JobPriority from "../../src/domain/JobPriority.ts"
import type { StoreFailure } from "../../src/store/JobStore.ts"
import type { ValidationError } from "../../src/domain/Errors.ts"
import {
  assertSameIds,
  assertTtl,
  collectListed,
  collectPages,
  dequeueNow,
  fresh,
  type It,
  lease,
  leaseState,
  makeJob,
  now,
  pause,
  takeJob,
  ts,
  uid
} from "./Fixtures.ts"
import { pauseTests } from "./PauseSuite.ts"

/** Registers the QueueAdmin contract tests in the current layer block. */
export const adminTests = (it: It) => {
  describe("QueueAdmin: cancel", () => {
    it.effect("a queued job: the cancelled job, out of its queue, failed/cancelled, and a waiter ends with that result", () =>
      Effect.gen(function*() {
        const { queue, admin, results, raw, keys } = yield* fresh
        const job = makeJob({ priority: "high" })
        yield* queue.enqueue(job)
        const waiter = yield* Effect.forkChild(results.wait(job.id, Duration.seconds(10)))
        yield* pause(20)
        const at = ts("2025-01-15T10:40:00Z")
        const cancelled = yield* admin.cancel(job.id, at)
        assert.strictEqual(JobCodec.encode(cancelled), JobCodec.encode({ ...job, status: "failed", error: "cancelled", updatedAt: at }))
        const result = yield* Fiber.join(waiter)
        assert.strictEqual(result.status, "failed")
        assert.strictEqual(result.error, "cancelled")
        assert.deepStrictEqual(yield* raw.hgetall(keys.result(job.id)), {
          status: "failed",
          completed_at: "2025-01-15T10:40:00Z",
          duration_ms: "0",
          error: "cancelled"
        })
        assertTtl(yield* raw.ttl(keys.result(job.id)), 86400, "result ttl")
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("high")), [])
        assert.strictEqual(yield* raw.get(keys.job(job.id)), JobCodec.encode(cancelled))
        assertTtl(yield* raw.ttl(keys.job(job.id)), 604800, "cancelled job ttl")
        const again = yield* Effect.flip(admin.cancel(job.id, ts("2025-01-15T10:41:00Z")))
        assert.strictEqual(again._tag, "JobConflictError", "not waiting any more")
        if (again._tag === "JobConflictError") {
          assert.strictEqual(again.jobId, job.id)
          assert.strictEqual(again.status, "failed")
          assert.strictEqual(again.operation, "cancel")
        }
        assert.strictEqual(yield* raw.get(keys.job(job.id)), JobCodec.encode(cancelled), "unchanged by the refused cancel")
        assert.isTrue(Option.isNone(yield* dequeueNow))
      }))

    it.effect("a scheduled job: cancelled and out of the scheduled set (never promoted)", () =>
      Effect.gen(function*() {
        const { queue, admin, results, raw, keys } = yield* fresh
        const job = makeJob({ status: "scheduled", scheduledFor: ts("2025-01-15T11:00:00Z") })
        yield* queue.schedule(job)
        const cancelled = yield* admin.cancel(job.id, ts("2025-01-15T10:40:00Z"))
        assert.strictEqual(cancelled.status, "failed")
        assert.isUndefined(cancelled.scheduledFor)
        assert.isUndefined(yield* raw.zscore(keys.scheduled, job.id))
        assert.notInclude((yield* raw.get(keys.job(job.id)))!, "scheduled_for")
        assert.deepStrictEqual(yield* queue.promoteDue(ts("2025-01-15T12:00:00Z")), { promoted: 0, skipped: [] })
        const result = yield* results.wait(job.id, Duration.seconds(1))
        assert.strictEqual(result.status, "failed")
        assert.strictEqual(result.error, "cancelled")
      }))

    it.effect("a running or finished job: JobConflictError; an unknown id: JobNotFoundError; nothing changed", () =>
      Effect.gen(function*() {
        const { queue, admin, raw, keys } = yield* fresh
        const running = makeJob()
        const finished = makeJob()
        yield* queue.enqueueBatch([running, finished])
        const taken = yield* takeJob({ lease: lease("w", 60_000) })
        yield* queue.complete(yield* takeJob(), { durationMs: 1, now: ts("2025-01-15T10:35:00Z") })
        const runningJson = yield* raw.get(keys.job(running.id))
        const finishedJson = yield* raw.get(keys.job(finished.id))
        const runningLease = yield* leaseState(keys, running.id, "w")

        const onRunning = yield* Effect.flip(admin.cancel(taken.job.id, ts("2025-01-15T10:40:00Z")))
        assert.strictEqual(onRunning._tag, "JobConflictError")
        if (onRunning._tag === "JobConflictError") {
          assert.strictEqual(onRunning.jobId, running.id)
          assert.strictEqual(onRunning.status, "pending", "a running job's stored status")
          assert.strictEqual(onRunning.operation, "cancel")
        }
        const onFinished = yield* Effect.flip(admin.cancel(finished.id, ts("2025-01-15T10:40:00Z")))
        assert.strictEqual(onFinished._tag, "JobConflictError")
        if (onFinished._tag === "JobConflictError") assert.strictEqual(onFinished.status, "completed")
        const unknown = uid("unknown")
        const onUnknown = yield* Effect.flip(admin.cancel(unknown, ts("2025-01-15T10:40:00Z")))
        assert.strictEqual(onUnknown._tag, "JobNotFoundError")
        if (onUnknown._tag === "JobNotFoundError") assert.strictEqual(onUnknown.jobId, unknown)

        assert.strictEqual(yield* raw.get(keys.job(running.id)), runningJson)
        assert.strictEqual(yield* raw.get(keys.job(finished.id)), finishedJson)
        assert.deepStrictEqual(yield* raw.lrange(keys.processing), [running.id])
        assert.deepStrictEqual(yield* leaseState(keys, running.id, "w"), runningLease, "the running job keeps its lease")
        assert.deepStrictEqual(yield* raw.hgetall(keys.result(running.id)), {})
        assert.isUndefined(yield* raw.get(keys.job(unknown)))
        assert.strictEqual((yield* queue.complete(taken, { durationMs: 1, now: ts("2025-01-15T10:41:00Z") })).status, "completed")
      }))
  })

  describe("QueueAdmin: inspection", () => {
    it.effect("stats counts every list", () =>
      Effect.gen(function*() {
        const { queue, admin, raw, keys } = yield* fresh
        const ghost = uid("ghost")
        yield* raw.lpush(keys.queue("high"), ghost)
        yield* dequeueNow // dead-letters the ghost
        yield* queue.enqueueBatch([
          makeJob({ priority: "high" }),
          makeJob({ priority: "high" }),
          makeJob({ priority: "normal" }),
          makeJob({ priority: "low" })
        ])
        yield* queue.schedule(makeJob({ status: "scheduled", scheduledFor: ts("2030-01-01T00:00:00Z") }))
        yield* takeJob()
        yield* queue.enqueue(makeJob({ routingKey: "other" })) // routed lists are not in `queued`
        assert.deepStrictEqual(yield* admin.stats, {
          queued: { high: 1, normal: 1, low: 1 },
          processing: 1,
          scheduled: 1,
          dead: 1
        })
      }))

    it.effect("list: filters by status, priority, name and creation time; pages cover everything once", () =>
      Effect.gen(function*() {
        const { queue, admin, raw, keys } = yield* fresh
        const at = (day: number) => ts(`2025-01-0${day}T00:00:00Z`)
        const a1 = makeJob({ name: "alpha", priority: "high", createdAt: at(1), updatedAt: at(1) })
        const a2 = makeJob({ name: "alpha", priority: "low", createdAt: at(2), updatedAt: at(2) })
        const b1 = makeJob({ name: "beta", createdAt: at(3), updatedAt: at(3) })
        const b2 = makeJob({ name: "beta", status: "scheduled", scheduledFor: ts("2030-01-01T00:00:00Z"), createdAt: at(4), updatedAt: at(4) })
        const c1 = makeJob({ name: "gamma", maxRetries: 1, priority: "high", createdAt: at(5), updatedAt: at(5) })
        yield* queue.enqueueBatch([c1, a1, a2, b1])
        yield* queue.schedule(b2)
        yield* queue.fail(yield* takeJob({ priorities: ["high"] }), "boom", { durationMs: 1, now: at(6) })
        const fillers = Array.from({ length: 12 }, () => makeJob({ name: "filler", createdAt: at(7), updatedAt: at(7) }))
        yield* queue.enqueueBatch(fillers)
        yield* raw.set(keys.job(uid("corrupt")), "{not json") // skipped, not an error
        const all = [a1, a2, b1, b2, c1, ...fillers].map((j) => j.id)

        const listAll = (filter: Omit<ListFilter, "cursor">) => collectListed((cursor) => admin.list({ ...filter, cursor }))
        assertSameIds(yield* listAll({ limit: 4 }), all, "all pages")
        assertSameIds(yield* listAll({}), all, "default page size")
        assertSameIds(yield* listAll({ name: "alpha", limit: 1 }), [a1.id, a2.id], "name")
        assertSameIds(yield* listAll({ priority: "high" }), [a1.id, c1.id], "priority")
        assertSameIds(yield* listAll({ status: "scheduled" }), [b2.id], "status scheduled")
        assertSameIds(yield* listAll({ status: "failed" }), [c1.id], "status failed")
        assertSameIds(yield* listAll({ from: at(2), to: at(4) }), [a2.id, b1.id], "created_at in [from, to)")
        assertSameIds(yield* listAll({ name: "beta", status: "pending", from: at(3) }), [b1.id], "combined")
      }))

    it.effect("list: every page holds at most `limit` jobs, and the pages cover every matching job exactly once", () =>
      Effect.gen(function*() {
        const { queue, admin } = yield* fresh
        const jobs = Array.from({ length: 45 }, (_, i) => makeJob({ name: i % 3 === 0 ? "third" : "other" }))
        yield* queue.enqueueBatch(jobs)
        const pagesOf = (filter: { readonly limit: number; readonly name?: string }) =>
          Effect.gen(function*() {
            const seen: Array<Job> = []
            let cursor: string | undefined = undefined
            for (let page = 0; page < 500; page++) {
              const p: JobPage = yield* admin.list({ ...filter, cursor })
              assert.isAtMost(p.jobs.length, filter.limit, `page ${page} of limit ${filter.limit}`)
              seen.push(...p.jobs)
              cursor = p.cursor
              if (cursor === undefined) return seen
            }
            return assert.fail("pagination did not end")
          })
        for (const limit of [1, 5, 7, 44, 45, 100]) {
          assertSameIds(yield* pagesOf({ limit }), jobs.map((j) => j.id), `limit ${limit}`)
        }
        assertSameIds(yield* pagesOf({ limit: 4, name: "third" }), jobs.filter((j) => j.name === "third").map((j) => j.id), "filtered")
      }))

    it.effect("list: a filtered page scans on until it has `limit` matches: 3 jobs among 6,000 come back in one page", () =>
      Effect.gen(function*() {
        const { queue, admin } = yield* fresh
        const fillers = Array.from({ length: 6000 }, () => makeJob({ name: "bulk" }))
        for (let i = 0; i < fillers.length; i += 1000) yield* queue.enqueueBatch(fillers.slice(i, i + 1000))
        const needles = Array.from({ length: 3 }, () => makeJob({ name: "needle" }))
        yield* queue.enqueueBatch(needles)
        const page = yield* admin.list({ name: "needle", limit: 3 })
        assertSameIds(page.jobs, needles.map((j) => j.id), "one page holds every match")
        // A filter nothing matches: empty pages, ending (within its budget a page scans on).
        let cursor: string | undefined = undefined
        for (let page = 0; page < 100; page++) {
          const none: JobPage = yield* admin.list({ name: "nothing_by_this_name", cursor })
          assert.deepStrictEqual(none.jobs, [])
          cursor = none.cursor
          if (cursor === undefined) break
        }
        assert.isUndefined(cursor, "the scan ended")
      }), 60_000)

    it.effect("a cursor the listing did not return is a ValidationError on `cursor`", () =>
      Effect.gen(function*() {
        const { queue, admin } = yield* fresh
        yield* queue.enqueueBatch([makeJob(), makeJob()])
        const cases: ReadonlyArray<readonly [string, Effect.Effect<JobPage, ValidationError | StoreFailure>]> = [
          ["list: not base64 JSON", admin.list({ cursor: "not a cursor!" })],
          ["list: JSON of another shape", admin.list({ cursor: Buffer.from(`{"scan":1}`).toString("base64url") })],
          ["deadLetters: not a number", admin.deadLetters({ cursor: "abc" })],
          ["deadLetters: negative", admin.deadLetters({ cursor: "-1" })]
        ]
        for (const [label, effect] of cases) {
          const error = yield* Effect.flip(effect)
          assert.strictEqual(error._tag, "ValidationError", label)
          if (error._tag === "ValidationError") assert.strictEqual(error.field, "cursor", label)
        }
        assert.strictEqual((yield* admin.list({ limit: 1 })).jobs.length, 1, "a good first page still works")
      }))

    it.effect("deadLetters: newest first, paginated; requeueDead: pending, attempts 0, no error, no TTL, old result deleted", () =>
      Effect.gen(function*() {
        const { queue, admin, raw, keys } = yield* fresh
        const dead: Array<Job> = []
        for (let i = 0; i < 3; i++) {
          yield* queue.enqueue(makeJob({ maxRetries: 1, priority: "low" }))
          const outcome = yield* queue.fail(yield* takeJob(), `error ${i}`, { durationMs: 1, now: ts("2025-01-15T10:30:00Z") })
          dead.push(outcome.job)
        }
        const ids = dead.map((j) => j.id).reverse()
        assert.deepStrictEqual((yield* admin.deadLetters()).jobs.map((j) => j.id), ids)
        const paged = yield* collectPages((cursor) => admin.deadLetters({ cursor, limit: 2 }))
        assert.deepStrictEqual(paged.map((j) => j.id), ids)
        assert.strictEqual(paged[0]!.error, "error 2")

        const target = dead[1]!
        assert.strictEqual((yield* raw.hgetall(keys.result(target.id))).status, "failed")
        const at = ts("2025-01-15T11:00:00Z")
        const requeued = yield* admin.requeueDead(target.id, at)
        assert.strictEqual(JobCodec.encode(requeued), JobCodec.encode({ ...target, status: "pending", attempts: 0, error: undefined, updatedAt: at }))
        const stored = JobCodec.decode((yield* raw.get(keys.job(target.id)))!).pipe(Result.getOrThrow)
        assert.strictEqual(stored.status, "pending")
        assert.strictEqual(stored.attempts, 0)
        assert.isUndefined(stored.error)
        assert.notInclude((yield* raw.get(keys.job(target.id)))!, `"error"`)
        assert.strictEqual(yield* raw.ttl(keys.job(target.id)), -1)
        assert.deepStrictEqual(yield* raw.hgetall(keys.result(target.id)), {}, "the old result is deleted")
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("low")), [target.id])
        assert.notInclude(yield* raw.lrange(keys.dead), target.id)

        const again = yield* Effect.flip(admin.requeueDead(target.id, at))
        assert.strictEqual(again._tag, "JobConflictError", "not dead any more")
        if (again._tag === "JobConflictError") assert.strictEqual(again.status, "pending")
        const unknown = yield* Effect.flip(admin.requeueDead(uid("unknown"), at))
        assert.strictEqual(unknown._tag, "JobNotFoundError")
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("low")), [target.id], "pushed once")
        assert.strictEqual((yield* takeJob()).job.id, target.id)
      }))

    it.effect("Go's dead-letter records: in deadLetters with their error, never in list, refused by requeueDead", () =>
      Effect.gen(function*() {
        const { queue, admin, raw, keys } = yield* fresh
        const ghost = uid("ghost")
        const bad = uid("bad")
        yield* raw.lpush(keys.queue("high"), ghost)
        yield* raw.set(keys.job(bad), `{"id":"${bad}","attempts":"1"}`)
        yield* raw.lpush(keys.queue("high"), bad)
        yield* dequeueNow
        yield* dequeueNow
        const letters = (yield* admin.deadLetters()).jobs
        assert.deepStrictEqual(letters.map((j) => j.id), [bad, ghost])
        assert.strictEqual(letters[1]!.error, "Job data not found (corrupted reference)")
        assert.include(letters[0]!.error!, "Failed to unmarshal job: ")
        const real = makeJob()
        yield* queue.enqueue(real)
        assertSameIds(yield* collectListed((cursor) => admin.list({ cursor })), [real.id], "list")
        for (const id of [ghost, bad]) {
          const error = yield* Effect.flip(admin.requeueDead(id, ts("2025-01-15T11:00:00Z")))
          assert.strictEqual(error._tag, "SerializationError")
        }
        assert.deepStrictEqual(yield* raw.lrange(keys.dead), [bad, ghost])
      }))

    it.effect("purgeDead deletes every dead-lettered job with its data and result, and nothing else", () =>
      Effect.gen(function*() {
        const { queue, admin, raw, keys } = yield* fresh
        const dead: Array<string> = []
        for (let i = 0; i < 2; i++) {
          yield* queue.enqueue(makeJob({ maxRetries: 1, priority: "low" }))
          dead.push((yield* queue.fail(yield* takeJob(), "boom", { durationMs: 1, now: ts("2025-01-15T10:30:00Z") })).job.id)
        }
        const ghost = uid("ghost")
        yield* raw.lpush(keys.queue("high"), ghost)
        yield* dequeueNow // Go's record, with a failed result
        dead.push(ghost)
        const alive = makeJob()
        yield* queue.enqueue(alive)
        const done = makeJob()
        yield* queue.enqueue(done)
        yield* takeJob() // alive
        yield* queue.complete(yield* takeJob(), { durationMs: 1, now: ts("2025-01-15T10:31:00Z") })
        for (const id of dead) assert.isDefined(yield* raw.get(keys.job(id)))

        assert.strictEqual(yield* admin.purgeDead, 3)
        assert.deepStrictEqual(yield* raw.lrange(keys.dead), [])
        for (const id of dead) {
          assert.isUndefined(yield* raw.get(keys.job(id)), `data of ${id}`)
          assert.deepStrictEqual(yield* raw.hgetall(keys.result(id)), {}, `result of ${id}`)
        }
        assert.isDefined(yield* raw.get(keys.job(alive.id)))
        assert.deepStrictEqual(yield* raw.lrange(keys.processing), [alive.id])
        assert.strictEqual((yield* raw.hgetall(keys.result(done.id))).status, "completed")
        assert.strictEqual(yield* admin.purgeDead, 0)
        assert.deepStrictEqual((yield* admin.stats).dead, 0)
      }))

    it.effect("the suite's fresh start (Raw.purge) deletes every key under the prefix", () =>
      Effect.gen(function*() {
        const { queue, results, raw, keys } = yield* fresh
        yield* queue.enqueue(makeJob())
        yield* queue.schedule(makeJob({ status: "scheduled", scheduledFor: ts("2030-01-01T00:00:00Z") }))
        yield* takeJob({ lease: lease("w", 60_000) })
        yield* results.store({ jobId: uid("r"), status: "completed", completedAt: yield* now, durationMs: 1 })
        const written = yield* raw.keys(keys.prefix)
        for (const key of [keys.leases, keys.tokens, keys.held("w"), keys.processing, keys.scheduled]) assert.include(written, key)
        yield* raw.purge(keys.prefix)
        assert.deepStrictEqual(yield* raw.keys(keys.prefix), [])
        const stats = yield* (yield* fresh).admin.stats
        assert.deepStrictEqual(stats, { queued: { high: 0, normal: 0, low: 0 }, processing: 0, scheduled: 0, dead: 0 })
        assert.isTrue(Option.isNone(yield* queue.dequeue({ priorities: JobPriority.all, block: Duration.zero })))
      }))
  })
  pauseTests(it)
}
