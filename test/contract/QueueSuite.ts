/**
 * The contract of the `Queue` service (src/services/Queue.ts JSDoc and
 * PROTOCOL.md §3), run against every implementation. Each test purges the
 * keyspace first; the suite runs sequentially on the live clock (so a real
 * Redis and memory see the same time), with short real waits only.
 */
import { assert, describe } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import type { Job } from "../../src/domain/Job.ts"
import type { Delivery, JobPage } from "../../src/services/Queue.ts"
import * as JobCodec from "../../src/domain/JobCodec.ts"
import * as JobPriority from "../../src/domain/JobPriority.ts"
import type { RawJson } from "../../src/domain/RawJson.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import {
  assertSameIds,
  assertTtl,
  collectPages,
  fresh,
  type It,
  makeJob,
  now,
  pause,
  payloadBytes,
  takeJob,
  ts,
  uid,
  vector1
} from "./Fixtures.ts"

/** Registers the Queue contract tests in the current layer block. */
export const queueTests = (it: It) => {
  describe("Queue: enqueue and get", () => {
    it.effect("enqueue stores Go's job JSON with the payload bytes untouched, then pushes the id", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const job = makeJob({ payload: payloadBytes, priority: "high", description: "d" })
        yield* queue.enqueue(job)
        const stored = yield* raw.get(keys.job(job.id))
        assert.strictEqual(stored, JobCodec.encode(job))
        assert.include(stored!, `"payload":${payloadBytes},`)
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("high")), [job.id])
        assert.strictEqual(yield* raw.ttl(keys.job(job.id)), -1)
        const read = yield* queue.get(job.id)
        assert.isTrue(Option.isSome(read))
        assert.deepStrictEqual(Option.getOrThrow(read), JobCodec.decode(stored!).pipe(Result.getOrThrow))
        assert.strictEqual(Option.getOrThrow(read).payload, payloadBytes)
      }))

    it.effect("get: none for an unknown id, SerializationError naming the key for corrupted data", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        assert.isTrue(Option.isNone(yield* queue.get(uid("nobody"))))
        const id = uid("B")
        yield* raw.set(keys.job(id), `{"id":"${id}","attempts":"1"}`)
        const error = yield* Effect.flip(queue.get(id))
        assert.strictEqual(error._tag, "SerializationError")
        if (error._tag === "SerializationError") assert.strictEqual(error.key, keys.job(id))
      }))

    it.effect("get reads a Go-written job (vector 1) with its offsets and nanoseconds", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const id = uid("J")
        yield* raw.set(keys.job(id), vector1(id))
        const job = Option.getOrThrow(yield* queue.get(id))
        assert.strictEqual(job.name, "send_email")
        assert.strictEqual(job.payload, `{"subject":"Hi \\u003c3","to":"a@b.c"}`)
        assert.strictEqual(Timestamp.format(job.createdAt), "2025-01-15T15:30:00.123456789+05:00")
        assert.strictEqual(JobCodec.encode(job), vector1(id))
      }))

    it.effect("enqueueBatch stores every job and keeps the submission order (FIFO)", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const jobs = [makeJob(), makeJob(), makeJob({ priority: "low" }), makeJob()]
        yield* queue.enqueueBatch(jobs)
        for (const job of jobs) assert.strictEqual(yield* raw.get(keys.job(job.id)), JobCodec.encode(job))
        const normal = jobs.filter((j) => j.priority === "normal").map((j) => j.id)
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("normal")), [...normal].reverse())
        const taken: Array<string> = []
        for (let i = 0; i < jobs.length; i++) taken.push((yield* takeJob()).id)
        assert.deepStrictEqual(taken, [...normal, jobs[2]!.id])
      }))

    it.effect("schedule: status scheduled, ZADD score = unix seconds (fraction kept), in no queue", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const at = ts("2030-01-01T00:00:00.5Z")
        const job = makeJob({ status: "scheduled", scheduledFor: at })
        yield* queue.schedule(job)
        const stored = JobCodec.decode((yield* raw.get(keys.job(job.id)))!).pipe(Result.getOrThrow)
        assert.strictEqual(stored.status, "scheduled")
        assert.strictEqual(Timestamp.format(stored.scheduledFor!), "2030-01-01T00:00:00.5Z")
        assert.strictEqual(yield* raw.zscore(keys.scheduled, job.id), 1893456000.5)
        for (const p of JobPriority.all) assert.deepStrictEqual(yield* raw.lrange(keys.queue(p)), [])
        assert.strictEqual((yield* queue.stats).scheduled, 1)
      }))
  })

  describe("Queue: dequeue", () => {
    it.effect("strict priority under backlog, FIFO within a priority, then none", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const byPriority: Record<JobPriority.JobPriority, Array<string>> = { high: [], normal: [], low: [] }
        for (let i = 0; i < 3; i++) {
          for (const priority of ["low", "normal", "high"] as const) {
            const job = makeJob({ priority })
            byPriority[priority].push(job.id)
            yield* queue.enqueue(job)
          }
        }
        const taken: Array<string> = []
        for (let i = 0; i < 9; i++) taken.push((yield* takeJob()).id)
        assert.deepStrictEqual(taken, [...byPriority.high, ...byPriority.normal, ...byPriority.low])
        assert.isTrue(Option.isNone(yield* queue.dequeue({ priorities: JobPriority.all, block: Duration.zero })))
        assert.deepStrictEqual([...(yield* raw.lrange(keys.processing))].sort(), [...taken].sort())
      }))

    it.effect("only the given priorities, in the given order", () =>
      Effect.gen(function*() {
        const { queue } = yield* fresh
        const high = makeJob({ priority: "high" })
        const low = makeJob({ priority: "low" })
        yield* queue.enqueueBatch([high, low])
        assert.strictEqual((yield* takeJob({ priorities: ["low", "high"] })).id, low.id)
        assert.isTrue(Option.isNone(yield* queue.dequeue({ priorities: ["normal", "low"], block: Duration.zero })))
        assert.strictEqual((yield* takeJob({ priorities: ["high"] })).id, high.id)
        assert.isTrue(Option.isNone(yield* queue.dequeue({ priorities: [], block: Duration.seconds(20) })), "no priorities: none at once")
      }))

    it.effect("dequeue returns the stored job unchanged (no status write, payload bytes exact)", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const job = makeJob({ payload: payloadBytes })
        yield* queue.enqueue(job)
        const taken = yield* takeJob()
        assert.deepStrictEqual(taken, JobCodec.decode(JobCodec.encode(job)).pipe(Result.getOrThrow))
        assert.strictEqual(taken.payload, payloadBytes)
        assert.strictEqual(yield* raw.get(keys.job(job.id)), JobCodec.encode(job))
      }))

    it.effect("routing keys: route:{rk}:queue:{p} is read only with that key; default = queue:{p}", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const routed = makeJob({ routingKey: "eu-west_1" })
        yield* queue.enqueue(routed)
        assert.deepStrictEqual(yield* raw.lrange(`${keys.prefix}route:eu-west_1:queue:normal`), [routed.id])
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("normal")), [])
        assert.isTrue(Option.isNone(yield* queue.dequeue({ priorities: JobPriority.all, block: Duration.zero })))
        assert.strictEqual((yield* takeJob({ routingKey: "eu-west_1" })).id, routed.id)
        const plain = makeJob({ routingKey: "default" })
        yield* queue.enqueue(plain)
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("normal")), [plain.id])
        assert.strictEqual((yield* takeJob({ routingKey: "default" })).id, plain.id)
      }))

    it.effect("with a block and nothing queued: none once the block has passed", () =>
      Effect.gen(function*() {
        const { queue } = yield* fresh
        const delivery = yield* queue.dequeue({ priorities: JobPriority.all, block: Duration.millis(60) })
        assert.isTrue(Option.isNone(delivery))
      }))

    it.effect("a blocked dequeue is woken by an enqueue on any of its priorities", () =>
      Effect.gen(function*() {
        const { queue } = yield* fresh
        const waiting = yield* Effect.forkChild(queue.dequeue({ priorities: JobPriority.all, block: Duration.seconds(10) }))
        yield* pause(30)
        const job = makeJob({ priority: "low" })
        yield* queue.enqueue(job)
        const delivery = yield* Fiber.join(waiting)
        assert.isTrue(Option.isSome(delivery))
        const value = Option.getOrThrow(delivery)
        assert.strictEqual(value._tag === "Job" ? value.job.id : value._tag, job.id)
      }))

    it.effect("an uninterruptible dequeue can still be interrupted while it waits for work", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const waiting = yield* Effect.forkChild(
          Effect.uninterruptible(queue.dequeue({ priorities: JobPriority.all, block: Duration.seconds(30) }))
        )
        yield* pause(30)
        const exit = yield* Fiber.interrupt(waiting).pipe(Effect.timeoutOption("2 seconds"))
        assert.isTrue(Option.isSome(exit), "the waiting dequeue did not stop within 2 s")
        // Nothing was taken, and the wait's listener is gone: a later job is not held.
        const job = makeJob({ priority: "normal" })
        yield* queue.enqueue(job)
        assert.deepStrictEqual(yield* raw.lrange(keys.processing), [])
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("normal")), [job.id])
      }))

    it.effect("missing data: DeadLettered with Go's record (vector 8), TTL 7 d, out of processing", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const id = uid("ghost")
        yield* raw.lpush(keys.queue("high"), id)
        const delivery = Option.getOrThrow(yield* queue.dequeue({ priorities: JobPriority.all, block: Duration.zero }))
        assert.strictEqual(delivery._tag, "DeadLettered")
        if (delivery._tag === "DeadLettered") {
          assert.strictEqual(delivery.id, id)
          assert.include(delivery.reason, "Job data not found (corrupted reference)")
        }
        assert.strictEqual(yield* raw.get(keys.job(id)), `{"error":"Job data not found (corrupted reference)","id":"${id}"}`)
        assertTtl(yield* raw.ttl(keys.job(id)), 604800)
        assert.deepStrictEqual(yield* raw.lrange(keys.dead), [id])
        assert.deepStrictEqual(yield* raw.lrange(keys.processing), [])
        assert.deepStrictEqual(yield* raw.hgetall(keys.result(id)), {})
      }))

    it.effect("corrupted data: DeadLettered with Go's record (vector 9), the next job still flows", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const id = uid("B")
        const text = `{"id":"${id}","attempts":"1"}`
        yield* raw.set(keys.job(id), text)
        yield* raw.lpush(keys.queue("high"), id)
        const good = makeJob({ priority: "low" })
        yield* queue.enqueue(good)
        const delivery = Option.getOrThrow(yield* queue.dequeue({ priorities: JobPriority.all, block: Duration.zero }))
        const goError = "json: cannot unmarshal string into Go struct field Job.attempts of type int"
        assert.strictEqual(delivery._tag, "DeadLettered")
        if (delivery._tag === "DeadLettered") {
          assert.strictEqual(delivery.id, id)
          assert.include(delivery.reason, `Failed to unmarshal job: ${goError}`)
        }
        assert.strictEqual(
          yield* raw.get(keys.job(id)),
          `{"corrupted_data":${JSON.stringify(text)},"error":"Failed to unmarshal job: ${goError}","id":"${id}"}`
        )
        assertTtl(yield* raw.ttl(keys.job(id)), 604800)
        assert.deepStrictEqual(yield* raw.lrange(keys.dead), [id])
        assert.strictEqual((yield* takeJob()).id, good.id)
        assert.deepStrictEqual(yield* raw.lrange(keys.processing), [good.id])
      }))
  })

  describe("Queue: dequeueMany", () => {
    const jobIds = (deliveries: ReadonlyArray<Delivery>) =>
      deliveries.map((d) => (d._tag === "Job" ? d.job.id : `dead:${d.id}`))

    it.effect("takes up to max in strict priority order (FIFO within a priority), each into processing with its lease", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const byPriority: Record<JobPriority.JobPriority, Array<string>> = { high: [], normal: [], low: [] }
        for (const [priority, count] of [["low", 2], ["normal", 3], ["high", 2]] as const) {
          for (let i = 0; i < count; i++) {
            const job = makeJob({ priority, payload: payloadBytes })
            byPriority[priority].push(job.id)
            yield* queue.enqueue(job)
          }
        }
        const lease = { owner: "worker-1", duration: Duration.seconds(60) }
        const before = Date.now()
        const first = yield* queue.dequeueMany({ priorities: JobPriority.all, block: Duration.zero, lease, max: 4 })
        const expected = [...byPriority.high, ...byPriority.normal.slice(0, 2)]
        assert.deepStrictEqual(jobIds(first), expected)
        for (const d of first) if (d._tag === "Job") assert.strictEqual(d.job.payload, payloadBytes)
        // Processing looks exactly as after four single dequeues: the last taken at the head.
        assert.deepStrictEqual(yield* raw.lrange(keys.processing), [...expected].reverse())
        for (const id of expected) {
          const score = yield* raw.zscore(keys.leases, id)
          assert.isTrue(score !== undefined && score >= before + 55_000 && score <= Date.now() + 60_000, `lease of ${id}: ${score}`)
        }
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("normal")), [byPriority.normal[2]!])
        const rest = yield* queue.dequeueMany({ priorities: JobPriority.all, block: Duration.zero, max: 10 })
        assert.deepStrictEqual(jobIds(rest), [byPriority.normal[2]!, ...byPriority.low])
        assert.isUndefined(yield* raw.zscore(keys.leases, byPriority.low[0]!), "no lease asked, none recorded")
        assert.deepStrictEqual(yield* queue.dequeueMany({ priorities: JobPriority.all, block: Duration.zero, max: 10 }), [])
        assert.strictEqual((yield* raw.lrange(keys.processing)).length, 7)
      }))

    it.effect("only the given priorities and routing key; max < 1 or no priorities: none at once", () =>
      Effect.gen(function*() {
        const { queue } = yield* fresh
        const high = makeJob({ priority: "high" })
        const low = makeJob({ priority: "low" })
        const routed = makeJob({ priority: "low", routingKey: "eu" })
        yield* queue.enqueueBatch([high, low, routed])
        assert.deepStrictEqual(yield* queue.dequeueMany({ priorities: ["high"], block: Duration.zero, max: 0 }), [])
        assert.deepStrictEqual(yield* queue.dequeueMany({ priorities: [], block: Duration.seconds(20), max: 5 }), [])
        assert.deepStrictEqual(jobIds(yield* queue.dequeueMany({ priorities: ["low", "high"], block: Duration.zero, max: 5 })), [low.id, high.id])
        assert.deepStrictEqual(jobIds(yield* queue.dequeueMany({ priorities: ["low"], routingKey: "eu", block: Duration.zero, max: 5 })), [routed.id])
      }))

    it.effect("missing and corrupted data in a batch are dead-lettered; the other jobs are delivered", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const a = makeJob()
        yield* queue.enqueue(a)
        const ghost = uid("ghost")
        yield* raw.lpush(keys.queue("normal"), ghost)
        const bad = uid("B")
        yield* raw.set(keys.job(bad), `{"id":"${bad}","attempts":"1"}`)
        yield* raw.lpush(keys.queue("normal"), bad)
        const b = makeJob()
        yield* queue.enqueue(b)
        const taken = yield* queue.dequeueMany({ priorities: JobPriority.all, block: Duration.zero, max: 10 })
        assert.deepStrictEqual(jobIds(taken), [a.id, `dead:${ghost}`, `dead:${bad}`, b.id])
        assert.deepStrictEqual(yield* raw.lrange(keys.processing), [b.id, a.id])
        assert.deepStrictEqual(yield* raw.lrange(keys.dead), [bad, ghost])
        assert.strictEqual(yield* raw.get(keys.job(ghost)), `{"error":"Job data not found (corrupted reference)","id":"${ghost}"}`)
      }))

    it.effect("a blocked dequeueMany is woken by a batch and takes what is there, up to max", () =>
      Effect.gen(function*() {
        const { queue } = yield* fresh
        const waiting = yield* Effect.forkChild(queue.dequeueMany({ priorities: JobPriority.all, block: Duration.seconds(10), max: 2 }))
        yield* pause(30)
        const jobs = [makeJob(), makeJob(), makeJob()]
        yield* queue.enqueueBatch(jobs)
        const taken = yield* Fiber.join(waiting)
        assert.isTrue(taken.length >= 1 && taken.length <= 2, `took ${taken.length}`)
        assert.deepStrictEqual(jobIds(taken), jobs.slice(0, taken.length).map((j) => j.id))
        const empty = yield* queue.dequeueMany({ priorities: ["high"], block: Duration.millis(40), max: 3 })
        assert.deepStrictEqual(empty, [], "none once the block has passed")
      }))
  })

  describe("Queue: complete and fail", () => {
    it.effect("complete: status completed (TTL 86400), result hash fields (TTL 3600), out of processing", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        yield* queue.enqueue(makeJob({ payload: payloadBytes }))
        const job = yield* takeJob()
        const at = ts("2025-01-15T10:30:09.5Z")
        const done = yield* queue.complete(job, { result: `{"ok":true,"big":12345678901234567890}` as RawJson, durationMs: 12.9, now: at })
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
        assert.strictEqual(yield* queue.promoteDue(ts("2025-01-15T10:30:06.99Z")), 0)
        assert.strictEqual(yield* queue.promoteDue(ts("2025-01-15T10:30:07Z")), 1)
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
        assert.strictEqual(yield* queue.promoteDue(ts("2025-01-15T10:30:12Z")), 1)

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

  describe("Queue: promotion", () => {
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
        assert.strictEqual(yield* queue.promoteDue(ts("2025-01-15T11:00:00.4Z")), 0)
        assert.strictEqual(yield* queue.promoteDue(ts("2025-01-15T11:00:00.5Z")), 1)
        assert.strictEqual(yield* raw.get(keys.job(due.id)), JobCodec.encode({ ...due, scheduledFor: undefined }))
        assert.include((yield* raw.get(keys.job(due.id)))!, `"status":"scheduled"`)
        assert.strictEqual(yield* raw.ttl(keys.job(due.id)), -1)
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("low")), [due.id])
        assert.isUndefined(yield* raw.zscore(keys.scheduled, due.id))
        assert.strictEqual(yield* raw.zscore(keys.scheduled, later.id), 1736942400)
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("normal")), [])
        assert.strictEqual((yield* takeJob()).id, due.id)
      }))

    it.effect("promoteDue skips ids without readable data and never removes them (as Go)", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const ghost = uid("ghost")
        const bad = uid("bad")
        yield* raw.zadd(keys.scheduled, 1000, ghost)
        yield* raw.set(keys.job(bad), "{not json")
        yield* raw.zadd(keys.scheduled, 1000, bad)
        const good = makeJob({ status: "scheduled", scheduledFor: ts("1970-01-01T00:16:40Z") })
        yield* queue.schedule(good)
        assert.strictEqual(yield* queue.promoteDue(ts("2025-01-15T10:30:00Z")), 1)
        assert.strictEqual(yield* raw.zscore(keys.scheduled, ghost), 1000)
        assert.strictEqual(yield* raw.zscore(keys.scheduled, bad), 1000)
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("normal")), [good.id])
      }))

    it.effect("concurrent promoters push each due job exactly once", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const jobs = Array.from({ length: 25 }, (_, i) =>
          makeJob({ status: "scheduled", scheduledFor: Timestamp.addSeconds(ts("2025-01-15T10:00:00Z"), i) }))
        for (const job of jobs) yield* queue.schedule(job)
        const counts = yield* Effect.all(
          Array.from({ length: 8 }, () => queue.promoteDue(ts("2025-01-15T11:00:00Z"))),
          { concurrency: "unbounded" }
        )
        assert.strictEqual(counts.reduce((a, b) => a + b, 0), jobs.length)
        const queued = yield* raw.lrange(keys.queue("normal"))
        assert.strictEqual(queued.length, jobs.length)
        assertSameIds(queued.map((id) => ({ id })), jobs.map((j) => j.id))
        assert.strictEqual((yield* queue.stats).scheduled, 0)
      }))
  })

  describe("Queue: leases, reaping, release", () => {
    it.effect("leases: recorded in ms, renewed, and reaped when expired (attempt counted, back to its queue)", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const a = makeJob({ priority: "high" })
        const b = makeJob({ priority: "high" })
        yield* queue.enqueueBatch([a, b])
        const lease = (ms: number) => ({ owner: "worker-1", duration: Duration.millis(ms) })
        const before = Date.now()
        yield* takeJob({ lease: lease(60_000) })
        const score = yield* raw.zscore(keys.leases, a.id)
        assert.isDefined(score)
        assert.isTrue(score! >= before + 55_000 && score! <= Date.now() + 60_000, `lease score ${score}`)
        yield* takeJob({ lease: lease(1) })
        yield* pause(20)

        assert.deepStrictEqual(yield* queue.reapExpired(), [b.id])
        assert.deepStrictEqual(yield* raw.lrange(keys.processing), [a.id])
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("high")), [b.id])
        const reaped = Option.getOrThrow(yield* queue.get(b.id))
        assert.strictEqual(reaped.attempts, 1)
        assert.strictEqual(reaped.status, "pending")
        assert.isUndefined(yield* raw.zscore(keys.leases, b.id))
        assert.deepStrictEqual(yield* queue.reapExpired(), [], "a live lease is left alone")

        yield* queue.renewLeases([a.id], Duration.seconds(120))
        assert.isTrue((yield* raw.zscore(keys.leases, a.id))! >= before + 115_000, "renewed")
        yield* queue.renewLeases([a.id], Duration.millis(1))
        yield* pause(20)
        assert.deepStrictEqual(yield* queue.reapExpired(), [a.id])
        assert.deepStrictEqual(yield* raw.lrange(keys.processing), [])
        assert.strictEqual((yield* queue.stats).queued.high, 2)
      }))

    it.effect("an expired lease on the last attempt dead-letters the job", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const job = makeJob({ maxRetries: 1 })
        yield* queue.enqueue(job)
        yield* takeJob({ lease: { owner: "w", duration: Duration.millis(1) } })
        yield* pause(20)
        assert.deepStrictEqual(yield* queue.reapExpired(), [job.id])
        assert.deepStrictEqual(yield* raw.lrange(keys.dead), [job.id])
        const dead = Option.getOrThrow(yield* queue.get(job.id))
        assert.strictEqual(dead.status, "failed")
        assert.strictEqual(dead.attempts, 1)
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("normal")), [])
      }))

    it.effect("processing entries without a lease are left alone, unless older than maxAge", () =>
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
      }))

    it.effect("release puts the job back at the head of its queue, no attempt counted", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const first = makeJob()
        const second = makeJob()
        yield* queue.enqueueBatch([first, second])
        const taken = yield* takeJob({ lease: { owner: "w", duration: Duration.seconds(60) } })
        assert.strictEqual(taken.id, first.id)
        yield* queue.release(taken)
        assert.deepStrictEqual(yield* raw.lrange(keys.processing), [])
        assert.isUndefined(yield* raw.zscore(keys.leases, first.id))
        assert.strictEqual(yield* raw.get(keys.job(first.id)), JobCodec.encode(first))
        const again = yield* takeJob()
        assert.strictEqual(again.id, first.id)
        assert.strictEqual(again.attempts, 0)
        assert.strictEqual((yield* takeJob()).id, second.id)
      }))
  })

  describe("Queue: cancel", () => {
    it.effect("a queued job: true, out of its queue, failed/cancelled, and a waiter ends with that result", () =>
      Effect.gen(function*() {
        const { queue, results, raw, keys } = yield* fresh
        const job = makeJob({ priority: "high" })
        yield* queue.enqueue(job)
        const waiter = yield* Effect.forkChild(results.wait(job.id, Duration.seconds(10)))
        yield* pause(20)
        assert.isTrue(yield* queue.cancel(job.id, ts("2025-01-15T10:40:00Z")))
        const result = yield* Fiber.join(waiter)
        assert.strictEqual(result.status, "failed")
        assert.strictEqual(result.error, "cancelled")
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("high")), [])
        const stored = Option.getOrThrow(yield* queue.get(job.id))
        assert.strictEqual(stored.status, "failed")
        assert.strictEqual(stored.error, "cancelled")
        assert.isFalse(yield* queue.cancel(job.id, ts("2025-01-15T10:41:00Z")), "not waiting any more")
        assert.isTrue(Option.isNone(yield* queue.dequeue({ priorities: JobPriority.all, block: Duration.zero })))
      }))

    it.effect("a scheduled job: true and out of the scheduled set (never promoted)", () =>
      Effect.gen(function*() {
        const { queue, results, raw, keys } = yield* fresh
        const job = makeJob({ status: "scheduled", scheduledFor: ts("2025-01-15T11:00:00Z") })
        yield* queue.schedule(job)
        assert.isTrue(yield* queue.cancel(job.id, ts("2025-01-15T10:40:00Z")))
        assert.isUndefined(yield* raw.zscore(keys.scheduled, job.id))
        assert.strictEqual(yield* queue.promoteDue(ts("2025-01-15T12:00:00Z")), 0)
        const result = yield* results.wait(job.id, Duration.seconds(1))
        assert.strictEqual(result.status, "failed")
        assert.strictEqual(result.error, "cancelled")
      }))

    it.effect("a processing, completed or unknown job: false, nothing changed", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const running = makeJob()
        const finished = makeJob()
        yield* queue.enqueueBatch([running, finished])
        const taken = yield* takeJob()
        const toFinish = yield* takeJob()
        yield* queue.complete(toFinish, { durationMs: 1, now: ts("2025-01-15T10:35:00Z") })
        const runningJson = yield* raw.get(keys.job(running.id))
        assert.isFalse(yield* queue.cancel(taken.id, ts("2025-01-15T10:40:00Z")))
        assert.isFalse(yield* queue.cancel(finished.id, ts("2025-01-15T10:40:00Z")))
        assert.isFalse(yield* queue.cancel(uid("unknown"), ts("2025-01-15T10:40:00Z")))
        assert.strictEqual(yield* raw.get(keys.job(running.id)), runningJson)
        assert.deepStrictEqual(yield* raw.lrange(keys.processing), [running.id])
        assert.strictEqual(Option.getOrThrow(yield* queue.get(finished.id)).status, "completed")
      }))
  })

  describe("Queue: inspection", () => {
    it.effect("stats counts every list", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const ghost = uid("ghost")
        yield* raw.lpush(keys.queue("high"), ghost)
        yield* queue.dequeue({ priorities: JobPriority.all, block: Duration.zero }) // dead-letters the ghost
        yield* queue.enqueueBatch([
          makeJob({ priority: "high" }),
          makeJob({ priority: "high" }),
          makeJob({ priority: "normal" }),
          makeJob({ priority: "low" })
        ])
        yield* queue.schedule(makeJob({ status: "scheduled", scheduledFor: ts("2030-01-01T00:00:00Z") }))
        yield* takeJob()
        yield* queue.enqueue(makeJob({ routingKey: "other" })) // routed lists are not in `queued`
        assert.deepStrictEqual(yield* queue.stats, {
          queued: { high: 1, normal: 1, low: 1 },
          processing: 1,
          scheduled: 1,
          dead: 1
        })
      }))

    it.effect("list: filters by status, priority, name and creation time; pages cover everything once", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
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

        const listAll = (filter: Omit<import("../../src/services/Queue.ts").ListFilter, "cursor">) =>
          collectPages((cursor) => queue.list({ ...filter, cursor }))
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
        const { queue } = yield* fresh
        const jobs = Array.from({ length: 45 }, (_, i) => makeJob({ name: i % 3 === 0 ? "third" : "other" }))
        yield* queue.enqueueBatch(jobs)
        const pagesOf = (filter: { readonly limit: number; readonly name?: string }) =>
          Effect.gen(function*() {
            const seen: Array<Job> = []
            let cursor: string | undefined = undefined
            for (let page = 0; page < 500; page++) {
              const p: JobPage = yield* queue.list({ ...filter, cursor })
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

    it.effect("deadLetters: newest first, paginated; requeueDead: pending, attempts 0, no error, no TTL", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const dead: Array<Job> = []
        for (let i = 0; i < 3; i++) {
          yield* queue.enqueue(makeJob({ maxRetries: 1, priority: "low" }))
          const outcome = yield* queue.fail(yield* takeJob(), `error ${i}`, { durationMs: 1, now: ts("2025-01-15T10:30:00Z") })
          dead.push(outcome.job)
        }
        const ids = dead.map((j) => j.id).reverse()
        assert.deepStrictEqual((yield* queue.deadLetters()).jobs.map((j) => j.id), ids)
        const paged = yield* collectPages((cursor) => queue.deadLetters({ cursor, limit: 2 }))
        assert.deepStrictEqual(paged.map((j) => j.id), ids)
        assert.strictEqual(paged[0]!.error, "error 2")

        const target = dead[1]!
        assert.isTrue(yield* queue.requeueDead(target.id, ts("2025-01-15T11:00:00Z")))
        const requeued = JobCodec.decode((yield* raw.get(keys.job(target.id)))!).pipe(Result.getOrThrow)
        assert.strictEqual(requeued.status, "pending")
        assert.strictEqual(requeued.attempts, 0)
        assert.isUndefined(requeued.error)
        assert.notInclude((yield* raw.get(keys.job(target.id)))!, `"error"`)
        assert.strictEqual(yield* raw.ttl(keys.job(target.id)), -1)
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("low")), [target.id])
        assert.notInclude(yield* raw.lrange(keys.dead), target.id)
        assert.isFalse(yield* queue.requeueDead(target.id, ts("2025-01-15T11:00:00Z")))
        assert.isFalse(yield* queue.requeueDead(uid("unknown"), ts("2025-01-15T11:00:00Z")))
        assert.strictEqual((yield* takeJob()).id, target.id)
      }))

    it.effect("Go's dead-letter records: in deadLetters with their error, never in list, refused by requeueDead", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const ghost = uid("ghost")
        const bad = uid("bad")
        yield* raw.lpush(keys.queue("high"), ghost)
        yield* raw.set(keys.job(bad), `{"id":"${bad}","attempts":"1"}`)
        yield* raw.lpush(keys.queue("high"), bad)
        yield* queue.dequeue({ priorities: JobPriority.all, block: Duration.zero })
        yield* queue.dequeue({ priorities: JobPriority.all, block: Duration.zero })
        const letters = (yield* queue.deadLetters()).jobs
        assert.deepStrictEqual(letters.map((j) => j.id), [bad, ghost])
        assert.strictEqual(letters[1]!.error, "Job data not found (corrupted reference)")
        assert.include(letters[0]!.error!, "Failed to unmarshal job: ")
        const real = makeJob()
        yield* queue.enqueue(real)
        assertSameIds(yield* collectPages((cursor) => queue.list({ cursor })), [real.id], "list")
        for (const id of [ghost, bad]) {
          const error = yield* Effect.flip(queue.requeueDead(id, ts("2025-01-15T11:00:00Z")))
          assert.strictEqual(error._tag, "SerializationError")
        }
        assert.deepStrictEqual(yield* raw.lrange(keys.dead), [bad, ghost])
      }))

    it.effect("purge deletes every key under the prefix", () =>
      Effect.gen(function*() {
        const { queue, results, raw, keys } = yield* fresh
        yield* queue.enqueue(makeJob())
        yield* queue.schedule(makeJob({ status: "scheduled", scheduledFor: ts("2030-01-01T00:00:00Z") }))
        yield* takeJob({ lease: { owner: "w", duration: Duration.seconds(60) } })
        yield* results.store({ jobId: uid("r"), status: "completed", completedAt: yield* now, durationMs: 1 })
        assert.isAbove((yield* raw.keys(keys.prefix)).length, 0)
        yield* queue.purge
        assert.deepStrictEqual(yield* raw.keys(keys.prefix), [])
      }))
  })
}
