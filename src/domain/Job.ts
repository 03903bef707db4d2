/**
 * A Bananas job as stored at `job:{id}`.
 *
 * Fields mirror Go's `models.Job`. Optional text fields are absent when
 * empty (Go's `omitempty`); `payload` is the raw JSON text, never re-encoded.
 *
 * Two schemas: `Job` (the value; its JSON form has timestamps as RFC 3339
 * text and the payload as its exact JSON text in a string) and `JobJson`
 * (the string Go writes at `job:{id}`, decoded and encoded by `JobCodec`).
 *
 * @since 0.1.0
 */

import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as SchemaGetter from "effect/SchemaGetter"
import * as SchemaIssue from "effect/SchemaIssue"
import * as JobCodec from "./JobCodec.ts"
import { JobPriority } from "./JobPriority.ts"
import { JobStatus } from "./JobStatus.ts"
import { RawJson } from "./RawJson.ts"
import * as Timestamp from "./Timestamp.ts"

/**
 * The schema of a job.
 *
 * @category schemas
 * @since 0.2.0
 */
export const Job = Schema.Struct({
  /** The job id (a UUID for jobs submitted here; `""` for Go's cron jobs). */
  id: Schema.String,
  /** The job name: which handler runs it. */
  name: Schema.String,
  /** A free-text description; absent when empty. */
  description: Schema.optional(Schema.String),
  /** The payload's exact JSON text. */
  payload: RawJson,
  /** The status; `""` only for jobs built by Go's cron scheduler. */
  status: Schema.Union([JobStatus, Schema.Literal("")]),
  /** Which queue list it goes to. */
  priority: JobPriority,
  /** When it was created (Go: `NewJob`), in the writer's offset. */
  createdAt: Timestamp.FromString,
  /** When it last changed state. */
  updatedAt: Timestamp.FromString,
  /** When a scheduled job (or a retry) is due; absent otherwise. */
  scheduledFor: Schema.optional(Timestamp.FromString),
  /** Failed runs so far. */
  attempts: Schema.Int,
  /** Runs allowed in all (Go's `max_retries`): a failure is retried while attempts + 1 < maxRetries. */
  maxRetries: Schema.Int,
  /** The last failure's message; absent when none. */
  error: Schema.optional(Schema.String),
  /** Route-Go's routing key; written after Go's other fields, and only when present. */
  routingKey: Schema.optional(Schema.String),
  /**
   * The producer's W3C traceparent (`trace_context`, ours: Go ignores it and
   * drops it when it rewrites the job); absent when none was carried.
   */
  traceContext: Schema.optional(Schema.String),
  /** The schedule that enqueued the job (`schedule_id`, ours: Go ignores it); absent for other jobs. */
  scheduleId: Schema.optional(Schema.String),
  /** The slot of its schedule the job runs for, in unix seconds (`schedule_slot`, ours); absent for other jobs. */
  scheduleSlot: Schema.optional(Schema.Int)
})

/**
 * A job.
 *
 * @category models
 * @since 0.1.0
 */
export interface Job extends Schema.Schema.Type<typeof Job> {}

/**
 * The schema of Go's job JSON text (what `job:{id}` holds): field order,
 * omitempty and the payload bytes exactly as Go writes them.
 *
 * @category schemas
 * @since 0.2.0
 */
export const JobJson: Schema.Codec<Job, string> = Schema.String.pipe(Schema.decodeTo(Schema.toType(Job), {
  decode: SchemaGetter.transformEffect((text: string) => {
    const decoded = JobCodec.decode(text)
    return Result.isSuccess(decoded)
      ? Effect.succeed(decoded.success)
      : Effect.fail(new SchemaIssue.InvalidValue({ message: decoded.failure.message }, text))
  }),
  encode: SchemaGetter.transform((job: Job) => JobCodec.encode(job))
}))

/**
 * The retry budget of a new job when none is given (Go's `NewJob`): runs in
 * all, not retries after the first (see `Retry.willRetry`).
 *
 * @category constants
 * @since 0.2.0
 */
export const defaultMaxRetries = 3

/**
 * Builds a new pending job, as Go's `NewJob` does.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (options: {
  /** The job id. */
  readonly id: string
  /** The job name. */
  readonly name: string
  /** The payload's JSON text. */
  readonly payload: RawJson
  /** Its priority. */
  readonly priority: JobPriority
  /** Its `created_at` and `updated_at`. */
  readonly now: Timestamp.Timestamp
  /** Runs allowed in all (`defaultMaxRetries` is Go's 3). */
  readonly maxRetries: number
  /** A description (empty: none). */
  readonly description?: string | undefined
  /** Route-Go's routing key. */
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
  maxRetries: options.maxRetries,
  routingKey: options.routingKey
})

/**
 * The job name of an event job.
 *
 * @category constants
 * @since 0.2.0
 */
export const eventJobName = "bananas.event"

/**
 * The job name of one delivery of an event to one endpoint (written by the
 * gateway's fan-out).
 *
 * @category constants
 * @since 0.2.0
 */
export const deliveryJobName = "bananas.webhook"

/**
 * Job names only the outbox and the gateway's delivery worker write: every
 * submit path (HTTP, SDK, CLI, batch) refuses them (`Submission.toJob`), so
 * no caller can make a job that passes for an event or a delivery.
 *
 * @category constants
 * @since 0.2.0
 */
export const reservedJobNames: ReadonlyArray<string> = [eventJobName, deliveryJobName]
