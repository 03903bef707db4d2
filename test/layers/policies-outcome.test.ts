/**
 * The outcome the policies report for a write, over every attempt: a
 * `ConnectionError` ending the retries is `not-written` only when every
 * attempt failed unsent; a `TimeoutError` is `not-written` only when, in
 * addition, no attempt was in flight at the deadline.
 */
import { assert, describe, it } from "@effect/vitest"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import { ConnectionError, type WriteOutcome } from "../../src/domain/Errors.ts"
import * as Policies from "../../src/layers/Policies.ts"

/** An operation failing with these outcomes in turn (then hanging, when `hangAfter`). */
const failing = (outcomes: ReadonlyArray<WriteOutcome>, hangAfter = false) => {
  let i = 0
  return Effect.suspend(() => {
    const outcome = outcomes[i++]
    if (outcome === undefined) return hangAfter ? Effect.never : Effect.succeed("ok")
    return Effect.fail(new ConnectionError({ operation: "submit", message: "lost", outcome }))
  })
}

const run = (effect: Effect.Effect<string, ConnectionError>, retry: Schedule.Schedule<unknown, unknown>, operationTimeout: Duration.Input = "2 seconds") =>
  Effect.flip(Policies.apply("submit", effect, { retry, operationTimeout })).pipe(
    Effect.flatMap((e) => (e._tag === "ValidationError" ? Effect.die(e) : Effect.succeed(e)))
  )

describe("Policies: outcomes over attempts", () => {
  it.live("every attempt unsent: ConnectionError not-written", () =>
    Effect.gen(function*() {
      const e = yield* run(failing(["not-written", "not-written", "not-written"]), Schedule.recurs(2))
      assert.strictEqual(e._tag, "ConnectionError")
      assert.strictEqual(e.outcome, "not-written")
    }))

  it.live("one attempt maybe written, then unsent ones: the final ConnectionError says unknown", () =>
    Effect.gen(function*() {
      const e = yield* run(failing(["not-written", "unknown", "not-written"]), Schedule.recurs(2))
      assert.strictEqual(e._tag, "ConnectionError")
      assert.strictEqual(e.outcome, "unknown")
      assert.strictEqual(e.message, "lost")
    }))

  it.live("the deadline during a retry pause after unsent attempts: TimeoutError not-written", () =>
    Effect.gen(function*() {
      const e = yield* run(failing(["not-written", "not-written"]), Schedule.spaced("1 second"), "200 millis")
      assert.strictEqual(e._tag, "TimeoutError")
      assert.strictEqual(e._tag === "TimeoutError" && e.outcome, "not-written")
    }))

  it.live("the deadline while an attempt is in flight: TimeoutError unknown (first attempt, or a retry)", () =>
    Effect.gen(function*() {
      const first = yield* run(failing([], true), Schedule.recurs(2), "100 millis")
      assert.strictEqual(first._tag === "TimeoutError" && first.outcome, "unknown")
      const retry = yield* run(failing(["not-written"], true), Schedule.spaced("10 millis"), "200 millis")
      assert.strictEqual(retry._tag === "TimeoutError" && retry.outcome, "unknown")
    }))
})
