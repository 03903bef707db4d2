/**
 * The reaper: crash recovery. Every worker holds a lease on each job it
 * runs and renews it while the job runs; when a worker dies (SIGKILL, power
 * loss) its leases expire and the reaper returns those jobs to their queue,
 * counting the attempt (`Queue.reapExpired`).
 *
 * Entries of `queue:processing` without a lease belong to workers that do
 * not take leases (Go's): they are left alone unless `maxAge` is set, in
 * which case entries older than it are recovered too.
 *
 * It runs inside every worker by default; `layer` runs it alone.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as DurationInput from "../domain/DurationInput.ts"
import type { ValidationError } from "../domain/Errors.ts"
import type { JobId } from "../domain/JobId.ts"
import { JobQueue } from "../services/JobQueue.ts"
import type { StoreFailure } from "../store/JobStore.ts"
import * as Metrics from "./Metrics.ts"
import { every } from "./Survive.ts"

/**
 * Reaper options.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /** Time between two passes (default 5 seconds). */
  readonly interval?: Duration.Input | undefined
  /**
   * Also recover processing entries that carry no lease (another kind of
   * worker's) once older than this. Off by default: a Go worker may still
   * be running them.
   */
  readonly maxAge?: Duration.Input | undefined
}

/**
 * The default time between two reaper passes.
 *
 * @category constants
 * @since 0.1.0
 */
export const defaultInterval: Duration.Duration = Duration.seconds(5)

/**
 * One reaper pass: returns the ids it recovered.
 *
 * @category constructors
 * @since 0.1.0
 */
export const reapOnce = (options?: Options): Effect.Effect<ReadonlyArray<JobId>, StoreFailure, JobQueue> =>
  Effect.gen(function*() {
    const queue = yield* JobQueue
    const ids = yield* queue.reapExpired(
      options?.maxAge === undefined ? undefined : { maxAge: Duration.fromInputUnsafe(options.maxAge) }
    )
    if (ids.length > 0) {
      yield* Metric.update(Metrics.recovered, ids.length)
      yield* Effect.logWarning(`recovered ${ids.length} job(s) whose worker's lease expired`).pipe(
        Effect.annotateLogs({ jobIds: ids.join(",") })
      )
    }
    return ids
  })

/**
 * Runs reaper passes forever (until interrupted). A failed pass is logged
 * and the loop goes on.
 *
 * @category constructors
 * @since 0.1.0
 */
export const run = (options?: Options): Effect.Effect<never, never, JobQueue> => {
  const interval = Duration.fromInputUnsafe(options?.interval ?? defaultInterval)
  return every(reapOnce(options), { interval, failure: "lease reaper pass failed", module: "bananas/Reaper" })
}

/**
 * The reaper alone, as a layer: runs while the layer is alive. An
 * `interval` or `maxAge` that is not a valid duration fails the layer with
 * a `ValidationError` naming it.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options?: Options): Layer.Layer<never, ValidationError, JobQueue> =>
  Layer.effectDiscard(Effect.gen(function*() {
    const interval = yield* Effect.fromResult(DurationInput.decode("interval", options?.interval, "positive", defaultInterval))
    const maxAge = options?.maxAge === undefined
      ? undefined
      : yield* Effect.fromResult(DurationInput.decode("maxAge", options.maxAge, "nonNegative"))
    yield* Effect.forkScoped(run({ interval, maxAge }))
  }))
