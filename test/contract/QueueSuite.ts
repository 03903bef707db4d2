/**
 * The contract of the `JobQueue` service's producer and take side
 * (src/services/JobQueue.ts JSDoc and docs/PROTOCOL.md §3): enqueue, schedule,
 * get, dequeue and dequeueMany, run against every implementation. Each test
 * purges the keyspace first; the suite runs sequentially on the live clock
 * (so a real Redis and memory see the same time), with short real waits
 * only. Attempt ends are in `AttemptSuite`, leases and recovery in
 * `LeaseSuite`, administration in `AdminSuite`.
 */
import { assert, describe } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as JobCodec from "../../src/domain/JobCodec.ts"
import * as JobPriority from "../../src/domain/JobPriority.ts"
import type { RawJson } from "../../src/domain/RawJson.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import * as Wire from "../../src/protocol/Wire.ts"
import {
  assertBadDataResult,
  assertNoLease,
  assertTtl,
  deliveryIds,
  dequeueNow,
  fresh,
  type It,
  lease,
  makeJob,
  pause,
  payloadBytes,
  takeJob,
  ts,
  uid,
  vector1
} from "./Fixtures.ts"

/** Registers the JobQueue producer and take contract tests in the current layer block. */
export const queueTests = (it: It) => {
  describe("JobQueue: enqueue and get", () => {
    it.effect("enqueue stores Go's job JSON with the payload bytes untouched, then pushes the id", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const job = makeJob({ payload: payloadBytes, priority: "high", description: "d" })
        assert.strictEqual(yield* queue.enqueue(job), "created")
        const stored = yield* raw.get(keys.job(job.id))
        assert.strictEqual(stored, JobCodec.encode(job))
        assert.include(stored!, `"payload":${payloadBytes},`)
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("high")), [job.id])
        assert.strictEqual(yield* raw.ttl(keys.job(job.id)), -1)
        assert.deepStrictEqual(yield* raw.keys(keys.prefix), [keys.job(job.id), keys.queue("high")].sort(), "nothing else written")
        const read = yield* queue.get(job.id)
        assert.isTrue(Option.isSome(read))
        assert.deepStrictEqual(Option.getOrThrow(read), JobCodec.decode(stored!).pipe(Result.getOrThrow))
        assert.strictEqual(Option.getOrThrow(read).payload, payloadBytes)
      }))

    it.effect("get of Go's dead-letter records is a JobFailedError carrying the recorded error, not a blank job", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const missing = uid("missing")
        const corrupt = uid("corrupt")
        yield* raw.set(keys.job(missing), Wire.missingDataRecord(missing))
        yield* raw.set(keys.job(corrupt), Wire.corruptedDataRecord(corrupt, `{"attempts":"1"}`, "json: cannot unmarshal string into Go struct field Job.attempts of type int"))
        for (const [id, error] of [
          [missing, "Job data not found (corrupted reference)"],
          [corrupt, "Failed to unmarshal job: json: cannot unmarshal string into Go struct field Job.attempts of type int"]
        ] as const) {
          const failure = yield* Effect.flip(queue.get(id))
          assert.strictEqual(failure._tag, "JobFailedError")
          if (failure._tag === "JobFailedError") {
            assert.strictEqual(failure.jobId, id)
            assert.strictEqual(failure.error, error)
            assert.include(failure.message, `job ${id} was dead-lettered without its data`)
            assert.include(failure.message, error)
          }
        }
      }))

    it.effect("an existing id: nothing overwritten, `duplicate`, list unchanged; the same job again (a resend) is `created`, written once", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const job = makeJob({ priority: "high" })
        assert.strictEqual(yield* queue.enqueue(job), "created")
        assert.strictEqual(yield* queue.enqueue(job), "created", "a resend of the same JSON")
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("high")), [job.id], "pushed once")

        const other = { ...job, name: "other", payload: `{"n":2}` as RawJson }
        assert.strictEqual(yield* queue.enqueue(other), "duplicate")
        assert.strictEqual(yield* queue.enqueue({ ...other, priority: "low" }), "duplicate")
        const scheduled = { ...other, status: "scheduled" as const, scheduledFor: ts("2030-01-01T00:00:00Z") }
        assert.strictEqual(yield* queue.schedule(scheduled), "duplicate")
        assert.strictEqual(yield* raw.get(keys.job(job.id)), JobCodec.encode(job), "nothing overwritten")
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("high")), [job.id], "list unchanged")
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("low")), [])
        assert.isUndefined(yield* raw.zscore(keys.scheduled, job.id))

        // Once the job has finished, its original JSON is no longer what is stored: a duplicate too.
        const taken = yield* takeJob()
        yield* queue.complete(taken, { durationMs: 1, now: ts("2025-01-15T10:35:00Z") })
        const done = yield* raw.get(keys.job(job.id))
        const result = yield* raw.hgetall(keys.result(job.id))
        assert.strictEqual(yield* queue.enqueue(job), "duplicate")
        assert.strictEqual(yield* raw.get(keys.job(job.id)), done)
        assert.deepStrictEqual(yield* raw.hgetall(keys.result(job.id)), result, "the finished job's result is kept")
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("high")), [])

        // Go's dead-letter record under the id is data too.
        const ghost = uid("ghost")
        yield* raw.set(keys.job(ghost), Wire.missingDataRecord(ghost))
        assert.strictEqual(yield* queue.enqueue(makeJob({ id: ghost })), "duplicate")
        assert.strictEqual(yield* raw.get(keys.job(ghost)), Wire.missingDataRecord(ghost))
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("normal")), [])
      }))

    it.effect("enqueueBatch reports each outcome in order; creating a job deletes a stale result of its id", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const existing = makeJob()
        yield* queue.enqueue(existing)
        const a = makeJob()
        const b = makeJob()
        const outcomes = yield* queue.enqueueBatch([a, { ...existing, name: "changed" }, b, a])
        assert.deepStrictEqual(outcomes, ["created", "duplicate", "created", "created"])
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("normal")), [b.id, a.id, existing.id])
        assert.strictEqual(yield* raw.get(keys.job(existing.id)), JobCodec.encode(existing))

        const stale = { status: "completed", completed_at: "2025-01-01T00:00:00Z", duration_ms: "1", result: `"old"` }
        const queued = makeJob()
        const scheduled = makeJob({ status: "scheduled", scheduledFor: ts("2030-01-01T00:00:00Z") })
        for (const job of [queued, scheduled]) yield* raw.hset(keys.result(job.id), stale)
        assert.strictEqual(yield* queue.enqueue(queued), "created")
        assert.strictEqual(yield* queue.schedule(scheduled), "created")
        assert.deepStrictEqual(yield* raw.hgetall(keys.result(queued.id)), {}, "stale result of a queued job")
        assert.deepStrictEqual(yield* raw.hgetall(keys.result(scheduled.id)), {}, "stale result of a scheduled job")
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
        assert.deepStrictEqual(yield* queue.enqueueBatch(jobs), ["created", "created", "created", "created"])
        for (const job of jobs) assert.strictEqual(yield* raw.get(keys.job(job.id)), JobCodec.encode(job))
        const normal = jobs.filter((j) => j.priority === "normal").map((j) => j.id)
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("normal")), [...normal].reverse())
        const taken: Array<string> = []
        for (let i = 0; i < jobs.length; i++) taken.push((yield* takeJob()).job.id)
        assert.deepStrictEqual(taken, [...normal, jobs[2]!.id])
      }))

    it.effect("schedule: status scheduled, ZADD score = unix seconds (fraction kept), in no queue", () =>
      Effect.gen(function*() {
        const { queue, admin, raw, keys } = yield* fresh
        const at = ts("2030-01-01T00:00:00.5Z")
        const job = makeJob({ status: "scheduled", scheduledFor: at })
        assert.strictEqual(yield* queue.schedule(job), "created")
        const stored = JobCodec.decode((yield* raw.get(keys.job(job.id)))!).pipe(Result.getOrThrow)
        assert.strictEqual(stored.status, "scheduled")
        assert.strictEqual(Timestamp.format(stored.scheduledFor!), "2030-01-01T00:00:00.5Z")
        assert.strictEqual(yield* raw.zscore(keys.scheduled, job.id), 1893456000.5)
        for (const p of JobPriority.all) assert.deepStrictEqual(yield* raw.lrange(keys.queue(p)), [])
        assert.strictEqual((yield* admin.stats).scheduled, 1)
      }))
  })

  describe("JobQueue: dequeue", () => {
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
        for (let i = 0; i < 9; i++) taken.push((yield* takeJob()).job.id)
        assert.deepStrictEqual(taken, [...byPriority.high, ...byPriority.normal, ...byPriority.low])
        assert.isTrue(Option.isNone(yield* dequeueNow))
        assert.deepStrictEqual([...(yield* raw.lrange(keys.processing))].sort(), [...taken].sort())
      }))

    it.effect("only the given priorities, in the given order", () =>
      Effect.gen(function*() {
        const { queue } = yield* fresh
        const high = makeJob({ priority: "high" })
        const low = makeJob({ priority: "low" })
        yield* queue.enqueueBatch([high, low])
        assert.strictEqual((yield* takeJob({ priorities: ["low", "high"] })).job.id, low.id)
        assert.isTrue(Option.isNone(yield* queue.dequeue({ priorities: ["normal", "low"], block: Duration.zero })))
        assert.strictEqual((yield* takeJob({ priorities: ["high"] })).job.id, high.id)
        assert.isTrue(Option.isNone(yield* queue.dequeue({ priorities: [], block: Duration.seconds(20) })), "no priorities: none at once")
      }))

    it.effect("dequeue returns the stored job unchanged (no status write, payload bytes exact); no lease asked, no token", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const job = makeJob({ payload: payloadBytes })
        yield* queue.enqueue(job)
        const taken = yield* takeJob()
        assert.deepStrictEqual(taken.job, JobCodec.decode(JobCodec.encode(job)).pipe(Result.getOrThrow))
        assert.strictEqual(taken.job.payload, payloadBytes)
        assert.isUndefined(taken.token)
        assert.strictEqual(yield* raw.get(keys.job(job.id)), JobCodec.encode(job))
        assert.isUndefined(yield* raw.zscore(keys.leases, job.id))
        assert.deepStrictEqual(yield* raw.hgetall(keys.tokens), {})
      }))

    it.effect("routing keys: route:{rk}:queue:{p} is read only with that key; default = queue:{p}", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const routed = makeJob({ routingKey: "eu-west_1" })
        yield* queue.enqueue(routed)
        assert.deepStrictEqual(yield* raw.lrange(`${keys.prefix}route:eu-west_1:queue:normal`), [routed.id])
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("normal")), [])
        assert.isTrue(Option.isNone(yield* dequeueNow))
        assert.strictEqual((yield* takeJob({ routingKey: "eu-west_1" })).job.id, routed.id)
        const plain = makeJob({ routingKey: "default" })
        yield* queue.enqueue(plain)
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("normal")), [plain.id])
        assert.strictEqual((yield* takeJob({ routingKey: "default" })).job.id, plain.id)
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

    it.effect("missing data: DeadLettered with Go's record (vector 8), TTL 7 d, out of processing and its lease, a failed result", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const before = Date.now()
        const id = uid("ghost")
        yield* raw.lpush(keys.queue("high"), id)
        const delivery = Option.getOrThrow(yield* dequeueNow)
        assert.strictEqual(delivery._tag, "DeadLettered")
        if (delivery._tag === "DeadLettered") {
          assert.strictEqual(delivery.id, id)
          assert.strictEqual(delivery.reason, "Job data not found (corrupted reference)")
        }
        assert.strictEqual(yield* raw.get(keys.job(id)), `{"error":"Job data not found (corrupted reference)","id":"${id}"}`)
        assertTtl(yield* raw.ttl(keys.job(id)), 604800)
        assert.deepStrictEqual(yield* raw.lrange(keys.dead), [id])
        assert.deepStrictEqual(yield* raw.lrange(keys.processing), [])
        yield* assertBadDataResult(keys, id, "Job data not found (corrupted reference)", before)

        // Taken under a lease: the lease (expiry, token, held set) goes too.
        const leased = uid("ghost")
        yield* raw.lpush(keys.queue("low"), leased)
        const again = Option.getOrThrow(yield* queue.dequeue({ priorities: JobPriority.all, block: Duration.zero, lease: lease("w", 60_000) }))
        assert.strictEqual(again._tag, "DeadLettered")
        assert.deepStrictEqual(yield* raw.lrange(keys.dead), [leased, id])
        assert.deepStrictEqual(yield* raw.lrange(keys.processing), [])
        yield* assertNoLease(keys, leased, "w")
        yield* assertBadDataResult(keys, leased, "Job data not found (corrupted reference)", before)
      }))

    it.effect("corrupted data: DeadLettered with Go's record (vector 9) and a failed result; the next job still flows", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const before = Date.now()
        const id = uid("B")
        const text = `{"id":"${id}","attempts":"1"}`
        yield* raw.set(keys.job(id), text)
        yield* raw.lpush(keys.queue("high"), id)
        const good = makeJob({ priority: "low" })
        yield* queue.enqueue(good)
        const delivery = Option.getOrThrow(yield* dequeueNow)
        const goError = "json: cannot unmarshal string into Go struct field Job.attempts of type int"
        assert.strictEqual(delivery._tag, "DeadLettered")
        if (delivery._tag === "DeadLettered") {
          assert.strictEqual(delivery.id, id)
          assert.strictEqual(delivery.reason, `Failed to unmarshal job: ${goError}`)
        }
        assert.strictEqual(
          yield* raw.get(keys.job(id)),
          `{"corrupted_data":${JSON.stringify(text)},"error":"Failed to unmarshal job: ${goError}","id":"${id}"}`
        )
        assertTtl(yield* raw.ttl(keys.job(id)), 604800)
        assert.deepStrictEqual(yield* raw.lrange(keys.dead), [id])
        yield* assertBadDataResult(keys, id, `Failed to unmarshal job: ${goError}`, before)
        assert.strictEqual((yield* takeJob()).job.id, good.id)
        assert.deepStrictEqual(yield* raw.lrange(keys.processing), [good.id])
      }))
    it.effect("data of another type (a hash at job:{id}) reads as unreadable: the take still succeeds and the next job flows", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const id = uid("H")
        yield* raw.hset(keys.job(id), { not: "a job" })
        yield* raw.lpush(keys.queue("high"), id)
        const good = makeJob({ priority: "low" })
        yield* queue.enqueue(good)
        const taken = yield* queue.dequeueMany({ priorities: JobPriority.all, block: Duration.zero, max: 2 })
        assert.deepStrictEqual(taken.map((d) => d._tag === "Job" ? d.job.id : d.id).includes(good.id), true)
        const delivered = taken.find((d) => d._tag === "Job")
        assert.strictEqual(delivered?._tag === "Job" ? delivered.job.id : undefined, good.id)
        assert.isUndefined(taken.find((d) => d._tag === "Job" && d.job.id === id), "the hash is never handed out as a job")
      }))
  })

  describe("JobQueue: dequeueMany", () => {
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
        const before = Date.now()
        const first = yield* queue.dequeueMany({ priorities: JobPriority.all, block: Duration.zero, lease: lease("worker-1", 60_000), max: 4 })
        const expected = [...byPriority.high, ...byPriority.normal.slice(0, 2)]
        assert.deepStrictEqual(deliveryIds(first), expected)
        for (const d of first) if (d._tag === "Job") assert.strictEqual(d.job.payload, payloadBytes)
        // Processing looks exactly as after four single dequeues: the last taken at the head.
        assert.deepStrictEqual(yield* raw.lrange(keys.processing), [...expected].reverse())
        for (const id of expected) {
          const score = yield* raw.zscore(keys.leases, id)
          assert.isTrue(score !== undefined && score >= before + 55_000 && score <= Date.now() + 60_000, `lease of ${id}: ${score}`)
        }
        // Each delivery carries its own token `<owner>:<n>`, n counting up, as recorded in lease:tokens.
        const tokens = yield* raw.hgetall(keys.tokens)
        const given = first.map((d) => (d._tag === "Job" ? d.token : undefined))
        assert.deepStrictEqual(given, expected.map((id) => tokens[id]))
        const numbers = given.map((t) => {
          assert.match(t!, /^worker-1:\d+$/)
          return Number(t!.slice("worker-1:".length))
        })
        assert.deepStrictEqual(numbers, numbers.map((_, i) => numbers[0]! + i))
        // The owner's held set names them, its TTL (the heartbeat) the lease duration.
        assert.deepStrictEqual(yield* raw.smembers(keys.held("worker-1")), [...expected].sort())
        const heartbeat = yield* raw.pttl(keys.held("worker-1"))
        assert.isTrue(heartbeat > 55_000 && heartbeat <= 60_000, `held set pttl ${heartbeat}`)

        assert.deepStrictEqual(yield* raw.lrange(keys.queue("normal")), [byPriority.normal[2]!])
        const rest = yield* queue.dequeueMany({ priorities: JobPriority.all, block: Duration.zero, max: 10 })
        assert.deepStrictEqual(deliveryIds(rest), [byPriority.normal[2]!, ...byPriority.low])
        for (const d of rest) assert.isTrue(d._tag === "Job" && d.token === undefined)
        assert.isUndefined(yield* raw.zscore(keys.leases, byPriority.low[0]!), "no lease asked, none recorded")
        assert.isUndefined((yield* raw.hgetall(keys.tokens))[byPriority.low[0]!], "no token either")
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
        assert.deepStrictEqual(deliveryIds(yield* queue.dequeueMany({ priorities: ["low", "high"], block: Duration.zero, max: 5 })), [low.id, high.id])
        assert.deepStrictEqual(deliveryIds(yield* queue.dequeueMany({ priorities: ["low"], routingKey: "eu", block: Duration.zero, max: 5 })), [routed.id])
      }))

    it.effect("missing and corrupted data in a batch are dead-lettered; the other jobs are delivered", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const before = Date.now()
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
        assert.deepStrictEqual(deliveryIds(taken), [a.id, `dead:${ghost}`, `dead:${bad}`, b.id])
        assert.deepStrictEqual(yield* raw.lrange(keys.processing), [b.id, a.id])
        assert.deepStrictEqual(yield* raw.lrange(keys.dead), [bad, ghost])
        assert.strictEqual(yield* raw.get(keys.job(ghost)), `{"error":"Job data not found (corrupted reference)","id":"${ghost}"}`)
        yield* assertBadDataResult(keys, ghost, "Job data not found (corrupted reference)", before)
        assert.strictEqual((yield* raw.hgetall(keys.result(bad))).status, "failed")
        assert.deepStrictEqual(yield* raw.hgetall(keys.result(a.id)), {}, "the good jobs have no result")
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
        assert.deepStrictEqual(deliveryIds(taken), jobs.slice(0, taken.length).map((j) => j.id))
        const empty = yield* queue.dequeueMany({ priorities: ["high"], block: Duration.millis(40), max: 3 })
        assert.deepStrictEqual(empty, [], "none once the block has passed")
      }))
  })
}
