/**
 * The cron scheduler: a loop that fires the due slots of every stored
 * schedule (`Schedules.fireDue`) and sleeps until the earliest next slot
 * (at most `pollInterval`, so schedules stored by other processes are seen).
 * Any number of these loops, in any number of processes, fire each slot
 * once: every firing is one atomic step guarded by the schedule's next slot
 * and the slot's job id (`ScheduleTransitions`). Metrics: slots fired,
 * slots skipped, and how late each slot's job was enqueued.
 *
 * @since 0.2.0
 */

import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Clock from "effect/Clock"
import * as DurationInput from "../domain/DurationInput.ts"
import type { ValidationError } from "../domain/Errors.ts"
import { Schedules } from "../services/Schedules.ts"

/**
 * Options of the scheduler loop.
 *
 * @category models
 * @since 0.2.0
 */
export interface Options {
  /** Longest sleep between passes (default 1 s): how soon a schedule stored elsewhere is seen. */
  readonly pollInterval?: Duration.Input | undefined
}

/**
 * Slots whose job was enqueued.
 *
 * @category metrics
 * @since 0.2.0
 */
export const fired = Metric.counter("bananas_scheduler_slots_fired_total", {
  description: "Schedule slots whose job was enqueued",
  incremental: true
})

/**
 * Slots passed over: by a misfire policy, or because their job existed.
 *
 * @category metrics
 * @since 0.2.0
 */
export const skipped = Metric.counter("bananas_scheduler_slots_skipped_total", {
  description: "Schedule slots skipped (misfire policy, or job existing)",
  incremental: true
})

/**
 * How late a slot's job was enqueued, in milliseconds after the slot.
 *
 * @category metrics
 * @since 0.2.0
 */
export const lateBy = Metric.histogram("bananas_scheduler_late_ms", {
  description: "Milliseconds between a slot and the enqueue of its job",
  boundaries: Metric.exponentialBoundaries({ start: 1, factor: 2, count: 24 })
})

/**
 * The scheduler loop (runs until interrupted). A pass that fails (Redis
 * unreachable) is logged and tried again after `pollInterval`.
 *
 * @category constructors
 * @since 0.2.0
 */
export const run = (options: Options = {}): Effect.Effect<never, ValidationError, Schedules> =>
  Effect.gen(function*() {
    const schedules = yield* Schedules
    const poll = Duration.toMillis(yield* Effect.fromResult(DurationInput.decode("pollInterval", options.pollInterval, "positive", Duration.seconds(1))))
    const pass = Effect.gen(function*() {
      const report = yield* schedules.fireDue
      for (const f of report.fired) {
        yield* Metric.update(fired, 1)
        yield* Metric.update(lateBy, Math.max(0, f.lateMillis))
      }
      if (report.skipped > 0) yield* Metric.update(skipped, report.skipped)
      const now = yield* Clock.currentTimeMillis
      if (report.nextDue === undefined) return poll
      const wait = report.nextDue * 1000 - now
      // Still due after the pass (Go's lock held): try again soon, without spinning.
      return wait <= 0 ? Math.min(poll, retryDueMillis) : Math.min(poll, wait)
    }).pipe(Effect.catch((error) => Effect.as(Effect.logWarning("cron scheduler pass failed; retrying", error), poll)))
    while (true) {
      const wait = yield* pass
      yield* Effect.sleep(Duration.millis(wait))
    }
  }).pipe(Effect.annotateLogs({ module: "CronScheduler" }))

/** How soon a pass is repeated when a schedule stayed due (its firing was refused under Go's lock). */
const retryDueMillis = 100

/**
 * The scheduler loop forked into the layer's scope. A `pollInterval`
 * that is not a positive duration fails the layer with a `ValidationError`
 * naming it.
 *
 * @category layers
 * @since 0.2.0
 */
export const layer = (options: Options = {}): Layer.Layer<never, ValidationError, Schedules> =>
  Layer.effectDiscard(Effect.flatMap(
    Effect.fromResult(DurationInput.decode("pollInterval", options.pollInterval, "positive", Duration.seconds(1))),
    (pollInterval) => Effect.forkScoped(run({ ...options, pollInterval }))
  ))
