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
 *   (`Events`, through `outcomeWrites`) in the same step.
 * - Every write that makes work available publishes `queue:wake`.
 *
 * @since 0.2.0
 */

import type { Job } from "../domain/Job.ts"
import type { JobId } from "../domain/JobId.ts"
import type { JobPriority } from "../domain/JobPriority.ts"
import * as JobResult from "../domain/JobResult.ts"
import * as JobCodec from "../domain/JobCodec.ts"
import type { RawJson } from "../domain/RawJson.ts"
import * as Timestamp from "../domain/Timestamp.ts"
import * as Events from "./Events.ts"
import type { Guard, Plan, Write } from "./Plan.ts"
import { ownerOf } from "./Take.ts"
import * as Retry from "./Retry.ts"
import * as Wire from "./Wire.ts"

/**
 * A delivery's hold on a job: its id and, when taken with a lease, the
 * lease token only this delivery has.
 *
 * @category models
 * @since 0.2.0
 */
export interface Claim {
  /** The job held. */
  readonly id: JobId
  /** The delivery's lease token (`<owner>:<n>`); none for a take without lease. */
  readonly token: string | undefined
}

/**
 * A plan and the job it leaves behind.
 *
 * @category models
 * @since 0.2.0
 */
export interface Step<A = Job> {
  /** The atomic step. */
  readonly plan: Plan
  /** The job as the step writes it (or what the step decided). */
  readonly value: A
}

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
  create(p, job, [{ op: "lpush", key: queueOf(p, job), value: job.id }, wake(p, job.priority)])

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
  return { guards: newKey(p.keys.job(job.id), json), writes: newJobWrites(p, job, json, placed) }
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
  // Built in one array (the worker's hot path): the same writes as
  // `[...outcomeWrites, set, ...letGo]`. The result's HSET comes first: as
  // a first write it checks its key's type itself (no TYPE; `applyPlans`).
  const writes: Array<Write> = []
  pushOutcomeWrites(writes, p, "job.completed", done, {
    jobId: job.id,
    status: "completed",
    result: outcome.result,
    completedAt: outcome.now,
    durationMs: outcome.durationMs
  }, true)
  writes.push({ op: "set", key, value: json, ttl: p.ttl.completedJob })
  pushLetGo(writes, p, claim)
  return { value: done, plan: { guards: orApplied(held(p, claim), key, json), writes } }
}

/**
 * Fail an attempt of a held job: attempts + 1; while Go's rule allows a
 * retry (`Retry.willRetry`: never for a failure that is not `retryable`), status `pending` with `scheduled_for` now + 2^attempts s and the id
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
  /** `false`: no retry can fix this failure, dead-letter the job now (default true). */
  readonly retryable?: boolean | undefined
}): Step<FailOutcome> => {
  const attempts = job.attempts + 1
  if (Retry.willRetry(job, outcome.retryable ?? true)) {
    const scheduledFor = Timestamp.addSeconds(outcome.now, Retry.backoffSeconds(attempts))
    const retried: Job = { ...job, status: "pending", attempts, error, updatedAt: outcome.now, scheduledFor }
    const json = JobCodec.encode(retried)
    const key = p.keys.job(job.id)
    return {
      value: { _tag: "Retrying", job: retried },
      plan: {
        guards: orApplied(held(p, claim), key, json),
        writes: [
          { op: "set", key, value: json },
          { op: "zadd", key: p.keys.scheduled, score: Retry.retryScore(scheduledFor), member: job.id },
          ...letGo(p, claim),
          ...outcomeWrites(p, "job.failed", retried, attemptResult(job.id, error, outcome), false)
        ]
      }
    }
  }
  const dead: Job = { ...job, status: "failed", attempts, error, updatedAt: outcome.now, scheduledFor: undefined }
  return {
    value: { _tag: "Dead", job: dead },
    plan: deadPlan(p, claim, dead, [...held(p, claim)], { error, now: outcome.now, durationMs: outcome.durationMs })
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
  guards: held(p, claim),
  writes: [...letGo(p, claim), { op: "rpush", key: queueOf(p, job), value: claim.id }, wake(p, job.priority)]
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
  const { record, error } = badDataRecord(claim.id, read.data, read.goError)
  return {
    value: error,
    plan: {
      guards: orApplied([unchanged(key, read.data), ...held(p, claim)], key, record),
      writes: deadLetterWrites(p, claim, record, { error, now: read.now, durationMs: 0 })
    }
  }
}

// --- building blocks shared by the transition modules (Recovery, Admin, Result) ---

/**
 * What a dead letter records of the attempt that ended in it.
 *
 * @internal
 * @since 0.2.0
 */
export interface DeadLetter {
  /** The error text of the failed result. */
  readonly error: string
  /** When the job was dead-lettered. */
  readonly now: Timestamp.Timestamp
  /** How long the attempt ran (0 when it never ran). */
  readonly durationMs: number
}

/**
 * The queue list a job waits in (its priority and routing key).
 *
 * @internal
 * @since 0.2.0
 */
export const queueOf = (p: Wire.Protocol, job: Pick<Job, "priority" | "routingKey">): string => p.keys.queue(job.priority, job.routingKey)

/**
 * The `queue:wake` publish that tells blocked workers `priority` has work.
 *
 * @internal
 * @since 0.2.0
 */
export const wake = (p: Wire.Protocol, priority: JobPriority): Write => ({ op: "publish", channel: p.keys.wake, message: priority })

/**
 * The guards, each refused as `alreadyApplied` instead when `key` already holds `value` (the state the plan writes).
 *
 * @internal
 * @since 0.2.0
 */
export const orApplied = (guards: ReadonlyArray<Guard>, key: string, value: string): ReadonlyArray<Guard> =>
  guards.map((g) => ({ ...g, appliedIf: { key, value } }))

/**
 * A new key: the same value again is a resend (`alreadyApplied`), anything else a duplicate.
 *
 * @internal
 * @since 0.2.0
 */
export const newKey = (key: string, value: string): ReadonlyArray<Guard> => [{ op: "absent", key, reason: "duplicate", appliedIf: { key, value } }]

/**
 * The key still holds what was read (`undefined`: still absent).
 *
 * @internal
 * @since 0.2.0
 */
export const unchanged = (key: string, data: string | undefined): Guard =>
  data === undefined ? { op: "absent", key, reason: "changed" } : { op: "eq", key, value: data, reason: "changed" }

/**
 * Only the delivery holding the job may end it.
 *
 * @internal
 * @since 0.2.0
 */
export const held = (p: Wire.Protocol, claim: Claim): ReadonlyArray<Guard> =>
  claim.token !== undefined
    ? [{ op: "heq", key: p.keys.tokens, field: claim.id, value: claim.token, reason: "notHeld" }]
    : [
      { op: "hnil", key: p.keys.tokens, field: claim.id, reason: "notHeld" },
      { op: "lhas", key: p.keys.processing, member: claim.id, reason: "notHeld" }
    ]

/**
 * The lease of a claim removed (expiry, token, owner's held set).
 *
 * @internal
 * @since 0.2.0
 */
export const leaseWrites = (p: Wire.Protocol, claim: Claim): ReadonlyArray<Write> => {
  const out: Array<Write> = []
  pushLeaseWrites(out, p, claim)
  return out
}

/** `leaseWrites`, pushed onto `out`. */
const pushLeaseWrites = (out: Array<Write>, p: Wire.Protocol, claim: Claim): void => {
  out.push({ op: "zrem", key: p.keys.leases, member: claim.id }, { op: "hdel", key: p.keys.tokens, field: claim.id })
  if (claim.token !== undefined) out.push({ op: "srem", key: p.keys.held(ownerOf(claim.token)), member: claim.id })
}

/**
 * Out of processing, and the lease removed.
 *
 * @internal
 * @since 0.2.0
 */
export const letGo = (p: Wire.Protocol, claim: Claim): ReadonlyArray<Write> => {
  const out: Array<Write> = []
  pushLetGo(out, p, claim)
  return out
}

/** `letGo`, pushed onto `out`. */
const pushLetGo = (out: Array<Write>, p: Wire.Protocol, claim: Claim): void => {
  // From the tail (-1): the oldest entries are there, so the scan is short; Go's
  // LREM 1 removes the same single entry.
  out.push({ op: "lrem", key: p.keys.processing, count: -1, value: claim.id })
  pushLeaseWrites(out, p, claim)
}

/**
 * The result hash of a final outcome (with its TTL) and its `ready`
 * notification, which also carries the hash to our waiters (`announce`),
 * tagged with `resultTag(job)` (the job whose outcome it is, when known).
 *
 * @internal
 * @since 0.2.0
 */
export const storeResultWrites = (p: Wire.Protocol, result: JobResult.JobResult, job?: Job): ReadonlyArray<Write> => {
  const out: Array<Write> = []
  pushStoreResultWrites(out, p, result, job)
  return out
}

/** `storeResultWrites`, pushed onto `out`. */
const pushStoreResultWrites = (out: Array<Write>, p: Wire.Protocol, result: JobResult.JobResult, job: Job | undefined): void => {
  const flat = JobResult.toHashFields(result)
  const fields: Array<readonly [string, string]> = []
  for (let i = 0; i + 1 < flat.length; i += 2) fields.push([flat[i]!, flat[i + 1]!])
  const key = p.keys.result(result.jobId)
  out.push(
    { op: "hset", key, fields },
    { op: "expire", key, seconds: result.status === "completed" ? p.ttl.resultSuccess : p.ttl.resultFailure },
    {
      op: "announce",
      key,
      channel: p.keys.notify(result.jobId),
      message: "ready",
      data: p.keys.resultData(result.jobId),
      tag: resultTag(job)
    }
  )
}

/**
 * What tells one job from an earlier one with the same id in a result's
 * data message: its creation instant, exactly (empty when the job is not
 * known). A waiter that created the job trusts only a message with its tag.
 *
 * @internal
 * @since 0.2.0
 */
export const resultTag = (job: Job | undefined): string =>
  job === undefined ? "" : `${job.createdAt.seconds}.${job.createdAt.nanos}`

/**
 * A new job: `SET job` (its JSON `json`), a stale result of an earlier job with its id deleted, then where it waits (`placed`).
 *
 * @internal
 * @since 0.2.0
 */
export const newJobWrites = (p: Wire.Protocol, job: Job, json: string, placed: ReadonlyArray<Write>): ReadonlyArray<Write> => [
  { op: "set", key: p.keys.job(job.id), value: json },
  { op: "del", key: p.keys.result(job.id) },
  ...placed
]

/**
 * What an outcome of an attempt writes besides the job itself: its result
 * hash and `ready` when it is final (`store`), and, with events on, its
 * event job in the events' own namespace (the outbox, `Events`) in the
 * same step. Every plan that ends an attempt goes through here, so none
 * can miss its event.
 *
 * @internal
 * @since 0.2.0
 */
export const outcomeWrites = (
  p: Wire.Protocol,
  type: Events.EventType,
  job: Job | undefined,
  result: JobResult.JobResult,
  store: boolean
): ReadonlyArray<Write> => {
  const out: Array<Write> = []
  pushOutcomeWrites(out, p, type, job, result, store)
  return out
}

/** `outcomeWrites`, pushed onto `out`. */
const pushOutcomeWrites = (
  out: Array<Write>,
  p: Wire.Protocol,
  type: Events.EventType,
  job: Job | undefined,
  result: JobResult.JobResult,
  store: boolean
): void => {
  if (store) pushStoreResultWrites(out, p, result, job)
  if (p.events === undefined) return
  const carrier = Events.eventJob(p.events, Events.make(type, job, result))
  const keys = p.events.keys
  out.push(
    { op: "set", key: keys.job(carrier.id), value: JobCodec.encode(carrier), ttl: p.events.maxAgeSeconds },
    { op: "lpush", key: keys.queue(carrier.priority), value: carrier.id },
    { op: "ltrim", key: keys.queue(carrier.priority), start: 0, stop: p.events.maxPending - 1 },
    { op: "publish", channel: keys.wake, message: carrier.priority }
  )
}

/**
 * The dead letter of a held id: `value` at its key (TTL 7 d), `LPUSH dead`,
 * released, failed result + `ready` (and its `job.dead` event; `job` is the
 * dead job, none for bad data).
 *
 * @internal
 * @since 0.2.0
 */
export const deadLetterWrites = (
  p: Wire.Protocol,
  claim: Claim,
  value: string,
  failure: DeadLetter,
  job?: Job | undefined
): ReadonlyArray<Write> => [
  { op: "set", key: p.keys.job(claim.id), value, ttl: p.ttl.deadJob },
  { op: "lpush", key: p.keys.dead, value: claim.id },
  ...letGo(p, claim),
  ...outcomeWrites(
    p,
    "job.dead",
    job,
    { jobId: claim.id, status: "failed", error: failure.error, completedAt: failure.now, durationMs: failure.durationMs },
    true
  )
]

/**
 * The plan that dead-letters the held job `dead` (written as JSON) after `guards`.
 *
 * @internal
 * @since 0.2.0
 */
export const deadPlan = (
  p: Wire.Protocol,
  claim: Claim,
  dead: Job,
  guards: ReadonlyArray<Guard>,
  failure: DeadLetter
): Plan => {
  const json = JobCodec.encode(dead)
  const writes = deadLetterWrites(p, claim, json, failure, dead)
  return { guards: orApplied(guards, (writes[0] as { readonly key: string }).key, json), writes }
}

/**
 * Go's dead-letter record and error text for a held id whose data is missing or does not decode.
 *
 * @internal
 * @since 0.2.0
 */
export const badDataRecord = (id: JobId, data: string | undefined, goError: string | undefined) =>
  data === undefined || goError === undefined
    ? { record: Wire.missingDataRecord(id), error: Wire.errorText.missingData }
    : { record: Wire.corruptedDataRecord(id, data, goError), error: Wire.errorText.unmarshal(goError) }
