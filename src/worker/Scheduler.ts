/**
 * The scheduler: moves due jobs from `queue:scheduled` (retries waiting for
 * their backoff, jobs submitted for later) to their queue, every `interval`.
 *
 * Many schedulers may run at once (one per worker process, or standalone):
 * `Queue.promoteDue` pushes a job only from the promoter whose `ZREM`
 * removed it, so no job is pushed twice. It runs inside every worker by
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
import type { ConnectionError } from "../domain/Errors.ts"
import * as Timestamp from "../domain/Timestamp.ts"
import { Queue } from "../services/Queue.ts"
import * as Metrics from "./Metrics.ts"
import { every } from "./Survive.ts"

/**
 * Scheduler options.
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
 *
 * @category constructors
 * @since 0.1.0
 */
export const promoteOnce: Effect.Effect<number, ConnectionError, Queue> = Effect.gen(function*() {
  const queue = yield* Queue
  const now = Timestamp.fromMillis(yield* Clock.currentTimeMillis)
  const moved = yield* queue.promoteDue(now)
  if (moved > 0) {
    yield* Metric.update(Metrics.promoted, moved)
    yield* Effect.logDebug(`promoted ${moved} scheduled job(s)`)
  }
  return moved
})

/**
 * Runs promotion passes forever (until interrupted). A failed pass is
 * logged and the loop goes on.
 *
 * @category constructors
 * @since 0.1.0
 */
export const run = (options?: Options): Effect.Effect<never, never, Queue> => {
  const interval = Duration.fromInputUnsafe(options?.interval ?? defaultInterval)
  return every(promoteOnce, { interval, failure: "scheduled-job promotion failed", module: "bananas/Scheduler" })
}

/**
 * The scheduler alone, as a layer: runs while the layer is alive.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options?: Options): Layer.Layer<never, never, Queue> =>
  Layer.effectDiscard(Effect.forkScoped(run(options)))
