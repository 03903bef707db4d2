/**
 * The building blocks the transition functions share: the guards and
 * writes every plan of a kind repeats (who holds a job, letting a job go,
 * writing a result, waking workers). Internal to the protocol core.
 *
 * @stability internal
 * @since 0.2.0
 */
import type { Job } from "../domain/Job.ts"
import type { JobId } from "../domain/JobId.ts"
import type { JobPriority } from "../domain/JobPriority.ts"
import * as JobResult from "../domain/JobResult.ts"
import * as JobCodec from "../domain/JobCodec.ts"
import type * as Timestamp from "../domain/Timestamp.ts"
import * as Events from "./Events.ts"
import type { Guard, Plan, Write } from "./Plan.ts"
import { ownerOf } from "./Take.ts"
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

export const queueOf = (p: Wire.Protocol, job: Pick<Job, "priority" | "routingKey">): string => p.keys.queue(job.priority, job.routingKey)

export const wake = (p: Wire.Protocol, priority: JobPriority): Write => ({ op: "publish", channel: p.keys.wake, message: priority })

/** The guards, each refused as `alreadyApplied` instead when `key` already holds `value` (the state the plan writes). */
export const orApplied = (guards: ReadonlyArray<Guard>, key: string, value: string): ReadonlyArray<Guard> =>
  guards.map((g) => ({ ...g, appliedIf: { key, value } }))

/** A new key: the same value again is a resend (`alreadyApplied`), anything else a duplicate. */
export const create = (key: string, value: string): ReadonlyArray<Guard> => [{ op: "absent", key, reason: "duplicate", appliedIf: { key, value } }]

/** The key still holds what was read (`undefined`: still absent). */
export const unchanged = (key: string, data: string | undefined): Guard =>
  data === undefined ? { op: "absent", key, reason: "changed" } : { op: "eq", key, value: data, reason: "changed" }

/** Only the delivery holding the job may end it. */
export const held = (p: Wire.Protocol, claim: Claim): ReadonlyArray<Guard> =>
  claim.token !== undefined
    ? [{ op: "heq", key: p.keys.tokens, field: claim.id, value: claim.token, reason: "notHeld" }]
    : [
      { op: "hnil", key: p.keys.tokens, field: claim.id, reason: "notHeld" },
      { op: "lhas", key: p.keys.processing, member: claim.id, reason: "notHeld" }
    ]

/** The lease of a claim removed (expiry, token, owner's held set). */
export const leaseWrites = (p: Wire.Protocol, claim: Claim): ReadonlyArray<Write> => [
  { op: "zrem", key: p.keys.leases, member: claim.id },
  { op: "hdel", key: p.keys.tokens, field: claim.id },
  ...(claim.token === undefined ? [] : [{ op: "srem", key: p.keys.held(ownerOf(claim.token)), member: claim.id } as const])
]

/** Out of processing, and the lease removed. */
export const letGo = (p: Wire.Protocol, claim: Claim): ReadonlyArray<Write> => [
  // From the tail (-1): the oldest entries are there, so the scan is short; Go's
  // LREM 1 removes the same single entry.
  { op: "lrem", key: p.keys.processing, count: -1, value: claim.id },
  ...leaseWrites(p, claim)
]

export const storeResultWrites = (p: Wire.Protocol, result: JobResult.JobResult): ReadonlyArray<Write> => {
  const flat = JobResult.toHashFields(result)
  const fields: Array<readonly [string, string]> = []
  for (let i = 0; i + 1 < flat.length; i += 2) fields.push([flat[i]!, flat[i + 1]!])
  const key = p.keys.result(result.jobId)
  return [
    { op: "hset", key, fields },
    { op: "expire", key, seconds: result.status === "completed" ? p.ttl.resultSuccess : p.ttl.resultFailure },
    { op: "publish", channel: p.keys.notify(result.jobId), message: "ready" }
  ]
}

/** A new job: `SET job` (its JSON `json`), a stale result of an earlier job with its id deleted, then where it waits (`placed`). */
export const newJobWrites = (p: Wire.Protocol, job: Job, json: string, placed: ReadonlyArray<Write>): ReadonlyArray<Write> => [
  { op: "set", key: p.keys.job(job.id), value: json },
  { op: "del", key: p.keys.result(job.id) },
  ...placed
]

/**
 * What an outcome of an attempt writes besides the job itself: its result
 * hash and `ready` when it is final (`store`), and, with events on, its
 * event job (the outbox, `Events`) in the same step. Every plan that ends
 * an attempt goes through here, so none can miss its event.
 */
export const outcomeWrites = (
  p: Wire.Protocol,
  type: Events.EventType,
  job: Job | undefined,
  result: JobResult.JobResult,
  store: boolean
): ReadonlyArray<Write> => {
  const stored = store ? storeResultWrites(p, result) : []
  if (!Events.emits(p.events, job)) return stored
  const carrier = Events.eventJob(p.events, Events.make(type, job, result))
  const placed: ReadonlyArray<Write> = [{ op: "lpush", key: queueOf(p, carrier), value: carrier.id }, wake(p, carrier.priority)]
  return [...stored, ...newJobWrites(p, carrier, JobCodec.encode(carrier), placed)]
}

/**
 * The dead letter of a held id: `value` at its key (TTL 7 d), `LPUSH dead`,
 * released, failed result + `ready` (and its `job.dead` event; `job` is the
 * dead job, none for bad data).
 */
export const deadLetterWrites = (
  p: Wire.Protocol,
  claim: Claim,
  value: string,
  failure: { readonly error: string; readonly now: Timestamp.Timestamp; readonly durationMs: number },
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

export const deadPlan = (
  p: Wire.Protocol,
  claim: Claim,
  dead: Job,
  guards: ReadonlyArray<Guard>,
  failure: { readonly error: string; readonly now: Timestamp.Timestamp; readonly durationMs: number }
): Plan => {
  const json = JobCodec.encode(dead)
  const writes = deadLetterWrites(p, claim, json, failure, dead)
  return { guards: orApplied(guards, (writes[0] as { readonly key: string }).key, json), writes }
}

export const badDataRecord = (id: JobId, data: string | undefined, goError: string | undefined) =>
  data === undefined || goError === undefined
    ? { record: Wire.missingDataRecord(id), error: Wire.errorText.missingData }
    : { record: Wire.corruptedDataRecord(id, data, goError), error: Wire.errorText.unmarshal(goError) }
