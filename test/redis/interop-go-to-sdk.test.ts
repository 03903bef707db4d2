/**
 * Interop, Go -> SDK: the docs/PROTOCOL.md §6 vectors written with raw Redis
 * commands (the exact bytes Go, Python or the TS SDK write), read and
 * processed through our Redis layer. Uses Go's own prefix `bananas:`; every
 * test starts from an empty keyspace (tests in a file run one at a time).
 */
import { assert, describe, layer } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as JobResult from "../../src/domain/JobResult.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import { JobQueue } from "../../src/services/JobQueue.ts"
import { ResultBackend } from "../../src/services/ResultBackend.ts"
import { RedisServer } from "../support/RedisServer.ts"
import { client, cmd, getJob, keysUnder, listenRaw, purge, takeJob, ts } from "./support.ts"

const J = "8f14e45f-ceea-4167-a5c4-1e2a3b4c5d6e"
const payload1 = `{"subject":"Hi \\u003c3","to":"a@b.c"}`
const vector1 =
  `{"id":"${J}","name":"send_email","payload":${payload1},"status":"pending","priority":"high","created_at":"2025-01-15T15:30:00.123456789+05:00","updated_at":"2025-01-15T15:30:00.123456789+05:00","attempts":0,"max_retries":3}`
const vector3 =
  `{"id":"${J}","name":"send_email","payload":${payload1},"status":"pending","priority":"high","created_at":"2025-01-15T15:30:00.123456789+05:00","updated_at":"2025-01-15T10:30:05.250012Z","scheduled_for":"2025-01-15T10:30:07.250003Z","attempts":1,"max_retries":3,"error":"smtp: timeout"}`
const vector5 =
  `{"id":"${J}","name":"send_email","payload":${payload1},"status":"pending","priority":"high","created_at":"2025-01-15T15:30:00.123456789+05:00","updated_at":"2025-01-15T10:30:05.250012Z","attempts":1,"max_retries":3,"error":"smtp: timeout"}`
const bigPayload = `{"order_id":12345678901234567890,"amt":1.10,"10":"x","2":"y"}`

/** Go's key for `x` (prefix `bananas:`). */
const k = (x: string) => `bananas:${x}`
const all = ["high", "normal", "low"] as const

/** Plants vectors 3 + 4: Go's first failure and the failed result it wrote before. */
const plantFirstFailure = cmd((r) =>
  r.multi()
    .set(k(`job:${J}`), vector3)
    .zadd(k("queue:scheduled"), 1736937007, J)
    .hset(k(`result:${J}`), "status", "failed", "completed_at", "2025-01-15T10:30:05Z", "duration_ms", "5126", "error", "smtp: timeout")
    .expire(k(`result:${J}`), 86400)
    .exec()
)

/** Every key of Go's prefix deleted (raw SCAN + DEL: `purge` is not an SDK operation). */
const clean = purge("bananas:")

/**
 * Brackets "now" in whole seconds around `during`, for the `completed_at`
 * (RFC 3339 seconds, UTC) of a result the SDK stamps with the live clock.
 */
const stampedDuring = <A, E, R>(during: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const before = Math.floor(Date.now() / 1000)
    const value = yield* during
    const after = Math.floor(Date.now() / 1000)
    const seconds = Array.from({ length: after - before + 1 }, (_, i) => Timestamp.formatSeconds(Timestamp.fromMillis((before + i) * 1000)))
    return { value, seconds }
  })

describe("interop: Go -> SDK", () => {
  layer(RedisServer.layer, { excludeTestServices: true })((it) => {
    const live = client({ prefix: "bananas:" })

    it.effect("vector 1: a Go SubmitJob is read with its nanoseconds, offset and payload bytes, and dequeued FIFO into processing", () =>
      Effect.gen(function*() {
        yield* clean
        yield* cmd((r) => r.multi().set(k(`job:${J}`), vector1).lpush(k("queue:high"), J).exec())
        const job = yield* getJob(J)
        assert.strictEqual(job.name, "send_email")
        assert.strictEqual(job.payload, payload1)
        assert.strictEqual(job.status, "pending")
        assert.strictEqual(job.priority, "high")
        assert.deepStrictEqual(job.createdAt, { seconds: 1736937000, nanos: 123456789, offsetSeconds: 5 * 3600 })
        assert.strictEqual(Timestamp.format(job.updatedAt), "2025-01-15T15:30:00.123456789+05:00")
        assert.strictEqual(job.attempts, 0)
        assert.strictEqual(job.maxRetries, 3)
        assert.isUndefined(job.routingKey)

        const taken = yield* takeJob()
        assert.deepStrictEqual(taken, { _tag: "Job", job, token: undefined })
        assert.deepStrictEqual(yield* cmd((r) => r.lrange(k("queue:processing"), 0, -1)), [J])
        assert.strictEqual(yield* cmd((r) => r.llen(k("queue:high"))), 0)
        // Go never stores "processing": the data is untouched by a dequeue.
        assert.strictEqual(yield* cmd((r) => r.get(k(`job:${J}`))), vector1)
      }).pipe(Effect.provide(live)))

    it.effect("a leased take of Go's job adds only our own keys (leases, lease:tokens, worker:{owner}); finishing removes them all", () =>
      Effect.gen(function*() {
        yield* clean
        const q = yield* JobQueue
        yield* cmd((r) => r.multi().set(k(`job:${J}`), vector1).lpush(k("queue:high"), J).exec())
        const delivery = yield* takeJob(all, { lease: { owner: "ts-worker", duration: Duration.seconds(30) } })
        assert.match(delivery.token ?? "", /^ts-worker:\d+$/)
        // Go's keys as Go's BRPOPLPUSH leaves them (the data untouched), plus ours only, which Go never reads.
        assert.deepStrictEqual(yield* keysUnder("bananas:"), [
          k(`job:${J}`),
          k("lease:tokens"),
          k("leases"),
          k("queue:processing"),
          k("worker:ts-worker")
        ])
        assert.strictEqual(yield* cmd((r) => r.get(k(`job:${J}`))), vector1)
        assert.deepStrictEqual(yield* cmd((r) => r.lrange(k("queue:processing"), 0, -1)), [J])
        assert.strictEqual(yield* cmd((r) => r.type(k("leases"))), "zset")
        assert.deepStrictEqual(yield* cmd((r) => r.hgetall(k("lease:tokens"))), { [J]: delivery.token! })
        assert.deepStrictEqual(yield* cmd((r) => r.smembers(k("worker:ts-worker"))), [J])
        yield* q.complete(delivery, { durationMs: 12, now: ts("2025-01-15T10:30:09Z") })
        assert.deepStrictEqual(yield* keysUnder("bananas:"), [k(`job:${J}`), k(`result:${J}`)])
        assert.strictEqual(yield* cmd((r) => r.ttl(k(`job:${J}`))), 86400)
      }).pipe(Effect.provide(live)))

    it.effect("vector 2: a 20-digit integer payload survives get, complete, retry and promotion byte for byte", () =>
      Effect.gen(function*() {
        yield* clean
        const q = yield* JobQueue
        const json = vector1.replace(payload1, bigPayload).replace(`"max_retries":3`, `"max_retries":5`)
        yield* cmd((r) => r.multi().set(k(`job:${J}`), json).lpush(k("queue:high"), J).exec())
        assert.strictEqual((yield* getJob(J)).payload, bigPayload)

        const job = yield* takeJob()
        const now = ts("2025-01-15T10:30:05Z")
        const outcome = yield* q.fail(job, "boom", { durationMs: 1, now })
        assert.strictEqual(outcome._tag, "Retrying")
        assert.include(yield* cmd((r) => r.get(k(`job:${J}`))), `"payload":${bigPayload},`)

        assert.deepStrictEqual(yield* q.promoteDue(Timestamp.addSeconds(now, 2)), { promoted: 1, skipped: [] })
        assert.include(yield* cmd((r) => r.get(k(`job:${J}`))), `"payload":${bigPayload},`)

        const again = yield* takeJob()
        yield* q.complete(again, { result: bigPayload as never, durationMs: 2, now: Timestamp.addSeconds(now, 3) })
        assert.include(yield* cmd((r) => r.get(k(`job:${J}`))), `"payload":${bigPayload},`)
        assert.strictEqual(yield* cmd((r) => r.hget(k(`result:${J}`), "result")), bigPayload)
      }).pipe(Effect.provide(live)))

    it.effect("vectors 3 + 4: Go's first failure reads back exactly; its failed result is readable but does not end a wait", () =>
      Effect.gen(function*() {
        yield* clean
        yield* plantFirstFailure
        const job = yield* getJob(J)
        assert.strictEqual(job.status, "pending")
        assert.strictEqual(job.attempts, 1)
        assert.strictEqual(job.error, "smtp: timeout")
        assert.deepStrictEqual(job.updatedAt, { seconds: 1736937005, nanos: 250012000, offsetSeconds: 0 })
        assert.deepStrictEqual(job.scheduledFor, { seconds: 1736937007, nanos: 250003000, offsetSeconds: 0 })

        const rb = yield* ResultBackend
        const result = Option.getOrThrow(yield* rb.get(J))
        assert.strictEqual(result.status, "failed")
        assert.strictEqual(result.error, "smtp: timeout")
        assert.strictEqual(result.durationMs, 5126)
        assert.strictEqual(Timestamp.formatSeconds(result.completedAt), "2025-01-15T10:30:05Z")

        // "Looks final, isn't": the job is pending a retry.
        const error = yield* Effect.flip(rb.wait(J, Duration.millis(300)))
        assert.strictEqual(error._tag, "TimeoutError")
      }).pipe(Effect.provide(live)))

    it.effect("vector 5: promotion at N=1736937007 drops only scheduled_for and pushes to queue:high once", () =>
      Effect.gen(function*() {
        yield* clean
        yield* plantFirstFailure
        const q = yield* JobQueue
        assert.deepStrictEqual(yield* q.promoteDue(Timestamp.fromMillis(1736937006_000)), { promoted: 0, skipped: [] })
        assert.deepStrictEqual(yield* q.promoteDue(Timestamp.fromMillis(1736937007_000)), { promoted: 1, skipped: [] })
        assert.strictEqual(yield* cmd((r) => r.get(k(`job:${J}`))), vector5)
        assert.deepStrictEqual(yield* cmd((r) => r.lrange(k("queue:high"), 0, -1)), [J])
        assert.strictEqual(yield* cmd((r) => r.zcard(k("queue:scheduled"))), 0)
        assert.strictEqual(yield* cmd((r) => r.ttl(k(`job:${J}`))), -1)
        assert.deepStrictEqual(yield* q.promoteDue(Timestamp.fromMillis(1736937007_000)), { promoted: 0, skipped: [] })
      }).pipe(Effect.provide(live)))

    it.effect("vectors 7 + 13: success after the retry keeps attempts and the old error, merges the hash, and reads as Go's JobResult JSON", () =>
      Effect.gen(function*() {
        yield* clean
        yield* plantFirstFailure
        const q = yield* JobQueue
        yield* q.promoteDue(Timestamp.fromMillis(1736937007_000))
        const job = yield* takeJob()
        const done = yield* q.complete(job, { durationMs: 12, now: ts("2025-01-15T10:30:09Z") })
        assert.strictEqual(done.status, "completed")
        const expected = vector5.replace(`"status":"pending"`, `"status":"completed"`)
          .replace(`"updated_at":"2025-01-15T10:30:05.250012Z"`, `"updated_at":"2025-01-15T10:30:09Z"`)
        assert.strictEqual(yield* cmd((r) => r.get(k(`job:${J}`))), expected)
        assert.strictEqual(yield* cmd((r) => r.ttl(k(`job:${J}`))), 86400)
        assert.deepStrictEqual(yield* cmd((r) => r.hgetall(k(`result:${J}`))), {
          status: "completed",
          completed_at: "2025-01-15T10:30:09Z",
          duration_ms: "12",
          error: "smtp: timeout"
        })
        assert.strictEqual(yield* cmd((r) => r.ttl(k(`result:${J}`))), 3600)
        assert.strictEqual(yield* cmd((r) => r.llen(k("queue:processing"))), 0)

        const result = Option.getOrThrow(yield* (yield* ResultBackend).get(J))
        assert.strictEqual(
          JobResult.toGoJson(result),
          `{"job_id":"${J}","status":"completed","error":"smtp: timeout","completed_at":"2025-01-15T10:30:09Z","duration":12000000}`
        )
        // Completed: a wait ends at once.
        assert.strictEqual((yield* (yield* ResultBackend).wait(J, Duration.seconds(2))).status, "completed")
      }).pipe(Effect.provide(live)))

    it.effect("vector 6: the third failure dead-letters (status failed, attempts 3, no scheduled_for, 7 days) with a failed result", () =>
      Effect.gen(function*() {
        yield* clean
        const q = yield* JobQueue
        const second = vector5.replace(`"attempts":1`, `"attempts":2`)
        yield* cmd((r) => r.multi().set(k(`job:${J}`), second).lpush(k("queue:high"), J).exec())
        const job = yield* takeJob()
        const outcome = yield* q.fail(job, "smtp: timeout", { durationMs: 7, now: ts("2025-01-15T10:30:30Z") })
        assert.strictEqual(outcome._tag, "Dead")
        const expected = second.replace(`"status":"pending"`, `"status":"failed"`)
          .replace(`"updated_at":"2025-01-15T10:30:05.250012Z"`, `"updated_at":"2025-01-15T10:30:30Z"`)
          .replace(`"attempts":2`, `"attempts":3`)
        assert.strictEqual(yield* cmd((r) => r.get(k(`job:${J}`))), expected)
        assert.notInclude(expected, "scheduled_for")
        assert.strictEqual(yield* cmd((r) => r.ttl(k(`job:${J}`))), 604800)
        assert.deepStrictEqual(yield* cmd((r) => r.lrange(k("queue:dead"), 0, -1)), [J])
        assert.strictEqual(yield* cmd((r) => r.llen(k("queue:processing"))), 0)
        assert.deepStrictEqual(yield* cmd((r) => r.hgetall(k(`result:${J}`))), {
          status: "failed",
          completed_at: "2025-01-15T10:30:30Z",
          duration_ms: "7",
          error: "smtp: timeout"
        })
        assert.strictEqual(yield* cmd((r) => r.ttl(k(`result:${J}`))), 86400)
        // Final: the wait ends with the failure.
        assert.strictEqual((yield* (yield* ResultBackend).wait(J, Duration.seconds(2))).status, "failed")
      }).pipe(Effect.provide(live)))

    it.effect("vector 8: a ghost id (no data) is dead-lettered with Go's record, 7 days; and (ours) a failed result + ready", () =>
      Effect.gen(function*() {
        yield* clean
        const q = yield* JobQueue
        yield* cmd((r) => r.lpush(k("queue:high"), "ghost"))
        const notes = yield* listenRaw(k("result:notify:ghost"))
        const { value: delivery, seconds } = yield* stampedDuring(q.dequeue({ priorities: all, block: Duration.zero }))
        assert.deepStrictEqual(Option.getOrThrow(delivery), {
          _tag: "DeadLettered",
          id: "ghost",
          reason: "Job data not found (corrupted reference)"
        })
        assert.strictEqual(
          yield* cmd((r) => r.get(k("job:ghost"))),
          `{"error":"Job data not found (corrupted reference)","id":"ghost"}`
        )
        assert.strictEqual(yield* cmd((r) => r.ttl(k("job:ghost"))), 604800)
        assert.deepStrictEqual(yield* cmd((r) => r.lrange(k("queue:dead"), 0, -1)), ["ghost"])
        assert.strictEqual(yield* cmd((r) => r.llen(k("queue:processing"))), 0)
        assert.isTrue(Option.isNone(yield* q.dequeue({ priorities: all, block: Duration.zero })))
        // Unlike Go: the same text as a failed result (duration 0, failure TTL), published as Go's "ready".
        const hash = yield* cmd((r) => r.hgetall(k("result:ghost")))
        const completedAt = hash.completed_at ?? "(none)"
        assert.include(seconds, completedAt)
        assert.deepStrictEqual(hash, {
          status: "failed",
          completed_at: completedAt,
          duration_ms: "0",
          error: "Job data not found (corrupted reference)"
        })
        assert.strictEqual(yield* cmd((r) => r.ttl(k("result:ghost"))), 86400)
        assert.deepStrictEqual(yield* notes.stop(1), [[k("result:notify:ghost"), "ready"]])
        // So a wait for it ends at once with that failure.
        const result = yield* (yield* ResultBackend).wait("ghost", Duration.seconds(2))
        assert.strictEqual(result.status, "failed")
        assert.strictEqual(result.error, "Job data not found (corrupted reference)")
      }).pipe(Effect.provide(live)))

    it.effect("vector 9: unparsable data (attempts \"1\") is dead-lettered with Go's corrupted-data record; and (ours) a failed result + ready", () =>
      Effect.gen(function*() {
        yield* clean
        const q = yield* JobQueue
        const data = `{"id":"B","attempts":"1"}`
        yield* cmd((r) => r.multi().set(k("job:B"), data).lpush(k("queue:normal"), "B").exec())
        const goError = "json: cannot unmarshal string into Go struct field Job.attempts of type int"
        const notes = yield* listenRaw(k("result:notify:B"))
        const taken = yield* stampedDuring(q.dequeue({ priorities: all, block: Duration.zero }))
        const delivery = Option.getOrThrow(taken.value)
        assert.deepStrictEqual(delivery, { _tag: "DeadLettered", id: "B", reason: `Failed to unmarshal job: ${goError}` })
        assert.strictEqual(
          yield* cmd((r) => r.get(k("job:B"))),
          `{"corrupted_data":"{\\"id\\":\\"B\\",\\"attempts\\":\\"1\\"}","error":"Failed to unmarshal job: ${goError}","id":"B"}`
        )
        assert.strictEqual(yield* cmd((r) => r.ttl(k("job:B"))), 604800)
        assert.deepStrictEqual(yield* cmd((r) => r.lrange(k("queue:dead"), 0, -1)), ["B"])
        assert.strictEqual(yield* cmd((r) => r.llen(k("queue:processing"))), 0)
        const hash = yield* cmd((r) => r.hgetall(k("result:B")))
        const completedAt = hash.completed_at ?? "(none)"
        assert.include(taken.seconds, completedAt)
        assert.deepStrictEqual(hash, {
          status: "failed",
          completed_at: completedAt,
          duration_ms: "0",
          error: `Failed to unmarshal job: ${goError}`
        })
        assert.strictEqual(yield* cmd((r) => r.ttl(k("result:B"))), 86400)
        assert.deepStrictEqual(yield* notes.stop(1), [[k("result:notify:B"), "ready"]])
        // get names the key in the SerializationError
        yield* cmd((r) => r.set(k("job:C"), data))
        const error = yield* Effect.flip(q.get("C"))
        assert.strictEqual(error._tag, "SerializationError")
        assert.strictEqual(error._tag === "SerializationError" ? error.key : undefined, k("job:C"))
      }).pipe(Effect.provide(live)))

    it.effect("vector 10: a TS-SDK scheduled job (fractional score) is promoted once floor(now) reaches it, in Route-Go's form", () =>
      Effect.gen(function*() {
        yield* clean
        const q = yield* JobQueue
        const written =
          `{"id":"S","name":"report","description":"","payload":{"k":1},"status":"scheduled","priority":"normal","created_at":"2025-01-15T10:30:00.000Z","updated_at":"2025-01-15T10:30:00.000Z","attempts":0,"max_retries":3,"error":"","routing_key":"","scheduled_for":"2025-01-15T11:00:00.500Z"}`
        yield* cmd((r) => r.multi().set(k("job:S"), written).zadd(k("queue:scheduled"), "1736938800.5", "S").exec())
        assert.deepStrictEqual(yield* q.promoteDue(Timestamp.fromMillis(1736938800_000)), { promoted: 0, skipped: [] })
        assert.deepStrictEqual(yield* q.promoteDue(Timestamp.fromMillis(1736938801_000)), { promoted: 1, skipped: [] })
        assert.strictEqual(
          yield* cmd((r) => r.get(k("job:S"))),
          `{"id":"S","name":"report","payload":{"k":1},"status":"scheduled","priority":"normal","created_at":"2025-01-15T10:30:00Z","updated_at":"2025-01-15T10:30:00Z","attempts":0,"max_retries":3,"routing_key":""}`
        )
        assert.deepStrictEqual(yield* cmd((r) => r.lrange(k("queue:normal"), 0, -1)), ["S"])
      }).pipe(Effect.provide(live)))

    it.effect("vector 11: a Python timestamp (+00:00, microseconds) is valid and rewritten as Go does", () =>
      Effect.gen(function*() {
        yield* clean
        const q = yield* JobQueue
        const py =
          `{"id": "P", "name": "py", "payload": {"a": [1, 2]}, "status": "pending", "priority": "low", "created_at": "2025-01-15T10:30:00.123456+00:00", "updated_at": "2025-01-15T10:30:00.123456+00:00", "attempts": 0, "max_retries": 3}`
        yield* cmd((r) => r.multi().set(k("job:P"), py).lpush(k("queue:low"), "P").exec())
        const job = yield* takeJob()
        assert.deepStrictEqual(job.job.createdAt, { seconds: 1736937000, nanos: 123456000, offsetSeconds: 0 })
        yield* q.complete(job, { durationMs: 1, now: ts("2025-01-15T10:31:00Z") })
        const stored = yield* cmd((r) => r.get(k("job:P")))
        assert.include(stored, `"created_at":"2025-01-15T10:30:00.123456Z"`)
        assert.deepStrictEqual(JSON.parse(stored!).payload, { a: [1, 2] })
        assert.isTrue(stored!.startsWith(`{"id":"P","name":"py","payload":`))
      }).pipe(Effect.provide(live)))

    it.effect("vector 12: Go's cron job (id \"\", status \"\", zero times, max_retries 0) is dequeued and dies on its first failure", () =>
      Effect.gen(function*() {
        yield* clean
        const q = yield* JobQueue
        const cron =
          `{"id":"","name":"cleanup","description":"Scheduled job: cleanup (schedule: hourly)","payload":null,"status":"","priority":"normal","created_at":"0001-01-01T00:00:00Z","updated_at":"0001-01-01T00:00:00Z","attempts":0,"max_retries":0}`
        yield* cmd((r) => r.multi().set(k("job:"), cron).lpush(k("queue:normal"), "").exec())
        const job = yield* takeJob()
        assert.strictEqual(job.job.id, "")
        assert.strictEqual(job.job.status, "")
        assert.strictEqual(job.job.payload, "null")
        assert.isTrue(Timestamp.isZero(job.job.createdAt))
        assert.strictEqual(job.job.maxRetries, 0)
        assert.strictEqual(job.job.description, "Scheduled job: cleanup (schedule: hourly)")
        const outcome = yield* q.fail(job, "no handler", { durationMs: 0, now: ts("2025-01-15T10:00:00Z") })
        assert.strictEqual(outcome._tag, "Dead")
        assert.deepStrictEqual(yield* cmd((r) => r.lrange(k("queue:dead"), 0, -1)), [""])
        assert.include(yield* cmd((r) => r.get(k("job:"))), `"created_at":"0001-01-01T00:00:00Z"`)
      }).pipe(Effect.provide(live)))

    it.effect("a job without max_retries has 0 retries: its first failure is final", () =>
      Effect.gen(function*() {
        yield* clean
        const q = yield* JobQueue
        yield* cmd((r) =>
          r.multi().set(k("job:M"), `{"id":"M","name":"m","payload":{},"status":"pending","priority":"normal","created_at":"2025-01-15T10:30:00Z","updated_at":"2025-01-15T10:30:00Z","attempts":0}`)
            .lpush(k("queue:normal"), "M").exec()
        )
        const job = yield* takeJob()
        assert.strictEqual(job.job.maxRetries, 0)
        assert.strictEqual((yield* q.fail(job, "x", { durationMs: 0, now: ts("2025-01-15T10:31:00Z") }))._tag, "Dead")
        assert.include(yield* cmd((r) => r.get(k("job:M"))), `"attempts":1,"max_retries":0,"error":"x"}`)
      }).pipe(Effect.provide(live)))

    it.effect("vector 14: a Go-client scheduled job (pending, attempts 1, score now+2 s) is promoted to its queue", () =>
      Effect.gen(function*() {
        yield* clean
        const q = yield* JobQueue
        const goSched =
          `{"id":"G","name":"later","payload":{},"status":"pending","priority":"high","created_at":"2025-01-15T10:30:00Z","updated_at":"2025-01-15T10:30:00Z","scheduled_for":"2025-01-15T10:30:02Z","attempts":1,"max_retries":3,"error":"scheduled for later execution"}`
        yield* cmd((r) => r.multi().set(k("job:G"), goSched).zadd(k("queue:scheduled"), 1736937002, "G").exec())
        assert.deepStrictEqual(yield* q.promoteDue(Timestamp.fromMillis(1736937002_000)), { promoted: 1, skipped: [] })
        const { job } = yield* takeJob()
        assert.strictEqual(job.id, "G")
        assert.strictEqual(job.attempts, 1)
        assert.isUndefined(job.scheduledFor)
        assert.strictEqual(job.error, "scheduled for later execution")
      }).pipe(Effect.provide(live)))

    it.effect("Route-Go: a job on route:{rk}:queue:{p} is dequeued with that routing key only", () =>
      Effect.gen(function*() {
        yield* clean
        const q = yield* JobQueue
        const routed = vector1.replace(`"max_retries":3}`, `"max_retries":3,"routing_key":"eu-west"}`)
        yield* cmd((r) => r.multi().set(k(`job:${J}`), routed).lpush(k("route:eu-west:queue:high"), J).exec())
        assert.isTrue(Option.isNone(yield* q.dequeue({ priorities: all, block: Duration.zero })))
        const delivery = Option.getOrThrow(yield* q.dequeue({ priorities: all, routingKey: "eu-west", block: Duration.zero }))
        assert.strictEqual(delivery._tag === "Job" ? delivery.job.routingKey : undefined, "eu-west")
      }).pipe(Effect.provide(live)))

    it.effect("a job pushed by a Go producer (no PUBLISH) wakes a blocked dequeue through the fallback re-check, for every priority", () =>
      Effect.gen(function*() {
        yield* clean
        const q = yield* JobQueue
        for (const [i, p] of all.entries()) {
          const fiber = yield* Effect.forkChild(q.dequeue({ priorities: all, block: Duration.seconds(5) }))
          yield* Effect.sleep("30 millis")
          const json = vector1.replaceAll(J, `go-${i}`).replace(`"priority":"high"`, `"priority":"${p}"`)
          yield* cmd((r) => r.multi().set(k(`job:go-${i}`), json).lpush(k(`queue:${p}`), `go-${i}`).exec())
          const delivery = Option.getOrThrow(yield* Fiber.join(fiber))
          assert.strictEqual(delivery._tag === "Job" ? delivery.job.id : undefined, `go-${i}`)
        }
      }).pipe(Effect.provide(live)))
  })
})
