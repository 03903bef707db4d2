/**
 * The Promise client's models: its options, and jobs and results as it
 * returns them (times as `Date`s, payloads parsed, with their exact JSON
 * text beside them), with the conversions from the SDK's models.
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type { Job } from "../domain/Job.ts"
import type { JobPriority } from "../domain/JobPriority.ts"
import type { JobResult, ResultStatus } from "../domain/JobResult.ts"
import type { JobStatus } from "../domain/JobStatus.ts"
import * as RawJson from "../domain/RawJson.ts"
import * as Timestamp from "../domain/Timestamp.ts"
import type { JobQueue } from "../services/JobQueue.ts"
import type { QueueAdmin } from "../services/QueueAdmin.ts"
import type { ResultBackend } from "../services/ResultBackend.ts"

/**
 * Options of a client.
 *
 * @category models
 * @since 0.1.0
 */
export interface ClientOptions {
  /** Redis URL, e.g. `redis://localhost:6379` (the default). Ignored when `layer` or `apiUrl` is given. */
  readonly redisUrl?: string | undefined
  /**
   * The URL of a Bananas gateway (the HTTP Task API), e.g.
   * `http://localhost:8080`: the client talks HTTP instead of Redis (same
   * methods, same errors). The TTLs and `keyPrefix` are the gateway's then.
   */
  readonly apiUrl?: string | undefined
  /** The gateway's API key, with `apiUrl`. */
  readonly apiKey?: string | undefined
  /**
   * TTL of a completed result, in **milliseconds** (as the reference client;
   * default 1 hour). Sent to Redis as whole seconds, rounded up.
   */
  readonly successTTL?: number | undefined
  /** TTL of a failed result, in **milliseconds** (default 24 hours). Rounded up to whole seconds. */
  readonly failureTTL?: number | undefined
  /** Key prefix (default `bananas`, Go's); a trailing `:` is added when missing. */
  readonly keyPrefix?: string | undefined
  /**
   * Use this backend instead of Redis, e.g. `BananasMemory.layer()` to test
   * code that uses the client without Redis. The layer may provide more
   * (an in-process worker, for instance); it is built once and released by
   * `close()`. `redisUrl`, the TTLs and `keyPrefix` are ignored.
   */
  readonly layer?: Layer.Layer<JobQueue | QueueAdmin | ResultBackend, unknown> | undefined
}

/**
 * Options of a submission, in the reference client's object form.
 *
 * @category models
 * @since 0.1.0
 */
export interface SubmitJobOptions {
  /** The job name (which handler runs it); not empty. */
  readonly name: string
  /** Any JSON-serializable value (marshalled as Go does), or `RawJson.Raw` for exact bytes. */
  readonly payload: unknown
  /** Default `normal`. */
  readonly priority?: JobPriority | undefined
  /** A free-text description. */
  readonly description?: string | undefined
  /** Route-Go routing key (`[A-Za-z0-9_-]{1,64}`). */
  readonly routingKey?: string | undefined
  /** Runs allowed in all (Go's `max_retries`, default 3): 1 means one run and no retry. */
  readonly maxRetries?: number | undefined
  /** The same as `maxRetries`, by a name that says what it counts. */
  readonly maxAttempts?: number | undefined
}

/**
 * Options of a scheduled submission (object form).
 *
 * @category models
 * @since 0.1.0
 */
export interface SubmitScheduledJobOptions extends SubmitJobOptions {
  /** When the job becomes due; not in the past. */
  readonly scheduledFor: Date
}

/**
 * Options of `submitAndWait` (object form).
 *
 * @category models
 * @since 0.1.0
 */
export interface SubmitAndWaitOptions extends SubmitJobOptions {
  /** How long to wait, in milliseconds (default 30 seconds, as for Effect users: the TimeoutPolicy's `wait`). */
  readonly timeout?: number | undefined
}

/**
 * A job as the client returns it: times as `Date`s (millisecond precision:
 * Go's nanoseconds and the writer's UTC offset are dropped), the payload
 * parsed, and its exact JSON text in `rawPayload`.
 *
 * @category models
 * @since 0.1.0
 */
export interface ClientJob {
  /** The job id. */
  readonly id: string
  /** The job name. */
  readonly name: string
  /** Its description, when it has one. */
  readonly description?: string | undefined
  /** The payload, parsed with `JSON.parse` (integers beyond 2^53 lose digits: use `rawPayload`). */
  readonly payload: unknown
  /** The payload's exact JSON text. */
  readonly rawPayload: string
  /** `""` only for jobs written by Go's cron scheduler. */
  readonly status: JobStatus | ""
  /** Which queue it goes to. */
  readonly priority: JobPriority
  /** When it was created. */
  readonly createdAt: Date
  /** When it last changed state. */
  readonly updatedAt: Date
  /** When a scheduled job (or a retry) is due. */
  readonly scheduledFor?: Date | undefined
  /** Failed runs so far. */
  readonly attempts: number
  /** Runs allowed in all (Go's `max_retries`). */
  readonly maxRetries: number
  /** The last failure's message. */
  readonly error?: string | undefined
  /** Route-Go's routing key. */
  readonly routingKey?: string | undefined
}

/**
 * A job's result as the client returns it.
 *
 * @category models
 * @since 0.1.0
 */
export interface ClientJobResult {
  /** The job. */
  readonly jobId: string
  /** `completed` or `failed`. */
  readonly status: ResultStatus
  /** The handler's result, parsed (absent when it stored none). */
  readonly result?: unknown
  /** The result's exact JSON text. */
  readonly rawResult?: string | undefined
  /** The failure message (a completed job may still carry an earlier attempt's). */
  readonly error?: string | undefined
  /** When it was stored (whole seconds, as Go writes it). */
  readonly completedAt: Date
  /** How long the attempt ran, in milliseconds. */
  readonly durationMs: number
}

/**
 * A job as the client returns it.
 *
 * @category conversions
 * @since 0.2.0
 */
export const toClientJob = (job: Job) =>

  Effect.map(parsed(job.payload), (payload): ClientJob => ({
    id: job.id,
    name: job.name,
    description: job.description,
    payload,
    rawPayload: job.payload,
    status: job.status,
    priority: job.priority,
    createdAt: date(job.createdAt),
    updatedAt: date(job.updatedAt),
    scheduledFor: job.scheduledFor === undefined ? undefined : date(job.scheduledFor),
    attempts: job.attempts,
    maxRetries: job.maxRetries,
    error: job.error,
    routingKey: job.routingKey
  }))

/**
 * A result as the client returns it.
 *
 * @category conversions
 * @since 0.2.0
 */
export const toClientResult = (r: JobResult) =>

  Effect.map(r.result === undefined ? Effect.succeed(undefined) : parsed(r.result), (result): ClientJobResult => ({
    jobId: r.jobId,
    status: r.status,
    ...(r.result === undefined ? {} : { result, rawResult: r.result }),
    error: r.error,
    completedAt: date(r.completedAt),
    durationMs: r.durationMs
  }))

// Internal

const date = (t: Timestamp.Timestamp) => Timestamp.toDate(t)

const parsed = (raw: RawJson.RawJson) => Effect.fromResult(RawJson.parse(raw))
