/**
 * Time-dependent worker behaviour under TestClock, on the memory layer
 * (deterministic): Go's backoff timing, lease renewal and the heartbeat,
 * recovery only once a worker's heartbeat lapsed, the shutdown deadline,
 * and the queue-lag gauge.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import { TestClock } from "effect/testing"
import { JobQueue } from "../../src/services/JobQueue.ts"
import * as Handlers from "../../src/worker/HandlerRegistry.ts"
import * as Metrics from "../../src/worker/Metrics.ts"
import * as Worker from "../../src/worker/Worker.ts"
import { freshMetrics, memory, newJob, Raw } from "./support/Backend.ts"

/** Moves virtual time forward in 10 ms steps, letting forked fibers run at each step. */
const advance = (ms: number) =>
  Effect.gen(function*() {
    for (let t = 0; t < ms; t += 10) {
      yield* TestClock.adjust(Duration.millis(Math.min(10, ms - t)))
      for (let i = 0; i < 5; i++) yield* Effect.yieldNow
    }
  })

const run = <A, E>(body: Effect.Effect<A, E, JobQueue | Raw | import("effect/Scope").Scope>) =>
  body.pipe(Effect.scoped, freshMetrics, Effect.provide(memory))

// 2025-01-15T10:30:05.250Z, as in docs/PROTOCOL.md vector 3
const t0 = 1736937005250

describe("Worker under TestClock", () => {
  it.effect("retries follow Go's backoff: due at floor(fail time) + 2 s, then + 4 s, then dead", () =>
    run(Effect.gen(function*() {
      yield* TestClock.setTime(t0)
      const queue = yield* JobQueue
      const raw = yield* Raw
      const job = yield* newJob("flaky")
      yield* queue.enqueue(job)
      const runs: Array<number> = []
      yield* Worker.make({
        schedulerInterval: "100 millis",
        handlers: Handlers.empty.pipe(Handlers.addRaw("flaky", () =>
          Effect.clockWith((clock) => Effect.sync(() => { runs.push(clock.currentTimeMillisUnsafe()) })).pipe(
            Effect.andThen(Effect.fail("smtp: timeout"))
          )))
      })
      yield* advance(10)
      assert.deepStrictEqual(runs, [t0])
      assert.strictEqual(yield* raw.zscore(raw.keys.scheduled, job.id), 1736937007)
      // score 1736937007 is due once the promoter's unix second reaches it: 1.75 s later
      yield* advance(1_700)
      assert.strictEqual(runs.length, 1, "not retried before its score")
      yield* advance(200)
      assert.strictEqual(runs.length, 2)
      const second = runs[1]!
      assert.isTrue(second >= 1736937007000 && second <= 1736937007100, `second run at ${second}`)
      assert.strictEqual(yield* raw.zscore(raw.keys.scheduled, job.id), Math.floor(second / 1000) + 4)
      yield* advance(3_800)
      assert.strictEqual(runs.length, 2, "not retried before its score")
      yield* advance(300)
      assert.strictEqual(runs.length, 3)
      assert.deepStrictEqual(yield* raw.lrange(raw.keys.dead), [job.id])
      yield* advance(10_000)
      assert.strictEqual(runs.length, 3, "never run again once dead")
      const counts = yield* Metrics.counts
      assert.deepStrictEqual([counts.failed, counts.retried, counts.dead], [3, 2, 1])
    })))

  it.effect("a running job's lease is renewed, so no reaper takes it however long it runs", () =>
    run(Effect.gen(function*() {
      const queue = yield* JobQueue
      const raw = yield* Raw
      const job = yield* newJob("long")
      yield* queue.enqueue(job)
      let starts = 0
      const worker = yield* Worker.make({
        leaseDuration: "30 seconds",
        handlers: Handlers.empty.pipe(Handlers.addRaw("long", () =>
          Effect.sync(() => { starts++ }).pipe(Effect.andThen(Effect.sleep("3 minutes")))))
      })
      // a second process that only reaps, often
      yield* Worker.make({ handlers: Handlers.empty, reaperInterval: "1 second", scheduler: false })
      yield* advance(10)
      assert.strictEqual(starts, 1)
      const lease = yield* raw.zscore(raw.keys.leases, job.id)
      assert.isDefined(lease)
      // the worker's heartbeat: its held set names the job, and its TTL (the lease duration) keeps being renewed
      assert.deepStrictEqual(yield* raw.smembers(raw.keys.held(worker.id)), [job.id])
      for (let i = 0; i < 12; i++) {
        yield* advance(10_000)
        const ttl = yield* raw.pttl(raw.keys.held(worker.id))
        assert.isTrue(ttl > 0 && ttl <= 30_000, `heartbeat TTL ${ttl} at ${(i + 1) * 10} s`)
      }
      assert.isTrue((yield* raw.zscore(raw.keys.leases, job.id))! > lease!, "the lease moved forward")
      assert.deepStrictEqual(yield* raw.smembers(raw.keys.held(worker.id)), [job.id])
      yield* advance(61_000)
      assert.strictEqual(starts, 1, "never reaped while it ran")
      const done = (yield* raw.get(raw.keys.job(job.id)))!
      assert.include(done, `"status":"completed"`)
      assert.include(done, `"attempts":0,`)
      assert.strictEqual((yield* Metrics.counts).recovered, 0)
      assert.deepStrictEqual(yield* raw.smembers(raw.keys.held(worker.id)), [], "finished: no longer held")
    })))

  it.effect("a killed worker's job comes back once its heartbeat lapses (TTL = the lease duration), counting the attempt", () =>
    run(Effect.gen(function*() {
      const queue = yield* JobQueue
      const raw = yield* Raw
      const job = yield* newJob("work")
      yield* queue.enqueue(job)
      const taken = yield* queue.dequeue({
        priorities: ["normal"],
        block: Duration.zero,
        lease: { owner: "killed", duration: Duration.seconds(30) }
      })
      assert.isTrue(Option.isSome(taken))
      // the take wrote the heartbeat: worker:killed holds the job, with a TTL of the lease duration
      assert.deepStrictEqual(yield* raw.smembers(raw.keys.held("killed")), [job.id])
      assert.strictEqual(yield* raw.pttl(raw.keys.held("killed")), 30_000)
      const attempts: Array<number> = []
      yield* Worker.make({
        reaperInterval: "1 second",
        handlers: Handlers.empty.pipe(Handlers.addRaw("work", ({ job }) => Effect.sync(() => { attempts.push(job.attempts) })))
      })
      yield* advance(29_000)
      assert.deepStrictEqual(attempts, [], "the lease and the heartbeat still hold")
      assert.isTrue((yield* raw.pttl(raw.keys.held("killed"))) > 0)
      yield* advance(2_100)
      assert.deepStrictEqual(attempts, [1])
      assert.strictEqual(yield* raw.pttl(raw.keys.held("killed")), -2, "the heartbeat lapsed")
      assert.deepStrictEqual(yield* raw.lrange(raw.keys.processing), [])
      assert.strictEqual((yield* Metrics.counts).recovered, 1)
    })))

  it.effect("an expired lease whose owner still heartbeats is left alone; once the heartbeat lapses it is recovered", () =>
    run(Effect.gen(function*() {
      const queue = yield* JobQueue
      const raw = yield* Raw
      const job = yield* newJob("work")
      yield* queue.enqueue(job)
      const taken = yield* queue.dequeue({
        priorities: ["normal"],
        block: Duration.zero,
        lease: { owner: "stalled", duration: Duration.seconds(10) }
      })
      assert.isTrue(Option.isSome(taken))
      const attempts: Array<number> = []
      yield* Worker.make({
        reaperInterval: "1 second",
        handlers: Handlers.empty.pipe(Handlers.addRaw("work", ({ job }) => Effect.sync(() => { attempts.push(job.attempts) })))
      })
      // the owner keeps heartbeating (no delivery renewed: its lease expires at 10 s) until 30 s
      for (let i = 0; i < 6; i++) {
        yield* advance(5_000)
        assert.deepStrictEqual(yield* queue.renewLeases("stalled", [], Duration.seconds(10)), [])
      }
      assert.deepStrictEqual(attempts, [], "the lease expired 20 s ago, but its owner is alive")
      assert.strictEqual(yield* raw.zscore(raw.keys.leases, job.id), 10_000)
      assert.strictEqual(yield* raw.pttl(raw.keys.held("stalled")), 10_000)
      assert.deepStrictEqual(yield* raw.lrange(raw.keys.processing), [job.id])
      yield* advance(9_000)
      assert.deepStrictEqual(attempts, [], "heartbeat alive until 40 s")
      yield* advance(2_100)
      assert.deepStrictEqual(attempts, [1], "recovered by the first pass after the heartbeat lapsed")
      assert.deepStrictEqual(yield* raw.lrange(raw.keys.processing), [])
      assert.strictEqual((yield* Metrics.counts).recovered, 1)
    })))

  it.effect("shutdown waits for running jobs up to the deadline, then returns the rest to their queue", () =>
    run(Effect.gen(function*() {
      const queue = yield* JobQueue
      const raw = yield* Raw
      const short = yield* newJob("sleep", { payload: "5" })
      const long = yield* newJob("sleep", { payload: "60" })
      yield* queue.enqueue(short)
      yield* queue.enqueue(long)
      const worker = yield* Worker.make({
        shutdownTimeout: "10 seconds",
        handlers: Handlers.empty.pipe(Handlers.addRaw("sleep", ({ payload }) => Effect.sleep(Duration.seconds(Number(payload)))))
      })
      yield* advance(10)
      assert.strictEqual((yield* worker.inFlight).length, 2)
      const stopping = yield* Effect.forkChild(worker.shutdown)
      yield* advance(5_000)
      assert.include((yield* raw.get(raw.keys.job(short.id)))!, `"status":"completed"`)
      assert.isUndefined(stopping.pollUnsafe(), "still draining")
      yield* advance(5_000)
      yield* Fiber.join(stopping)
      assert.deepStrictEqual(yield* raw.lrange(raw.keys.queue("normal")), [long.id])
      assert.include((yield* raw.get(raw.keys.job(long.id)))!, `"status":"pending"`)
      assert.deepStrictEqual(yield* raw.lrange(raw.keys.processing), [])
    })))

  it.effect("the queue-lag gauge holds how long a fresh job waited before pickup, per priority", () =>
    run(Effect.gen(function*() {
      const queue = yield* JobQueue
      yield* queue.enqueue(yield* newJob("noop", { priority: "high" }))
      yield* advance(3_000)
      yield* Worker.make({ handlers: Handlers.empty.pipe(Handlers.addRaw("noop", () => Effect.void)) })
      yield* advance(10)
      const lag = yield* Metric.value(Metrics.queueLagOf("high"))
      assert.strictEqual(lag.value, 3_000)
      assert.strictEqual((yield* Metrics.counts).processed, 1)
    })))
})
