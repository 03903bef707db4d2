/**
 * The Task API: the operations a producer or an operator performs, each
 * one that can cross a wire — its arguments and results are data with
 * schemas (`domain/Submission`, `domain/JobPage`, ...), no client-side
 * policy. Implemented "direct" on the queue services (`DirectTaskApi`, for
 * Redis or memory) and over HTTP.
 *
 * What programs call are the `Tasks` helpers, written once over this
 * service for every implementation: they marshal payloads, fix job ids
 * before the first attempt, add typed jobs (`submitTyped`, `call`) and
 * apply the retry and timeout policies.
 *
 * @since 0.1.0
 */

import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type {
  ApiError,
  AuthenticationError,
  ConnectionError,
  JobConflictError,
  JobFailedError,
  JobNotFoundError,
  RateLimitError,
  SerializationError,
  StorageError,
  TimeoutError,
  ValidationError
} from "../domain/Errors.ts"
import type { Job } from "../domain/Job.ts"
import type { JobId } from "../domain/JobId.ts"
import type { JobPage, ListFilter, PageRequest } from "../domain/JobPage.ts"
import type { JobResult } from "../domain/JobResult.ts"
import type { QueueRef } from "../domain/QueueRef.ts"
import type { QueueStats } from "../domain/QueueStats.ts"
import type { SubmitRequest, Submitted } from "../domain/Submission.ts"

/**
 * What reaching the backend can fail with, whatever the operation: on
 * Redis a connection or storage failure or a deadline; over HTTP also the
 * gateway's refusals (a bad API key, its rate limit, a status no other
 * error describes).
 *
 * @category errors
 * @since 0.2.0
 */
export type TransportError = ConnectionError | StorageError | TimeoutError | AuthenticationError | RateLimitError | ApiError

/**
 * Errors of a submission.
 *
 * @category errors
 * @since 0.1.0
 */
export type SubmitError = ValidationError | SerializationError | JobConflictError | TransportError

/**
 * Errors of reading a job or a result.
 *
 * @category errors
 * @since 0.2.0
 */
export type ReadError = SerializationError | TransportError

/**
 * Errors of a wait for a job's completed result.
 *
 * @category errors
 * @since 0.1.0
 */
export type WaitError = JobFailedError | ReadError

/**
 * The Task API service.
 *
 * @category services
 * @since 0.1.0
 */
export class TaskApi extends Context.Service<TaskApi, {
  /**
   * Submits a job, queued now or scheduled (`scheduledFor` / `delayMillis`).
   * Validated first (nothing written on bad input). An id that exists
   * creates nothing and reports `duplicate` (or fails with
   * `JobConflictError` when `unique`).
   */
  readonly submit: (request: SubmitRequest) => Effect.Effect<Submitted, SubmitError>
  /**
   * Submits many jobs: all validated first (nothing written on bad input),
   * each atomic; results in order.
   */
  readonly submitBatch: (requests: ReadonlyArray<SubmitRequest>) => Effect.Effect<ReadonlyArray<Submitted>, SubmitError>
  /**
   * The job, or `JobNotFoundError`; `JobFailedError` when only Go's
   * dead-letter record is left under the id (its data was missing or
   * unreadable when a worker took it: `error` says which).
   */
  readonly getJob: (id: JobId) => Effect.Effect<Job, JobNotFoundError | JobFailedError | ReadError>
  /** The stored result, if any (any status, final or not). */
  readonly getResult: (id: JobId) => Effect.Effect<Option.Option<JobResult>, ReadError>
  /** Waits up to `timeout` for the final result (completed, or failed for good). */
  readonly waitForResult: (id: JobId, timeout: Duration.Duration) => Effect.Effect<JobResult, ReadError>
  /** Submits, then waits up to `timeout`: the completed result, or `JobFailedError`. */
  readonly submitAndWait: (request: SubmitRequest, timeout: Duration.Duration) => Effect.Effect<JobResult, SubmitError | WaitError>
  /** Cancels a queued or scheduled job; `JobConflictError` when it is running or finished. */
  readonly cancel: (id: JobId) => Effect.Effect<Job, JobNotFoundError | JobConflictError | ReadError>
  /** Queue depths (queued per priority, processing, scheduled, dead). */
  readonly stats: Effect.Effect<QueueStats, TransportError>
  /** Lists jobs by status, priority, name and creation time, paginated. */
  readonly list: (filter: ListFilter) => Effect.Effect<JobPage, ValidationError | TransportError>
  /** The dead-letter list, newest first, paginated. */
  readonly deadLetters: (page: PageRequest) => Effect.Effect<JobPage, ValidationError | TransportError>
  /** Requeues a dead-lettered job; `JobConflictError` when it is not dead. */
  readonly requeueDead: (id: JobId) => Effect.Effect<Job, JobNotFoundError | JobConflictError | ReadError>
  /** Deletes every dead-lettered job (ids, data and results); how many were removed. */
  readonly purgeDead: Effect.Effect<number, TransportError>
  /**
   * Pauses a queue (a priority, of the default queue or of a routing key):
   * our workers take nothing from it, submissions still land. The queue as
   * normalized; `ValidationError` for a bad priority or routing key.
   *
   * @since 0.2.0
   */
  readonly pauseQueue: (queue: QueueRef) => Effect.Effect<QueueRef, ValidationError | TransportError>
  /**
   * Resumes a paused queue: workers take its jobs at once.
   *
   * @since 0.2.0
   */
  readonly resumeQueue: (queue: QueueRef) => Effect.Effect<QueueRef, ValidationError | TransportError>
  /**
   * The paused queues.
   *
   * @since 0.2.0
   */
  readonly pausedQueues: Effect.Effect<ReadonlyArray<QueueRef>, TransportError>
}>()("@bananas/effect/TaskApi") {}
