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
import * as Effect from "effect/Effect"
import type { ApiError, AuthenticationError, RateLimitError } from "./HttpErrors.ts"
import { BatchReport, WriteOutcome } from "./WriteOutcome.ts"

export * from "./HttpErrors.ts"
export { BatchReport, type Progress, WriteOutcome } from "./WriteOutcome.ts"

/** `outcome`: absent means `unknown` (the safe reading), when made and when decoded. */
const outcomeField = WriteOutcome.pipe(
  Schema.withDecodingDefaultKey(Effect.succeed("unknown" as const)),
  Schema.withConstructorDefault(Effect.succeed("unknown" as const))
)

/**
 * Redis (or the HTTP gateway) could not be reached, or a command failed at
 * the transport level. Retryable. For a write, `outcome` says whether
 * anything may have been written (see RELIABILITY.md, "Errors and
 * outcomes").
 *
 * @category errors
 * @since 0.1.0
 */
export class ConnectionError extends Schema.TaggedError<ConnectionError>()("ConnectionError", {
  /** The operation that could not reach Redis (`connect`, `submit`, `complete`, ...). */
  operation: Schema.String,
  /** What happened, for a person: where it tried, the cause's code, what to check. */
  message: Schema.String,
  /** The driver's error. */
  cause: Schema.optional(Schema.Defect()),
  /**
   * `not-written`: nothing was sent (the client was disconnected), so
   * nothing was written. `unknown` (the default): sent without an answer;
   * it may have been carried out. Resubmitting the same id is safe either way.
   */
  outcome: outcomeField,
  /** For a failed batch submission: which ids were written, which were not, which are unknown. */
  batch: Schema.optional(BatchReport),
  /** The job a submission was writing (its id is fixed before the first attempt): submit again with it. */
  jobId: Schema.optional(Schema.String)
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
  /** The id looked up. */
  jobId: Schema.String,
  /** What happened, for a person. */
  message: Schema.String
}) {
  /** Not retryable. */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * No schedule with this id is stored.
 *
 * @category errors
 * @since 0.2.0
 */
export class ScheduleNotFoundError extends Schema.TaggedError<ScheduleNotFoundError>()("ScheduleNotFoundError", {
  /** The schedule id looked up. */
  scheduleId: Schema.String,
  /** What happened, for a person. */
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
  /** The job. */
  jobId: Schema.String,
  /** The error the worker recorded (Go's text where Go has one, e.g. `PANIC: ...`). */
  error: Schema.String,
  /** What happened, for a person. */
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
  /** The operation, or wait, that ran out of time. */
  operation: Schema.String,
  /** The deadline it had, in milliseconds. */
  timeoutMillis: Schema.Number,
  /** The job waited for, for a wait. */
  jobId: Schema.optional(Schema.String),
  /** What happened, for a person. */
  message: Schema.String,
  /**
   * For a write: `not-written` when no attempt was sent before the
   * deadline, else `unknown` (the default: an attempt was sent and not
   * answered, and may be carried out even after the deadline).
   */
  outcome: outcomeField,
  /** For a failed batch submission: which ids were written, which were not, which are unknown. */
  batch: Schema.optional(BatchReport)
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
export const timedOut = (operation: string, deadline: Duration.Duration, jobId?: string, outcome?: WriteOutcome): TimeoutError =>
  new TimeoutError({
    operation,
    timeoutMillis: Duration.toMillis(deadline),
    jobId,
    message: jobId === undefined
      ? `${operation} did not finish within ${Duration.format(deadline)}${outcome === "not-written" ? " (nothing was sent: nothing written)" : ""}`
      : `${operation}: no final result for job ${jobId} within ${Duration.format(deadline)}`,
    ...(outcome === undefined ? {} : { outcome })
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
  /** What could not be encoded or decoded, and why. */
  message: Schema.String,
  /** The Redis key the bad data was read from, when it was read. */
  key: Schema.optional(Schema.String),
  /** The underlying error. */
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
  /** The option, field or variable at fault (e.g. `priority`, `entries[3].payload`, `REDIS_URL`). */
  field: Schema.String,
  /** What is wrong with it, for a person. */
  message: Schema.String,
  /** The underlying error (e.g. a schema's). */
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
 * - `Limit`: the call would break a bound of Redis or its Lua (too many
 *   values for one command, an argument too long, a number Redis refuses);
 *   it was not sent (not retryable).
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
  "Limit",
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
  cause: Schema.optional(Schema.Defect()),
  /** For a failed batch submission: which ids were written, which were not, which are unknown. */
  batch: Schema.optional(BatchReport)
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
 * Every error of the SDK.
 *
 * @category errors
 * @since 0.1.0
 */
export type BananasError =
  | ConnectionError
  | StorageError
  | JobNotFoundError
  | ScheduleNotFoundError
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
