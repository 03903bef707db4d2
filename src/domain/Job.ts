/**
 * A Bananas job as stored at `job:{id}`.
 *
 * Fields mirror Go's `models.Job`. Optional text fields are absent when
 * empty (Go's `omitempty`); `payload` is the raw JSON text, never re-encoded.
 *
 * @since 0.1.0
 */
import type { JobId } from "./JobId.ts"
import type { JobPriority } from "./JobPriority.ts"
import type { JobStatus } from "./JobStatus.ts"
import type { RawJson } from "./RawJson.ts"
import * as Timestamp from "./Timestamp.ts"

/**
 * A job.
 *
 * @category models
 * @since 0.1.0
 */
export interface Job {
  readonly id: JobId
  readonly name: string
  readonly description?: string | undefined
  readonly payload: RawJson
  /** `""` only for jobs built by Go's cron scheduler. */
  readonly status: JobStatus | ""
  readonly priority: JobPriority
  readonly createdAt: Timestamp.Timestamp
  readonly updatedAt: Timestamp.Timestamp
  readonly scheduledFor?: Timestamp.Timestamp | undefined
  readonly attempts: number
  readonly maxRetries: number
  readonly error?: string | undefined
  /** Route-Go's routing key; written last, and only when present. */
  readonly routingKey?: string | undefined
}

/**
 * The retry budget of a new job when none is given (Go's `NewJob`).
 *
 * @category constants
 * @since 0.1.0
 */
export const defaultMaxRetries = 3

/**
 * Builds a new pending job, as Go's `NewJob` does.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (options: {
  readonly id: JobId
  readonly name: string
  readonly payload: RawJson
  readonly priority: JobPriority
  readonly now: Timestamp.Timestamp
  readonly description?: string | undefined
  readonly maxRetries?: number | undefined
  readonly routingKey?: string | undefined
}): Job => ({
  id: options.id,
  name: options.name,
  description: options.description,
  payload: options.payload,
  status: "pending",
  priority: options.priority,
  createdAt: options.now,
  updatedAt: options.now,
  attempts: 0,
  maxRetries: options.maxRetries ?? defaultMaxRetries,
  routingKey: options.routingKey
})

/**
 * True when a failure on the job's current attempt will be retried, given
 * Go's rule: retry while `attempts + 1 < max_retries`.
 *
 * @category predicates
 * @since 0.1.0
 */
export const willRetryAfterFailure = (job: Job): boolean => job.attempts + 1 < job.maxRetries

/**
 * Go's backoff for the retry after `attempts` failures: 2^attempts seconds.
 *
 * @category constants
 * @since 0.1.0
 */
export const backoffSeconds = (attemptsAfterFailure: number): number => 2 ** attemptsAfterFailure
