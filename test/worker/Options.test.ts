/**
 * Worker options that cannot run are refused before the worker takes any
 * job: `Worker.make` (and the standalone scheduler and reaper layers) fail
 * with a `ValidationError` naming the option and saying what is wrong.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import { ValidationError } from "../../src/domain/Errors.ts"
import * as Handlers from "../../src/worker/HandlerRegistry.ts"
import * as Reaper from "../../src/worker/Reaper.ts"
import * as Promoter from "../../src/worker/Promoter.ts"
import * as Worker from "../../src/worker/Worker.ts"
import { freshMetrics, memory } from "./support/Backend.ts"

const startWith = (options: Partial<Worker.Options<never>>) =>
  Effect.exit(Effect.scoped(Worker.make({ handlers: Handlers.empty, ...options }))).pipe(freshMetrics, Effect.provide(memory))

const assertRefused = (exit: Exit.Exit<unknown, unknown>, field: string, expected: string) => {
  assert.isTrue(Exit.isFailure(exit), "expected a failure")
  const error = Exit.isFailure(exit) ? exit.cause.reasons.find((r) => r._tag === "Fail") : undefined
  assert.isDefined(error, "expected a typed failure, not a defect")
  const failure = (error as { readonly error: unknown }).error
  assert.instanceOf(failure, ValidationError)
  assert.strictEqual((failure as ValidationError).field, field)
  assert.include((failure as ValidationError).message, expected)
}

describe("Worker options", () => {
  for (const [label, options, field, expected] of [
    ["zero concurrency", { concurrency: 0 }, "concurrency", "concurrency must be a positive integer, got 0"],
    ["fractional concurrency", { concurrency: 1.5 }, "concurrency", "concurrency must be a positive integer, got 1.5"],
    ["no priorities", { priorities: [] }, "priorities", "priorities must name at least one priority"],
    ["an unknown priority", { priorities: ["urgent" as "high"] }, "priorities", `unknown priority "urgent"`],
    ["a malformed routing key", { routingKey: "gpu pool" }, "routingKey", "routingKey must match"],
    ["a zero block (a hot loop of dequeues)", { block: 0 }, "block", "block must be a positive, finite duration, got 0"],
    ["a negative block", { block: "-1 seconds" }, "block", `block must be a positive, finite duration, got "-1 seconds"`],
    ["a NaN job timeout (every job would fail)", { jobTimeout: Number.NaN }, "jobTimeout", "jobTimeout must be a duration, got NaN"],
    ["a zero job timeout", { jobTimeout: "0 millis" }, "jobTimeout", `jobTimeout must be a positive duration, got "0 millis"`],
    ["a handler timeout that does not parse", { handlers: Handlers.addRaw(Handlers.empty, "x", () => Effect.void, { timeout: "abc" as "1 second" }) }, "handlers.x.timeout", `cannot read "abc" as a duration`],
    ["a negative handler timeout", { handlers: Handlers.addRaw(Handlers.empty, "x", () => Effect.void, { timeout: -5 }) }, "handlers.x.timeout", "must be a positive duration, got -5"],
    ["a job timeout that does not parse", { jobTimeout: "5 sekonds" as "5 seconds" }, "jobTimeout", `jobTimeout: cannot read "5 sekonds" as a duration`],
    ["a lease that does not parse", { leaseDuration: "soon" as "1 second" }, "leaseDuration", `leaseDuration: cannot read "soon" as a duration`],
    ["a zero lease", { leaseDuration: "0 millis" }, "leaseDuration", "leaseDuration must be a positive, finite duration"],
    ["an infinite lease", { leaseDuration: "Infinity" }, "leaseDuration", "leaseDuration must be a positive, finite duration"],
    ["a zero renewal interval", { leaseRenewInterval: "0 millis" }, "leaseRenewInterval", "leaseRenewInterval must be a positive"],
    ["a zero reaper interval", { reaperInterval: "0 millis" }, "reaperInterval", "reaperInterval must be a positive"],
    ["a zero scheduler interval", { schedulerInterval: "0 millis" }, "schedulerInterval", "schedulerInterval must be a positive"],
    ["a zero reclaim interval", { reclaimInterval: "0 millis" }, "reclaimInterval", "reclaimInterval must be a positive"],
    ["a negative shutdown timeout", { shutdownTimeout: -5 }, "shutdownTimeout", "shutdownTimeout must be zero or more (and finite), got -5"],
    ["a negative reaper max age", { reaperMaxAge: "-1 minutes" }, "reaperMaxAge", "reaperMaxAge must be zero or more"]
  ] as const) {
    it.effect(`${label} is a ValidationError naming ${field}`, () =>
      Effect.map(startWith(options), (exit) => assertRefused(exit, field, expected)))
  }

  it.effect("valid options start (and stop) a worker; an infinite job timeout means none", () =>
    Effect.gen(function*() {
      const exit = yield* startWith({ concurrency: 3, priorities: ["low"], routingKey: "gpu-1", jobTimeout: "Infinity", shutdownTimeout: 0, reaperMaxAge: 0 })
      assert.isTrue(Exit.isSuccess(exit))
    }))

  it.effect("the standalone scheduler and reaper layers refuse intervals that do not parse", () =>
    Effect.gen(function*() {
      const build = (l: Layer.Layer<never, ValidationError, never>) => Effect.exit(Effect.scoped(Layer.build(l)))
      const scheduler = yield* build(Promoter.layer({ interval: "every second" as "1 second" }).pipe(Layer.provide(memory)))
      assertRefused(scheduler, "interval", `interval: cannot read "every second" as a duration`)
      const reaper = yield* build(Reaper.layer({ maxAge: "-2 seconds" }).pipe(Layer.provide(memory)))
      assertRefused(reaper, "maxAge", `maxAge must be zero or more (and finite), got "-2 seconds"`)
    }))
})
