/**
 * The worker's metrics, as Effect `Metric`s: counters of outcomes, a
 * job-duration histogram and a queue-lag gauge. Export them with any Effect metrics exporter (or read
 * them with `Metric.value`).
 *
 * @since 0.1.0
 */

import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import type { JobPriority } from "../domain/JobPriority.ts"

/**
 * Jobs completed successfully.
 *
 * @category metrics
 * @since 0.1.0
 */
export const processed = Metric.counter("bananas_worker_jobs_processed_total", {
  description: "Jobs completed successfully",
  incremental: true
})

/**
 * Failed attempts (retried or dead-lettered), including unknown job names,
 * defects and timeouts.
 *
 * @category metrics
 * @since 0.1.0
 */
export const failed = Metric.counter("bananas_worker_jobs_failed_total", {
  description: "Failed job attempts",
  incremental: true
})

/**
 * Failed attempts that were scheduled for a retry (Go's backoff).
 *
 * @category metrics
 * @since 0.1.0
 */
export const retried = Metric.counter("bananas_worker_jobs_retried_total", {
  description: "Failed attempts scheduled for a retry",
  incremental: true
})

/**
 * Jobs dead-lettered: out of retries, or with missing/corrupted data.
 *
 * @category metrics
 * @since 0.1.0
 */
export const dead = Metric.counter("bananas_worker_jobs_dead_total", {
  description: "Jobs moved to the dead-letter list",
  incremental: true
})

/**
 * Jobs returned to their queue by the reaper after their worker's lease
 * expired (crash recovery).
 *
 * @category metrics
 * @since 0.1.0
 */
export const recovered = Metric.counter("bananas_worker_jobs_recovered_total", {
  description: "In-flight jobs recovered from dead workers",
  incremental: true
})

/**
 * Outcomes this process did not record because its worker no longer held
 * the job (its lease was recovered and the job handed on): fenced off.
 *
 * @category metrics
 * @since 0.2.0
 */
export const leaseLost = Metric.counter("bananas_worker_lease_lost_total", {
  description: "Job outcomes refused because the worker no longer held the job",
  incremental: true
})

/**
 * Jobs a worker held but never received (its dequeue reply was lost),
 * given back to their queue without counting an attempt.
 *
 * @category metrics
 * @since 0.2.0
 */
export const reclaimed = Metric.counter("bananas_worker_jobs_reclaimed_total", {
  description: "Jobs given back because the worker never received them (lost dequeue reply)",
  incremental: true
})

/**
 * Jobs moved from the scheduled set to their queue by this process's
 * scheduler.
 *
 * @category metrics
 * @since 0.1.0
 */
export const promoted = Metric.counter("bananas_worker_jobs_promoted_total", {
  description: "Scheduled jobs promoted to their queue",
  incremental: true
})

/**
 * Queue lag, per priority (`priority` attribute): milliseconds between a
 * fresh job's submission (`created_at`) and its pickup by this worker, for
 * the latest job picked up. Retries and scheduled jobs are not sampled
 * (their wait is intended).
 *
 * @category metrics
 * @since 0.1.0
 */
export const queueLag = Metric.gauge("bananas_worker_queue_lag_ms", {
  description: "Milliseconds a fresh job waited in its queue before pickup"
})

/**
 * The lag gauge of one priority.
 *
 * @category metrics
 * @since 0.1.0
 */
export const queueLagOf = (priority: JobPriority) => Metric.withAttributes(queueLag, { priority })

/**
 * How long handlers ran, in milliseconds, per outcome (`outcome`
 * attribute: `completed` or `failed`; timeouts count as failed, runs cut
 * short by a shutdown are not sampled). Buckets from 1 ms, doubling, to
 * about 70 minutes.
 *
 * @category metrics
 * @since 0.2.0
 */
export const jobDuration = Metric.histogram("bananas_worker_job_duration_ms", {
  description: "Milliseconds a job's handler ran, by outcome",
  boundaries: Metric.exponentialBoundaries({ start: 1, factor: 2, count: 23 })
})

/**
 * The job-duration histogram of completed runs.
 *
 * @category metrics
 * @since 0.2.0
 */
export const jobDurationCompleted = Metric.withAttributes(jobDuration, { outcome: "completed" })

/**
 * The job-duration histogram of failed runs (typed failures, defects,
 * timeouts, unknown job names).
 *
 * @category metrics
 * @since 0.2.0
 */
export const jobDurationFailed = Metric.withAttributes(jobDuration, { outcome: "failed" })

/**
 * Records a handler's run time under its outcome (an interrupted run is not
 * recorded).
 *
 * @category metrics
 * @since 0.2.0
 */
export const observeDuration = (outcome: "Completed" | "Failed" | "Interrupted", millis: number): Effect.Effect<void> =>
  outcome === "Interrupted" ? Effect.void : Metric.update(outcome === "Completed" ? jobDurationCompleted : jobDurationFailed, millis)

/**
 * Jobs this process is running, sampled at each lease renewal.
 *
 * @category metrics
 * @since 0.1.0
 */
export const inFlight = Metric.gauge("bananas_worker_jobs_in_flight", {
  description: "Jobs running in this worker process"
})

/**
 * A snapshot of the counters (for summaries and tests).
 *
 * @category models
 * @since 0.1.0
 */
export interface Counts {
  /** Jobs completed (`processed`). */
  readonly processed: number
  /** Failed attempts (`failed`). */
  readonly failed: number
  /** Failed attempts scheduled for a retry (`retried`). */
  readonly retried: number
  /** Jobs dead-lettered (`dead`). */
  readonly dead: number
  /** Jobs recovered from dead workers (`recovered`). */
  readonly recovered: number
  /** Scheduled jobs promoted (`promoted`). */
  readonly promoted: number
  /** Outcomes refused because the lease was lost (`leaseLost`). */
  readonly leaseLost: number
  /** Jobs given back because they were never received (`reclaimed`). */
  readonly reclaimed: number
}

/**
 * Reads the counters.
 *
 * @category getters
 * @since 0.1.0
 */
export const counts: Effect.Effect<Counts> = Effect.all({
  processed: Metric.value(processed),
  failed: Metric.value(failed),
  retried: Metric.value(retried),
  dead: Metric.value(dead),
  recovered: Metric.value(recovered),
  promoted: Metric.value(promoted),
  leaseLost: Metric.value(leaseLost),
  reclaimed: Metric.value(reclaimed)
}).pipe(Effect.map((s) => ({
  processed: s.processed.count,
  failed: s.failed.count,
  retried: s.retried.count,
  dead: s.dead.count,
  recovered: s.recovered.count,
  promoted: s.promoted.count,
  leaseLost: s.leaseLost.count,
  reclaimed: s.reclaimed.count
})))
