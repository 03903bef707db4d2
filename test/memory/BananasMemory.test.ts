/**
 * What only the memory layers promise beyond the contract suite: every
 * clock-driven behaviour (TTL expiry, leases, heartbeats, blocking dequeue,
 * wait timeouts) follows TestClock, waits clean up after themselves, and
 * each `layer` call is a fresh, private instance.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { TestClock } from "effect/testing"
import * as JobCodec from "../../src/domain/JobCodec.ts"
import * as JobPriority from "../../src/domain/JobPriority.ts"
import * as BananasMemory from "../../src/layers/memory/BananasMemory.ts"
import { MemoryStore } from "../../src/layers/memory/MemoryStore.ts"
import { JobQueue } from "../../src/services/JobQueue.ts"
import { QueueAdmin } from "../../src/services/QueueAdmin.ts"
import { ResultBackend } from "../../src/services/ResultBackend.ts"
import { makeJob, ts } from "../contract/Fixtures.ts"

const services = Effect.gen(function*() {
  const queue = yield* JobQueue
  return { queue, admin: yield* QueueAdmin, results: yield* ResultBackend, store: yield* MemoryStore, keys: queue.protocol.keys }
})

/** Lets forked fibers run until `n` listeners (subscriptions or dequeue watchers) are registered. */
const untilListening = (n: number) =>
  Effect.gen(function*() {
    const store = yield* MemoryStore
    for (let i = 0; i < 100 && (yield* store.listeners) !== n; i++) yield* Effect.yieldNow
    assert.strictEqual(yield* store.listeners, n, "listeners registered")
  })

const take = (lease?: { readonly owner: string; readonly duration: Duration.Duration }) =>
  Effect.flatMap(Effect.service(JobQueue), (q) => q.dequeue({ priorities: JobPriority.all, block: Duration.zero, lease })).pipe(
    Effect.map((d) => (Option.isSome(d) && d.value._tag === "Job" ? d.value : assert.fail("expected a job")))
  )

describe("BananasMemory under TestClock", () => {
  it.effect("result TTLs (defaults 1 h / 24 h) expire lazily against the Clock", () =>
    Effect.gen(function*() {
      const { queue, results, store, keys } = yield* services
      yield* queue.enqueueBatch([makeJob(), makeJob({ maxRetries: 1 })])
      const ok = yield* take()
      const bad = yield* take()
      yield* queue.complete(ok, { durationMs: 1, now: ts("2025-01-15T10:30:00Z") })
      yield* queue.fail(bad, "boom", { durationMs: 1, now: ts("2025-01-15T10:30:00Z") })
      assert.strictEqual(yield* store.pttl(keys.result(ok.job.id)), 3_600_000)
      assert.strictEqual(yield* store.pttl(keys.result(bad.job.id)), 86_400_000)

      yield* TestClock.adjust("1 hour") // Redis keeps a key until now > expiry
      assert.isTrue(Option.isSome(yield* results.get(ok.job.id)))
      yield* TestClock.adjust("1 millis")
      assert.isTrue(Option.isNone(yield* results.get(ok.job.id)), "success result expired")
      assert.isTrue(Option.isSome(yield* results.get(bad.job.id)))

      yield* TestClock.adjust("23 hours")
      assert.isTrue(Option.isNone(yield* results.get(bad.job.id)), "failure result expired")
      assert.isTrue(Option.isNone(yield* queue.get(ok.job.id)), "completed job data expired after 24 h")
      assert.isTrue(Option.isSome(yield* queue.get(bad.job.id)), "dead job data lives 7 d")
      yield* TestClock.adjust("6 days")
      assert.isTrue(Option.isNone(yield* queue.get(bad.job.id)))
      assert.deepStrictEqual(yield* store.lrange(keys.dead), [bad.job.id], "the dead list itself has no TTL")
    }).pipe(Effect.provide(BananasMemory.layerWithStore())))

  it.effect("TTL options and prefix are honoured", () =>
    Effect.gen(function*() {
      const { queue, results, store, keys } = yield* services
      assert.strictEqual(keys.prefix, "app:")
      assert.deepStrictEqual(queue.protocol.ttl, { completedJob: 30, deadJob: 40, resultSuccess: 10, resultFailure: 20 })
      yield* results.store({ jobId: "a", status: "completed", completedAt: ts("2025-01-15T10:30:00Z"), durationMs: 1 })
      yield* results.store({ jobId: "b", status: "failed", error: "x", completedAt: ts("2025-01-15T10:30:00Z"), durationMs: 1 })
      assert.deepStrictEqual(yield* store.scan(), ["app:result:a", "app:result:b"])
      assert.strictEqual(yield* store.pttl("app:result:a"), 10_000)
      assert.strictEqual(yield* store.pttl("app:result:b"), 20_000)
      yield* TestClock.adjust("15 seconds")
      assert.deepStrictEqual(yield* store.scan(), ["app:result:b"])

      yield* queue.enqueueBatch([makeJob({ id: "done" }), makeJob({ id: "dead", maxRetries: 1 })])
      yield* queue.complete(yield* take(), { durationMs: 1, now: ts("2025-01-15T10:30:00Z") })
      yield* queue.fail(yield* take(), "boom", { durationMs: 1, now: ts("2025-01-15T10:30:00Z") })
      assert.strictEqual(yield* store.pttl("app:job:done"), 30_000, "completedJobTtl")
      assert.strictEqual(yield* store.pttl("app:job:dead"), 40_000, "deadJobTtl")
    }).pipe(Effect.provide(BananasMemory.layerWithStore({
      prefix: "app:",
      successTtl: "10 seconds",
      failureTtl: Duration.seconds(20),
      completedJobTtl: "30 seconds",
      deadJobTtl: "40 seconds"
    }))))

  it.effect("a plain SET (retry, promotion, requeue) clears the TTL, as on Redis", () =>
    Effect.gen(function*() {
      const { queue, admin, store, keys } = yield* services
      const job = makeJob({ maxRetries: 1 })
      yield* queue.enqueue(job)
      yield* queue.fail(yield* take(), "boom", { durationMs: 1, now: ts("2025-01-15T10:30:00Z") })
      assert.strictEqual(yield* store.pttl(keys.job(job.id)), 604_800_000)
      assert.strictEqual((yield* admin.requeueDead(job.id, ts("2025-01-15T10:31:00Z"))).status, "pending")
      assert.strictEqual(yield* store.pttl(keys.job(job.id)), -1)
      yield* TestClock.adjust("30 days")
      assert.isTrue(Option.isSome(yield* queue.get(job.id)))
    }).pipe(Effect.provide(BananasMemory.layerWithStore())))

  it.effect("leases and heartbeats expire against the Clock; renewals push both", () =>
    Effect.gen(function*() {
      const { queue, store, keys } = yield* services
      const job = makeJob()
      yield* queue.enqueue(job)
      const delivery = yield* take({ owner: "w1", duration: Duration.seconds(30) })
      assert.deepStrictEqual(yield* store.zscore(keys.leases, job.id), Option.some(30_000))
      assert.strictEqual(yield* store.pttl(keys.held("w1")), 30_000, "the heartbeat is the lease duration")
      yield* TestClock.adjust("29 seconds")
      assert.deepStrictEqual(yield* queue.reapExpired(), [])
      assert.deepStrictEqual(yield* queue.renewLeases("w1", [delivery], Duration.seconds(30)), [])
      assert.strictEqual(yield* store.pttl(keys.held("w1")), 30_000, "heartbeat renewed")
      yield* TestClock.adjust("29 seconds")
      assert.deepStrictEqual(yield* queue.reapExpired(), [], "renewed at 29 s, so live until 59 s")
      yield* TestClock.adjust("2 seconds")
      assert.strictEqual(yield* store.pttl(keys.held("w1")), -2, "the heartbeat lapsed with the lease")
      assert.deepStrictEqual(yield* queue.reapExpired(), [job.id])
      const reaped = Option.getOrThrow(yield* queue.get(job.id))
      assert.strictEqual(reaped.attempts, 1)
      assert.strictEqual(reaped.error, "lease expired: worker lost")
      assert.strictEqual(JobCodec.encode(reaped), Option.getOrThrow(yield* store.get(keys.job(job.id))))
      assert.deepStrictEqual(yield* store.lrange(keys.queue("normal")), [job.id])
      assert.deepStrictEqual(yield* queue.renewLeases("w1", [delivery], Duration.seconds(30)), [job.id], "reported lost")
      assert.isTrue(Option.isNone(yield* store.zscore(keys.leases, job.id)), "a reaped lease is not revived")
    }).pipe(Effect.provide(BananasMemory.layerWithStore())))

  it.effect("a worker that heartbeats keeps an expired lease until its heartbeat lapses", () =>
    Effect.gen(function*() {
      const { queue, store, keys } = yield* services
      const job = makeJob()
      yield* queue.enqueue(job)
      yield* take({ owner: "w", duration: Duration.seconds(10) })
      for (let i = 0; i < 6; i++) {
        yield* TestClock.adjust("5 seconds")
        yield* queue.renewLeases("w", [], Duration.seconds(10)) // heartbeat only
        assert.deepStrictEqual(yield* queue.reapExpired(), [], `heartbeat ${i}: owner alive`)
      }
      yield* TestClock.adjust("10 seconds")
      assert.deepStrictEqual(yield* queue.reapExpired(), [], "a key lives until now > its expiry, as on Redis")
      yield* TestClock.adjust("1 millis")
      assert.deepStrictEqual(yield* queue.reapExpired(), [job.id], "heartbeat lapsed")
      assert.deepStrictEqual(yield* store.lrange(keys.processing), [])
    }).pipe(Effect.provide(BananasMemory.layerWithStore())))

  it.effect("maxAge: an entry without a lease is recovered only once held maxAge after it was first seen", () =>
    Effect.gen(function*() {
      const { queue, store, keys } = yield* services
      const job = makeJob()
      yield* queue.enqueue(job)
      yield* take()
      assert.deepStrictEqual(yield* queue.reapExpired({ maxAge: Duration.minutes(5) }), [])
      yield* TestClock.adjust("4 minutes")
      assert.deepStrictEqual(yield* queue.reapExpired({ maxAge: Duration.minutes(5) }), [])
      yield* TestClock.adjust("61 seconds")
      assert.deepStrictEqual(yield* queue.reapExpired({ maxAge: Duration.minutes(5) }), [job.id])
      assert.deepStrictEqual(yield* store.lrange(keys.processing), [])
    }).pipe(Effect.provide(BananasMemory.layerWithStore())))

  it.effect("a blocked dequeue sleeps on the Clock: woken by an enqueue, or none when the block ends", () =>
    Effect.gen(function*() {
      const { queue, store } = yield* services
      const woken = yield* Effect.forkChild(queue.dequeue({ priorities: JobPriority.all, block: Duration.seconds(10) }))
      yield* untilListening(1)
      yield* TestClock.adjust("9 seconds")
      assert.isUndefined(woken.pollUnsafe(), "still blocked after 9 of 10 s")
      const job = makeJob({ priority: "low" })
      yield* queue.enqueue(job)
      const delivery = Option.getOrThrow(yield* Fiber.join(woken))
      assert.strictEqual(delivery._tag === "Job" ? delivery.job.id : "", job.id)
      assert.strictEqual(yield* store.listeners, 0, "watcher removed")

      const idle = yield* Effect.forkChild(queue.dequeue({ priorities: ["high"], block: Duration.seconds(5) }))
      yield* untilListening(1)
      yield* queue.enqueue(makeJob({ priority: "normal" })) // not a watched list
      yield* TestClock.adjust("4 seconds")
      assert.isUndefined(idle.pollUnsafe())
      yield* TestClock.adjust("1 second")
      assert.isTrue(Option.isNone(yield* Fiber.join(idle)))
      assert.strictEqual(yield* store.listeners, 0)
    }).pipe(Effect.provide(BananasMemory.layerWithStore())))

  it.effect("wait: times out on the Clock with a TimeoutError, and unsubscribes", () =>
    Effect.gen(function*() {
      const { results, store } = yield* services
      const waiter = yield* Effect.forkChild(Effect.flip(results.wait("slow", Duration.minutes(2))))
      yield* untilListening(1)
      yield* TestClock.adjust("119 seconds")
      assert.isUndefined(waiter.pollUnsafe())
      yield* TestClock.adjust("1 second")
      const error = yield* Fiber.join(waiter)
      assert.strictEqual(error._tag, "TimeoutError")
      if (error._tag === "TimeoutError") {
        assert.strictEqual(error.jobId, "slow")
        assert.strictEqual(error.timeoutMillis, 120_000)
      }
      assert.strictEqual(yield* store.listeners, 0)
    }).pipe(Effect.provide(BananasMemory.layerWithStore())))

  it.effect("interrupting a wait or a blocked dequeue releases its subscription", () =>
    Effect.gen(function*() {
      const { queue, admin, results, store } = yield* services
      const waiters = yield* Effect.forEach(["a", "b", "c"], (id) => Effect.forkChild(results.wait(id, Duration.hours(1))))
      const dequeuer = yield* Effect.forkChild(queue.dequeue({ priorities: JobPriority.all, block: Duration.hours(1) }))
      yield* untilListening(4)
      yield* Fiber.interruptAll([...waiters, dequeuer])
      assert.strictEqual(yield* store.listeners, 0)
      yield* queue.enqueue(makeJob())
      assert.strictEqual((yield* admin.stats).queued.normal, 1, "the interrupted dequeue took nothing")
    }).pipe(Effect.provide(BananasMemory.layerWithStore())))

  it.effect("a retried failure stored by a Go worker does not end a wait; the final result does", () =>
    Effect.gen(function*() {
      const { queue, results } = yield* services
      const job = makeJob({ maxRetries: 2 })
      yield* queue.enqueue(job)
      const waiter = yield* Effect.forkChild(results.wait(job.id, Duration.minutes(1)))
      yield* untilListening(1)
      const attempt = yield* take()
      yield* results.store({ jobId: job.id, status: "failed", error: "try 1", completedAt: ts("2025-01-15T10:30:05Z"), durationMs: 1 })
      yield* queue.fail(attempt, "try 1", { durationMs: 1, now: ts("2025-01-15T10:30:05Z") })
      yield* TestClock.adjust("1 second")
      assert.isUndefined(waiter.pollUnsafe())
      assert.strictEqual((yield* queue.promoteDue(ts("2025-01-15T10:30:07Z"))).promoted, 1)
      yield* queue.complete(yield* take(), { durationMs: 1, now: ts("2025-01-15T10:30:08Z") })
      const result = yield* Fiber.join(waiter)
      assert.strictEqual(result.status, "completed")
      assert.strictEqual(result.error, "try 1", "HSET merge keeps the earlier error, as Go")
    }).pipe(Effect.provide(BananasMemory.layerWithStore())))
})

describe("BananasMemory instances", () => {
  it.effect("each layer is a fresh, private keyspace; dump shows Redis-shaped values", () =>
    Effect.gen(function*() {
      const job = makeJob({ id: "J", priority: "high", status: "scheduled", scheduledFor: ts("2025-01-15T11:00:00.5Z") })
      const dump = yield* Effect.gen(function*() {
        const { queue, store } = yield* services
        yield* queue.schedule(job)
        yield* store.lpush("bananas:queue:high", "ghost")
        return yield* store.dump
      }).pipe(Effect.provide(BananasMemory.layerWithStore()))
      assert.deepStrictEqual(dump, [
        { key: "bananas:job:J", type: "string", value: JobCodec.encode(job), pttl: -1 },
        { key: "bananas:queue:high", type: "list", value: ["ghost"], pttl: -1 },
        { key: "bananas:queue:scheduled", type: "zset", value: [["J", 1736938800.5]], pttl: -1 }
      ])
      const other = yield* Effect.flatMap(Effect.service(MemoryStore), (s) => s.dump).pipe(Effect.provide(BananasMemory.layerWithStore()))
      assert.deepStrictEqual(other, [])
      const stats = yield* Effect.flatMap(Effect.service(QueueAdmin), (a) => a.stats).pipe(Effect.provide(BananasMemory.layer()))
      assert.deepStrictEqual(stats, { queued: { high: 0, normal: 0, low: 0 }, processing: 0, scheduled: 0, dead: 0 })
    }))

  it.effect("a leased take shows up as Redis would hold it: lease zset, token hash, held set with the heartbeat TTL", () =>
    Effect.gen(function*() {
      const { queue, store } = yield* services
      yield* queue.enqueue(makeJob({ id: "J" }))
      const delivery = yield* take({ owner: "w", duration: Duration.seconds(30) })
      const dump = (yield* store.dump).filter((e) => e.key !== "bananas:job:J")
      assert.deepStrictEqual(dump, [
        { key: "bananas:lease:tokens", type: "hash", value: { J: delivery.token! }, pttl: -1 },
        { key: "bananas:leases", type: "zset", value: [["J", 30_000]], pttl: -1 },
        { key: "bananas:queue:processing", type: "list", value: ["J"], pttl: -1 },
        { key: "bananas:worker:w", type: "set", value: ["J"], pttl: 30_000 }
      ])
      yield* queue.release(delivery)
      assert.deepStrictEqual((yield* store.dump).map((e) => e.key), ["bananas:job:J", "bananas:queue:normal"], "release removes all three")
    }).pipe(Effect.provide(BananasMemory.layerWithStore())))
})

describe("BananasMemory options", () => {
  it.effect("a duration option it cannot take fails the layer with a ValidationError naming it (no defect)", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [BananasMemory.Options, string]> = [
        [{ successTtl: "abc" as Duration.Input }, "successTtl"],
        [{ failureTtl: Duration.millis(Number.NaN) }, "failureTtl"],
        [{ completedJobTtl: Duration.seconds(-5) }, "completedJobTtl"],
        [{ deadJobTtl: Duration.zero }, "deadJobTtl"],
        [{ events: { maxAge: "soon" as Duration.Input } }, "events.maxAge"]
      ]
      for (const [options, field] of cases) {
        const error = yield* Effect.flip(Effect.scoped(Layer.build(BananasMemory.layer(options))))
        assert.strictEqual(error._tag, "ValidationError", field)
        assert.strictEqual(error.field, field)
      }
      // Good options still build.
      yield* Effect.scoped(Layer.build(BananasMemory.layer({ successTtl: "2 hours", events: { maxAge: "1 day" } })))
    }))
})
