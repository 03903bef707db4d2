/**
 * The result transitions, decided once: storing and deleting a result, and
 * the one rule of when a stored result is final.
 *
 * @since 0.2.0
 */

import * as JobCodec from "../domain/JobCodec.ts"
import type { JobId } from "../domain/JobId.ts"
import type { Plan } from "./Plan.ts"
import * as T from "./Transitions.ts"
import * as Wire from "./Wire.ts"
import type * as JobResult from "../domain/JobResult.ts"

// --- results --------------------------------------------------------------------------

/**
 * Store a result: `HSET` (merging, as Go), `EXPIRE` by status, `PUBLISH ready`.
 *
 * @category results
 * @since 0.2.0
 */
export const storeResult = (p: Wire.Protocol, result: JobResult.JobResult): Plan => ({
  guards: [],
  writes: T.storeResultWrites(p, result)
})

/**
 * Delete a result (refused as `notWaiting` when there is none).
 *
 * @category results
 * @since 0.2.0
 */
export const deleteResult = (p: Wire.Protocol, id: JobId): Plan => ({
  guards: [{ op: "exists", key: p.keys.result(id), reason: "notWaiting" }],
  writes: [{ op: "del", key: p.keys.result(id) }]
})

/**
 * True when a stored result ends a wait: a completed result, or a failed
 * one whose job will not run again. Go stores a `failed` result on every
 * failed attempt and publishes before it rewrites the job, so a failed
 * result is not final while its job is still `pending`, `scheduled` or
 * `processing` (about to be retried). A missing or unreadable job, one of
 * Go's dead-letter records, or any other status (`failed`, `completed`, and
 * `""` of Go's cron jobs, which never retry) cannot run again.
 *
 * @category results
 * @since 0.2.0
 */
export const isFinalResult = (result: JobResult.JobResult, jobData: string | undefined): boolean => {
  if (result.status === "completed" || jobData === undefined) return true
  const decoded = JobCodec.decode(jobData)
  if (decoded._tag === "Failure") return true
  const status = decoded.success.status
  return status !== "pending" && status !== "scheduled" && status !== "processing"
}

