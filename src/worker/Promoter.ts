/**
 * The promoter of due jobs: moves them from `queue:scheduled` (retries
 * waiting for their backoff, jobs submitted for later) to their queue,
 * every `interval`. (Go calls its process doing this the scheduler; the
 * worker's options keep that name: `scheduler`, `schedulerInterval`.)
 *
 * Many promoters may run at once (one per worker process, or standalone):
 * `JobQueue.promoteDue` pushes a job once, whoever promotes it. A scheduled
 * job whose data is missing or unreadable (e.g. a naive `scheduled_for`
 * written by another SDK) is left where it is, as Go does, and logged once. It runs inside every worker by
 * default; `layer` runs it alone (e.g. next to Go workers, which have no
 * built-in promoter).
 *
 * @since 0.1.0
 */

import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as DurationInput from "../domain/DurationInput.ts"
import type { ValidationError } from "../domain/Errors.ts"
import type { JobId } from "../domain/JobId.ts"
import * as Timestamp from "../domain/Timestamp.ts"
import { JobQueue } from "../services/JobQueue.ts"
import type { StoreFailure } from "../store/JobStore.ts"
import * as Metrics from "./Metrics.ts"
import { every } from "./BackgroundLoops.ts"

/**
 * Promoter options.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /** Time between two promotion passes (default 1 second, Go's tick). */
  readonly interval?: Duration.Input | undefined
}

/**
 * The default time between two promotion passes.
 *
 * @category constants
 * @since 0.1.0
 */
export const defaultInterval: Duration.Duration = Duration.seconds(1)

/**
 * One promotion pass at the current time: returns how many jobs it moved.
 * `warned` remembers the ids already reported as unreadable, so each is
 * logged once.
 *
 * @category constructors
 * @since 0.1.0
 */
export const promoteOnce = (warned: Set<JobId> = new Set()): Effect.Effect<number, StoreFailure, JobQueue> =>
  Effect.gen(function*() {
    const queue = yield* JobQueue
    const now = Timestamp.fromMillis(yield* Clock.currentTimeMillis)
    const { promoted, skipped } = yield* queue.promoteDue(now)
    if (promoted > 0) {
      yield* Metric.update(Metrics.promoted, promoted)
      yield* Effect.logDebug(`promoted ${promoted} scheduled job(s)`)
    }
    for (const { id, reason } of skipped) {
      if (warned.has(id)) continue
      if (warned.size >= maxWarned) warned.clear()
      warned.add(id)
      yield* Effect.logWarning(`scheduled job ${id} cannot be promoted (left in the scheduled set): ${reason}`)
    }
    return promoted
  })

/**
 * Runs promotion passes forever (until interrupted). A failed pass is
 * logged and the loop goes on. An `interval` that is not a positive
 * duration fails at once with a `ValidationError` naming it.
 *
 * @category constructors
 * @since 0.1.0
 */
export const run = (options?: Options): Effect.Effect<never, ValidationError, JobQueue> =>
  Effect.flatMap(Effect.fromResult(DurationInput.decode("interval", options?.interval, "positive", defaultInterval)), (interval) =>
    Effect.suspend(() => {
      const warned = new Set<JobId>()
      return every(promoteOnce(warned), { interval, failure: "scheduled-job promotion failed", module: "bananas/Promoter" })
    }))

/**
 * The promoter alone, as a layer: runs while the layer is alive. An
 * `interval` that is not a positive duration fails the layer with a
 * `ValidationError` naming it.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options?: Options): Layer.Layer<never, ValidationError, JobQueue> =>
  Layer.effectDiscard(Effect.flatMap(
    Effect.fromResult(DurationInput.decode("interval", options?.interval, "positive", defaultInterval)),
    (interval) => Effect.forkScoped(run({ interval }))
  ))

// Internal

/** Bounds the memory of ids already reported. */
const maxWarned = 10_000
