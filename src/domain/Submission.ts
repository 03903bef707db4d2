/**
 * Validation of what users submit, before anything is written: a job name,
 * a known priority, a retry budget, a routing key, a JSON-serializable
 * payload and a due time that is a valid instant not in the past. Every
 * rejection is a `ValidationError` (or a `SerializationError` for the
 * payload) naming the offending field.
 *
 * @since 0.1.0
 */
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Result from "effect/Result"
import { SerializationError, ValidationError } from "./Errors.ts"
import * as Job from "./Job.ts"
import * as JobId from "./JobId.ts"
import { isJobPriority } from "./JobPriority.ts"
import { isRoutingKey } from "./Keys.ts"
import * as RawJson from "./RawJson.ts"
import * as Timestamp from "./Timestamp.ts"

/**
 * A job as a user describes it.
 *
 * @category models
 * @since 0.1.0
 */
export interface Submission {
  readonly name: string
  readonly payload: unknown
  readonly priority?: unknown
  readonly description?: string | undefined
  readonly maxRetries?: number | undefined
  readonly routingKey?: string | undefined
  readonly id?: string | undefined
}

/**
 * Builds a new pending job from a submission, or the first problem found.
 * `field` prefixes field names in errors (e.g. `entries[3].`).
 *
 * @category constructors
 * @since 0.1.0
 */
export const toJob = (
  input: Submission,
  now: Timestamp.Timestamp,
  field = ""
): Result.Result<Job.Job, ValidationError | SerializationError> => {
  const invalid = (name: string, message: string) => Result.fail(new ValidationError({ field: field + name, message }))
  if (typeof input.name !== "string" || input.name.trim() === "") return invalid("name", "job name must be a non-empty string")
  const priority = input.priority ?? "normal"
  if (!isJobPriority(priority)) {
    return invalid("priority", `unknown priority ${JSON.stringify(priority) ?? String(priority)} (expected "high", "normal" or "low")`)
  }
  if (input.maxRetries !== undefined && (!Number.isSafeInteger(input.maxRetries) || input.maxRetries < 0)) {
    return invalid("maxRetries", `maxRetries must be a non-negative integer, got ${String(input.maxRetries)}`)
  }
  if (input.routingKey !== undefined && !isRoutingKey(input.routingKey)) {
    return invalid("routingKey", `routing key must match [A-Za-z0-9_-]{1,64}, got ${JSON.stringify(input.routingKey)}`)
  }
  if (input.description !== undefined && typeof input.description !== "string") {
    return invalid("description", "description must be a string")
  }
  if (input.id !== undefined && (typeof input.id !== "string" || input.id === "")) {
    return invalid("id", "job id must be a non-empty string")
  }
  const payload = toPayload(input.payload)
  if (Result.isFailure(payload)) {
    return Result.fail(new SerializationError({ message: `${field}payload: ${payload.failure.message}`, cause: payload.failure }))
  }
  return Result.succeed(Job.make({
    id: input.id ?? JobId.make(),
    name: input.name,
    payload: payload.success,
    priority,
    now,
    description: input.description,
    maxRetries: input.maxRetries,
    routingKey: input.routingKey === "default" ? undefined : input.routingKey
  }))
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
 * When a scheduled job becomes due: an instant (`Date` or `DateTime`) or a
 * delay from `now`. An invalid date, or an instant before `now`, is a
 * `ValidationError`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const dueTime = (
  at: Date | DateTime.DateTime | Duration.Duration,
  nowMillis: number
): Result.Result<Timestamp.Timestamp, ValidationError> => {
  let millis: number
  if (at instanceof Date) millis = at.getTime()
  else if (DateTime.isDateTime(at)) millis = DateTime.toEpochMillis(at)
  else if (Duration.isDuration(at)) millis = nowMillis + Duration.toMillis(at)
  else return Result.fail(new ValidationError({ field: "scheduledFor", message: "scheduled time must be a Date, a DateTime or a Duration" }))
  if (!Number.isFinite(millis)) {
    return Result.fail(new ValidationError({ field: "scheduledFor", message: "scheduled time is not a valid date" }))
  }
  if (millis < nowMillis) {
    return Result.fail(new ValidationError({
      field: "scheduledFor",
      message: `scheduled time ${new Date(millis).toISOString()} is in the past`
    }))
  }
  return Result.succeed(Timestamp.fromMillis(millis))
}

/**
 * Turns a pending job into a scheduled one due at `at` (status `scheduled`,
 * `scheduled_for` set), as the SDKs write it.
 *
 * @category constructors
 * @since 0.1.0
 */
export const toScheduled = (job: Job.Job, at: Timestamp.Timestamp): Job.Job => ({ ...job, status: "scheduled", scheduledFor: at })
