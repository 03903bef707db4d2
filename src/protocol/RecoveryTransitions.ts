/**
 * The recovery transitions, decided once (see `Transitions` for the shared
 * rules): reaping jobs of dead workers, dropping stale leases, leasing Go's
 * unleased entries, promoting due scheduled jobs.
 *
 * @since 0.2.0
 */

import type { Job } from "../domain/Job.ts"
import * as JobCodec from "../domain/JobCodec.ts"
import type { JobId } from "../domain/JobId.ts"
import * as Timestamp from "../domain/Timestamp.ts"
import type { Guard, Plan, Write } from "./Plan.ts"
import * as T from "./Transitions.ts"
import type { Claim, Step } from "./Transitions.ts"
import { ownerOf } from "./Take.ts"
import * as Retry from "./Retry.ts"
import * as Wire from "./Wire.ts"

// --- recovery ------------------------------------------------------------------------

/**
 * A processing entry whose lease expired, as the reaper read it.
 *
 * @category recovery
 * @since 0.2.0
 */
export interface Expired extends Claim {
  /** The job data read (undefined when missing). */
  readonly data: string | undefined
  /** The reaper's clock, epoch ms: the lease must have expired by then. */
  readonly nowMillis: number
}

/**
 * Recover a job whose lease expired and whose worker is gone (its held set
 * no longer names it): attempts + 1 with error `lease expired: worker lost`,
 * back at the head of its queue while Go's rule allows a retry, else
 * dead-lettered with a failed result. Missing or corrupt data is
 * dead-lettered as `deadLetterData` does. An entry whose job is final
 * already (`completed`, or `failed` for good: a leftover of a second
 * delivery of the same id) is only removed, its outcome kept. Refused when anything changed
 * since it was read (`changed`), when it left processing (`notWaiting`), or
 * while its worker still heartbeats (`ownerAlive`).
 *
 * @category recovery
 * @since 0.2.0
 */
export const reap = (p: Wire.Protocol, expired: Expired): Step<"retried" | "dead" | "badData" | "finished"> => {
  const { keys } = p
  const now = Timestamp.fromMillis(expired.nowMillis)
  const key = keys.job(expired.id)
  const guards: Array<Guard> = [
    { op: "zle", key: keys.leases, member: expired.id, max: expired.nowMillis, reason: "changed" },
    expired.token === undefined
      ? { op: "hnil", key: keys.tokens, field: expired.id, reason: "changed" }
      : { op: "heq", key: keys.tokens, field: expired.id, value: expired.token, reason: "changed" },
    T.unchanged(key, expired.data),
    { op: "lhas", key: keys.processing, member: expired.id, reason: "notWaiting" },
    ...(expired.token === undefined
      ? []
      : [{ op: "snot", key: keys.held(ownerOf(expired.token)), member: expired.id, reason: "ownerAlive" } as const])
  ]
  const decoded = expired.data === undefined ? undefined : JobCodec.decode(expired.data)
  if (decoded === undefined || decoded._tag === "Failure") {
    const goError = decoded === undefined ? undefined : decoded.failure.message
    const { record, error } = T.badDataRecord(expired.id, expired.data, goError)
    return { value: "badData", plan: { guards, writes: T.deadLetterWrites(p, expired, record, { error, now, durationMs: 0 }) } }
  }
  const job = decoded.success
  // A leftover entry of a job whose outcome is recorded already (a second
  // delivery of one id: Go's cron jobs all have id ""): only the entry goes.
  if (job.status === "completed" || job.status === "failed") {
    return { value: "finished", plan: { guards, writes: T.letGo(p, expired) } }
  }
  const attempts = job.attempts + 1
  const error = Wire.errorText.leaseExpired
  if (Retry.willRetry(job)) {
    // Back at the head at once (no backoff): the worker died, not the job.
    const retried: Job = { ...job, status: "pending", attempts, error, updatedAt: now, scheduledFor: undefined }
    return {
      value: "retried",
      plan: {
        guards,
        writes: [
          { op: "set", key, value: JobCodec.encode(retried) },
          ...T.letGo(p, expired),
          { op: "rpush", key: T.queueOf(p, job), value: job.id },
          T.wake(p, job.priority),
          ...T.outcomeWrites(p, "job.failed", retried, { jobId: job.id, status: "failed", error, completedAt: now, durationMs: 0 }, false)
        ]
      }
    }
  }
  const dead: Job = { ...job, status: "failed", attempts, error, updatedAt: now, scheduledFor: undefined }
  return { value: "dead", plan: T.deadPlan(p, expired, dead, guards, { error, now, durationMs: 0 }) }
}

/**
 * Drop an expired lease whose id is no longer in processing (its job
 * finished by a worker that left the lease behind).
 *
 * @category recovery
 * @since 0.2.0
 */
export const dropLease = (p: Wire.Protocol, claim: Claim, nowMillis: number): Plan => ({
  guards: [
    { op: "zle", key: p.keys.leases, member: claim.id, max: nowMillis, reason: "changed" },
    claim.token === undefined
      ? { op: "hnil", key: p.keys.tokens, field: claim.id, reason: "changed" }
      : { op: "heq", key: p.keys.tokens, field: claim.id, value: claim.token, reason: "changed" }
  ],
  writes: T.leaseWrites(p, claim)
})

/**
 * Give a processing entry without a lease (Go workers', or taken without a
 * lease) one expiring at `expiresAt`, if it has none yet: the reaper
 * recovers it once it passes. Refused when it left processing or got a
 * token meanwhile (a job of ours finishing between the reaper's reads),
 * so no stray lease is left behind.
 *
 * @category recovery
 * @since 0.2.0
 */
export const stampUnleased = (p: Wire.Protocol, id: JobId, expiresAt: number): Plan => ({
  guards: [
    { op: "lhas", key: p.keys.processing, member: id, reason: "notWaiting" },
    { op: "hnil", key: p.keys.tokens, field: id, reason: "changed" }
  ],
  writes: [{ op: "zadd", key: p.keys.leases, score: expiresAt, member: id, nx: true } satisfies Write]
})

/**
 * Promote a due scheduled job (`score <= maxScore`): out of
 * `queue:scheduled`, `scheduled_for` dropped (nothing else changes, as Go),
 * `LPUSH` its queue, workers woken. Refused when it was promoted, cancelled
 * or rescheduled meanwhile, so concurrent promoters push it once.
 *
 * @category recovery
 * @since 0.2.0
 */
export const promote = (p: Wire.Protocol, read: {
  /** The job JSON as read (the plan is refused if it changed). */
  readonly data: string
  /** The job, decoded from `data`. */
  readonly job: Job
  /** The highest score still due (the promotion pass's time, unix seconds). */
  readonly maxScore: number
}): Plan => {
  const { keys } = p
  const promoted: Job = { ...read.job, scheduledFor: undefined }
  return {
    guards: [
      { op: "zle", key: keys.scheduled, member: read.job.id, max: read.maxScore, reason: "notDue" },
      { op: "eq", key: keys.job(read.job.id), value: read.data, reason: "changed" }
    ],
    writes: [
      { op: "zrem", key: keys.scheduled, member: read.job.id },
      { op: "set", key: keys.job(read.job.id), value: JobCodec.encode(promoted) },
      { op: "lpush", key: T.queueOf(p, promoted), value: promoted.id },
      T.wake(p, promoted.priority)
    ]
  }
}

