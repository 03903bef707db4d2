/**
 * The retry policies honour a failure's `Retry-After` (the gateway's 429,
 * `RateLimitError`): never retried sooner, not at all when the wait is
 * longer than `Policies.maxRetryAfterMillis`; HTTP statuses other than
 * 502/503/504 are never retried.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import * as TestClock from "effect/testing/TestClock"
import { ApiError, AuthenticationError, RateLimitError } from "../../src/domain/Errors.ts"
import * as Policies from "../../src/layers/Policies.ts"

/** An operation failing with `error` on its first `failures` runs, counting runs. */
const flaky = <E>(failures: number, error: E) => {
  let runs = 0
  const effect = Effect.suspend(() => (++runs <= failures ? Effect.fail(error) : Effect.succeed(runs)))
  return { effect, runs: () => runs }
}

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
