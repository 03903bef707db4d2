/**
 * The worker's background loops outlive a failed pass, defects included:
 * a bug surfacing in one dequeue, promotion or reaper pass is logged, and
 * the loop goes on (the worker keeps running). And an outcome that cannot
 * be written is retried, on every storage failure, while the job stays
 * leased; only a lost lease ends it. Stub queues, TestClock.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Metric from "effect/Metric"
import * as References from "effect/References"
import * as TestClock from "effect/testing/TestClock"
import { ConnectionError, LeaseLostError, StorageError } from "../../src/domain/Errors.ts"
import * as Job from "../../src/domain/Job.ts"
import type { RawJson } from "../../src/domain/RawJson.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import { type Delivery, type JobDelivery, JobQueue } from "../../src/services/JobQueue.ts"
import * as Handlers from "../../src/worker/HandlerRegistry.ts"
import * as Metrics from "../../src/worker/Metrics.ts"
import * as Reaper from "../../src/worker/Reaper.ts"
import * as Promoter from "../../src/worker/Promoter.ts"
import * as Worker from "../../src/worker/Worker.ts"

const boom = () => Effect.die(new Error("boom: a bug in one pass"))

const job = Job.make({ id: "j1", name: "echo", payload: "{}" as RawJson, priority: "normal", now: Timestamp.zero, maxRetries: Job.defaultMaxRetries })

/**
 * A queue that hands out `job` once (after `failFirstDequeue`, a dequeue
 * that dies), then waits for work forever, as the contract says: only the
 * wait for work is interruptible.
 */
const stubQueue = (options: {
  readonly failFirstDequeue?: boolean
  readonly complete: (delivery: JobDelivery) => Effect.Effect<Job.Job, ConnectionError | StorageError | LeaseLostError>
}) => {
  let dequeues = 0
  const queue = {
    dequeueMany: () =>
      Effect.suspend((): Effect.Effect<ReadonlyArray<Delivery>> => {
        dequeues++
        const first = options.failFirstDequeue === true ? 2 : 1
        if (dequeues < first) return boom()
        if (dequeues === first) return Effect.succeed([{ _tag: "Job", job, token: "stub:1" }])
        return Effect.interruptible(Effect.never)
      }),
    complete: options.complete,
    renewLeases: () => Effect.succeed([]),
    reclaim: () => Effect.succeed([]),
    release: () => Effect.void
  } as unknown as JobQueue["Service"]
  return { queue, dequeues: () => dequeues }
}

const handlers = Handlers.empty.pipe(Handlers.addRaw("echo", () => Effect.void))

const quietly = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(
    Effect.provideService(Metric.MetricRegistry, new Map()),
    Effect.provideService(References.MinimumLogLevel, "None")
  )

describe("worker loops survive a defect", () => {
  it.effect("the scheduler: a pass that dies is logged, the next pass runs", () =>
    Effect.gen(function*() {
      let calls = 0
      const queue = {
        promoteDue: () => Effect.suspend(() => (++calls === 1 ? boom() : Effect.succeed({ promoted: 0, skipped: [] })))
      } as unknown as JobQueue["Service"]
      const fiber = yield* Promoter.run({ interval: "1 second" }).pipe(Effect.provideService(JobQueue, queue), Effect.forkChild)
      yield* TestClock.adjust("2500 millis")
      assert.strictEqual(calls, 3)
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("the reaper: a pass that dies is logged, the next pass runs", () =>
    Effect.gen(function*() {
      let calls = 0
      const queue = { reapExpired: () => Effect.suspend(() => (++calls === 1 ? boom() : Effect.succeed([]))) } as unknown as JobQueue["Service"]
      const fiber = yield* Reaper.run({ interval: "1 second" }).pipe(Effect.provideService(JobQueue, queue), Effect.forkChild)
      yield* TestClock.adjust("2500 millis")
      assert.strictEqual(calls, 3)
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("the dispatcher: a dequeue that dies gives its slots back and the worker goes on taking jobs", () =>
    Effect.gen(function*() {
      const ran: Array<string> = []
      const completed: Array<string> = []
      const stub = stubQueue({
        failFirstDequeue: true,
        complete: (delivery) => Effect.sync(() => { completed.push(`${delivery.job.id} ${delivery.token}`) }).pipe(Effect.as(delivery.job))
      })
      const recording = Handlers.empty.pipe(Handlers.addRaw("echo", (input) => Effect.sync(() => { ran.push(input.job.id) })))
      yield* Effect.scoped(Effect.gen(function*() {
        yield* Worker.make({ handlers: recording, concurrency: 2, scheduler: false, reaper: false })
        yield* TestClock.adjust("1 second") // past the dispatcher's back-off after the failed pass
        assert.deepStrictEqual(ran, ["j1"])
        assert.deepStrictEqual(completed, ["j1 stub:1"], "the outcome is written with the delivery's lease token")
        assert.isAtLeast(stub.dequeues(), 3)
      })).pipe(Effect.provideService(JobQueue, stub.queue))
    }).pipe(quietly))
})

describe("recording an outcome", () => {
  const down = new ConnectionError({ operation: "complete", message: "down" })
  const storage = (reason: "WrongType" | "OutOfMemory" | "ReadOnly") =>
    new StorageError({ operation: "complete", reason, message: reason, ...(reason === "WrongType" ? { key: "job:j1" } : {}) })

  it.effect("is retried on every storage failure, not only the retryable ones, until it is written", () =>
    Effect.gen(function*() {
      const failures = [down, storage("WrongType"), storage("OutOfMemory"), storage("ReadOnly")]
      assert.isFalse(failures[1]!.isRetryable, "a WrongType is not retryable by the call policies, yet the worker retries it")
      const calls: Array<number> = []
      const stub = stubQueue({
        complete: (delivery) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) => {
            calls.push(now)
            const failure = failures[calls.length - 1]
            return failure === undefined ? Effect.succeed(delivery.job) : Effect.fail(failure)
          })
      })
      yield* Effect.scoped(Effect.gen(function*() {
        yield* Worker.make({ handlers, scheduler: false, reaper: false })
        yield* TestClock.adjust("5 seconds")
        assert.strictEqual(calls.length, 5, "4 failures, then written")
        const counts = yield* Metrics.counts
        assert.deepStrictEqual([counts.processed, counts.leaseLost, counts.failed], [1, 0, 0])
        yield* TestClock.adjust("1 minute")
        assert.strictEqual(calls.length, 5, "written once: never again")
      })).pipe(Effect.provideService(JobQueue, stub.queue))
    }).pipe(quietly))

  it.effect("keeps retrying for as long as it takes, the backoff capped at 10 s (jittered: at most 12 s)", () =>
    Effect.gen(function*() {
      const calls: Array<number> = []
      const stub = stubQueue({
        complete: () =>
          Effect.flatMap(Clock.currentTimeMillis, (now) => {
            calls.push(now)
            return Effect.fail(storage("OutOfMemory"))
          })
      })
      yield* Effect.scoped(Effect.gen(function*() {
        const worker = yield* Worker.make({ handlers, scheduler: false, reaper: false, shutdownTimeout: "1 second" })
        for (let s = 0; s < 200; s++) yield* TestClock.adjust("1 second")
        const gaps = calls.slice(1).map((t, i) => t - calls[i]!)
        assert.isAtLeast(calls.length, 20, `still retrying after 200 s (${calls.length} tries)`)
        assert.isAtMost(Math.max(...gaps), 12_000, `gaps ${gaps.join(",")}`)
        assert.isAtLeast(Math.min(...gaps.slice(-5)), 8_000, `late gaps are the cap: ${gaps.slice(-5).join(",")}`)
        assert.strictEqual((yield* Metrics.counts).processed, 0)
        // a drain past its deadline stops the retries (the job stays leased, for the reaper)
        const stopping = yield* Effect.forkChild(worker.shutdown)
        yield* TestClock.adjust("2 seconds")
        yield* Fiber.join(stopping)
        const tries = calls.length
        yield* TestClock.adjust("1 minute")
        assert.strictEqual(calls.length, tries, "no retry after the drain")
      })).pipe(Effect.provideService(JobQueue, stub.queue))
    }).pipe(quietly))

  it.effect("is not retried once the lease is lost: the outcome is discarded and counted", () =>
    Effect.gen(function*() {
      let calls = 0
      const stub = stubQueue({
        complete: () =>
          Effect.suspend(() => {
            calls++
            return Effect.fail(new LeaseLostError({ jobId: "j1", operation: "complete", message: "not held" }))
          })
      })
      yield* Effect.scoped(Effect.gen(function*() {
        yield* Worker.make({ handlers, scheduler: false, reaper: false })
        yield* TestClock.adjust("1 minute")
        assert.strictEqual(calls, 1)
        const counts = yield* Metrics.counts
        assert.deepStrictEqual([counts.leaseLost, counts.processed], [1, 0])
      })).pipe(Effect.provideService(JobQueue, stub.queue))
    }).pipe(quietly))

  it.effect("a lost lease after retried failures ends the retries too", () =>
    Effect.gen(function*() {
      let calls = 0
      const stub = stubQueue({
        complete: () =>
          Effect.suspend((): Effect.Effect<Job.Job, ConnectionError | LeaseLostError> => {
            calls++
            return calls <= 2 ? Effect.fail(down) : Effect.fail(new LeaseLostError({ jobId: "j1", operation: "complete", message: "not held" }))
          })
      })
      yield* Effect.scoped(Effect.gen(function*() {
        yield* Worker.make({ handlers, scheduler: false, reaper: false })
        yield* TestClock.adjust("1 minute")
        assert.strictEqual(calls, 3)
        assert.strictEqual((yield* Metrics.counts).leaseLost, 1)
      })).pipe(Effect.provideService(JobQueue, stub.queue))
    }).pipe(quietly))
})
