/**
 * The API users call: submit jobs, read them, wait for results, and manage
 * queues. Implemented "direct" on Queue + ResultBackend
 * (`layers/DirectTaskApi`) for Redis or memory, and over HTTP.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as DateTime from "effect/DateTime"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type * as Schedule from "effect/Schedule"
import type {
  ConnectionError,
  JobFailedError,
  JobNotFoundError,
  SerializationError,
  TimeoutError,
  ValidationError
} from "../domain/Errors.ts"
import type { Job } from "../domain/Job.ts"
import type { JobDefinition, Payload, Success } from "../domain/JobDefinition.ts"
import type { JobId } from "../domain/JobId.ts"
import type { JobPriority } from "../domain/JobPriority.ts"
import type { JobResult } from "../domain/JobResult.ts"
import type { JobPage, ListFilter, QueueStats } from "./Queue.ts"

/**
 * Per-call policy overrides (see `Policies`).
 *
 * @category models
 * @since 0.1.0
 */
export interface CallOptions {
  /** Retry schedule for retryable (connection) failures of this call. */
  readonly retry?: Schedule.Schedule<unknown, unknown> | undefined
  /** Deadline for a single storage operation of this call. */
  readonly operationTimeout?: Duration.Input | undefined
}

/**
 * Options of a submission.
 *
 * @category models
 * @since 0.1.0
 */
export interface SubmitOptions extends CallOptions {
  /** Default `normal`. Anything else than high/normal/low is a `ValidationError`. */
  readonly priority?: JobPriority | undefined
  readonly description?: string | undefined
  /** Runs allowed in all (Go: `max_retries`, default 3). */
  readonly maxRetries?: number | undefined
  /** Route-Go routing key (`[A-Za-z0-9_-]{1,64}`); `default` or none = unrouted. */
  readonly routingKey?: string | undefined
  /** Use this id instead of a fresh UUID (idempotent producers). */
  readonly id?: JobId | undefined
}

/**
 * Options of a wait.
 *
 * @category models
 * @since 0.1.0
 */
export interface WaitOptions extends CallOptions {
  /** How long to wait for the final result (default: the TimeoutPolicy's `wait`). */
  readonly timeout?: Duration.Input | undefined
}

/**
 * When a scheduled job becomes due: an instant, or a delay from now.
 *
 * @category models
 * @since 0.1.0
 */
export type ScheduleAt = Date | DateTime.DateTime | Duration.Duration

/**
 * One entry of a batch submission.
 *
 * @category models
 * @since 0.1.0
 */
export interface BatchEntry {
  readonly name: string
  readonly payload: unknown
  readonly options?: Omit<SubmitOptions, keyof CallOptions> | undefined
}

/**
 * Errors of a submission.
 *
 * @category errors
 * @since 0.1.0
 */
export type SubmitError = ValidationError | SerializationError | ConnectionError | TimeoutError

/**
 * Errors of a wait for a final outcome.
 *
 * @category errors
 * @since 0.1.0
 */
export type WaitError = JobFailedError | TimeoutError | ConnectionError | SerializationError

/**
 * The Task API service.
 *
 * @category services
 * @since 0.1.0
 */
export class TaskApi extends Context.Service<TaskApi, {
  /** Submits a job (payload: any JSON-serializable value, or `RawJson.Raw` for exact bytes). */
  readonly submit: (name: string, payload: unknown, options?: SubmitOptions) => Effect.Effect<JobId, SubmitError>
  /** Submits a job that becomes due at an instant or after a delay (a past instant is a `ValidationError`). */
  readonly submitScheduled: (name: string, payload: unknown, at: ScheduleAt, options?: SubmitOptions) => Effect.Effect<JobId, SubmitError>
  /** Submits many jobs: validated first (nothing written on bad input), one round trip per chunk, each job atomic. */
  readonly submitBatch: (entries: ReadonlyArray<BatchEntry>, options?: CallOptions) => Effect.Effect<ReadonlyArray<JobId>, SubmitError>
  /** Submits a typed job, its payload validated and encoded by the definition's schema. */
  readonly submitTyped: <D extends JobDefinition>(definition: D, payload: Payload<D>, options?: SubmitOptions) => Effect.Effect<JobId, SubmitError>
  /** The job, or `JobNotFoundError`. */
  readonly getJob: (id: JobId, options?: CallOptions) => Effect.Effect<Job, JobNotFoundError | ConnectionError | SerializationError | TimeoutError>
  /** The stored result, if any (any status). */
  readonly getResult: (id: JobId, options?: CallOptions) => Effect.Effect<Option.Option<JobResult>, ConnectionError | SerializationError | TimeoutError>
  /** Waits for the final result (completed or failed for good). */
  readonly waitForResult: (id: JobId, options?: WaitOptions) => Effect.Effect<JobResult, TimeoutError | ConnectionError | SerializationError>
  /** Submits, then waits: the completed result, or `JobFailedError`. */
  readonly submitAndWait: (name: string, payload: unknown, options?: SubmitOptions & WaitOptions) => Effect.Effect<JobResult, SubmitError | WaitError>
  /** RPC: submits a typed job and returns its typed result, or a typed `JobFailedError`. */
  readonly call: <D extends JobDefinition>(definition: D, payload: Payload<D>, options?: SubmitOptions & WaitOptions) => Effect.Effect<Success<D>, SubmitError | WaitError>
  /** Cancels a queued or scheduled job; false when it was no longer waiting. */
  readonly cancel: (id: JobId, options?: CallOptions) => Effect.Effect<boolean, ConnectionError | SerializationError | TimeoutError>
  /** Queue depths (queued per priority, processing, scheduled, dead). */
  readonly stats: (options?: CallOptions) => Effect.Effect<QueueStats, ConnectionError | TimeoutError>
  /** Lists jobs by status, priority, name and creation time, paginated. */
  readonly list: (filter?: ListFilter, options?: CallOptions) => Effect.Effect<JobPage, ValidationError | ConnectionError | TimeoutError>
  /** The dead-letter list, paginated. */
  readonly deadLetters: (page?: { readonly cursor?: string | undefined; readonly limit?: number | undefined }, options?: CallOptions) => Effect.Effect<JobPage, ValidationError | ConnectionError | TimeoutError>
  /** Requeues a dead-lettered job; false when it was not dead. */
  readonly requeueDead: (id: JobId, options?: CallOptions) => Effect.Effect<boolean, ConnectionError | SerializationError | TimeoutError>
}>()("@bananas/effect/TaskApi") {}
