/**
 * The tagged errors of @bananas/effect. Every failure that crosses the public
 * API is one of these values, in the error channel; none is thrown.
 *
 * Each error says whether retrying the same operation may succeed
 * (`isRetryable`): only connection-level failures (and, over HTTP, rate
 * limits and 502/503/504) are retryable, never a validation or
 * serialization error.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
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
 * The `TimeoutError` for an operation (or a wait for job `jobId`) that did
 * not finish within `deadline`.
 *
 * @category constructors
 * @since 0.2.0
 */
export const timedOut = (operation: string, deadline: Duration.Duration, jobId?: string): TimeoutError =>
  new TimeoutError({
    operation,
    timeoutMillis: Duration.toMillis(deadline),
    jobId,
    message: jobId === undefined
      ? `${operation} did not finish within ${Duration.format(deadline)}`
      : `${operation}: no final result for job ${jobId} within ${Duration.format(deadline)}`
  })

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
 * The kinds of command error a storage backend can report.
 *
 * - `OutOfMemory`: Redis is over `maxmemory` and refused a write (retryable:
 *   memory frees as results and finished jobs expire).
 * - `WrongType`: a key of the layout holds another type (not retryable: the
 *   key must be repaired; `key` names it). Nothing was written.
 * - `ReadOnly`: the write reached a read-only replica, e.g. during a
 *   failover (retryable).
 * - `Busy`, `Loading`, `ClusterDown`: the server cannot serve right now
 *   (retryable).
 * - `Aborted`: a transaction was discarded (not retryable).
 * - `Script`: a Lua script failed (a bug; not retryable).
 * - `Auth`: authentication failed (configuration; not retryable).
 * - `Other`: any other command error (not retryable).
 *
 * @category models
 * @since 0.2.0
 */
export const StorageErrorReason = Schema.Literals([
  "OutOfMemory",
  "WrongType",
  "ReadOnly",
  "Busy",
  "Loading",
  "ClusterDown",
  "Aborted",
  "Script",
  "Auth",
  "Other"
])

/**
 * The kind of a `StorageError`.
 *
 * @category models
 * @since 0.2.0
 */
export type StorageErrorReason = typeof StorageErrorReason.Type

/**
 * The storage (Redis) was reached but refused or failed a command: out of
 * memory, a wrong-typed key, a read-only replica, ... (`reason`). Whether a
 * retry may help depends on the reason (`isRetryable`).
 *
 * @category errors
 * @since 0.2.0
 */
export class StorageError extends Schema.TaggedError<StorageError>()("StorageError", {
  /** The operation that failed (e.g. `submit`, `complete`). */
  operation: Schema.String,
  /** What kind of failure it was. */
  reason: StorageErrorReason,
  /** The key involved, when known (always for `WrongType`). */
  key: Schema.optional(Schema.String),
  /** What happened, for a person. */
  message: Schema.String,
  /** The underlying error. */
  cause: Schema.optional(Schema.Defect())
}) {
  /** Out of memory, read-only, busy, loading and cluster-down may heal; the others need a person. */
  get isRetryable(): boolean {
    return retryableReasons.has(this.reason)
  }
}

/**
 * A worker tried to record the outcome of a job it no longer holds: its
 * lease was recovered (the worker looked dead) and the job handed to
 * another worker, or it was cancelled or requeued meanwhile. Nothing was
 * written; the current holder's outcome stands.
 *
 * @category errors
 * @since 0.2.0
 */
export class LeaseLostError extends Schema.TaggedError<LeaseLostError>()("LeaseLostError", {
  /** The job. */
  jobId: Schema.String,
  /** The operation that was refused (`complete`, `fail`, ...). */
  operation: Schema.String,
  /** What happened, for a person. */
  message: Schema.String
}) {
  /** Not retryable: the job belongs to someone else now. */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * The job exists but is in a state that does not allow the operation:
 * cancelling a job that is running or finished, requeueing one that is not
 * dead-lettered, or submitting an id that exists when the caller asked for
 * a unique id.
 *
 * @category errors
 * @since 0.2.0
 */
export class JobConflictError extends Schema.TaggedError<JobConflictError>()("JobConflictError", {
  /** The job. */
  jobId: Schema.String,
  /** The job's status when the operation was refused (`""` for Go's cron jobs). */
  status: Schema.String,
  /** The operation refused (`cancel`, `requeue`, `submit`). */
  operation: Schema.String,
  /** What happened, for a person. */
  message: Schema.String
}) {
  /** Not retryable: the state has to change first. */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * The HTTP gateway refused the request's credentials: no API key, or one it
 * does not know (HTTP 401). Not retryable: the key must be fixed.
 *
 * @category errors
 * @since 0.3.0
 */
export class AuthenticationError extends Schema.TaggedError<AuthenticationError>()("AuthenticationError", {
  /** What happened, for a person (never the key itself). */
  message: Schema.String
}) {
  /** Not retryable. */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * The HTTP gateway's rate limit for this API key was reached (HTTP 429).
 * Retryable once `retryAfterMillis` has passed (the `Retry-After` header);
 * the retry policies wait at least that long.
 *
 * @category errors
 * @since 0.3.0
 */
export class RateLimitError extends Schema.TaggedError<RateLimitError>()("RateLimitError", {
  /** How long to wait before trying again, in milliseconds. */
  retryAfterMillis: Schema.Number,
  /** What happened, for a person. */
  message: Schema.String
}) {
  /** Retryable, after `retryAfterMillis`. */
  get isRetryable(): boolean {
    return true
  }
}

/**
 * The HTTP gateway (or a proxy in front of it) answered with a status that
 * no other error describes: a 502/503/504 from a load balancer, a 413 body
 * too large, a 415 wrong content type, ... Retryable for 502, 503 and 504
 * only.
 *
 * @category errors
 * @since 0.3.0
 */
export class ApiError extends Schema.TaggedError<ApiError>()("ApiError", {
  /** The HTTP status. */
  status: Schema.Number,
  /** What happened, for a person. */
  message: Schema.String
}) {
  /** 502, 503 and 504 may heal; anything else needs the request or the server fixed. */
  get isRetryable(): boolean {
    return this.status === 502 || this.status === 503 || this.status === 504
  }
}

/**
 * How long a failure asks to be left alone before a retry (a
 * `RateLimitError`'s `Retry-After`), if it says.
 *
 * @category guards
 * @since 0.3.0
 */
export const retryAfterMillis = (error: unknown): number | undefined =>
  error instanceof RateLimitError && Number.isFinite(error.retryAfterMillis) ? Math.max(0, error.retryAfterMillis) : undefined

/**
 * Every error of the SDK.
 *
 * @category errors
 * @since 0.1.0
 */
export type BananasError =
  | ConnectionError
  | StorageError
  | JobNotFoundError
  | JobFailedError
  | JobConflictError
  | LeaseLostError
  | TimeoutError
  | SerializationError
  | ValidationError
  | AuthenticationError
  | RateLimitError
  | ApiError

const retryableReasons: ReadonlySet<StorageErrorReason> = new Set(["OutOfMemory", "ReadOnly", "Busy", "Loading", "ClusterDown"])

/**
 * True for errors that a retry may heal (see each error's `isRetryable`).
 *
 * @category guards
 * @since 0.1.0
 */
export const isRetryable = (error: unknown): boolean =>
  typeof error === "object" && error !== null && "isRetryable" in error && (error as { isRetryable: unknown }).isRetryable === true
