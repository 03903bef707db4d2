/**
 * Result waits on Redis: subscribe-then-check with no lost wake-up, Go's
 * non-final failed results, any payload as a wake-up, timeouts and
 * interruption releasing the subscription, reconnects.
 *
 * The slow fallback re-check is set to a minute here, so a wait that ends
 * did so because of a check or a notification, not the safety net.
 */
import { assert, describe, it, layer } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Queue from "effect/Queue"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Job from "../../src/domain/Job.ts"
import type { RawJson } from "../../src/domain/RawJson.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import type { StorageError } from "../../src/domain/Errors.ts"
import * as BananasRedis from "../../src/layers/redis/BananasRedis.ts"
import { RedisPort, toFailure } from "../../src/layers/redis/RedisPort.ts"
import * as ResultReads from "../../src/layers/redis/ResultReads.ts"
import { resultTag } from "../../src/protocol/Transitions.ts"
import * as Wire from "../../src/protocol/Wire.ts"
import { JobQueue } from "../../src/services/JobQueue.ts"
import { ResultBackend } from "../../src/services/ResultBackend.ts"
import { RedisServer, startRedisServer, uniquePrefix } from "../support/RedisServer.ts"
import { client, type Client, cmd, connectionsNamed, eventually, keys, numsub, silentClient, takeJob, ts } from "./support.ts"

const noFallback = { waitPollInterval: Duration.minutes(1) }
const at = ts("2025-01-15T10:30:09Z")

/** The hash a worker writes, without the PUBLISH. */
const hsetOnly = (key: string, fields: Record<string, string>) => cmd((r) => r.hset(key, fields))

/** A client whose waits log each check as `id:outcome` on `checks`, for `body`. */
const withChecks = <A, E>(body: (checks: Queue.Queue<string>) => Effect.Effect<A, E, ResultBackend | RedisServer | Client>) =>
  Effect.gen(function*() {
    const checks = yield* Queue.unbounded<string>()
    const hooks = { afterCheck: (id: string, outcome: string) => Queue.offer(checks, `${id}:${outcome}`).pipe(Effect.asVoid) }
    return yield* body(checks).pipe(Effect.provide(client({ ...noFallback, testHooks: hooks })))
  })

const pendingJobJson = (id: string, extra = "") =>
  `{"id":"${id}","name":"n","payload":null,"status":"pending","priority":"normal","created_at":"2025-01-15T10:30:00Z","updated_at":"2025-01-15T10:30:00Z"${extra},"attempts":1,"max_retries":3}`

describe("ResultBackend.wait on Redis", () => {
  layer(RedisServer.layer, { excludeTestServices: true })((it) => {
    it.effect("a result stored before the wait starts is returned at once", () =>
      Effect.gen(function*() {
        const rb = yield* ResultBackend
        yield* rb.store({ jobId: "done", status: "completed", result: "[1]" as RawJson, completedAt: at, durationMs: 4 })
        const result = yield* rb.wait("done", Duration.seconds(5))
        assert.strictEqual(result.result, "[1]")
      }).pipe(Effect.provide(client(noFallback))))

    it.effect("a result stored between the SUBSCRIBE confirmation and the first check (no PUBLISH at all) is found by the check", () =>
      Effect.gen(function*() {
        const prefix = uniquePrefix("between")
        const server = yield* RedisServer
        const hooks = {
          afterSubscribe: (id: string) =>
            Effect.gen(function*() {
              // Subscribed already: the server counts us on the channel.
              assert.strictEqual(yield* numsub(`${prefix}result:notify:${id}`), 1)
              yield* hsetOnly(`${prefix}result:${id}`, { status: "completed", completed_at: "2025-01-15T10:30:09Z", duration_ms: "9" })
            }).pipe(Effect.provideService(RedisServer, server))
        }
        const result = yield* Effect.flatMap(ResultBackend, (rb) => rb.wait("between", Duration.seconds(5))).pipe(
          Effect.provide(client({ ...noFallback, prefix, testHooks: hooks }))
        )
        assert.strictEqual(result.status, "completed")
        assert.strictEqual(result.durationMs, 9)
      }))

    it.effect("a result stored right after the first check is delivered by its notification; any payload wakes", () =>
      withChecks((checks) =>
        Effect.gen(function*() {
          const rb = yield* ResultBackend
          const k = yield* keys
          for (const [id, payload] of [["r1", "ready"], ["r2", "completed"], ["r3", ""]] as const) {
            const fiber = yield* Effect.forkChild(rb.wait(id, Duration.seconds(5)))
            assert.strictEqual(yield* Queue.take(checks), `${id}:none`)
            yield* hsetOnly(k.result(id), { status: "completed", completed_at: "2025-01-15T10:30:09Z", duration_ms: "1" })
            // Without a message the waiter sleeps (fallback: 1 minute)...
            yield* Effect.sleep("50 millis")
            assert.isUndefined(fiber.pollUnsafe())
            // ...and any payload wakes it (Go: "ready"; other SDKs: the status).
            yield* cmd((r) => r.publish(k.notify(id), payload))
            assert.strictEqual((yield* Fiber.join(fiber)).status, "completed")
            assert.strictEqual(yield* Queue.take(checks), `${id}:final`)
          }
        })))

    it.effect("Go's failed result for an attempt that will be retried does not end the wait; the later completion does", () =>
      Effect.gen(function*() {
        const rb = yield* ResultBackend
        const k = yield* keys
        const id = "retried"
        yield* cmd((r) => r.set(k.job(id), pendingJobJson(id, `,"scheduled_for":"2025-01-15T10:30:11Z"`)))
        const fiber = yield* Effect.forkChild(rb.wait(id, Duration.seconds(5)))
        yield* eventually("subscribed", Effect.map(numsub(k.notify(id)), (n) => n === 1))
        // Go: result stored (failed) and published, job back to pending with scheduled_for.
        yield* rb.store({ jobId: id, status: "failed", error: "smtp: timeout", completedAt: at, durationMs: 5 })
        yield* Effect.sleep("300 millis")
        assert.isUndefined(fiber.pollUnsafe())
        yield* rb.store({ jobId: id, status: "completed", result: `{"ok":true}` as RawJson, completedAt: at, durationMs: 6 })
        const result = yield* Fiber.join(fiber)
        assert.strictEqual(result.status, "completed")
        assert.strictEqual(result.result, `{"ok":true}`)
        assert.strictEqual(result.error, "smtp: timeout") // merged, as Go's HSET
      }).pipe(Effect.provide(client(noFallback))))

    it.effect("Go publishes before it rewrites the job: a failed result on a still-pending job becomes final once the job says failed (no second message)", () =>
      Effect.gen(function*() {
        const rb = yield* ResultBackend
        const k = yield* keys
        const id = "last-attempt"
        yield* cmd((r) => r.set(k.job(id), pendingJobJson(id)))
        const fiber = yield* Effect.forkChild(rb.wait(id, Duration.seconds(5)))
        yield* eventually("subscribed", Effect.map(numsub(k.notify(id)), (n) => n === 1))
        yield* rb.store({ jobId: id, status: "failed", error: "boom", completedAt: at, durationMs: 5 })
        yield* Effect.sleep("100 millis")
        assert.isUndefined(fiber.pollUnsafe())
        yield* cmd((r) => r.set(k.job(id), pendingJobJson(id).replace(`"status":"pending"`, `"status":"failed"`), "EX", 604800))
        const result = yield* Fiber.join(fiber)
        assert.strictEqual(result.status, "failed")
        assert.strictEqual(result.error, "boom")
      }).pipe(Effect.provide(client(noFallback))))

    it.effect("a failed result whose job is gone (expired) or dead is final", () =>
      Effect.gen(function*() {
        const rb = yield* ResultBackend
        yield* rb.store({ jobId: "gone", status: "failed", error: "x", completedAt: at, durationMs: 1 })
        assert.strictEqual((yield* rb.wait("gone", Duration.seconds(2))).status, "failed")
        // Through the queue: the last attempt dead-letters and publishes.
        const q = yield* JobQueue
        const job = Job.make({ id: "dies", name: "n", payload: "null" as RawJson, priority: "low", now: at, maxRetries: 1 })
        yield* q.enqueue(job)
        const fiber = yield* Effect.forkChild(rb.wait("dies", Duration.seconds(5)))
        const taken = yield* takeJob(["low"])
        assert.strictEqual(taken.job.id, "dies")
        yield* q.fail(taken, "final", { durationMs: 1, now: Timestamp.addSeconds(at, 1) })
        const result = yield* Fiber.join(fiber)
        assert.strictEqual(result.error, "final")
        // Dead-lettered for missing data at dequeue: a failed result (Go's text) is written and published,
        // so the wait ends at once (the fallback re-check is a minute away) instead of timing out.
        const k = yield* keys
        yield* cmd((r) => r.lpush(k.queue("low"), "ghost"))
        const ghostWait = yield* Effect.forkChild(rb.wait("ghost", Duration.seconds(5)))
        yield* eventually("subscribed", Effect.map(numsub(k.notify("ghost")), (n) => n === 1))
        const dead = yield* q.dequeue({ priorities: ["low"], block: Duration.zero })
        assert.deepStrictEqual(dead, Option.some({ _tag: "DeadLettered" as const, id: "ghost", reason: Wire.errorText.missingData }))
        const ghost = yield* Fiber.join(ghostWait)
        assert.strictEqual(ghost.status, "failed")
        assert.strictEqual(ghost.error, Wire.errorText.missingData)
        assert.strictEqual(ghost.durationMs, 0)
      }).pipe(Effect.provide(client(noFallback))))

    it.effect("reads asked for in one turn go out as one call; a wrong-typed result key fails its own read, no other", () =>
      Effect.gen(function*() {
        const port = yield* RedisPort
        const k = yield* keys
        yield* hsetOnly(k.result("read-good"), { status: "completed", completed_at: "2025-01-15T10:30:09Z", duration_ms: "1" })
        yield* cmd((r) => r.set(k.result("read-bad"), "not a hash"))
        let calls = 0
        const counted = { ...port, evalScript: <A>(call: Parameters<typeof port.evalScript<A>>[0]) => (calls++, port.evalScript(call)) }
        const read = ResultReads.make(counted)
        const [good, bad, none] = yield* Effect.promise(() =>
          Promise.allSettled([
            read(k.result("read-good"), k.job("read-good")),
            read(k.result("read-bad"), k.job("read-bad")),
            read(k.result("read-none"), k.job("read-none"))
          ]))
        assert.strictEqual(calls, 1, "one script call for the three reads")
        assert.deepStrictEqual(good, { status: "fulfilled", value: { fields: { status: "completed", completed_at: "2025-01-15T10:30:09Z", duration_ms: "1" }, job: undefined } })
        assert.deepStrictEqual(none, { status: "fulfilled", value: { fields: {}, job: undefined } })
        assert.strictEqual(bad!.status, "rejected")
        const failure = toFailure("waitForResult", port.target, (bad as PromiseRejectedResult).reason)
        assert.strictEqual(failure._tag, "StorageError")
        assert.strictEqual((failure as StorageError).reason, "WrongType")
        // Through a wait: the same refusal ends that wait with the StorageError.
        const rb = yield* ResultBackend
        const error = yield* Effect.flip(rb.wait("read-bad", Duration.seconds(5)))
        assert.strictEqual(error._tag, "StorageError")
      }).pipe(Effect.provide(client(noFallback))))

    it.effect("RPC start: runs with the SUBSCRIBE, not after its confirmation; the first check follows both, even for a job created now", () =>
      withChecks((checks) =>
        Effect.gen(function*() {
          const rb = yield* ResultBackend
          const k = yield* keys
          const server = yield* RedisServer
          const id = "rpc-fresh"
          let ran = false
          // The outcome lands before the wait can have heard of it (no PUBLISH): only the check finds it.
          const run = Effect.andThen(
            hsetOnly(k.result(id), { status: "completed", completed_at: "2025-01-15T10:30:09Z", duration_ms: "1" }),
            Effect.sync(() => {
              ran = true
              return true
            })
          ).pipe(Effect.provideService(RedisServer, server))
          const fiber = yield* Effect.forkChild(rb.wait(id, Duration.seconds(5), { run }))
          const result = yield* Fiber.join(fiber)
          assert.isTrue(ran)
          assert.strictEqual(result.status, "completed")
          assert.strictEqual(yield* Queue.take(checks), `${id}:final`)
          yield* eventually("unsubscribed", Effect.map(numsub(k.notify(id)), (n) => n === 0))
        })))

    it.effect("RPC start: the submission does not wait for the confirmation (a silent pub/sub connection)", () =>
      Effect.gen(function*() {
        let ran = false
        const outcome = yield* Effect.flip(ResultBackend.use((rb) =>
          rb.wait("rpc-silent", Duration.millis(200), { run: Effect.sync(() => { ran = true; return true }) })
        )).pipe(Effect.provide(silentClient({ prefix: uniquePrefix("rpc-silent"), ...noFallback })))
        assert.isTrue(ran, "submitted although Redis never confirmed the SUBSCRIBE")
        assert.strictEqual(outcome._tag, "TimeoutError")
      }))

    it.effect("our writers announce the hash itself: the wait ends on it with no read, holding what a read holds (merged fields too)", () =>
      withChecks((checks) =>
        Effect.gen(function*() {
          const rb = yield* ResultBackend
          const k = yield* keys
          const id = "announced"
          const fiber = yield* Effect.forkChild(rb.wait(id, Duration.seconds(5), { run: Effect.succeed(true) }))
          assert.strictEqual(yield* Queue.take(checks), `${id}:none`)
          // An earlier attempt's error stays in the hash (HSET merges, as Go's).
          yield* hsetOnly(k.result(id), { error: "earlier attempt" })
          yield* rb.store({ jobId: id, status: "completed", completedAt: at, durationMs: 4, result: `{"n":1}` as RawJson })
          const result = yield* Fiber.join(fiber)
          assert.deepStrictEqual(Option.some(result), yield* rb.get(id))
          assert.strictEqual(result.error, "earlier attempt")
          yield* Effect.sleep("30 millis")
          assert.strictEqual(yield* Queue.size(checks), 0, "no read after the announcement")
        })))

    it.effect("a crowd of waits listens for notifications only (their reads are batched): the first eight also listen for the data", () =>
      Effect.gen(function*() {
        const rb = yield* ResultBackend
        const k = yield* keys
        const ids = Array.from({ length: 10 }, (_, i) => `crowd-${i}`)
        const fibers = yield* Effect.forEach(ids, (id) => Effect.forkChild(rb.wait(id, Duration.seconds(30))))
        yield* eventually("subscribed", Effect.map(numsub(k.notify(ids[9]!)), (n) => n === 1))
        const data = yield* Effect.forEach(ids, (id) => numsub(k.resultData(id)))
        assert.deepStrictEqual(data, [1, 1, 1, 1, 1, 1, 1, 1, 0, 0])
        // Each still ends on its notification.
        for (const id of ids) yield* rb.store({ jobId: id, status: "completed", completedAt: at, durationMs: 1 })
        for (const fiber of fibers) assert.strictEqual((yield* Fiber.join(fiber)).status, "completed")
      }).pipe(Effect.provide(client(noFallback))))

    it.effect("a data message is trusted only when it can be this job's final result; otherwise it is a wake-up that checks", () =>
      withChecks((checks) =>
        Effect.gen(function*() {
          const rb = yield* ResultBackend
          const k = yield* keys
          const id = "tagged"
          const job = Job.make({ id, name: "n", payload: "null" as RawJson, priority: "normal", now: at, maxRetries: 1 })
          const tag = resultTag(job)
          const fiber = yield* Effect.forkChild(rb.wait(id, Duration.seconds(5), { run: Effect.succeed(true), job }))
          assert.strictEqual(yield* Queue.take(checks), `${id}:none`)
          assert.strictEqual(yield* numsub(k.resultData(id)), 1)
          const data = (tagged: string, fields: ReadonlyArray<string>) => cmd((r) => r.publish(k.resultData(id), `${tagged}\n${JSON.stringify(fields)}`))
          const completed = ["status", "completed", "completed_at", "2025-01-15T10:30:09Z", "duration_ms", "6"]
          // An earlier job's with the same id (another tag), a failed result of no known job, and no hash at all: each only checks.
          yield* data("1.0", completed)
          assert.strictEqual(yield* Queue.take(checks), `${id}:none`)
          yield* data("", ["status", "failed", "completed_at", "2025-01-15T10:30:09Z", "duration_ms", "0", "error", "x"])
          assert.strictEqual(yield* Queue.take(checks), `${id}:none`)
          yield* cmd((r) => r.publish(k.resultData(id), "not a data message"))
          assert.strictEqual(yield* Queue.take(checks), `${id}:none`)
          assert.isUndefined(fiber.pollUnsafe())
          // This job's: the result itself (nothing is stored: no read could have found it).
          yield* data(tag, completed)
          const result = yield* Fiber.join(fiber)
          assert.strictEqual(result.durationMs, 6)
          assert.strictEqual(yield* Queue.size(checks), 0)
          yield* eventually("unsubscribed", Effect.map(numsub(k.resultData(id)), (n) => n === 0))
        })))

    it.effect("RPC start: a failed start, and an interrupted wait after the start, both unsubscribe", () =>
      Effect.gen(function*() {
        const rb = yield* ResultBackend
        const k = yield* keys
        const error = yield* Effect.flip(rb.wait("rpc-fail", Duration.seconds(5), { run: Effect.fail("no" as const) }))
        assert.strictEqual(error, "no")
        yield* eventually("unsubscribed after the failed start", Effect.map(numsub(k.notify("rpc-fail")), (n) => n === 0))
        let started = false
        const fiber = yield* Effect.forkChild(rb.wait("rpc-int", Duration.seconds(30), {
          run: Effect.sync(() => {
            started = true
            return true
          })
        }))
        yield* eventually("started", Effect.sync(() => started))
        assert.strictEqual(yield* numsub(k.notify("rpc-int")), 1)
        yield* Fiber.interrupt(fiber)
        yield* eventually("unsubscribed after the interruption", Effect.map(numsub(k.notify("rpc-int")), (n) => n === 0))
      }).pipe(Effect.provide(client(noFallback))))

    it.effect("timeout: TimeoutError with the job id, and the channel is unsubscribed", () =>
      Effect.gen(function*() {
        const rb = yield* ResultBackend
        const k = yield* keys
        const error = yield* Effect.flip(rb.wait("never", Duration.millis(150)))
        assert.strictEqual(error._tag, "TimeoutError")
        assert.strictEqual(error._tag === "TimeoutError" ? error.jobId : undefined, "never")
        yield* eventually("unsubscribed", Effect.map(numsub(k.notify("never")), (n) => n === 0))
      }).pipe(Effect.provide(client(noFallback))))

    it.effect("timeout: bounds the wait even while Redis never confirms the subscription (a silent pub/sub connection)", () =>
      Effect.gen(function*() {
        const backend = silentClient({ prefix: uniquePrefix("silent"), ...noFallback })
        const outcome = yield* Effect.flip(ResultBackend.use((rb) => rb.wait("unconfirmed", Duration.millis(100)))).pipe(
          Effect.provide(backend),
          // Far beyond the wait's own timeout: only a wait that ignores its timeout gets here.
          Effect.timeoutOrElse({ duration: Duration.seconds(5), orElse: () => Effect.succeed({ _tag: "Hung" as const }) })
        )
        assert.strictEqual(outcome._tag, "TimeoutError")
      }))

    it.effect("an infinite fallback interval means no fallback re-checks (not a timer that fires every millisecond)", () =>
      Effect.gen(function*() {
        let checks = 0
        const counted = client({
          waitPollInterval: Duration.infinity,
          testHooks: { afterCheck: () => Effect.sync(() => void checks++) }
        })
        const error = yield* Effect.flip(ResultBackend.use((rb) => rb.wait("quiet", Duration.millis(300)))).pipe(Effect.provide(counted))
        assert.strictEqual(error._tag, "TimeoutError")
        assert.strictEqual(checks, 2) // the first check and the last one at the deadline
      }))

    it.effect("at the deadline one last check decides, as Go's: a result whose notification was lost is still returned", () =>
      Effect.gen(function*() {
        const rb = yield* ResultBackend
        const k = yield* keys
        const waiting = yield* Effect.forkChild(rb.wait("silent", Duration.millis(300)))
        yield* eventually("subscribed", Effect.map(numsub(k.notify("silent")), (n) => n === 1))
        // Stored after the first check, never published (and the fallback re-check is a minute away).
        yield* hsetOnly(k.result("silent"), { status: "completed", completed_at: "2025-01-15T10:30:09Z", duration_ms: "3" })
        const result = yield* Fiber.join(waiting)
        assert.strictEqual(result.status, "completed")
        assert.strictEqual(result.durationMs, 3)
        yield* eventually("unsubscribed", Effect.map(numsub(k.notify("silent")), (n) => n === 0))
      }).pipe(Effect.provide(client(noFallback))))

    it.effect("interruption unsubscribes; concurrent waits for one job share one subscription", () =>
      Effect.gen(function*() {
        const rb = yield* ResultBackend
        const k = yield* keys
        const fibers = yield* Effect.forEach([1, 2, 3], () => Effect.forkChild(rb.wait("shared", Duration.seconds(30))))
        yield* eventually("subscribed", Effect.map(numsub(k.notify("shared")), (n) => n === 1))
        yield* Fiber.interrupt(fibers[0]!)
        yield* Fiber.interrupt(fibers[1]!)
        yield* Effect.sleep("30 millis")
        assert.strictEqual(yield* numsub(k.notify("shared")), 1) // one waiter left
        yield* Fiber.interrupt(fibers[2]!)
        yield* eventually("unsubscribed", Effect.map(numsub(k.notify("shared")), (n) => n === 0))
      }).pipe(Effect.provide(client(noFallback))))

    it.effect("a reconnect of the subscriber connection loses no wake-up: listeners are re-subscribed and re-check", () =>
      Effect.gen(function*() {
        const rb = yield* ResultBackend
        const k = yield* keys
        const fiber = yield* Effect.forkChild(rb.wait("across", Duration.seconds(10)))
        yield* eventually("subscribed", Effect.map(numsub(k.notify("across")), (n) => n === 1))
        // Kill our subscriber connection, then store + publish while it is down: the message is lost.
        const subs = yield* connectionsNamed("reconnect-test:sub")
        assert.strictEqual(subs.length, 1)
        const addr = / addr=(\S+)/.exec(subs[0]!)![1]!
        yield* cmd((r) => r.client("KILL", addr))
        yield* rb.store({ jobId: "across", status: "completed", completedAt: at, durationMs: 1 })
        // The fallback is a minute away: only the reconnect wake-up can end this wait.
        assert.strictEqual((yield* Fiber.join(fiber)).status, "completed")
        yield* eventually("re-subscribed then released", Effect.map(numsub(k.notify("across")), (n) => n === 0))
      }).pipe(Effect.provide(client({
        ...noFallback,
        connectionName: "reconnect-test",
        // Reconnect only well after the store below, so its PUBLISH is surely lost.
        driverOptions: { retryStrategy: () => 300 }
      }))))
  })

  it.effect("Redis gone: a wait fails with a (retryable) ConnectionError rather than running into its timeout", () =>
    Effect.gen(function*() {
      const server = yield* Effect.promise(startRedisServer)
      const outcome = yield* Effect.gen(function*() {
        const rb = yield* ResultBackend
        yield* Effect.promise(server.stop)
        return yield* Effect.flip(rb.wait("lost", Duration.seconds(20)))
      }).pipe(Effect.provide(BananasRedis.layer({ url: server.url, driverOptions: { maxRetriesPerRequest: 1 } }).pipe(Layer.orDie)))
      assert.strictEqual(outcome._tag, "ConnectionError")
      assert.isTrue(outcome.isRetryable)
    }), 20_000)
})
