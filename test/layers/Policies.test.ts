import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import * as TestClock from "effect/testing/TestClock"
import { ApiError, AuthenticationError, ConnectionError, RateLimitError, ValidationError } from "../../src/domain/Errors.ts"
import * as Policies from "../../src/layers/Policies.ts"

const connectionError = new ConnectionError({ operation: "test", message: "down" })

/** An operation failing with `error` on its first `failures` runs, counting runs. */
const flaky = <E>(failures: number, error: E) => {
  let runs = 0
  const effect = Effect.suspend(() => (++runs <= failures ? Effect.fail(error) : Effect.succeed(runs)))
  return { effect, runs: () => runs }
}

describe("Policies.apply", () => {
  it.effect("retries a retryable failure by the schedule, with the schedule's delays", () =>
    Effect.gen(function*() {
      const op = flaky(2, connectionError)
      const fiber = yield* Policies.apply("op", op.effect, { retry: Schedule.spaced("1 second").pipe(Schedule.upTo({ times: 3 })) }).pipe(Effect.forkChild)
      yield* Effect.yieldNow
      assert.strictEqual(op.runs(), 1)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(op.runs(), 2)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* Fiber.join(fiber), 3)
    }))

  it.effect("gives up after the schedule's retries: 1 run + `times` retries", () =>
    Effect.gen(function*() {
      const op = flaky(10, connectionError)
      const fiber = yield* Policies.apply("op", op.effect, { retry: Schedule.spaced("1 second").pipe(Schedule.upTo({ times: 2 })) }).pipe(Effect.flip, Effect.forkChild)
      yield* TestClock.adjust("5 seconds")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "ConnectionError")
      assert.strictEqual(op.runs(), 3)
    }))

  it.effect("never retries a non-retryable error", () =>
    Effect.gen(function*() {
      const op = flaky(10, new ValidationError({ field: "name", message: "empty" }))
      const error = yield* Effect.flip(Policies.apply("op", op.effect))
      assert.strictEqual(error._tag, "ValidationError")
      assert.strictEqual(op.runs(), 1)
    }))

  it.effect("uses the layer's retry policy when the call gives none", () =>
    Effect.gen(function*() {
      const op = flaky(1, connectionError)
      const result = yield* Policies.apply("op", op.effect).pipe(Effect.provide(Policies.layerRetry(Schedule.recurs(1))))
      assert.strictEqual(result, 2)
    }))

  it.effect("bounds the operation (retries included) by the deadline: TimeoutError naming it", () =>
    Effect.gen(function*() {
      const fiber = yield* Policies.apply("getJob", Effect.never, { operationTimeout: "3 seconds" }).pipe(Effect.flip, Effect.forkChild)
      yield* TestClock.adjust("3 seconds")
      const error = yield* Fiber.join(fiber)
      if (error._tag !== "TimeoutError") return assert.fail(`expected a TimeoutError, got ${error._tag}`)
      assert.strictEqual(error.operation, "getJob")
      assert.strictEqual(error.timeoutMillis, 3000)
    }))

  it.effect("the default deadline comes from the TimeoutPolicy layer", () =>
    Effect.gen(function*() {
      const fiber = yield* Policies.apply("stats", Effect.never).pipe(
        Effect.flip,
        Effect.provide(Policies.layerTimeouts({ operation: "2 seconds" })),
        Effect.forkChild
      )
      yield* TestClock.adjust("2 seconds")
      const error = yield* Fiber.join(fiber)
      if (error._tag !== "TimeoutError") return assert.fail(`expected a TimeoutError, got ${error._tag}`)
      assert.strictEqual(error.timeoutMillis, 2000)
    }))

  it.live("under the live clock too: a hung operation fails with the TimeoutError and is interrupted", () =>
    Effect.gen(function*() {
      let interrupted = false
      const hung = Effect.never.pipe(Effect.onInterrupt(() => Effect.sync(() => {
        interrupted = true
      })))
      const error = yield* Effect.flip(Policies.apply("getJob", hung, { operationTimeout: "20 millis" }))
      if (error._tag !== "TimeoutError") return assert.fail(`expected a TimeoutError, got ${error._tag}`)
      assert.strictEqual(error.operation, "getJob")
      assert.strictEqual(error.timeoutMillis, 20)
      yield* Effect.yieldNow
      assert.isTrue(interrupted, "the operation was interrupted")
    }))

  it.live("under the live clock: results, failures and retries pass through the deadline unchanged", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* Policies.apply("op", Effect.succeed(7)), 7)
      assert.strictEqual(yield* Policies.apply("op", Effect.promise(() => Promise.resolve(8))), 8)
      const invalid = yield* Effect.flip(Policies.apply("op", Effect.fail(new ValidationError({ field: "f", message: "bad" }))))
      assert.strictEqual(invalid._tag, "ValidationError")
      const op = flaky(2, connectionError)
      assert.strictEqual(yield* Policies.apply("op", op.effect, { retry: Schedule.recurs(2) }), 3)
      const defect = yield* Effect.exit(Policies.apply("op", Effect.die("boom")))
      assert.isTrue(defect._tag === "Failure")
    }))

  it.live("interrupting the caller interrupts the operation under its deadline", () =>
    Effect.gen(function*() {
      let interrupted = false
      const hung = Effect.never.pipe(Effect.onInterrupt(() => Effect.sync(() => {
        interrupted = true
      })))
      const fiber = yield* Policies.apply("op", hung, { operationTimeout: "10 seconds" }).pipe(Effect.forkChild)
      yield* Effect.sleep("10 millis")
      yield* Fiber.interrupt(fiber)
      yield* Effect.yieldNow
      assert.isTrue(interrupted)
    }))

  it.live("under the live clock: a timed-out operation's finalizers have run when the TimeoutError arrives", () =>
    Effect.gen(function*() {
      let finalized = false
      const slowToStop = Effect.never.pipe(Effect.onInterrupt(() =>
        Effect.sleep("30 millis").pipe(Effect.andThen(Effect.sync(() => {
          finalized = true
        })))
      ))
      const error = yield* Effect.flip(Policies.withDeadline(slowToStop, Duration.millis(10), () => "timeout" as const))
      assert.strictEqual(error, "timeout")
      assert.isTrue(finalized, "the operation had stopped (as with Effect.timeoutOrElse)")
    }))

  it.live("under the live clock: interrupting the caller waits for the operation to stop", () =>
    Effect.gen(function*() {
      let finalized = false
      const slowToStop = Effect.never.pipe(Effect.onInterrupt(() =>
        Effect.sleep("30 millis").pipe(Effect.andThen(Effect.sync(() => {
          finalized = true
        })))
      ))
      const fiber = yield* Policies.withDeadline(slowToStop, Duration.seconds(10), () => "timeout" as const).pipe(Effect.forkChild)
      yield* Effect.sleep("10 millis")
      yield* Fiber.interrupt(fiber)
      assert.isTrue(finalized, "the operation had stopped when the interruption returned")
    }))

  it.live("under the live clock: an interrupted caller resumes only once the operation has stopped", () =>
    Effect.gen(function*() {
      let finalized = false
      let finalizedWhenResumed: boolean | undefined
      const slowToStop = Effect.never.pipe(Effect.onInterrupt(() =>
        Effect.sleep("30 millis").pipe(Effect.andThen(Effect.sync(() => {
          finalized = true
        })))
      ))
      // As the worker runs a handler: interruptible inside, then records the outcome.
      const fiber = yield* Effect.uninterruptibleMask((restore) =>
        Effect.exit(restore(Policies.withDeadline(slowToStop, Duration.seconds(10), () => "timeout" as const))).pipe(
          Effect.andThen(Effect.sync(() => {
            finalizedWhenResumed = finalized
          }))
        )
      ).pipe(Effect.forkChild)
      yield* Effect.sleep("10 millis")
      yield* Fiber.interrupt(fiber)
      assert.strictEqual(finalizedWhenResumed, true)
    }))

  it.live("under the live clock: an abort signal ends the operation (stopped first) with its failure, and its listener is removed once done", () =>
    Effect.gen(function*() {
      const signal = testSignal()
      let finalized = false
      const slowToStop = Effect.never.pipe(Effect.onInterrupt(() =>
        Effect.sleep("20 millis").pipe(Effect.andThen(Effect.sync(() => {
          finalized = true
        })))
      ))
      const abort = { register: signal.register, onAbort: () => "aborted" as const }
      const fiber = yield* Effect.flip(Policies.withDeadline(slowToStop, Duration.seconds(10), () => "timeout" as const, abort)).pipe(Effect.forkChild)
      yield* Effect.sleep("10 millis")
      assert.strictEqual(signal.listeners.size, 1)
      signal.fire()
      assert.strictEqual(yield* Fiber.join(fiber), "aborted")
      assert.isTrue(finalized, "the operation had stopped")
      // Finished operations leave no listener behind, whether they succeeded or timed out.
      assert.strictEqual(yield* Policies.withDeadline(Effect.succeed(1), Duration.seconds(1), () => "timeout" as const, abort), 1)
      assert.strictEqual(yield* Policies.withDeadline(Effect.sleep("5 millis").pipe(Effect.as(2)), Duration.seconds(1), () => "timeout" as const, abort), 2)
      assert.strictEqual(yield* Effect.flip(Policies.withDeadline(Effect.never, Duration.millis(5), () => "timeout" as const, abort)), "timeout")
      assert.strictEqual(signal.listeners.size, 0)
      // A signal that fired already (a request arriving during shutdown) ends the operation at once.
      const fired = { register: (listener: () => void) => (listener(), () => {}), onAbort: () => "aborted" as const }
      assert.strictEqual(yield* Effect.flip(Policies.withDeadline(Effect.never, Duration.seconds(10), () => "timeout" as const, fired)), "aborted")
    }))

  it.effect("under the TestClock: an abort signal ends the operation with its failure", () =>
    Effect.gen(function*() {
      const signal = testSignal()
      const fiber = yield* Effect.flip(Policies.withDeadline(Effect.never, Duration.seconds(10), () => "timeout" as const, {
        register: signal.register,
        onAbort: () => "aborted" as const
      })).pipe(Effect.forkChild)
      yield* Effect.yieldNow
      signal.fire()
      assert.strictEqual(yield* Fiber.join(fiber), "aborted")
      assert.strictEqual(signal.listeners.size, 0)
    }))

  it.live("retryAfter: the first failure counts as the schedule's first, so `times` retries in all", () =>
    Effect.gen(function*() {
      const op = flaky(10, connectionError)
      const error = yield* Effect.flip(Policies.retryAfter(connectionError, op.effect, Schedule.recurs(2)))
      assert.strictEqual(error._tag, "ConnectionError")
      assert.strictEqual(op.runs(), 2, "2 retries, the first failure already spent")
      const nonRetryable = flaky(10, new ValidationError({ field: "f", message: "bad" }))
      yield* Effect.flip(Policies.retryAfter<number, ConnectionError | ValidationError>(connectionError, nonRetryable.effect, Schedule.recurs(5)))
      assert.strictEqual(nonRetryable.runs(), 1)
    }))

  it.effect("retrying (waits): the call's schedule, else the layer's; never an operation deadline (a wait has its own)", () =>
    Effect.gen(function*() {
      const byCall = flaky(3, connectionError)
      assert.strictEqual(yield* Policies.retrying(byCall.effect, { retry: Schedule.recurs(3) }), 4)
      const byLayer = flaky(3, connectionError)
      const error = yield* Policies.retrying(byLayer.effect).pipe(Effect.flip, Effect.provide(Policies.layerRetry(Schedule.recurs(1))))
      assert.strictEqual(error._tag, "ConnectionError")
      assert.strictEqual(byLayer.runs(), 2)
      const invalid = flaky(3, new ValidationError({ field: "f", message: "bad" }))
      yield* Effect.flip(Policies.retrying(invalid.effect, { retry: Schedule.recurs(3) }))
      assert.strictEqual(invalid.runs(), 1, "never retried")
      // a long wait is not cut by the operation deadline
      const fiber = yield* Policies.retrying(Effect.as(Effect.sleep("1 minute"), "done")).pipe(
        Effect.provide(Policies.layerTimeouts({ operation: "1 second" })),
        Effect.forkChild
      )
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(yield* Fiber.join(fiber), "done")
    }))

  it.effect("retrySchedule: the call's schedule, else the layer's RetryPolicy", () =>
    Effect.gen(function*() {
      const own = Schedule.recurs(7)
      assert.strictEqual(yield* Policies.retrySchedule({ retry: own }), own)
      const layer = Schedule.recurs(2)
      assert.strictEqual(yield* Policies.retrySchedule().pipe(Effect.provide(Policies.layerRetry(layer))), layer)
    }))
})

// Retry-After: the gateway's 429 (`RateLimitError`) is never retried sooner than it asks,
// and not at all when that is longer than `maxRetryAfterMillis`; HTTP statuses other than
// 502/503/504 are never retried.

const limited = (millis: number) => new RateLimitError({ retryAfterMillis: millis, message: "slow down" })

describe("Retry-After", () => {
  it.effect("a RateLimitError is retried no sooner than its retryAfterMillis, even when the schedule is faster", () =>
    Effect.gen(function*() {
      const op = flaky(1, limited(3_000))
      const fiber = yield* Policies.apply("submit", op.effect, { retry: Schedule.spaced("10 millis").pipe(Schedule.upTo({ times: 3 })), operationTimeout: "1 minute" })
        .pipe(Effect.forkChild)
      yield* TestClock.adjust("2999 millis")
      assert.strictEqual(op.runs(), 1, "not retried before Retry-After")
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(yield* Fiber.join(fiber), 2)
    }))

  it.effect("the schedule's longer delay still wins over a shorter Retry-After", () =>
    Effect.gen(function*() {
      const op = flaky(1, limited(100))
      const fiber = yield* Policies.retrying(op.effect, { retry: Schedule.spaced("2 seconds").pipe(Schedule.upTo({ times: 1 })) }).pipe(Effect.forkChild)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(op.runs(), 1)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* Fiber.join(fiber), 2)
    }))

  it.effect("a Retry-After beyond maxRetryAfterMillis is handed to the caller at once", () =>
    Effect.gen(function*() {
      const op = flaky(5, limited(Policies.maxRetryAfterMillis + 1))
      const error = yield* Effect.flip(Policies.retrying(op.effect, { retry: Schedule.recurs(3) }))
      assert.strictEqual(error._tag, "RateLimitError")
      assert.strictEqual(op.runs(), 1)
    }))

  it.effect("ApiError: 502/503/504 are retried, 400/413/500 are not; AuthenticationError never", () =>
    Effect.gen(function*() {
      for (const status of [502, 503, 504]) {
        const op = flaky(1, new ApiError({ status, message: "proxy" }))
        assert.strictEqual(yield* Policies.retrying(op.effect, { retry: Schedule.recurs(1) }), 2, String(status))
      }
      for (const status of [400, 413, 415, 500]) {
        const op = flaky(1, new ApiError({ status, message: "no" }))
        assert.strictEqual((yield* Effect.flip(Policies.retrying(op.effect, { retry: Schedule.recurs(3) })))._tag, "ApiError")
        assert.strictEqual(op.runs(), 1, String(status))
      }
      const auth = flaky(1, new AuthenticationError({ message: "bad key" }))
      assert.strictEqual((yield* Effect.flip(Policies.retrying(auth.effect, { retry: Schedule.recurs(3) })))._tag, "AuthenticationError")
      assert.strictEqual(auth.runs(), 1)
    }))
})

/** A signal as the gateway's shutdown is: a listener set. */
const testSignal = () => {
  const listeners = new Set<() => void>()
  return {
    listeners,
    register: (listener: () => void) => {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    fire: () => {
      for (const listener of [...listeners]) listener()
    }
  }
}
