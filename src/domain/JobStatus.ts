/**
 * Job statuses as stored in job JSON.
 *
 * @since 0.1.0
 */

import * as Schema from "effect/Schema"

/**
 * The statuses of the protocol. Go never stores `processing`; jobs built by
 * Go's cron scheduler carry an empty status, read here as `""`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const JobStatus = Schema.Literals(["pending", "processing", "completed", "failed", "scheduled"])

/**
 * `"pending" | "processing" | "completed" | "failed" | "scheduled"`.
 *
 * @category models
 * @since 0.1.0
 */
export type JobStatus = typeof JobStatus.Type

/**
 * True for the five protocol statuses.
 *
 * @category guards
 * @since 0.1.0
 */
export const isJobStatus = (u: unknown): u is JobStatus =>
  u === "pending" || u === "processing" || u === "completed" || u === "failed" || u === "scheduled"

/**
 * True when the job will not run again: `completed` or `failed`.
 *
 * @category guards
 * @since 0.1.0
 */
export const isFinal = (status: JobStatus | ""): boolean => status === "completed" || status === "failed"
