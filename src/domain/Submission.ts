/**
 * Submissions: what a producer asks for (`SubmitRequest`, the form that
 * crosses a wire), what it gets back (`Submitted`), and the validation that
 * turns a request into a new job before anything is written. Every
 * rejection is a `ValidationError` naming the offending field (or a
 * `SerializationError` for a payload JSON cannot carry).
 *
 * @since 0.1.0
 */

import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { SerializationError, ValidationError } from "./Errors.ts"
import * as JobModel from "./Job.ts"
import * as JobId from "./JobId.ts"
import * as PayloadLimits from "./PayloadLimits.ts"
import { isJobPriority, JobPriority, unknownMessage as unknownPriority } from "./JobPriority.ts"
import * as RawJson from "./RawJson.ts"
import { invalidMessage as invalidRoutingKey, isRoutingKey, isUnrouted } from "./RoutingKey.ts"
import * as Timestamp from "./Timestamp.ts"
import { isTraceparent } from "./TraceContext.ts"
import { reservedJobNames } from "./Job.ts"

/**
 * The schema of a submission as it crosses a wire: the payload is already
 * JSON text, and the id is fixed by the producer before the first attempt
 * (so a retried submission can never create a second job).
 *
 * @category schemas
 * @since 0.2.0
 */
export const SubmitRequest = Schema.Struct({
  /** The job name (which handler runs it); not empty. */
  name: Schema.String,
  /** The payload's exact JSON text. */
  payload: RawJson.RawJson,
  /** `high`, `normal` (default) or `low`. */
  priority: Schema.optional(JobPriority),
  /** A free-text description. */
  description: Schema.optional(Schema.String),
  /** Runs allowed in all (Go's `max_retries`, default 3): 1 means a single run. */
  maxRetries: Schema.optional(Schema.Int),
  /** Route-Go routing key (`[A-Za-z0-9_-]{1,64}`); `default` or none = unrouted. */
  routingKey: Schema.optional(Schema.String),
  /** The job id (a fresh UUID when omitted). Submitting an id that exists creates nothing. */
  id: Schema.optional(Schema.String),
  /** Fail with `JobConflictError` instead of reporting `duplicate` when the id exists. */
  unique: Schema.optional(Schema.Boolean),
  /** Run at this instant (a scheduled job); not in the past. */
  scheduledFor: Schema.optional(Timestamp.FromString),
  /** Run after this many milliseconds (a scheduled job), counted from `submittedAt` (else from when it is stored). */
  delayMillis: Schema.optional(Schema.Number),
  /**
   * When the producer made the job: its `created_at` (Go's clients stamp
   * jobs with their own clock too). Fixed with the id before the first
   * attempt, so a retried submission writes the same job and is recognized
   * as the same; the storing side's clock when omitted.
   */
  submittedAt: Schema.optional(Timestamp.FromString),
  /**
   * The producer's W3C traceparent, carried with the job so the worker's
   * execution span joins the producer's trace (see `TraceContext`).
   */
  traceContext: Schema.optional(Schema.String)
})

/**
 * A submission.
 *
 * @category models
 * @since 0.2.0
 */
export interface SubmitRequest extends Schema.Schema.Type<typeof SubmitRequest> {}

/**
 * The schema of what a submission returns.
 *
 * @category schemas
 * @since 0.2.0
 */
export const Submitted = Schema.Struct({
  /** The job's id. */
  id: Schema.String,
  /**
   * True when a job with this id existed already, so nothing was written:
   * submitted before (by anyone, including this caller's own earlier
   * attempt whose reply was lost after the job was processed).
   */
  duplicate: Schema.Boolean
})

/**
 * What a submission returns.
 *
 * @category models
 * @since 0.2.0
 */
export interface Submitted extends Schema.Schema.Type<typeof Submitted> {}

/**
 * A new job, and when it becomes due when it is a scheduled one.
 *
 * @category models
 * @since 0.2.0
 */
export interface NewJob {
  /** The job to write. */
  readonly job: JobModel.Job
  /** The due time of a scheduled job (`scheduled_for`); none for a job queued now. */
  readonly dueAt: Timestamp.Timestamp | undefined
}

/**
 * Validates a request and builds its new job (pending, or `scheduled` with
 * `scheduled_for` when the request has a time). `field` prefixes field
 * names in errors (e.g. `entries[3].`). `now` is the storing side's clock;
 * `maxPayloadBytes` the payload size limit (see `PayloadLimits`).
 *
 * @category constructors
 * @since 0.2.0
 */
export const toJob = (
  request: SubmitRequest,
  now: Timestamp.Timestamp,
  field = "",
  maxPayloadBytes: number = PayloadLimits.defaultMaxPayloadBytes
): Result.Result<NewJob, ValidationError> => {
  const invalid = (name: string, message: string) => Result.fail(new ValidationError({ field: field + name, message }))
  if (typeof request.name !== "string" || request.name.trim() === "") return invalid("name", "job name must be a non-empty string")
  if (!isWellFormed(request.name)) return invalid("name", "job name must be well-formed UTF-16 (no lone surrogates)")
  if (reservedJobNames.includes(request.name)) {
    return invalid("name", `job name ${JSON.stringify(request.name)} is reserved for webhook events and deliveries`)
  }
  const priority: unknown = request.priority ?? "normal"
  if (!isJobPriority(priority)) {
    return invalid("priority", unknownPriority(priority))
  }
  if (request.maxRetries !== undefined && (!Number.isSafeInteger(request.maxRetries) || request.maxRetries < 0)) {
    return invalid("maxRetries", `maxRetries must be a non-negative integer, got ${String(request.maxRetries)}`)
  }
  if (request.routingKey !== undefined && (typeof request.routingKey !== "string" || !isRoutingKey(request.routingKey))) {
    return invalid("routingKey", invalidRoutingKey(request.routingKey))
  }
  if (request.description !== undefined && (typeof request.description !== "string" || !isWellFormed(request.description))) {
    return invalid("description", "description must be a well-formed string")
  }
  if (request.id !== undefined && (typeof request.id !== "string" || request.id === "" || !isWellFormed(request.id))) {
    return invalid("id", "job id must be a non-empty, well-formed string (no lone surrogates)")
  }
  if (typeof request.payload !== "string" || !RawJson.isValid(request.payload)) {
    return invalid("payload", "payload must be valid JSON text")
  }
  const limited = PayloadLimits.check(request.payload, maxPayloadBytes, field + "payload")
  if (limited !== undefined) return Result.fail(limited)
  if (request.traceContext !== undefined && (typeof request.traceContext !== "string" || !isTraceparent(request.traceContext))) {
    return invalid("traceContext", `traceContext must be a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>), got ${JSON.stringify(request.traceContext)}`)
  }
  if (request.submittedAt !== undefined && !isReadableByGo(request.submittedAt)) {
    return invalid("submittedAt", "submittedAt must be a valid time between the years 1 and 9999")
  }
  const created = request.submittedAt ?? now
  const due = dueAt(request, now, created, field)
  if (Result.isFailure(due)) return Result.fail(due.failure)
  const job = JobModel.make({
    id: request.id ?? JobId.make(),
    name: request.name,
    payload: request.payload,
    priority,
    now: created,
    maxRetries: request.maxRetries ?? JobModel.defaultMaxRetries,
    description: request.description === "" ? undefined : request.description,
    routingKey: isUnrouted(request.routingKey) ? undefined : request.routingKey
  })
  const traced = request.traceContext === undefined ? job : { ...job, traceContext: request.traceContext }
  return Result.succeed({
    job: due.success === undefined ? traced : { ...traced, status: "scheduled", scheduledFor: due.success },
    dueAt: due.success
  })
}

/**
 * Payload JSON: a `RawJson.Raw` is taken as is, anything else is marshalled
 * Go-style (`RawJson.fromValue`).
 *
 * @category constructors
 * @since 0.1.0
 */
export const toPayload = (payload: unknown): Result.Result<RawJson.RawJson, SerializationError> =>
  payload instanceof RawJson.Raw ? Result.succeed(payload.json) : RawJson.fromValue(payload)

/**
 * The runs a job is allowed in all, from either name of the setting:
 * `maxRetries` (Go's `max_retries`, which despite its name counts runs: 1
 * means one run and no retry) or its clearer alias `maxAttempts`. Giving
 * both with different values is a `ValidationError`.
 *
 * @category constructors
 * @since 0.2.0
 */
export const runsInAll = (
  maxRetries: number | undefined,
  maxAttempts: number | undefined,
  field = ""
): Result.Result<number | undefined, ValidationError> =>
  maxRetries !== undefined && maxAttempts !== undefined && maxRetries !== maxAttempts
    ? Result.fail(new ValidationError({
      field: field + "maxAttempts",
      message: `maxAttempts (${maxAttempts}) and maxRetries (${maxRetries}) are the same setting (Go's max_retries: runs in all); give one`
    }))
    : Result.succeed(maxRetries ?? maxAttempts)

/**
 * When a scheduled job becomes due: an instant, or a delay from when it is
 * stored.
 *
 * @category models
 * @since 0.1.0
 */
export type ScheduleAt = Date | DateTime.DateTime | Duration.Duration

/**
 * The request fields of a due time: `scheduledFor` for an instant,
 * `delayMillis` for a delay. An invalid date or delay is a
 * `ValidationError`.
 *
 * @category constructors
 * @since 0.2.0
 */
export const scheduleFields = (
  at: ScheduleAt
): Result.Result<{ readonly scheduledFor?: Timestamp.Timestamp; readonly delayMillis?: number }, ValidationError> => {
  if (at instanceof Date) return instant(at.getTime())
  if (DateTime.isDateTime(at)) return instant(DateTime.toEpochMillis(at))
  if (Duration.isDuration(at)) {
    const millis = Duration.toMillis(at)
    return Number.isFinite(millis) && millis >= 0
      ? Result.succeed({ delayMillis: millis })
      : Result.fail(new ValidationError({ field: "scheduledFor", message: `delay must be a finite, non-negative duration, got ${Duration.format(at)}` }))
  }
  return Result.fail(new ValidationError({ field: "scheduledFor", message: "scheduled time must be a Date, a DateTime or a Duration" }))
}

// Internal

/** The latest instant Go can read back: 9999-12-31T23:59:59.999Z (RFC 3339 has four-digit years). */
const maxMillis = 253_402_300_799_999

const instant = (millis: number) =>
  Number.isFinite(millis)
    ? Result.succeed({ scheduledFor: Timestamp.fromMillis(millis) })
    : Result.fail(new ValidationError({ field: "scheduledFor", message: "scheduled time is not a valid date" }))

const dueAt = (
  request: SubmitRequest,
  now: Timestamp.Timestamp,
  created: Timestamp.Timestamp,
  field: string
): Result.Result<Timestamp.Timestamp | undefined, ValidationError> => {
  const invalid = (message: string) => Result.fail(new ValidationError({ field: field + "scheduledFor", message }))
  if (request.scheduledFor !== undefined && request.delayMillis !== undefined) {
    return invalid("give either scheduledFor or delayMillis, not both")
  }
  let millis: number
  if (request.delayMillis !== undefined) {
    if (!Number.isFinite(request.delayMillis) || request.delayMillis < 0) {
      return invalid(`delay must be a finite, non-negative number of milliseconds, got ${String(request.delayMillis)}`)
    }
    millis = Timestamp.toMillis(created) + request.delayMillis
  } else if (request.scheduledFor !== undefined) {
    millis = Timestamp.toMillis(request.scheduledFor)
    if (!Number.isFinite(millis)) return invalid("scheduled time is not a valid date")
    if (Timestamp.compare(request.scheduledFor, now) < 0) {
      return invalid(`scheduled time ${Timestamp.format(request.scheduledFor)} is in the past`)
    }
  } else {
    return Result.succeed(undefined)
  }
  if (millis > maxMillis) {
    const shown = millis <= 8.64e15 ? new Date(millis).toISOString() : `${millis} ms after the epoch`
    return invalid(`scheduled time must be before the year 10000 (Go cannot read it), got ${shown}`)
  }
  return Result.succeed(request.scheduledFor ?? Timestamp.fromMillis(millis))
}

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** True when `s` has no lone surrogate (which Redis would store as the same replacement bytes as another id). */
const isWellFormed = (s: string): boolean => {
  const native = (s as { isWellFormed?: () => boolean }).isWellFormed
  return native !== undefined ? native.call(s) : !loneSurrogate.test(s)
}

/** Go reads RFC 3339 with four-digit years only. */
const isReadableByGo = (t: Timestamp.Timestamp): boolean => {
  const millis = Timestamp.toMillis(t)
  return Number.isFinite(millis) && millis >= minMillis && millis <= maxMillis
}

/** 0001-01-01T00:00:00Z. */
const minMillis = -62_135_596_800_000
