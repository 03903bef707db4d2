/**
 * Go's retry rule: whether a failed attempt runs again, after what backoff,
 * and the score its retry is scheduled at. The transitions that end an
 * attempt (`Transitions.fail`, the recovery of expired leases) decide
 * retries here only. A new job's budget is `Job.defaultMaxRetries`.
 *
 * @since 0.2.0
 */

import type { Job } from "../domain/Job.ts"
import * as Timestamp from "../domain/Timestamp.ts"

/**
 * Go's rule: a failed attempt is retried while `attempts + 1 < max_retries`
 * (so `max_retries` counts runs in all; 0 or 1 means a single run). A
 * failure that is not `retryable` (one no retry can fix, such as a payload
 * that does not match its job's schema) is never retried, whatever the
 * budget left: the job is dead-lettered as when the budget is spent.
 *
 * @category predicates
 * @since 0.2.0
 */
export const willRetry = (job: Job, retryable: boolean = true): boolean => retryable && job.attempts + 1 < job.maxRetries

/**
 * Go's backoff before the retry that follows the `attempts`-th failure:
 * 2^attempts seconds (2 s, 4 s, 8 s, ...).
 *
 * @category constants
 * @since 0.2.0
 */
export const backoffSeconds = (attempts: number): number => 2 ** attempts

/**
 * The score Go writes for a retry: the whole unix second of `scheduled_for`
 * (so a 2 s backoff runs 1–2 s later: promotion compares with whole seconds).
 *
 * @category conversions
 * @since 0.2.0
 */
export const retryScore = (t: Timestamp.Timestamp): number => Math.floor(Timestamp.toUnixSeconds(t))
