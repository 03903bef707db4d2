/**
 * Job events (the webhook outbox), decided once: which outcome makes which
 * event, its deterministic id, its JSON body, and the job that carries it.
 *
 * With events on (`Wire.Options.events`), every plan that ends an attempt
 * (complete; a failed attempt, retried or dead-lettered; a dead letter of
 * bad data; the reaper's recovery; a cancellation) also creates an event
 * job in the **same atomic step** — the outbox: one entry per event. Event
 * jobs live in a namespace of their own (`namespace`: `<prefix>events:`),
 * outside the job namespace, so no submit path (HTTP, SDK, CLI, batch), no
 * job id and no admin operation reaches them, and Go's workers never read
 * them; their names are reserved besides (`Job.reservedJobNames`). There the
 * gateway's delivery worker runs them as jobs (`deliveryProtocol`), with
 * leases, fencing, retries with backoff and crash recovery: an event is
 * never lost, even when a gateway dies while delivering it, and a
 * delivered event's records expire after `deliveredTtlSeconds`. Waiting
 * events are bounded: at most `maxPending` in the queue (the oldest beyond
 * are trimmed away) and each expires after `maxAge` if no gateway took it
 * (a gateway taking an expired one dead-letters it in the namespace, as any
 * id without data). Events are
 * off by default, and nothing is written then: Go sees the exact bytes it
 * always saw.
 *
 * The event id is a digest of the outcome (type, job id, attempts and the
 * job's `updated_at`), so the same outcome always gets the same id: an
 * event found again from a `ready` notification (jobs finished by Go
 * workers, which write no outbox) is recognized as the one the outbox wrote.
 *
 * @since 0.2.0
 */

import { createHash } from "node:crypto"
import * as Duration from "effect/Duration"
import type { Job } from "../domain/Job.ts"
import * as JobCodec from "../domain/JobCodec.ts"
import * as JobModel from "../domain/Job.ts"
import * as JobResult from "../domain/JobResult.ts"
import { quote, type RawJson } from "../domain/RawJson.ts"
import * as Timestamp from "../domain/Timestamp.ts"
import * as Keys from "./Keys.ts"
import type { Protocol } from "./Wire.ts"

/**
 * What happened to a job.
 *
 * - `job.completed`: it completed.
 * - `job.failed`: an attempt failed and the job will run again (after
 *   Go's backoff, or at once when its worker was lost).
 * - `job.dead`: it failed for good and went to the dead letters (out of
 *   retries, or its data was missing or corrupt).
 * - `job.cancelled`: it was cancelled while it waited.
 *
 * @category models
 * @since 0.2.0
 */
export type EventType = "job.completed" | "job.failed" | "job.dead" | "job.cancelled"

/**
 * Every event type.
 *
 * @category constants
 * @since 0.2.0
 */
export const eventTypes: ReadonlyArray<EventType> = ["job.completed", "job.failed", "job.dead", "job.cancelled"]

/**
 * True for an event type.
 *
 * @category guards
 * @since 0.2.0
 */
export const isEventType = (u: unknown): u is EventType => typeof u === "string" && (eventTypes as ReadonlyArray<string>).includes(u)

/**
 * Options of the outbox (`Wire.Options.events`).
 *
 * @category models
 * @since 0.2.0
 */
export interface Options {
  /** Runs allowed to an event job (default 25: it only fans the event out to each endpoint). */
  readonly maxRetries?: number | undefined
  /** The most events waiting for a gateway (default 100,000): the oldest beyond it are dropped. */
  readonly maxPending?: number | undefined
  /** How long an event waits for a gateway before it expires (default 7 days). */
  readonly maxAge?: Duration.Input | undefined
}

/**
 * The outbox as a backend is configured.
 *
 * @category models
 * @since 0.2.0
 */
export interface Config {
  /** The events' own key layout (`namespace`). */
  readonly keys: Keys.Keys
  /** Runs allowed to an event job. */
  readonly maxRetries: number
  /** The most events waiting in the queue (`LTRIM` on every write). */
  readonly maxPending: number
  /** The TTL of a waiting event job, in whole seconds. */
  readonly maxAgeSeconds: number
}

/**
 * The events' own key layout: the job layout under `<prefix>events:`
 * (`events:job:{id}`, `events:queue:normal`, `events:queue:processing`,
 * `events:leases`, ...), outside the job namespace — no job id, routing
 * key or admin listing of the job namespace reaches it, and on Cluster it
 * keeps the prefix's hash tag. Work is announced on the namespace's own
 * `queue:wake` channel, which workers already listen to.
 *
 * @category constructors
 * @since 0.2.0
 */
export const namespace = (keys: Keys.Keys): Keys.Keys => ({ ...Keys.make(`${keys.prefix}events:`), wake: keys.wake })

/**
 * The protocol the gateway's delivery worker runs event and delivery jobs
 * with: the events' namespace (`namespace`), no events of its own, and
 * finished records kept only `deliveredTtlSeconds` (dead deliveries as
 * long as any dead job).
 *
 * @category constructors
 * @since 0.2.0
 */
export const deliveryProtocol = (p: Protocol): Protocol => ({
  keys: p.events?.keys ?? namespace(p.keys),
  ttl: { completedJob: deliveredTtlSeconds, deadJob: p.ttl.deadJob, resultSuccess: deliveredTtlSeconds, resultFailure: deliveredTtlSeconds }
})

/**
 * How long a delivered event's records (the event job, its deliveries and
 * their results) stay, in seconds: a minute, for a look with `redis-cli`;
 * the delivery log keeps the history.
 *
 * @category constants
 * @since 0.2.0
 */
export const deliveredTtlSeconds = 60


/**
 * The outbox configuration from the options (`true`: the defaults; off when
 * absent or `false`).
 *
 * @category constructors
 * @since 0.2.0
 */
export const resolve = (options: boolean | Options | undefined, keys: Keys.Keys): Config | undefined =>
  options === undefined || options === false
    ? undefined
    : {
      keys: namespace(keys),
      maxRetries: (options === true ? undefined : options.maxRetries) ?? 25,
      maxPending: (options === true ? undefined : options.maxPending) ?? 100_000,
      maxAgeSeconds: Math.max(1, Math.ceil(Duration.toMillis(Duration.fromInputUnsafe((options === true ? undefined : options.maxAge) ?? "7 days")) / 1000))
    }

/**
 * One event.
 *
 * @category models
 * @since 0.2.0
 */
export interface Event {
  /** The event id (deterministic: the same outcome, the same id). */
  readonly id: string
  /** What happened. */
  readonly type: EventType
  /** The job it happened to. */
  readonly jobId: string
  /** When it happened. */
  readonly createdAt: Timestamp.Timestamp
  /** The job as the outcome left it; none when its data was missing or corrupt. */
  readonly job: Job | undefined
  /** The outcome: the result stored, or the failed attempt. */
  readonly result: JobResult.JobResult
}

/**
 * The id of the event of an outcome: `evt_` and 32 hex digits of a SHA-256
 * over the type, the job id, and the job's attempts and `updated_at` as
 * written (or the outcome's time when the job data is gone).
 *
 * @category constructors
 * @since 0.2.0
 */
export const eventId = (type: EventType, jobId: string, job: Job | undefined, now: Timestamp.Timestamp): string => {
  const basis = job === undefined ? `-\n${Timestamp.format(now)}` : `${job.attempts}\n${Timestamp.format(job.updatedAt)}`
  return `evt_${createHash("sha256").update(`${type}\n${jobId}\n${basis}`).digest("hex").slice(0, 32)}`
}

/**
 * The event of an outcome.
 *
 * @category constructors
 * @since 0.2.0
 */
export const make = (type: EventType, job: Job | undefined, result: JobResult.JobResult): Event => ({
  id: eventId(type, result.jobId, job, result.completedAt),
  type,
  jobId: result.jobId,
  createdAt: job?.updatedAt ?? result.completedAt,
  job,
  result
})

/**
 * The event's JSON body (what a webhook receives), byte-stable:
 * `{"id","type","created_at","job_id","job","result"}` with the job as Go's
 * job JSON (payload as its exact JSON) or `null`, and the result as Go's
 * result JSON.
 *
 * @category encoding
 * @since 0.2.0
 */
export const encode = (event: Event): RawJson =>
  (`{"id":${quote(event.id)},"type":${quote(event.type)},"created_at":"${Timestamp.format(event.createdAt)}",` +
    `"job_id":${quote(event.jobId)},"job":${event.job === undefined ? "null" : JobCodec.encode(event.job)},` +
    `"result":${JobResult.toGoJson(event.result)}}`) as RawJson

/**
 * The job carrying an event to the delivery worker: the event id, name
 * `bananas.event`, the event body as payload (queued in the events'
 * namespace, not the job namespace).
 *
 * @category constructors
 * @since 0.2.0
 */
export const eventJob = (config: Config, event: Event): Job =>
  JobModel.make({
    id: event.id,
    name: JobModel.eventJobName,
    payload: encode(event),
    priority: "normal",
    now: event.createdAt,
    maxRetries: config.maxRetries
  })
