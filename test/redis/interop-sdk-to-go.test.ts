/**
 * Interop, SDK -> Go: what our Redis layer writes is what Go writes (and
 * what Go can read): job JSON bytes (docs/PROTOCOL.md §6 vectors 1, 3, 5, 6, 7
 * with fixed times), unix-second scores, TTLs, result hash fields, and a
 * final audit of every key (`test/support/WireAudit.ts`).
 */
import { assert, describe, layer } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Job from "../../src/domain/Job.ts"
import type { JobResult } from "../../src/domain/JobResult.ts"
import type { RawJson } from "../../src/domain/RawJson.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import { JobQueue } from "../../src/services/JobQueue.ts"
import { QueueAdmin } from "../../src/services/QueueAdmin.ts"
import { ResultBackend } from "../../src/services/ResultBackend.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"
import { audit, client, cmd, keys, keysUnder, listenRaw, takeJob, ts } from "./support.ts"

const J = "8f14e45f-ceea-4167-a5c4-1e2a3b4c5d6e"
const payload1 = `{"subject":"Hi \\u003c3","to":"a@b.c"}` as RawJson
const karachi = ts("2025-01-15T15:30:00.123456789+05:00")
const vector1 =
  `{"id":"${J}","name":"send_email","payload":${payload1},"status":"pending","priority":"high","created_at":"2025-01-15T15:30:00.123456789+05:00","updated_at":"2025-01-15T15:30:00.123456789+05:00","attempts":0,"max_retries":3}`

const newJob = (options?: Partial<Parameters<typeof Job.make>[0]>) =>
  Job.make({ id: J, name: "send_email", payload: payload1, priority: "high", now: karachi, maxRetries: Job.defaultMaxRetries, ...options })

describe("interop: SDK -> Go", () => {
  layer(RedisServer.layer, { excludeTestServices: true })((it) => {
    it.effect("vector 1: enqueue writes Go's SubmitJob bytes (Karachi offset, nanoseconds, escaped <) then LPUSH; an existing id is never overwritten", () =>
      Effect.gen(function*() {
        const q = yield* JobQueue
        const k = yield* keys
        // A stale result of an earlier job with this id is deleted with the creation.
        const stale = { status: "failed", completed_at: "2025-01-14T10:00:00Z", duration_ms: "1", error: "old" }
        yield* cmd((r) => r.hset(k.result(J), stale))
        assert.strictEqual(yield* q.enqueue(newJob()), "created")
        assert.strictEqual(yield* cmd((r) => r.get(k.job(J))), vector1)
        assert.strictEqual(yield* cmd((r) => r.ttl(k.job(J))), -1)
        assert.deepStrictEqual(yield* cmd((r) => r.lrange(k.queue("high"), 0, -1)), [J])
        assert.strictEqual(yield* cmd((r) => r.exists(k.result(J))), 0)
        yield* cmd((r) => r.hset(k.result(J), stale)) // (as if a worker had stored one since)
        // The same JSON again (a resend): reported created, written once, pushed once.
        assert.strictEqual(yield* q.enqueue(newJob()), "created")
        // Another job with that id (enqueued or scheduled): nothing overwritten, nothing pushed.
        assert.strictEqual(yield* q.enqueue(newJob({ name: "other", priority: "low" })), "duplicate")
        assert.strictEqual(
          yield* q.schedule({ ...newJob({ name: "other" }), status: "scheduled", scheduledFor: ts("2025-01-15T11:00:00Z") }),
          "duplicate"
        )
        assert.strictEqual(yield* cmd((r) => r.get(k.job(J))), vector1)
        assert.strictEqual(yield* cmd((r) => r.ttl(k.job(J))), -1)
        assert.deepStrictEqual(yield* cmd((r) => r.lrange(k.queue("high"), 0, -1)), [J])
        assert.strictEqual(yield* cmd((r) => r.llen(k.queue("low"))), 0)
        assert.strictEqual(yield* cmd((r) => r.zcard(k.scheduled)), 0)
        assert.deepStrictEqual(yield* cmd((r) => r.hgetall(k.result(J))), stale) // untouched by the resend and the duplicates
        // Route-Go's form when a routing key is given: appended last.
        yield* q.enqueue(newJob({ id: "R", routingKey: "default" }))
        assert.strictEqual(
          yield* cmd((r) => r.get(k.job("R"))),
          vector1.replace(J, "R").replace(`"max_retries":3}`, `"max_retries":3,"routing_key":"default"}`)
        )
        assert.deepStrictEqual(yield* cmd((r) => r.lrange(k.queue("high"), 0, -1)), ["R", J])
        // A real routing key goes to route:{rk}:queue:{p}.
        yield* q.enqueue(newJob({ id: "EU", routingKey: "eu" }))
        assert.deepStrictEqual(yield* cmd((r) => r.lrange(`${k.prefix}route:eu:queue:high`, 0, -1)), ["EU"])
      }).pipe(Effect.provide(client())))

    it.effect("schedule: status scheduled + scheduled_for, and ZADD in unix seconds (fractional kept, never ms)", () =>
      Effect.gen(function*() {
        const q = yield* JobQueue
        const k = yield* keys
        const due = ts("2025-01-15T11:00:00.5Z")
        yield* q.schedule({ ...newJob({ id: "S" }), status: "scheduled", scheduledFor: due })
        assert.strictEqual(yield* cmd((r) => r.zscore(k.scheduled, "S")), "1736938800.5")
        assert.include(yield* cmd((r) => r.get(k.job("S"))), `"status":"scheduled"`)
        assert.include(yield* cmd((r) => r.get(k.job("S"))), `"updated_at":"2025-01-15T15:30:00.123456789+05:00","scheduled_for":"2025-01-15T11:00:00.5Z","attempts":0`)
        assert.strictEqual(yield* cmd((r) => r.llen(k.queue("high"))), 0)
      }).pipe(Effect.provide(client())))

    it.effect("vectors 3, 5, 7: fail -> promote -> complete rewrite the job exactly as Go (fixed now)", () =>
      Effect.gen(function*() {
        const q = yield* JobQueue
        const k = yield* keys
        yield* q.enqueue(newJob())
        const job = yield* takeJob()

        // Vector 3 (our updated_at and scheduled_for come from one `now`).
        const failedAt = ts("2025-01-15T10:30:05.250012Z")
        const outcome = yield* q.fail(job, "smtp: timeout", { durationMs: 5126, now: failedAt })
        assert.strictEqual(outcome._tag, "Retrying")
        const v3 = vector1.replace(
          `"updated_at":"2025-01-15T15:30:00.123456789+05:00","attempts":0,"max_retries":3}`,
          `"updated_at":"2025-01-15T10:30:05.250012Z","scheduled_for":"2025-01-15T10:30:07.250012Z","attempts":1,"max_retries":3,"error":"smtp: timeout"}`
        )
        assert.strictEqual(yield* cmd((r) => r.get(k.job(J))), v3)
        assert.strictEqual(yield* cmd((r) => r.zscore(k.scheduled, J)), "1736937007") // floor(unix s)
        assert.strictEqual(yield* cmd((r) => r.llen(k.processing)), 0)
        assert.strictEqual(yield* cmd((r) => r.ttl(k.job(J))), -1)
        // A retried attempt writes no result and publishes nothing.
        assert.strictEqual(yield* cmd((r) => r.exists(k.result(J))), 0)

        // Vector 5.
        assert.deepStrictEqual(yield* q.promoteDue(Timestamp.fromMillis(1736937007_000)), { promoted: 1, skipped: [] })
        const v5 = v3.replace(`"scheduled_for":"2025-01-15T10:30:07.250012Z",`, "")
        assert.strictEqual(yield* cmd((r) => r.get(k.job(J))), v5)
        assert.deepStrictEqual(yield* cmd((r) => r.lrange(k.queue("high"), 0, -1)), [J])

        // Vector 7.
        const again = yield* takeJob()
        yield* q.complete(again, { durationMs: 12, now: ts("2025-01-15T10:30:09Z") })
        assert.strictEqual(
          yield* cmd((r) => r.get(k.job(J))),
          v5.replace(`"status":"pending"`, `"status":"completed"`).replace(`"updated_at":"2025-01-15T10:30:05.250012Z"`, `"updated_at":"2025-01-15T10:30:09Z"`)
        )
        assert.strictEqual(yield* cmd((r) => r.ttl(k.job(J))), 86400)
        assert.deepStrictEqual(yield* cmd((r) => r.hgetall(k.result(J))), {
          status: "completed",
          completed_at: "2025-01-15T10:30:09Z",
          duration_ms: "12"
        })
        assert.strictEqual(yield* cmd((r) => r.ttl(k.result(J))), 3600)
      }).pipe(Effect.provide(client())))

    it.effect("vector 6: the last failure: failed, no scheduled_for, EX 604800, LPUSH dead, failed result (86400) with error", () =>
      Effect.gen(function*() {
        const q = yield* JobQueue
        const k = yield* keys
        yield* q.enqueue({ ...newJob(), attempts: 2 })
        const job = yield* takeJob()
        const outcome = yield* q.fail(job, "smtp: timeout", { durationMs: 40, now: ts("2025-01-15T10:30:30+01:00") })
        assert.strictEqual(outcome._tag, "Dead")
        assert.strictEqual(
          yield* cmd((r) => r.get(k.job(J))),
          vector1.replace(`"status":"pending"`, `"status":"failed"`).replace(
            `"updated_at":"2025-01-15T15:30:00.123456789+05:00","attempts":0,"max_retries":3}`,
            `"updated_at":"2025-01-15T10:30:30+01:00","attempts":3,"max_retries":3,"error":"smtp: timeout"}`
          )
        )
        assert.strictEqual(yield* cmd((r) => r.ttl(k.job(J))), 604800)
        assert.deepStrictEqual(yield* cmd((r) => r.lrange(k.dead, 0, -1)), [J])
        assert.deepStrictEqual(yield* cmd((r) => r.hgetall(k.result(J))), {
          status: "failed",
          completed_at: "2025-01-15T10:30:30+01:00",
          duration_ms: "40",
          error: "smtp: timeout"
        })
        assert.strictEqual(yield* cmd((r) => r.ttl(k.result(J))), 86400)
      }).pipe(Effect.provide(client())))

    it.effect("ResultBackend.store: Go's hash fields (result raw, RFC 3339 seconds, integer ms), TTLs 3600/86400, PUBLISH ready", () =>
      Effect.gen(function*() {
        const rb = yield* ResultBackend
        const k = yield* keys
        const sub = yield* listenRaw(k.notify("ok"), k.notify("ko"))
        const ok: JobResult = {
          jobId: "ok",
          status: "completed",
          result: `{"n":12345678901234567890}` as RawJson,
          completedAt: ts("2025-01-15T10:30:09.987654321+05:30"),
          durationMs: 12.9
        }
        yield* rb.store(ok)
        yield* rb.store({ jobId: "ko", status: "failed", error: "bad", completedAt: ts("2025-01-15T10:30:09Z"), durationMs: 3 })
        assert.deepStrictEqual(yield* cmd((r) => r.hgetall(k.result("ok"))), {
          status: "completed",
          completed_at: "2025-01-15T10:30:09+05:30",
          duration_ms: "12",
          result: `{"n":12345678901234567890}`
        })
        assert.strictEqual(yield* cmd((r) => r.ttl(k.result("ok"))), 3600)
        assert.deepStrictEqual(yield* cmd((r) => r.hgetall(k.result("ko"))), {
          status: "failed",
          completed_at: "2025-01-15T10:30:09Z",
          duration_ms: "3",
          error: "bad"
        })
        assert.strictEqual(yield* cmd((r) => r.ttl(k.result("ko"))), 86400)
        assert.deepStrictEqual(yield* sub.stop(2), [[k.notify("ok"), "ready"], [k.notify("ko"), "ready"]])
        const read = Option.getOrThrow(yield* rb.get("ok"))
        assert.strictEqual(read.result, ok.result)
        assert.strictEqual(read.durationMs, 12)
        assert.isTrue(yield* rb.delete("ok"))
        assert.isFalse(yield* rb.delete("ok"))
        assert.isTrue(Option.isNone(yield* rb.get("ok")))
      }).pipe(Effect.provide(client())))

    it.effect("result TTLs are whole seconds, rounded up, never 0", () =>
      Effect.gen(function*() {
        const rb = yield* ResultBackend
        const k = yield* keys
        yield* rb.store({ jobId: "a", status: "completed", completedAt: ts("2025-01-15T10:30:09Z"), durationMs: 1 })
        yield* rb.store({ jobId: "b", status: "failed", error: "e", completedAt: ts("2025-01-15T10:30:09Z"), durationMs: 1 })
        const ttlA = yield* cmd((r) => r.pttl(k.result("a")))
        const ttlB = yield* cmd((r) => r.pttl(k.result("b")))
        assert.isTrue(ttlA > 0 && ttlA <= 1000, `success TTL ${ttlA} ms`)
        assert.isTrue(ttlB > 1000 && ttlB <= 2000, `failure TTL ${ttlB} ms`)
      }).pipe(Effect.provide(client({ successTtl: Duration.millis(200), failureTtl: Duration.millis(1500) }))))

    it.effect("the wire audit finds Go's wire shape in every key a busy client wrote; the only other keys are ours (leases, lease:tokens, worker:{owner})", () =>
      Effect.gen(function*() {
        const q = yield* JobQueue
        const admin = yield* QueueAdmin
        const rb = yield* ResultBackend
        const k = yield* keys
        const now = ts("2025-01-15T15:30:00.5+05:00")
        const jobs = Array.from({ length: 60 }, (_, i) =>
          Job.make({
            id: `job-${i}`,
            name: i % 2 === 0 ? "even" : "odd",
            description: i % 3 === 0 ? "with <html> & more" : undefined,
            payload: `{"i":${i},"big":12345678901234567890}` as RawJson,
            priority: (["high", "normal", "low"] as const)[i % 3]!,
            now,
            maxRetries: i % 4,
            routingKey: i % 5 === 0 ? "" : undefined
          }))
        yield* q.enqueueBatch(jobs)
        yield* q.schedule({ ...newJob({ id: "sched", now }), status: "scheduled", scheduledFor: Timestamp.addSeconds(now, 3600) })
        // A worker's way: leased takes (half of them), then the outcome; two leased jobs are still running at the audit.
        const lease = { owner: "audit-worker", duration: Duration.seconds(60) }
        for (let i = 0; i < 30; i++) {
          const job = yield* takeJob(["high", "normal", "low"], i % 2 === 0 ? { lease } : undefined)
          const at = Timestamp.addSeconds(now, i)
          if (i % 3 === 0) yield* q.complete(job, { result: `{"ok":${i}}` as RawJson, durationMs: i, now: at })
          else yield* q.fail(job, `err ${i}`, { durationMs: i, now: at })
        }
        const running = [yield* takeJob(["high", "normal", "low"], { lease }), yield* takeJob(["high", "normal", "low"], { lease })]
        const cancelled = yield* admin.cancel("job-59", now)
        assert.strictEqual(cancelled.status, "failed")
        assert.strictEqual(cancelled.error, "cancelled")
        yield* rb.store({ jobId: "standalone", status: "completed", completedAt: now, durationMs: 5 })
        const report = yield* audit(k.prefix)
        assert.deepStrictEqual(report.problems, [])
        assert.strictEqual(report.jobs, 61)
        assert.strictEqual(report.deadLetterRecords, 0)
        assert.isAtLeast(report.results, 11) // 10 completions and the standalone result, plus the final failures
        // The key layout: Go's keys (job:*, result:*, the queue lists and the scheduled set), plus ours only.
        const goKeys = /^(job:.*|result:.*|queue:(high|normal|low|processing|dead|scheduled))$/
        const ours = (yield* keysUnder(k.prefix)).map((key) => key.slice(k.prefix.length)).filter((key) => !goKeys.test(key))
        assert.deepStrictEqual(ours, ["lease:tokens", "leases", "worker:audit-worker"])
        assert.strictEqual(yield* cmd((r) => r.type(k.leases)), "zset")
        assert.deepStrictEqual(
          yield* cmd((r) => r.hgetall(k.tokens)),
          Object.fromEntries(running.map((d) => [d.job.id, d.token!]))
        )
        assert.deepStrictEqual(
          (yield* cmd((r) => r.smembers(k.held("audit-worker")))).sort(),
          running.map((d) => d.job.id).sort()
        )
        assert.deepStrictEqual((yield* cmd((r) => r.zrange(k.leases, 0, -1))).sort(), running.map((d) => d.job.id).sort())
      }).pipe(Effect.provide(client({ prefix: uniquePrefix("audit") }))))
  })
})
