/**
 * The worker's upkeep of the jobs it holds: writing an attempt's outcome
 * for as long as it takes (the job stays leased meanwhile), and renewing
 * leases and the worker's heartbeat.
 *
 * @since 0.2.0
 */

import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as Schedule from "effect/Schedule"
import type { LeaseLostError } from "../domain/Errors.ts"
import type { JobId } from "../domain/JobId.ts"
import { retryFrom } from "../layers/Policies.ts"
import type { JobDelivery, JobQueue } from "../services/JobQueue.ts"
import type { StoreFailure } from "../store/JobStore.ts"
import * as Metrics from "./Metrics.ts"
import type { Config } from "./WorkerConfig.ts"

/**
 * Writes an attempt's outcome, retrying every storage failure (Redis down,
 * out of memory, a wrong-typed key until someone repairs it) with a
 * backoff capped at 10 s, for as long as it takes: the job stays leased
 * meanwhile, so it is neither lost nor run again. Each failure is logged.
 * Only a lost lease ends it (the job belongs to another worker now). The
 * retry machinery is built after a first failure only: the success path
 * of every job pays nothing for it.
 */
export const persist = <A>(effect: Effect.Effect<A, StoreFailure | LeaseLostError>): Effect.Effect<A, StoreFailure | LeaseLostError> =>
  Effect.catch(effect, (first) =>
    first._tag === "LeaseLostError"
      ? Effect.fail(first)
      : Effect.andThen(
        warnPersist(first),
        retryFrom(first, Effect.tapError(effect, warnPersist), persistSchedule, (error) => error._tag !== "LeaseLostError")
      ))

const warnPersist = (error: StoreFailure | LeaseLostError) =>
  error._tag === "LeaseLostError"
    ? Effect.void
    : Effect.logWarning(`could not record the job's outcome (${error._tag}); retrying while the job stays leased`, error)

const renewRetryDelay = Duration.seconds(1)

const persistSchedule = Schedule.min([Schedule.exponential("100 millis"), Schedule.spaced("10 seconds")]).pipe(Schedule.jittered)

/**
 * A bounded retry (a few seconds) of a step taken while stopping.
 *
 * @category combinators
 * @since 0.2.0
 */
export const retryBriefly = <A>(effect: Effect.Effect<A, StoreFailure>): Effect.Effect<A, StoreFailure> =>
  Effect.retry(effect, { schedule: Schedule.max([Schedule.exponential("100 millis"), Schedule.recurs(6)]), while: (e) => e.isRetryable })

/**
 * Renews the leases of the jobs a worker runs, and its heartbeat, every
 * renewal interval, forever. A refused renewal is reported only for a job
 * whose handler still runs: one whose outcome is being written (`writing`)
 * or was written may have had its lease removed by that very write (a
 * completion ends the lease), and a real loss is reported by the write
 * itself (`LeaseLostError`).
 *
 * @category constructors
 * @since 0.2.0
 */
export const renewLeases = (
  queue: JobQueue["Service"],
  running: ReadonlyMap<JobId, JobDelivery>,
  writing: ReadonlySet<JobId>,
  config: Config
): Effect.Effect<never> =>
  Effect.suspend(() => {
    const deliveries = Array.from(running.values())
    return Metric.update(Metrics.inFlight, deliveries.length).pipe(
      Effect.andThen(queue.renewLeases(config.workerId, deliveries, config.leaseDuration)),
      Effect.map((refused) => refused.filter((id) => running.has(id) && !writing.has(id))),
      Effect.flatMap((lost) =>
        lost.length === 0
          ? Effect.void
          : Effect.logWarning(`lost the lease of ${lost.length} running job(s): another worker owns them now; their outcome will be discarded`).pipe(
            Effect.annotateLogs({ jobIds: lost.join(",") })
          )
      )
    )
  }).pipe(
    Effect.as(config.leaseRenewInterval),
    // A failed renewal (Redis unreachable: commands fail at once, unsent) is
    // tried again within a second, not a whole interval later: the
    // heartbeat must not lapse over a short outage.
    Effect.catch((error) => Effect.as(Effect.logWarning("lease renewal failed; retrying", error), Duration.min(config.leaseRenewInterval, renewRetryDelay))),
    Effect.flatMap(Effect.sleep),
    Effect.forever,
    Effect.annotateLogs({ module: "bananas/Worker", fiber: "lease-renewal" })
  )

