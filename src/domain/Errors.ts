/**
 * The tagged errors of @bananas/effect. Every failure that crosses the public
 * API is one of these values, in the error channel; none is thrown.
 *
 * Each error says whether retrying the same operation may succeed
 * (`isRetryable`): only connection-level failures are retryable, never a
 * validation or serialization error.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * Redis (or the HTTP gateway) could not be reached, or a command failed at
 * the transport level. Retryable.
 *
 * @category errors
 * @since 0.1.0
 */
export class ConnectionError extends Schema.TaggedError<ConnectionError>()("ConnectionError", {
  operation: Schema.String,
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {
  /** A connection failure may heal: retry policies retry it. */
  get isRetryable(): boolean {
    return true
  }
}

/**
 * No job (or no result) with this id exists (never existed, expired, or was
 * cancelled).
 *
 * @category errors
 * @since 0.1.0
 */
export class JobNotFoundError extends Schema.TaggedError<JobNotFoundError>()("JobNotFoundError", {
  jobId: Schema.String,
  message: Schema.String
}) {
  /** Not retryable. */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * The job ran and failed for good (its final attempt failed, or it was
 * dead-lettered). `error` is the message the worker recorded.
 *
 * @category errors
 * @since 0.1.0
 */
export class JobFailedError extends Schema.TaggedError<JobFailedError>()("JobFailedError", {
  jobId: Schema.String,
  error: Schema.String,
  message: Schema.String
}) {
  /** Not retryable: resubmit the job instead. */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * An operation, or a wait for a job's result, did not finish in time.
 *
 * @category errors
 * @since 0.1.0
 */
export class TimeoutError extends Schema.TaggedError<TimeoutError>()("TimeoutError", {
  operation: Schema.String,
  timeoutMillis: Schema.Number,
  jobId: Schema.optional(Schema.String),
  message: Schema.String
}) {
  /** Not retried by the default policy: the caller chose the deadline. */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * Data could not be encoded to, or decoded from, the wire format: a payload
 * that is not JSON-serializable, or corrupted data read from Redis (`key`
 * names where it was read).
 *
 * @category errors
 * @since 0.1.0
 */
export class SerializationError extends Schema.TaggedError<SerializationError>()("SerializationError", {
  message: Schema.String,
  key: Schema.optional(Schema.String),
  cause: Schema.optional(Schema.Defect())
}) {
  /** Not retryable: the same bytes fail the same way. */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * Input was rejected before anything was written: an empty job name, an
 * unknown priority, a scheduled time in the past, a payload that fails its
 * schema, ...
 *
 * @category errors
 * @since 0.1.0
 */
export class ValidationError extends Schema.TaggedError<ValidationError>()("ValidationError", {
  field: Schema.String,
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {
  /** Never retryable. */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * Every error of the SDK.
 *
 * @category errors
 * @since 0.1.0
 */
export type BananasError =
  | ConnectionError
  | JobNotFoundError
  | JobFailedError
  | TimeoutError
  | SerializationError
  | ValidationError

/**
 * True for errors that a retry may heal (see each error's `isRetryable`).
 *
 * @category guards
 * @since 0.1.0
 */
export const isRetryable = (error: unknown): boolean =>
  typeof error === "object" && error !== null && "isRetryable" in error && (error as { isRetryable: unknown }).isRetryable === true
