/**
 * The schemas of the HTTP Task API's bodies and parameters, as they look
 * on the wire: submissions (`SubmitRequest` with the payload as a JSON
 * value), Go's job and result JSON, pages, receipts, the webhook delivery
 * log, and Go-style durations (`30s`, `1m30s`, `500ms`) for long-polls.
 * They validate requests (unknown fields rejected) and document the API
 * (OpenAPI); the exact bytes are written and read by `Bodies`.
 *
 * @since 0.2.0
 */

import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as SchemaGetter from "effect/SchemaGetter"
import * as SchemaIssue from "effect/SchemaIssue"
import { JobPriority } from "../domain/JobPriority.ts"
import { ResultStatus } from "../domain/JobResult.ts"
import { JobStatus } from "../domain/JobStatus.ts"
import { QueueRef } from "../domain/QueueRef.ts"
import * as Timestamp from "../domain/Timestamp.ts"
import { eventTypes } from "../protocol/Events.ts"

/**
 * A submission body (`POST /v1/jobs`, `/v1/jobs/call`, each entry of a
 * batch): the fields of `SubmitRequest`, the payload any JSON value.
 *
 * @category schemas
 * @since 0.2.0
 */
export const SubmitBody = Schema.Struct({
  name: Schema.String.annotate({ description: "The job name: which handler runs it. Not empty." }),
  payload: Schema.optional(Schema.Json).annotate({ description: "Any JSON value, stored byte for byte (default null)." }),
  priority: Schema.optional(JobPriority).annotate({ description: "high, normal (default) or low." }),
  description: Schema.optional(Schema.String),
  maxRetries: Schema.optional(Schema.Int).annotate({ description: "Runs allowed in all (Go's max_retries, default 3)." }),
  routingKey: Schema.optional(Schema.String).annotate({ description: "Route-Go routing key, [A-Za-z0-9_-]{1,64}." }),
  id: Schema.optional(Schema.String).annotate({ description: "The job id (default a fresh UUID). An id that exists creates nothing." }),
  unique: Schema.optional(Schema.Boolean).annotate({ description: "With id: 409 instead of duplicate=true when the id exists." }),
  scheduledFor: Schema.optional(Timestamp.FromString).annotate({ description: "Run at this RFC 3339 instant (not in the past)." }),
  delayMillis: Schema.optional(Schema.Number).annotate({ description: "Run after this many milliseconds (counted from submittedAt)." }),
  submittedAt: Schema.optional(Timestamp.FromString).annotate({
    description: "The job's created_at; a client fixes it with the id before its first attempt, so a resend is the same job."
  })
}).annotate({ identifier: "SubmitRequest" })

/**
 * A batch body: `{"entries": [<submission>...]}`.
 *
 * @category schemas
 * @since 0.2.0
 */
export const BatchBody = Schema.Struct({ entries: Schema.Array(SubmitBody) }).annotate({ identifier: "SubmitBatch" })

/**
 * A receipt: the job id, and whether it existed already (nothing written).
 *
 * @category schemas
 * @since 0.2.0
 */
export const Receipt = Schema.Struct({ id: Schema.String, duplicate: Schema.Boolean }).annotate({ identifier: "Submitted" })

/**
 * The receipts of a batch, in order.
 *
 * @category schemas
 * @since 0.2.0
 */
export const Receipts = Schema.Struct({ jobs: Schema.Array(Receipt) }).annotate({ identifier: "SubmittedBatch" })

/**
 * A job as Go writes it at `job:{id}` (field order, omitempty, RFC 3339
 * nanosecond times in the writer's offset, the payload as its exact JSON).
 *
 * @category schemas
 * @since 0.2.0
 */
export const JobJson = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  description: Schema.optional(Schema.String),
  payload: Schema.Json,
  status: Schema.Union([JobStatus, Schema.Literal("")]),
  priority: JobPriority,
  created_at: Schema.String,
  updated_at: Schema.String,
  scheduled_for: Schema.optional(Schema.String),
  attempts: Schema.Int,
  max_retries: Schema.Int,
  error: Schema.optional(Schema.String),
  routing_key: Schema.optional(Schema.String)
}).annotate({ identifier: "Job", description: "Go's job JSON, byte for byte." })

/**
 * A result as Go's `GetResult` writes it (`duration` in nanoseconds, the
 * result as its exact JSON).
 *
 * @category schemas
 * @since 0.2.0
 */
export const ResultJson = Schema.Struct({
  job_id: Schema.String,
  status: ResultStatus,
  result: Schema.optional(Schema.Json),
  error: Schema.optional(Schema.String),
  completed_at: Schema.String,
  duration: Schema.Int.annotate({ description: "Nanoseconds." })
}).annotate({ identifier: "JobResult", description: "Go's result JSON." })

/**
 * A page of jobs; `cursor` is present while more may follow.
 *
 * @category schemas
 * @since 0.2.0
 */
export const PageJson = Schema.Struct({ jobs: Schema.Array(JobJson), cursor: Schema.optional(Schema.String) }).annotate({ identifier: "JobPage" })

/**
 * Queue depths.
 *
 * @category schemas
 * @since 0.2.0
 */
export const StatsJson = Schema.Struct({
  queued: Schema.Struct({ high: Schema.Int, normal: Schema.Int, low: Schema.Int }),
  processing: Schema.Int,
  scheduled: Schema.Int,
  dead: Schema.Int,
  paused: Schema.optional(Schema.Array(QueueRef)).annotate({ description: "The paused queues; present only when one is." })
}).annotate({ identifier: "QueueStats" })

/**
 * The paused queues.
 *
 * @category schemas
 * @since 0.2.0
 */
export const PausedJson = Schema.Struct({ paused: Schema.Array(QueueRef) }).annotate({ identifier: "PausedQueues" })

/**
 * One attempt to deliver a webhook, as the bounded delivery log keeps it.
 *
 * @category schemas
 * @since 0.2.0
 */
export const DeliveryRecord = Schema.Struct({
  eventId: Schema.String,
  type: Schema.Literals(eventTypes),
  jobId: Schema.String,
  endpoint: Schema.String,
  attempt: Schema.Int,
  ok: Schema.Boolean,
  status: Schema.Int.annotate({ description: "The receiver's HTTP status; 0 when none (connection error, timeout)." }),
  error: Schema.optional(Schema.String),
  durationMs: Schema.Number,
  at: Schema.String
}).annotate({ identifier: "WebhookDelivery" })

/**
 * A delivery record.
 *
 * @category models
 * @since 0.2.0
 */
export interface DeliveryRecord extends Schema.Schema.Type<typeof DeliveryRecord> {}

/**
 * The delivery log, newest first.
 *
 * @category schemas
 * @since 0.2.0
 */
export const DeliveriesJson = Schema.Struct({ deliveries: Schema.Array(DeliveryRecord) }).annotate({ identifier: "WebhookDeliveries" })

/**
 * A duration in Go's notation (whole milliseconds).
 *
 * @category formatting
 * @since 0.2.0
 */
export const formatDuration = (d: Duration.Duration): string => `${Math.max(0, Math.round(Duration.toMillis(d)))}ms`

/**
 * A Go-style duration (`30s`, `1m30s`, `500ms`, `1h`), decoded to a
 * `Duration`.
 *
 * @category schemas
 * @since 0.2.0
 */
export const GoDuration: Schema.Codec<Duration.Duration, string> = Schema.String.pipe(Schema.decodeTo(Schema.Duration, {
  decode: SchemaGetter.transformEffect((text: string) => {
    const millis = parseDuration(text)
    return millis === undefined
      ? Effect.fail(new SchemaIssue.InvalidValue({ message: `not a duration like 30s, 1m30s or 500ms: ${JSON.stringify(text)}` }, text))
      : Effect.succeed(Duration.millis(millis))
  }),
  encode: SchemaGetter.transform(formatDuration)
})).annotate({ description: "A duration such as 30s, 1m30s or 500ms." })

// Internal

const units: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
const component = /(\d+(?:\.\d+)?)(ms|s|m|h)/y

const parseDuration = (text: string): number | undefined => {
  if (text === "" || text.length > 40) return undefined
  let total = 0
  component.lastIndex = 0
  while (component.lastIndex < text.length) {
    const m = component.exec(text)
    if (m === null) return undefined
    total += Number(m[1]) * units[m[2]!]!
  }
  return Number.isFinite(total) ? total : undefined
}

/**
 * What a purge of the dead letters answers.
 *
 * @category schemas
 * @since 0.2.0
 */
export const PurgedJson = Schema.Struct({
  /** How many dead-lettered jobs were deleted. */
  purged: Schema.Int
})
