/**
 * Worker options that cannot run are programming errors: the worker dies
 * at start with a message naming the option, before taking any job.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Handlers from "../../src/worker/Handlers.ts"
import * as Worker from "../../src/worker/Worker.ts"
import { freshMetrics, memory } from "./support/Backend.ts"

const startWith = (options: Partial<Worker.Options<never>>) =>
  Effect.exit(Effect.scoped(Worker.make({ handlers: Handlers.empty, ...options }))).pipe(freshMetrics, Effect.provide(memory))

describe("Worker options", () => {
  for (const [label, options, expected] of [
    ["zero concurrency", { concurrency: 0 }, "concurrency must be a positive integer"],
    ["fractional concurrency", { concurrency: 1.5 }, "concurrency must be a positive integer"],
    ["no priorities", { priorities: [] }, "priorities must name at least one priority"],
    ["an unknown priority", { priorities: ["urgent" as "high"] }, `unknown priority "urgent"`],
    ["a malformed routing key", { routingKey: "gpu pool" }, "routingKey must match"],
    ["a zero lease", { leaseDuration: "0 millis" }, "leaseDuration must be positive"],
    ["a zero renewal interval", { leaseRenewInterval: "0 millis" }, "leaseRenewInterval must be positive"],
    ["a zero reaper interval", { reaperInterval: "0 millis" }, "reaperInterval must be positive"],
    ["a zero scheduler interval", { schedulerInterval: "0 millis" }, "schedulerInterval must be positive"],
    ["a zero reclaim interval", { reclaimInterval: "0 millis" }, "reclaimInterval must be positive"]
  ] as const) {
    it.effect(`${label} is a defect naming the option`, () =>
      Effect.gen(function*() {
        const exit = yield* startWith(options)
        assert.isTrue(Exit.isFailure(exit))
        if (Exit.isFailure(exit)) {
          const defect = Cause.squash(exit.cause)
          assert.instanceOf(defect, RangeError)
          assert.include((defect as RangeError).message, expected)
        }
      }))
  }

  it.effect("valid options start (and stop) a worker", () =>
    Effect.gen(function*() {
      const exit = yield* startWith({ concurrency: 3, priorities: ["low"], routingKey: "gpu-1" })
      assert.isTrue(Exit.isSuccess(exit))
    }))
})
