/**
 * The reaper: crash recovery. Every worker holds a lease on each job it
 * runs and renews it while the job runs; when a worker dies (SIGKILL, power
 * loss) its leases expire and the reaper returns those jobs to their queue,
 * counting the attempt (`Queue.reapExpired`).
 *
 * Entries of `queue:processing` without a lease belong to workers that do
 * not take leases (Go's), or are leftovers no worker holds: they are
 * recovered once older than `maxAge` (default 1 hour, `defaultMaxAge`). An
 * entry whose job is final already (a second delivery of one id, as Go's
 * cron jobs, all with id `""`, get) is only removed.
 *
 * It runs inside every worker by default; `layer` runs it alone.
 *
 * @since 0.1.0
 */

import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Result from "effect/Result"
import * as DurationInput from "../domain/DurationInput.ts"
import type { ValidationError } from "../domain/Errors.ts"
import type { JobId } from "../domain/JobId.ts"
import { JobQueue } from "../services/JobQueue.ts"
import type { StoreFailure } from "../store/JobStore.ts"
import * as Metrics from "./Metrics.ts"
import { every } from "./BackgroundLoops.ts"

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
   * worker's, or leftovers no worker holds) once older than this (default
   * `defaultMaxAge`, 1 hour; `Infinity`: never).
   */
  readonly maxAge?: Duration.Input | undefined
}

/**
 * How old an unleased processing entry gets before the reaper recovers it
 * by default: 1 hour. Go's workers take no lease, so a Go job running
 * longer than this may run twice; set `maxAge` higher (or `Infinity`:
 * never) when Go workers run such jobs beside ours. Entries no worker
 * holds (a Go client or worker bug, a second delivery of one id) would
 * otherwise stay for good.
 *
 * @category constants
 * @since 0.2.0
 */
export const defaultMaxAge: Duration.Duration = Duration.hours(1)

/**
 * `maxAge` as given: the default when undefined, none (never) when
 * infinite, else a non-negative duration (a `ValidationError` naming
 * `field` otherwise).
 *
 * @category constructors
 * @since 0.2.0
 */
export const decodeMaxAge = (
  input: Duration.Input | undefined,
  field = "reaperMaxAge"
): Result.Result<Duration.Duration | undefined, ValidationError> => {
  if (input === undefined) return Result.succeed(defaultMaxAge)
  if (input === Infinity || (Duration.isDuration(input) && !Duration.isFinite(input))) return Result.succeed(undefined)
  return DurationInput.decode(field, input, "nonNegative")
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
    const maxAge = yield* Effect.orDie(Effect.fromResult(decodeMaxAge(options?.maxAge, "maxAge")))
    const ids = yield* queue.reapExpired(maxAge === undefined ? undefined : { maxAge })
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
 * and the loop goes on. An `interval` that is not a positive duration fails
 * at once with a `ValidationError` naming it.
 *
 * @category constructors
 * @since 0.1.0
 */
export const run = (options?: Options): Effect.Effect<never, ValidationError, JobQueue> =>
  Effect.flatMap(Effect.fromResult(DurationInput.decode("interval", options?.interval, "positive", defaultInterval)), (interval) =>
    every(reapOnce(options), { interval, failure: "lease reaper pass failed", module: "bananas/Reaper" }))

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
    const maxAge = yield* Effect.fromResult(decodeMaxAge(options?.maxAge, "maxAge"))
    yield* Effect.forkScoped(run({ interval, maxAge: maxAge ?? Infinity }))
  }))
