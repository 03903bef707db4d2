/**
 * Running a handler under the live clock (`Execution.execute`): the
 * deadlines of many handlers with the same timeout share one lane (a
 * timer for all, not one per job), so each expiry must still end the right
 * handler and only it; handlers that finish in time, synchronously or not,
 * complete; an infinite timeout keeps no time at all and never ends a
 * handler; the caller's interruption ends a running handler as
 * `Interrupted`.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Job from "../../src/domain/Job.ts"
import type { RawJson } from "../../src/domain/RawJson.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import * as Execution from "../../src/worker/Execution.ts"
import * as Handlers from "../../src/worker/HandlerRegistry.ts"

const job = (name: string, payload = "{}") =>
  Job.make({ id: `${name}-${Math.random()}`, name, payload: payload as RawJson, priority: "normal", now: Timestamp.zero, maxRetries: 3 })

const handlers = Handlers.empty.pipe(
  Handlers.addRaw("sync", () => Effect.succeed({ ok: true })),
  // Sleeps the number of milliseconds its payload says, then returns it.
  Handlers.addRaw("sleeps", ({ payload }) => Effect.as(Effect.sleep(Duration.millis(Number(payload))), Number(payload))),
  Handlers.addRaw("never", () => Effect.never)
)

const timedOut = "context cancelled: context deadline exceeded (the worker's jobTimeout of 150ms ran out)"

describe("Execution.execute, live clock", () => {
  it.live("handlers sharing a timeout: those past it fail with the timeout, the others complete", () =>
    Effect.gen(function*() {
      const timeout = Duration.millis(150)
      // Started together and one after another: the lane holds them in start order.
      const sleeps = [0, 5, 1_000, 10, 2_000, 20, 1_000]
      const outcomes = yield* Effect.forEach(
        sleeps,
        (ms, i) => Effect.andThen(Effect.sleep(Duration.millis(i)), Execution.execute(handlers, job("sleeps", String(ms)), timeout)),
        { concurrency: "unbounded" }
      )
      sleeps.forEach((ms, i) => {
        const outcome = outcomes[i]!
        if (ms >= 1_000) assert.deepStrictEqual(outcome, { _tag: "Failed", error: timedOut }, `job ${i}`)
        else assert.deepStrictEqual(outcome, { _tag: "Completed", result: String(ms) as RawJson }, `job ${i}`)
      })
      // The lane works again after it emptied.
      assert.deepStrictEqual(yield* Execution.execute(handlers, job("never"), timeout), { _tag: "Failed", error: timedOut })
      assert.deepStrictEqual(yield* Execution.execute(handlers, job("sleeps", "1"), timeout), { _tag: "Completed", result: "1" as RawJson })
    }))

  it.live("a synchronous handler completes; an infinite timeout never ends a handler; an interrupted caller gets Interrupted", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* Execution.execute(handlers, job("sync"), Duration.millis(150)), { _tag: "Completed", result: `{"ok":true}` as RawJson })
      assert.deepStrictEqual(yield* Execution.execute(handlers, job("sleeps", "30"), Duration.infinity), { _tag: "Completed", result: "30" as RawJson })
      // As the worker runs it: the caller's interruption reaches the handler; the caller ends (not the handler's way).
      const forever = yield* Effect.forkChild(Effect.uninterruptibleMask((restore) => Effect.exit(restore(Execution.execute(handlers, job("never"), Duration.infinity)))))
      yield* Effect.sleep(Duration.millis(200))
      assert.isUndefined(forever.pollUnsafe(), "still running")
      yield* Fiber.interrupt(forever)
      const ended = forever.pollUnsafe()
      assert.isDefined(ended)
      if (ended?._tag === "Success") {
        const inner = ended.value
        assert.isTrue(inner._tag === "Failure" ? Cause.hasInterruptsOnly(inner.cause) : inner.value._tag === "Interrupted", JSON.stringify(inner))
      }
    }))
})
