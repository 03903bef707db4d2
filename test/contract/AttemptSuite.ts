/**
 * The contract of the `JobQueue` service's attempt ends and promotion
 * (complete, fail with Go's backoff and dead letter, promoteDue), run
 * against every implementation on the live clock.
 */
import { assert, describe } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as JobCodec from "../../src/domain/JobCodec.ts"
import type { RawJson } from "../../src/domain/RawJson.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import { assertSameIds, assertTtl, fresh, type It, makeJob, payloadBytes, takeJob, ts, uid, vector1 } from "./Fixtures.ts"

/** Registers the JobQueue attempt and promotion contract tests in the current layer block. */
export const attemptTests = (it: It) => {
  describe("JobQueue: complete and fail", () => {
    it.effect("complete: status completed (TTL 86400), result hash fields (TTL 3600), out of processing", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        yield* queue.enqueue(makeJob({ payload: payloadBytes }))
        const delivery = yield* takeJob()
        const job = delivery.job
        const at = ts("2025-01-15T10:30:09.5Z")
        const done = yield* queue.complete(delivery, { result: `{"ok":true,"big":12345678901234567890}` as RawJson, durationMs: 12.9, now: at })
        assert.strictEqual(done.status, "completed")
        assert.deepStrictEqual(done.updatedAt, at)
        assert.strictEqual(yield* raw.get(keys.job(job.id)), JobCodec.encode({ ...job, status: "completed", updatedAt: at }))
        assert.include((yield* raw.get(keys.job(job.id)))!, `"payload":${payloadBytes},`)
        assertTtl(yield* raw.ttl(keys.job(job.id)), 86400, "job ttl")
        assert.deepStrictEqual(yield* raw.hgetall(keys.result(job.id)), {
          status: "completed",
          completed_at: "2025-01-15T10:30:09Z",
          duration_ms: "12",
          result: `{"ok":true,"big":12345678901234567890}`
        })
        assertTtl(yield* raw.ttl(keys.result(job.id)), 3600, "result ttl")
        assert.deepStrictEqual(yield* raw.lrange(keys.processing), [])
      }))

    it.effect("fail retries with Go's backoff (vectors 3, 5: 2 s, then 4 s), then dead-letters (vector 6)", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const id = uid("J")
        yield* raw.set(keys.job(id), vector1(id))
        yield* raw.lpush(keys.queue("high"), id)

        // First failure (vector 3): pending, scheduled_for now + 2 s, score = floor, no TTL, no result.
        const first = yield* queue.fail(yield* takeJob(), "smtp: timeout", { durationMs: 5126, now: ts("2025-01-15T10:30:05.25Z") })
        assert.strictEqual(first._tag, "Retrying")
        assert.strictEqual(
          yield* raw.get(keys.job(id)),
          `{"id":"${id}","name":"send_email","payload":{"subject":"Hi \\u003c3","to":"a@b.c"},"status":"pending","priority":"high",` +
            `"created_at":"2025-01-15T15:30:00.123456789+05:00","updated_at":"2025-01-15T10:30:05.25Z","scheduled_for":"2025-01-15T10:30:07.25Z",` +
            `"attempts":1,"max_retries":3,"error":"smtp: timeout"}`
        )
        assert.strictEqual(yield* raw.zscore(keys.scheduled, id), 1736937007)
        assert.strictEqual(yield* raw.ttl(keys.job(id)), -1)
        assert.deepStrictEqual(yield* raw.lrange(keys.processing), [])
        assert.deepStrictEqual(yield* raw.hgetall(keys.result(id)), {}, "a retried failure stores no result")

        // Not due one second early; due at N = 1736937007 (vector 5).
        assert.deepStrictEqual(yield* queue.promoteDue(ts("2025-01-15T10:30:06.99Z")), { promoted: 0, skipped: [] })
        assert.deepStrictEqual(yield* queue.promoteDue(ts("2025-01-15T10:30:07Z")), { promoted: 1, skipped: [] })
        assert.strictEqual(
          yield* raw.get(keys.job(id)),
          `{"id":"${id}","name":"send_email","payload":{"subject":"Hi \\u003c3","to":"a@b.c"},"status":"pending","priority":"high",` +
            `"created_at":"2025-01-15T15:30:00.123456789+05:00","updated_at":"2025-01-15T10:30:05.25Z",` +
            `"attempts":1,"max_retries":3,"error":"smtp: timeout"}`
        )
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("high")), [id])

        // Second failure: 4 s backoff.
        const second = yield* queue.fail(yield* takeJob(), "smtp: timeout", { durationMs: 10, now: ts("2025-01-15T10:30:08Z") })
        assert.strictEqual(second._tag, "Retrying")
        assert.strictEqual(second.job.attempts, 2)
        assert.strictEqual(Timestamp.format(second.job.scheduledFor!), "2025-01-15T10:30:12Z")
        assert.strictEqual(yield* raw.zscore(keys.scheduled, id), 1736937012)
        assert.deepStrictEqual(yield* raw.hgetall(keys.result(id)), {})
        assert.strictEqual((yield* queue.promoteDue(ts("2025-01-15T10:30:12Z"))).promoted, 1)

        // Third failure (vector 6): failed, no scheduled_for, TTL 7 d, dead list, failed result (TTL 24 h).
        const third = yield* queue.fail(yield* takeJob(), "smtp: down", { durationMs: 7, now: ts("2025-01-15T10:30:13Z") })
        assert.strictEqual(third._tag, "Dead")
        const stored = JobCodec.decode((yield* raw.get(keys.job(id)))!).pipe(Result.getOrThrow)
        assert.strictEqual(stored.status, "failed")
        assert.strictEqual(stored.attempts, 3)
        assert.strictEqual(stored.error, "smtp: down")
        assert.isUndefined(stored.scheduledFor)
        assert.notInclude((yield* raw.get(keys.job(id)))!, "scheduled_for")
        assertTtl(yield* raw.ttl(keys.job(id)), 604800, "dead job ttl")
        assert.deepStrictEqual(yield* raw.lrange(keys.dead), [id])
        assert.isUndefined(yield* raw.zscore(keys.scheduled, id))
        assert.deepStrictEqual(yield* raw.lrange(keys.processing), [])
        assert.deepStrictEqual(yield* raw.hgetall(keys.result(id)), {
          status: "failed",
          completed_at: "2025-01-15T10:30:13Z",
          duration_ms: "7",
          error: "smtp: down"
        })
        assertTtl(yield* raw.ttl(keys.result(id)), 86400, "failed result ttl")
      }))

    it.effect("a job without retries (max_retries 0, as Go reads a missing field) is dead at its first failure", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        yield* queue.enqueue(makeJob({ maxRetries: 0 }))
        const outcome = yield* queue.fail(yield* takeJob(), "boom", { durationMs: 1, now: ts("2025-01-15T10:31:00Z") })
        assert.strictEqual(outcome._tag, "Dead")
        assert.strictEqual(outcome.job.attempts, 1)
        assert.deepStrictEqual(yield* raw.lrange(keys.dead), [outcome.job.id])
      }))
  })

  describe("JobQueue: promotion", () => {
    it.effect("promoteDue drops only scheduled_for; due when score <= now in unix seconds; not-due jobs stay", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const created = ts("2025-01-15T10:30:00Z")
        const due = makeJob({ status: "scheduled", scheduledFor: ts("2025-01-15T11:00:00.5Z"), createdAt: created, updatedAt: created, priority: "low" })
        const later = makeJob({ status: "scheduled", scheduledFor: ts("2025-01-15T12:00:00Z") })
        yield* queue.schedule(due)
        yield* queue.schedule(later)
        assert.strictEqual(yield* raw.zscore(keys.scheduled, due.id), 1736938800.5)
        // Due once now (in unix seconds) reaches the score, fraction included.
        assert.deepStrictEqual(yield* queue.promoteDue(ts("2025-01-15T11:00:00.4Z")), { promoted: 0, skipped: [] })
        assert.deepStrictEqual(yield* queue.promoteDue(ts("2025-01-15T11:00:00.5Z")), { promoted: 1, skipped: [] })
        assert.strictEqual(yield* raw.get(keys.job(due.id)), JobCodec.encode({ ...due, scheduledFor: undefined }))
        assert.include((yield* raw.get(keys.job(due.id)))!, `"status":"scheduled"`)
        assert.strictEqual(yield* raw.ttl(keys.job(due.id)), -1)
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("low")), [due.id])
        assert.isUndefined(yield* raw.zscore(keys.scheduled, due.id))
        assert.strictEqual(yield* raw.zscore(keys.scheduled, later.id), 1736942400)
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("normal")), [])
        assert.strictEqual((yield* takeJob()).job.id, due.id)
      }))

    it.effect("promoteDue skips ids without readable data, reports them with Go's error text, and never removes them (as Go)", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const ghost = uid("ghost")
        const bad = uid("bad")
        yield* raw.zadd(keys.scheduled, 1000, ghost)
        yield* raw.set(keys.job(bad), "{not json")
        yield* raw.zadd(keys.scheduled, 1000, bad)
        const good = makeJob({ status: "scheduled", scheduledFor: ts("1970-01-01T00:16:40Z") })
        yield* queue.schedule(good)
        const outcome = yield* queue.promoteDue(ts("2025-01-15T10:30:00Z"))
        assert.strictEqual(outcome.promoted, 1)
        const skipped = [...outcome.skipped].sort((x, y) => (x.id < y.id ? -1 : 1))
        assert.deepStrictEqual(skipped.map((s) => s.id), [bad, ghost].sort())
        assert.strictEqual(skipped.find((s) => s.id === ghost)!.reason, "Job data not found (corrupted reference)")
        assert.match(skipped.find((s) => s.id === bad)!.reason, /^Failed to unmarshal job: .+/)
        assert.strictEqual(yield* raw.zscore(keys.scheduled, ghost), 1000)
        assert.strictEqual(yield* raw.zscore(keys.scheduled, bad), 1000)
        assert.strictEqual(yield* raw.get(keys.job(bad)), "{not json", "the bad data is left as it is")
        assert.isUndefined(yield* raw.get(keys.job(ghost)))
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("normal")), [good.id])
        assert.deepStrictEqual(yield* raw.lrange(keys.dead), [])
        // Still there on the next pass, reported again.
        const next = yield* queue.promoteDue(ts("2025-01-15T10:30:01Z"))
        assert.strictEqual(next.promoted, 0)
        assert.deepStrictEqual(next.skipped.map((s) => s.id).sort(), [bad, ghost].sort())
      }))

    it.effect("concurrent promoters push each due job exactly once", () =>
      Effect.gen(function*() {
        const { queue, admin, raw, keys } = yield* fresh
        const jobs = Array.from({ length: 25 }, (_, i) =>
          makeJob({ status: "scheduled", scheduledFor: Timestamp.addSeconds(ts("2025-01-15T10:00:00Z"), i) }))
        for (const job of jobs) yield* queue.schedule(job)
        const counts = yield* Effect.all(
          Array.from({ length: 8 }, () => queue.promoteDue(ts("2025-01-15T11:00:00Z"))),
          { concurrency: "unbounded" }
        )
        assert.strictEqual(counts.reduce((a, b) => a + b.promoted, 0), jobs.length)
        for (const c of counts) assert.deepStrictEqual(c.skipped, [], "a job another promoter moved is not bad data")
        const queued = yield* raw.lrange(keys.queue("normal"))
        assert.strictEqual(queued.length, jobs.length)
        assertSameIds(queued.map((id) => ({ id })), jobs.map((j) => j.id))
        assert.strictEqual((yield* admin.stats).scheduled, 0)
      }))
  })
}
