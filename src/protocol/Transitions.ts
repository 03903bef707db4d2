/**
 * The job transitions of producers and workers, decided once: each function takes
 * what was read and returns the `Plan` of its one atomic step (what to
 * write, where the id goes, what to publish) and the job as it will be.
 * Backends never decide; they carry plans out (`Plan`). Recovery
 * (`RecoveryTransitions`), management (`AdminTransitions`) and results
 * (`ResultTransitions`) follow the same rules.
 *
 * Shared rules:
 *
 * - A plan that rewrites the job is refused as `alreadyApplied` when the job
 *   already holds the JSON it writes (`Guard.appliedIf`): when a lost reply
 *   makes the same step run twice, the second run changes nothing and still
 *   reports success.
 * - Only the holder of a job may end it: `held` checks the delivery's lease
 *   token (fencing); a job taken without a lease must still be in
 *   processing and carry no token.
 * - A final outcome (completed, dead-lettered for any reason, cancelled)
 *   writes the result hash and publishes `ready`, so every wait ends at once.
 * - With events on, every outcome of an attempt also writes its event job
 *   (`Events`, through `Steps.outcomeWrites`) in the same step.
 * - Every write that makes work available publishes `queue:wake`.
 *
 * @since 0.2.0
 */
import type { Job } from "../domain/Job.ts"
import * as JobCodec from "../domain/JobCodec.ts"
import type { RawJson } from "../domain/RawJson.ts"
import * as Timestamp from "../domain/Timestamp.ts"
import type { Plan, Write } from "./Plan.ts"
import * as S from "./Steps.ts"
import type { Claim, Step } from "./Steps.ts"
import { ownerOf } from "./Take.ts"
import * as Wire from "./Wire.ts"

export type { Claim, Step } from "./Steps.ts"

/**
 * What ending an attempt decided.
 *
 * @category models
 * @since 0.2.0
 */
export type FailOutcome =
  /** Scheduled for another attempt after Go's backoff: `job` as written. */
  | { readonly _tag: "Retrying"; readonly job: Job }
  /** Out of attempts, dead-lettered: `job` as written. */
  | { readonly _tag: "Dead"; readonly job: Job }

// --- producers -------------------------------------------------------------------

/**
 * Enqueue a new job: `SET job`, `LPUSH` its queue, wake workers. A job whose
 * id exists is refused as `duplicate` (nothing overwritten, nothing queued);
 * the same job again (a resend) as `alreadyApplied`. A stale result of an
 * earlier job with the same id is deleted, so waits see only this job's.
 *
 * @category producers
 * @since 0.2.0
 */
export const enqueue = (p: Wire.Protocol, job: Job): Plan =>
  create(p, job, [{ op: "lpush", key: S.queueOf(p, job), value: job.id }, S.wake(p, job.priority)])

/**
 * Schedule a new job due at `dueAt`: `SET job` (status `scheduled`,
 * `scheduled_for` set) and `ZADD queue:scheduled <unix s> id`. Duplicates as
 * `enqueue`.
 *
 * @category producers
 * @since 0.2.0
 */
export const schedule = (p: Wire.Protocol, job: Job, dueAt: Timestamp.Timestamp): Plan =>
  create(p, job, [{ op: "zadd", key: p.keys.scheduled, score: Wire.scheduleScore(dueAt), member: job.id }])

/** A new job: `SET job` unless the id exists, its stale result deleted, then where it waits (`placed`). */
const create = (p: Wire.Protocol, job: Job, placed: ReadonlyArray<Write>): Plan => {
  const json = JobCodec.encode(job)
  return { guards: S.create(p.keys.job(job.id), json), writes: S.newJobWrites(p, job, json, placed) }
}

// --- the end of an attempt ---------------------------------------------------------

/**
 * Complete a held job: status `completed` (data TTL 24 h), out of processing
 * and its lease, the result hash merged with its TTL, `ready` published.
 *
 * @category attempts
 * @since 0.2.0
 */
export const complete = (p: Wire.Protocol, claim: Claim, job: Job, outcome: {
  /** The result JSON to store (none: no `result` field, as Go's handlers). */
  readonly result?: RawJson | undefined
  /** How long the attempt ran, in milliseconds. */
  readonly durationMs: number
  /** When it ended. */
  readonly now: Timestamp.Timestamp
}): Step => {
  const done: Job = { ...job, status: "completed", updatedAt: outcome.now }
  const json = JobCodec.encode(done)
  const key = p.keys.job(job.id)
  return {
    value: done,
    plan: {
      guards: S.orApplied(S.held(p, claim), key, json),
      writes: [
        { op: "set", key, value: json, ttl: p.ttl.completedJob },
        ...S.letGo(p, claim),
        ...S.outcomeWrites(p, "job.completed", done, {
          jobId: job.id,
          status: "completed",
          result: outcome.result,
          completedAt: outcome.now,
          durationMs: outcome.durationMs
        }, true)
      ]
    }
  }
}

/**
 * Fail an attempt of a held job: attempts + 1; while Go's rule allows a
 * retry, status `pending` with `scheduled_for` now + 2^attempts s and the id
 * in `queue:scheduled` at that whole second (no result: the job is not
 * finished); else status `failed` (TTL 7 d), `LPUSH queue:dead`, a failed
 * result and `ready`.
 *
 * @category attempts
 * @since 0.2.0
 */
export const fail = (p: Wire.Protocol, claim: Claim, job: Job, error: string, outcome: {
  /** How long the attempt ran, in milliseconds. */
  readonly durationMs: number
  /** When it ended. */
  readonly now: Timestamp.Timestamp
}): Step<FailOutcome> => {
  const attempts = job.attempts + 1
  if (Wire.willRetry(job)) {
    const scheduledFor = Timestamp.addSeconds(outcome.now, Wire.backoffSeconds(attempts))
    const retried: Job = { ...job, status: "pending", attempts, error, updatedAt: outcome.now, scheduledFor }
    const json = JobCodec.encode(retried)
    const key = p.keys.job(job.id)
    return {
      value: { _tag: "Retrying", job: retried },
      plan: {
        guards: S.orApplied(S.held(p, claim), key, json),
        writes: [
          { op: "set", key, value: json },
          { op: "zadd", key: p.keys.scheduled, score: Wire.retryScore(scheduledFor), member: job.id },
          ...S.letGo(p, claim),
          ...S.outcomeWrites(p, "job.failed", retried, attemptResult(job.id, error, outcome), false)
        ]
      }
    }
  }
  const dead: Job = { ...job, status: "failed", attempts, error, updatedAt: outcome.now, scheduledFor: undefined }
  return {
    value: { _tag: "Dead", job: dead },
    plan: S.deadPlan(p, claim, dead, [...S.held(p, claim)], { error, now: outcome.now, durationMs: outcome.durationMs })
  }
}

/** A failed attempt as a result (not stored: the job runs again; carried by its `job.failed` event). */
const attemptResult = (jobId: string, error: string, outcome: { readonly durationMs: number; readonly now: Timestamp.Timestamp }) => ({
  jobId,
  status: "failed" as const,
  error,
  completedAt: outcome.now,
  durationMs: outcome.durationMs
})

/**
 * Give a held job back (graceful shutdown, or a job its worker never got):
 * out of processing and its lease, back at the head of its queue (`RPUSH`),
 * workers woken. No attempt counted.
 *
 * @category attempts
 * @since 0.2.0
 */
export const release = (p: Wire.Protocol, claim: Claim, job: Pick<Job, "id" | "priority" | "routingKey">): Plan => ({
  guards: S.held(p, claim),
  writes: [...S.letGo(p, claim), { op: "rpush", key: S.queueOf(p, job), value: claim.id }, S.wake(p, job.priority)]
})

/**
 * Extend a held job's lease to `expiresAt` (epoch ms) and keep it in its
 * owner's held set, whose TTL is set to `heartbeatMillis` (should the set
 * have lapsed, `SADD` recreates it without one: a worker dying then would
 * never be recovered). Only the delivery holding the token may.
 *
 * @category attempts
 * @since 0.2.0
 */
export const renew = (p: Wire.Protocol, claim: Claim & {
  /** The delivery's lease token: only its holder may renew. */
  readonly token: string
}, expiresAt: number, heartbeatMillis: number): Plan => ({
  guards: [{ op: "heq", key: p.keys.tokens, field: claim.id, value: claim.token, reason: "notHeld" }],
  writes: [
    { op: "zadd", key: p.keys.leases, score: expiresAt, member: claim.id },
    { op: "sadd", key: p.keys.held(ownerOf(claim.token)), member: claim.id },
    { op: "pexpire", key: p.keys.held(ownerOf(claim.token)), millis: heartbeatMillis }
  ]
})

/**
 * Dead-letter a held id whose data is missing (`data` undefined) or does
 * not decode (`goError`), as Go does: Go's error record at `job:{id}` (TTL
 * 7 d), `LPUSH queue:dead`; and, unlike Go, a failed result with the same
 * text and `ready`, so its waiters fail at once instead of timing out.
 *
 * @category attempts
 * @since 0.2.0
 */
export const deadLetterData = (p: Wire.Protocol, claim: Claim, read: {
  /** The data read at `job:{id}`: none when missing. */
  readonly data: string | undefined
  /** Go's unmarshal error for data that does not decode. */
  readonly goError?: string | undefined
  /** When it was found. */
  readonly now: Timestamp.Timestamp
}): Step<string> => {
  const key = p.keys.job(claim.id)
  const { record, error } = S.badDataRecord(claim.id, read.data, read.goError)
  return {
    value: error,
    plan: {
      guards: S.orApplied([S.unchanged(key, read.data), ...S.held(p, claim)], key, record),
      writes: S.deadLetterWrites(p, claim, record, { error, now: read.now, durationMs: 0 })
    }
  }
}

