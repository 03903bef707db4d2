/**
 * The contract of the `JobQueue` service's leases and recovery: lease
 * tokens and fencing, heartbeats (`worker:{owner}`), `renewLeases`,
 * `reapExpired`, `reclaim` and `release`, run against every implementation
 * on the live clock. A dead worker is simulated as MIGRATION.md says: its
 * held set expires (its TTL is the lease duration) or is deleted.
 */
import { assert, describe } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as JobCodec from "../../src/domain/JobCodec.ts"
import * as JobPriority from "../../src/domain/JobPriority.ts"
import type { JobDelivery } from "../../src/services/JobQueue.ts"
import {
  assertBadDataResult,
  assertNoLease,
  fresh,
  type It,
  lease,
  leaseState,
  makeJob,
  pause,
  takeJob,
  ts
} from "./Fixtures.ts"

const end = { durationMs: 1, now: ts("2025-01-15T10:35:00Z") }

/** Registers the JobQueue lease and recovery contract tests in the current layer block. */
export const leaseTests = (it: It) => {
  describe("JobQueue: leases and reaping", () => {
    it.effect("leases: recorded in ms with a token and the owner's held set, renewed, reaped once expired and the owner gone", () =>
      Effect.gen(function*() {
        const { queue, admin, raw, keys } = yield* fresh
        const a = makeJob({ priority: "high" })
        const b = makeJob({ priority: "high" })
        yield* queue.enqueueBatch([a, b])
        const before = Date.now()
        const held = yield* takeJob({ lease: lease("worker-1", 60_000) })
        const state = yield* leaseState(keys, a.id, "worker-1")
        assert.isTrue(state.expiry! >= before + 55_000 && state.expiry! <= Date.now() + 60_000, `lease score ${state.expiry}`)
        assert.strictEqual(state.token, held.token)
        assert.match(held.token!, /^worker-1:\d+$/)
        assert.isTrue(state.held)
        yield* takeJob({ lease: lease("worker-2", 1) })
        yield* pause(20) // b's lease and worker-2's heartbeat (its held set) have both expired

        assert.deepStrictEqual(yield* queue.reapExpired(), [b.id])
        assert.deepStrictEqual(yield* raw.lrange(keys.processing), [a.id])
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("high")), [b.id])
        const reaped = Option.getOrThrow(yield* queue.get(b.id))
        assert.strictEqual(reaped.attempts, 1)
        assert.strictEqual(reaped.status, "pending")
        assert.strictEqual(reaped.error, "lease expired: worker lost")
        yield* assertNoLease(keys, b.id, "worker-2")
        assert.deepStrictEqual(yield* raw.hgetall(keys.result(b.id)), {}, "a retried job has no result")
        assert.deepStrictEqual(yield* queue.reapExpired(), [], "a live lease is left alone")

        assert.deepStrictEqual(yield* queue.renewLeases("worker-1", [held], Duration.seconds(120)), [])
        assert.isTrue((yield* raw.zscore(keys.leases, a.id))! >= before + 115_000, "renewed")
        assert.isTrue((yield* raw.pttl(keys.held("worker-1"))) > 115_000, "heartbeat renewed with it")
        assert.deepStrictEqual(yield* queue.renewLeases("worker-1", [held], Duration.millis(1)), [])
        yield* pause(20)
        assert.deepStrictEqual(yield* queue.reapExpired(), [a.id])
        assert.deepStrictEqual(yield* raw.lrange(keys.processing), [])
        yield* assertNoLease(keys, a.id, "worker-1")
        assert.strictEqual((yield* admin.stats).queued.high, 2)
      }))

    it.effect("heartbeat: an expired lease whose owner's held set still names it is not recovered; once that key is gone it is", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const job = makeJob()
        yield* queue.enqueue(job)
        const delivery = yield* takeJob({ lease: lease("w", 1000) })
        // The worker heartbeats (no lease renewed), so its held set outlives the lease.
        assert.deepStrictEqual(yield* queue.renewLeases("w", [], Duration.seconds(60)), [])
        assert.isTrue((yield* raw.pttl(keys.held("w"))) > 55_000, "heartbeat written")
        yield* pause(1050)
        assert.isTrue((yield* raw.zscore(keys.leases, job.id))! < Date.now(), "the lease has expired")
        for (let pass = 0; pass < 2; pass++) assert.deepStrictEqual(yield* queue.reapExpired(), [], `pass ${pass}: the owner is alive`)
        assert.deepStrictEqual(yield* raw.lrange(keys.processing), [job.id])
        assert.strictEqual((yield* raw.hgetall(keys.tokens))[job.id], delivery.token)
        assert.strictEqual(yield* raw.get(keys.job(job.id)), JobCodec.encode(job), "no attempt counted")

        yield* raw.del(keys.held("w")) // the worker died: its heartbeat key is gone
        assert.deepStrictEqual(yield* queue.reapExpired(), [job.id])
        assert.strictEqual(Option.getOrThrow(yield* queue.get(job.id)).attempts, 1)
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("normal")), [job.id])
        yield* assertNoLease(keys, job.id, "w")

        // The same through expiry: the heartbeat stops, the held set's TTL passes.
        const other = yield* takeJob({ lease: lease("w2", 300) })
        assert.deepStrictEqual(yield* queue.renewLeases("w2", [], Duration.millis(1)), [])
        yield* pause(350)
        assert.strictEqual(yield* raw.pttl(keys.held("w2")), -2, "held set expired")
        assert.deepStrictEqual(yield* queue.reapExpired(), [other.job.id])
      }))

    it.effect("an expired lease on the last attempt dead-letters the job, with a failed result", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const job = makeJob({ maxRetries: 1 })
        yield* queue.enqueue(job)
        yield* takeJob({ lease: lease("w", 1) })
        yield* pause(20)
        assert.deepStrictEqual(yield* queue.reapExpired(), [job.id])
        assert.deepStrictEqual(yield* raw.lrange(keys.dead), [job.id])
        const dead = Option.getOrThrow(yield* queue.get(job.id))
        assert.strictEqual(dead.status, "failed")
        assert.strictEqual(dead.attempts, 1)
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("normal")), [])
        const result = yield* raw.hgetall(keys.result(job.id))
        assert.strictEqual(result.status, "failed")
        assert.strictEqual(result.error, "lease expired: worker lost")
      }))

    it.effect("the reaper dead-letters an expired lease whose data is missing (Go's record and a failed result)", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const before = Date.now()
        const job = makeJob()
        yield* queue.enqueue(job)
        yield* takeJob({ lease: lease("w", 1) })
        yield* raw.del(keys.job(job.id))
        yield* pause(20)
        assert.deepStrictEqual(yield* queue.reapExpired(), [job.id])
        assert.strictEqual(yield* raw.get(keys.job(job.id)), `{"error":"Job data not found (corrupted reference)","id":"${job.id}"}`)
        assert.deepStrictEqual(yield* raw.lrange(keys.dead), [job.id])
        assert.deepStrictEqual(yield* raw.lrange(keys.processing), [])
        yield* assertNoLease(keys, job.id, "w")
        yield* assertBadDataResult(keys, job.id, "Job data not found (corrupted reference)", before)
      }))

    it.effect("processing entries without a lease are left alone, unless older than maxAge (maxAge 0: in the first pass)", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const job = makeJob()
        yield* queue.enqueue(job)
        yield* takeJob() // no lease: as a Go worker takes jobs
        assert.deepStrictEqual(yield* queue.reapExpired(), [])
        yield* pause(30)
        assert.deepStrictEqual(yield* queue.reapExpired(), [])
        assert.deepStrictEqual(yield* raw.lrange(keys.processing), [job.id])

        const recovered: Array<string> = []
        for (let i = 0; i < 3 && recovered.length === 0; i++) {
          recovered.push(...(yield* queue.reapExpired({ maxAge: Duration.millis(30) })))
          if (recovered.length === 0) yield* pause(50)
        }
        assert.deepStrictEqual(recovered, [job.id])
        assert.deepStrictEqual(yield* raw.lrange(keys.processing), [])
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("normal")), [job.id])
        assert.strictEqual(Option.getOrThrow(yield* queue.get(job.id)).attempts, 1)
        assert.isUndefined(yield* raw.zscore(keys.leases, job.id))

        yield* takeJob()
        assert.deepStrictEqual(yield* queue.reapExpired({ maxAge: Duration.zero }), [job.id], "maxAge 0 recovers at once")
        assert.strictEqual(Option.getOrThrow(yield* queue.get(job.id)).attempts, 2)
        assert.deepStrictEqual(yield* raw.lrange(keys.processing), [])
      }))
  })

  describe("JobQueue: fencing and lease upkeep", () => {
    it.effect("a delivery whose lease was recovered gets LeaseLostError from complete and fail, writes nothing; the holder's outcome stands", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const job = makeJob()
        yield* queue.enqueue(job)
        const stale = yield* takeJob({ lease: lease("w1", 1) })
        yield* pause(20)
        assert.deepStrictEqual(yield* queue.reapExpired(), [job.id])
        const current = yield* takeJob({ lease: lease("w2", 60_000) })
        assert.notStrictEqual(current.token, stale.token)
        const snapshot = Effect.all({
          data: raw.get(keys.job(job.id)),
          result: raw.hgetall(keys.result(job.id)),
          processing: raw.lrange(keys.processing),
          queued: raw.lrange(keys.queue("normal")),
          scheduled: raw.zscore(keys.scheduled, job.id),
          dead: raw.lrange(keys.dead),
          lease: leaseState(keys, job.id, "w2")
        })
        const before = yield* snapshot
        assert.strictEqual(before.lease.token, current.token)

        const attempts: ReadonlyArray<readonly [string, Effect.Effect<unknown, { readonly _tag: string; readonly jobId?: string | undefined; readonly operation?: string }>]> = [
          ["complete", queue.complete(stale, end)],
          ["fail", queue.fail(stale, "late", end)]
        ]
        for (const [operation, attempt] of attempts) {
          const error = yield* Effect.flip(attempt)
          assert.strictEqual(error._tag, "LeaseLostError", operation)
          assert.strictEqual(error.jobId, job.id)
          assert.strictEqual(error.operation, operation)
          assert.deepStrictEqual(yield* snapshot, before, `${operation}: nothing written`)
        }
        yield* queue.release(stale)
        assert.deepStrictEqual(yield* snapshot, before, "release of a lost delivery: nothing")
        assert.deepStrictEqual(yield* queue.renewLeases("w1", [stale], Duration.seconds(60)), [job.id], "renew reports it lost")
        assert.deepStrictEqual(yield* snapshot, before, "a lost lease is not renewed")

        const done = yield* queue.complete(current, end)
        assert.strictEqual(done.status, "completed")
        assert.strictEqual((yield* raw.hgetall(keys.result(job.id))).status, "completed")
        yield* assertNoLease(keys, job.id, "w2", "completing removes the lease")
        assert.strictEqual((yield* Effect.flip(queue.fail(stale, "late", end)))._tag, "LeaseLostError")
        assert.strictEqual(Option.getOrThrow(yield* queue.get(job.id)).status, "completed", "the holder's outcome stands")
      }))

    it.effect("a delivery taken without a lease is fenced off once a leased take holds the job", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const job = makeJob()
        yield* queue.enqueue(job)
        const stale = yield* takeJob()
        assert.deepStrictEqual(yield* queue.reapExpired({ maxAge: Duration.zero }), [job.id])
        const current = yield* takeJob({ lease: lease("w", 60_000) })
        const data = yield* raw.get(keys.job(job.id))
        const error = yield* Effect.flip(queue.fail(stale, "late", end))
        assert.strictEqual(error._tag, "LeaseLostError")
        assert.strictEqual(yield* raw.get(keys.job(job.id)), data)
        assert.deepStrictEqual(yield* raw.hgetall(keys.result(job.id)), {})
        const outcome = yield* queue.fail(current, "boom", end)
        assert.strictEqual(outcome._tag, "Retrying")
        assert.strictEqual(outcome.job.attempts, 2, "one reaped attempt, one failed")
        yield* assertNoLease(keys, job.id, "w", "failing removes the lease")
      }))

    it.effect("renewLeases extends the held leases and the heartbeat, and returns the ids no longer held", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const jobs = [makeJob(), makeJob(), makeJob()]
        yield* queue.enqueueBatch(jobs)
        const taken = (yield* queue.dequeueMany({ priorities: JobPriority.all, block: Duration.zero, max: 3, lease: lease("w", 60_000) }))
          .filter((d): d is JobDelivery => d._tag === "Job")
        assert.strictEqual(taken.length, 3)
        const [a, b, c] = taken as [JobDelivery, JobDelivery, JobDelivery]
        yield* queue.complete(b, end) // finished: no longer held
        yield* queue.release(c) // given back: no longer held
        const before = Date.now()
        assert.deepStrictEqual([...(yield* queue.renewLeases("w", taken, Duration.seconds(120)))].sort(), [b.job.id, c.job.id].sort())
        assert.isTrue((yield* raw.zscore(keys.leases, a.job.id))! >= before + 115_000)
        assert.isTrue((yield* raw.pttl(keys.held("w"))) > 115_000)
        assert.deepStrictEqual(yield* raw.smembers(keys.held("w")), [a.job.id])
        yield* assertNoLease(keys, b.job.id, "w", "no lease revived for a finished job")
        yield* assertNoLease(keys, c.job.id, "w", "no lease revived for a released job")
        assert.deepStrictEqual(yield* queue.renewLeases("w", [a], Duration.seconds(60)), [])
      }))

    it.effect("renewLeases after the heartbeat lapsed (no reaper ran) restores the held set with the heartbeat TTL", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const job = makeJob()
        yield* queue.enqueue(job)
        const delivery = yield* takeJob({ lease: lease("w", 1) })
        yield* pause(20)
        assert.strictEqual(yield* raw.pttl(keys.held("w")), -2, "the heartbeat lapsed")
        assert.deepStrictEqual(yield* queue.renewLeases("w", [delivery], Duration.millis(1000)), [], "still held: nobody recovered it")
        assert.deepStrictEqual(yield* raw.smembers(keys.held("w")), [job.id])
        const heartbeat = yield* raw.pttl(keys.held("w"))
        assert.isTrue(heartbeat > 0 && heartbeat <= 1000, `held set pttl ${heartbeat}: a heartbeat, not a key that never expires`)
        // The worker dies now: once lease and heartbeat pass, the job is recovered.
        yield* pause(1050)
        assert.deepStrictEqual(yield* queue.reapExpired(), [job.id])
      }))

    it.effect("reclaim gives back the jobs an owner holds but is not running, counting no attempt", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const jobs = [makeJob(), makeJob(), makeJob()]
        yield* queue.enqueueBatch(jobs)
        const [a, b, c] = jobs as [typeof jobs[0], typeof jobs[0], typeof jobs[0]]
        yield* queue.dequeueMany({ priorities: JobPriority.all, block: Duration.zero, max: 3, lease: lease("w", 60_000) }) // replies "lost"
        assert.deepStrictEqual([...(yield* queue.reclaim("w", new Set([a.id])))].sort(), [b.id, c.id].sort())
        assert.deepStrictEqual(yield* raw.lrange(keys.processing), [a.id])
        assert.deepStrictEqual([...(yield* raw.lrange(keys.queue("normal")))].sort(), [b.id, c.id].sort())
        for (const job of [b, c]) {
          assert.strictEqual(yield* raw.get(keys.job(job.id)), JobCodec.encode(job), "no attempt counted")
          yield* assertNoLease(keys, job.id, "w")
        }
        assert.deepStrictEqual(yield* raw.smembers(keys.held("w")), [a.id])
        assert.isDefined((yield* raw.hgetall(keys.tokens))[a.id])
        assert.deepStrictEqual(yield* queue.reclaim("w", new Set([a.id])), [])
        assert.deepStrictEqual(yield* queue.reclaim("someone-else", new Set()), [], "another owner holds nothing")
        assert.deepStrictEqual(yield* raw.lrange(keys.processing), [a.id])
        // Given back at the head: taken next, before anything queued later.
        yield* queue.enqueue(makeJob())
        const next = yield* takeJob()
        assert.include([b.id, c.id], next.job.id)
        assert.strictEqual(next.job.attempts, 0)
      }))

    it.effect("a lost dequeue reply: the job, held and not running, goes back to the head of its queue as it was, and runs as attempt 1", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const lost = makeJob()
        const later = makeJob()
        yield* queue.enqueue(lost)
        // Redis ran the take; its reply never reached the worker.
        yield* queue.dequeueMany({ priorities: JobPriority.all, block: Duration.zero, max: 1, lease: lease("w", 60_000) })
        yield* queue.enqueue(later)
        // While a take may still be delivering it (the worker's reclaimer says "busy"), nothing is given back.
        assert.deepStrictEqual(yield* queue.reclaim("w", { has: () => true }), [])
        assert.deepStrictEqual(yield* raw.smembers(keys.held("w")), [lost.id])
        assert.deepStrictEqual(yield* queue.reclaim("w", new Set()), [lost.id])
        assert.deepStrictEqual(yield* raw.lrange(keys.processing), [])
        yield* assertNoLease(keys, lost.id, "w")
        assert.strictEqual(yield* raw.get(keys.job(lost.id)), JobCodec.encode(lost), "unchanged: no attempt, no error")
        const next = yield* takeJob({ lease: lease("w", 60_000) })
        assert.strictEqual(next.job.id, lost.id, "at the head: before the job queued after it")
        assert.strictEqual(next.job.attempts, 0)
        assert.isUndefined(next.job.error)
        assert.strictEqual((yield* takeJob()).job.id, later.id)
      }))

    it.effect("reclaim dead-letters a held id whose data is missing, with a failed result", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const before = Date.now()
        const job = makeJob()
        yield* queue.enqueue(job)
        yield* takeJob({ lease: lease("w", 60_000) })
        yield* raw.del(keys.job(job.id))
        assert.deepStrictEqual(yield* queue.reclaim("w", new Set()), [job.id])
        assert.strictEqual(yield* raw.get(keys.job(job.id)), `{"error":"Job data not found (corrupted reference)","id":"${job.id}"}`)
        assert.deepStrictEqual(yield* raw.lrange(keys.dead), [job.id])
        assert.deepStrictEqual(yield* raw.lrange(keys.processing), [])
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("normal")), [])
        yield* assertNoLease(keys, job.id, "w")
        yield* assertBadDataResult(keys, job.id, "Job data not found (corrupted reference)", before)
      }))

    it.effect("release puts the job back at the head of its queue, no attempt counted, its lease removed", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const first = makeJob()
        const second = makeJob()
        yield* queue.enqueueBatch([first, second])
        const taken = yield* takeJob({ lease: lease("w", 60_000) })
        assert.strictEqual(taken.job.id, first.id)
        yield* queue.release(taken)
        assert.deepStrictEqual(yield* raw.lrange(keys.processing), [])
        yield* assertNoLease(keys, first.id, "w")
        assert.strictEqual(yield* raw.get(keys.job(first.id)), JobCodec.encode(first))
        const again = yield* takeJob()
        assert.strictEqual(again.job.id, first.id)
        assert.strictEqual(again.job.attempts, 0)
        assert.strictEqual((yield* takeJob()).job.id, second.id)
      }))
  })
}
