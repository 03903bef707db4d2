/**
 * What programs call to submit jobs and get their results: functions over
 * the `TaskApi` service, written once for every implementation (direct on
 * Redis or memory, or over HTTP).
 *
 * They add what a wire does not carry: payloads given as JavaScript values
 * (marshalled as Go does) or `RawJson.Raw` (exact bytes), typed jobs
 * (`submitTyped`, `call`), scheduling by `Date`, `DateTime` or `Duration`,
 * and the retry and timeout policies (`Policies`, per call with
 * `CallOptions`). The job id is fixed before the first attempt, so a retried
 * submission never creates a second job.
 *
 * @example
 * ```ts
 * const program = Effect.gen(function*() {
 *   const { id } = yield* Tasks.submit("send_email", { to: "a@b.c" }, { priority: "high" })
 *   const result = yield* Tasks.waitForResult(id, { timeout: "10 seconds" })
 *   const greeting = yield* Tasks.call(Greet, { name: "Ada" }) // typed RPC
 * })
 * ```
 *
 * @since 0.2.0
 */

import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as DurationInput from "./domain/DurationInput.ts"
import { type JobConflictError, type JobFailedError, type JobNotFoundError, ValidationError } from "./domain/Errors.ts"
import type { Job } from "./domain/Job.ts"
import * as JobDefinition from "./domain/JobDefinition.ts"
import * as JobId from "./domain/JobId.ts"
import type { JobPage, ListFilter, PageRequest } from "./domain/JobPage.ts"
import type { JobResult } from "./domain/JobResult.ts"
import type { JobPriority } from "./domain/JobPriority.ts"
import type { QueueRef } from "./domain/QueueRef.ts"
import type { QueueStats } from "./domain/QueueStats.ts"
import * as RawJson from "./domain/RawJson.ts"
import * as Submission from "./domain/Submission.ts"
import * as Timestamp from "./domain/Timestamp.ts"
import * as TraceContext from "./domain/TraceContext.ts"
import { ofJob, reportingBatch } from "./domain/BatchFailure.ts"
import * as Policies from "./layers/Policies.ts"
import type { BatchEntry, SubmitOptions, WaitOptions } from "./TaskOptions.ts"
import { type ReadError, type SubmitError, TaskApi, type TransportError, type WaitError } from "./services/TaskApi.ts"

export type { CallOptions } from "./layers/Policies.ts"
export type { ScheduleAt } from "./domain/Submission.ts"
export type { BatchEntry, SubmitOptions, WaitOptions } from "./TaskOptions.ts"
export type {
  /** What a call can fail with when it reads a job or a result. */
  ReadError,
  /** What a submission can fail with. */
  SubmitError,
  /** What reaching the backend can fail with, whatever the operation. */
  TransportError,
  /** What a wait for a result can fail with. */
  WaitError
} from "./services/TaskApi.ts"

/**
 * The wire request of a submission: the payload marshalled, the due time
 * resolved, the id (a fresh UUID unless given) and the creation time
 * (`now`) fixed, so every retry of it is the same job; `traceContext` the
 * producer's traceparent to carry with it (see `TraceContext`).
 *
 * @category constructors
 * @since 0.2.0
 */
export const request = (
  name: string,
  payload: unknown,
  options: Omit<SubmitOptions, keyof Policies.CallOptions> | undefined,
  now: Timestamp.Timestamp,
  traceContext?: string | undefined
): Result.Result<Submission.SubmitRequest, SubmitError> => {
  const json = Submission.toPayload(payload)
  if (Result.isFailure(json)) return Result.fail(json.failure)
  const due = options?.at === undefined ? Result.succeed({}) : Submission.scheduleFields(options.at)
  if (Result.isFailure(due)) return Result.fail(due.failure)
  const runs = Submission.runsInAll(options?.maxRetries, options?.maxAttempts)
  if (Result.isFailure(runs)) return Result.fail(runs.failure)
  return Result.succeed({
    name,
    payload: json.success,
    priority: options?.priority,
    description: options?.description,
    maxRetries: runs.success,
    routingKey: options?.routingKey,
    id: options?.id ?? JobId.make(),
    unique: options?.unique,
    submittedAt: now,
    traceContext,
    ...due.success
  })
}

/** The current time (Effect's `Clock`) and the trace context to carry. */
const stamp = Effect.all([Clock.currentTimeMillis, TraceContext.current])

/** `request` at the current time, in the current trace. */
const requestNow = (name: string, payload: unknown, options: Omit<SubmitOptions, keyof Policies.CallOptions> | undefined) =>
  Effect.flatMap(stamp, ([millis, trace]) => Effect.fromResult(request(name, payload, options, Timestamp.fromMillis(millis), trace)))

/**
 * Submits a job (payload: any JSON-serializable value, or `RawJson.Raw` for
 * exact bytes); queued now, or scheduled with `at`.
 *
 * @category submitting
 * @since 0.2.0
 */
export const submit = (name: string, payload: unknown, options?: SubmitOptions): Effect.Effect<Submission.Submitted, SubmitError, TaskApi> =>
  requestNow(name, payload, options).pipe(
    Effect.flatMap((req) =>
      withApi((api) => Effect.mapError(Policies.apply("submit", api.submit(req), options), (error) => ofJob(error, req.id!, false)))
    ),
    traced("Tasks.submit", { "job.name": name, "job.priority": options?.priority ?? "normal" })
  )

/**
 * Submits a job that becomes due at an instant or after a delay (a past
 * instant is a `ValidationError`).
 *
 * @category submitting
 * @since 0.2.0
 */
export const submitScheduled = (
  name: string,
  payload: unknown,
  at: Submission.ScheduleAt,
  options?: SubmitOptions
): Effect.Effect<Submission.Submitted, SubmitError, TaskApi> => submit(name, payload, { ...options, at })

/**
 * Submits many jobs: all validated first (nothing written on bad input),
 * each atomic, few round trips; results in order. A `ConnectionError`,
 * `TimeoutError` or `StorageError` says, in `batch`, which ids were
 * written, which were not and which are unknown; submitting those entries
 * again with these ids (`options.id`) creates no duplicate.
 *
 * @category submitting
 * @since 0.2.0
 */
export const submitBatch = (
  entries: ReadonlyArray<BatchEntry>,
  options?: Policies.CallOptions
): Effect.Effect<ReadonlyArray<Submission.Submitted>, SubmitError, TaskApi> =>
  Effect.flatMap(stamp, ([millis, trace]) => Effect.suspend(() => {
    // A plain loop, not an Effect per entry: a batch of 10,000 is one step.
    const now = Timestamp.fromMillis(millis)
    const requests: Array<Submission.SubmitRequest> = []
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!
      const req = request(entry.name, entry.payload, entry.options, now, trace)
      if (Result.isFailure(req)) return Effect.fail(prefixed(req.failure, `entries[${i}].`))
      requests.push(req.success)
    }
    return Effect.succeed(requests)
  })).pipe(
      Effect.flatMap((requests) =>
        // What became of each entry's write, across retries: a failure reports it (`BatchReport`).
        withApi((api) => reportingBatch(requests.map((r) => r.id!), Policies.apply("submitBatch", api.submitBatch(requests), options)))
      ),
      traced("Tasks.submitBatch", { "batch.size": entries.length })
    )

/**
 * Submits a typed job: the payload validated and encoded by the
 * definition's schema, the definition's defaults applied.
 *
 * @category typed
 * @since 0.2.0
 */
export const submitTyped = <D extends JobDefinition.JobDefinition>(
  definition: D,
  payload: JobDefinition.Payload<D>,
  options?: SubmitOptions
): Effect.Effect<Submission.Submitted, SubmitError, TaskApi> =>
  Effect.flatMap(JobDefinition.encodePayload(definition, payload), (raw) => submit(definition.name, new RawJson.Raw(raw), withDefaults(definition, options)))

/**
 * Waits for a job's final result (completed, or failed for good).
 *
 * @category results
 * @since 0.2.0
 */
export const waitForResult = (id: string, options?: WaitOptions): Effect.Effect<JobResult, ValidationError | ReadError, TaskApi> =>
  Effect.flatMap(waitTimeout(options), (timeout) => withApi((api) => Policies.retrying(api.waitForResult(id, timeout), options)))

/**
 * Submits, then waits: the completed result, or `JobFailedError`.
 * Subscribed before the submission, so the result cannot slip by.
 *
 * @category results
 * @since 0.2.0
 */
export const submitAndWait = (
  name: string,
  payload: unknown,
  options?: SubmitOptions & WaitOptions
): Effect.Effect<JobResult, SubmitError | WaitError, TaskApi> =>
  requestNow(name, payload, options).pipe(
    Effect.flatMap((req) => rpc(req, options)),
    traced("Tasks.submitAndWait", { "job.name": name })
  )

/**
 * RPC: submits a typed job and returns its typed result (decoded by the
 * definition's result schema), or a typed `JobFailedError`.
 *
 * @category typed
 * @since 0.2.0
 */
export const call = <D extends JobDefinition.JobDefinition>(
  definition: D,
  payload: JobDefinition.Payload<D>,
  options?: SubmitOptions & WaitOptions
): Effect.Effect<JobDefinition.Success<D>, SubmitError | WaitError, TaskApi> =>
  JobDefinition.encodePayload(definition, payload).pipe(
    Effect.flatMap((raw) => requestNow(definition.name, new RawJson.Raw(raw), withDefaults(definition, options))),
    Effect.flatMap((req) => rpc(req, options)),
    Effect.flatMap((result) => JobDefinition.decodeResult(definition, result.result)),
    traced("Tasks.call", { "job.name": definition.name })
  )

/**
 * The job, or `JobNotFoundError`; `JobFailedError` when a worker
 * dead-lettered it without its data (only Go's dead-letter record is left).
 *
 * @category reading
 * @since 0.2.0
 */
export const getJob = (id: string, options?: Policies.CallOptions): Effect.Effect<Job, JobNotFoundError | JobFailedError | ValidationError | ReadError, TaskApi> =>
  withApi((api) => Policies.apply("getJob", api.getJob(id), options))

/**
 * The stored result, if any (any status).
 *
 * @category reading
 * @since 0.2.0
 */
export const getResult = (id: string, options?: Policies.CallOptions): Effect.Effect<Option.Option<JobResult>, ValidationError | ReadError, TaskApi> =>
  withApi((api) => Policies.apply("getResult", api.getResult(id), options))

/**
 * Cancels a queued or scheduled job; `JobConflictError` when it is running
 * or finished.
 *
 * @category managing
 * @since 0.2.0
 */
export const cancel = (id: string, options?: Policies.CallOptions): Effect.Effect<Job, JobNotFoundError | JobConflictError | ValidationError | ReadError, TaskApi> =>
  withApi((api) => Policies.apply("cancel", api.cancel(id), options))

/**
 * Queue depths.
 *
 * @category managing
 * @since 0.2.0
 */
export const stats = (options?: Policies.CallOptions): Effect.Effect<QueueStats, ValidationError | TransportError, TaskApi> =>
  withApi((api) => Policies.apply("stats", api.stats, options))

/**
 * Lists jobs by status, priority, name and creation time, paginated. A job
 * present throughout is listed, never twice in one page; on Redis a later
 * page may repeat one when Redis shrinks its table between pages (SCAN's
 * rule).
 *
 * @category managing
 * @since 0.2.0
 */
export const list = (filter: ListFilter = {}, options?: Policies.CallOptions): Effect.Effect<JobPage, ValidationError | TransportError, TaskApi> =>
  withApi((api) => Policies.apply("list", api.list(filter), options))

/**
 * The dead-letter list, newest first, paginated.
 *
 * @category managing
 * @since 0.2.0
 */
export const deadLetters = (page: PageRequest = {}, options?: Policies.CallOptions): Effect.Effect<JobPage, ValidationError | TransportError, TaskApi> =>
  withApi((api) => Policies.apply("deadLetters", api.deadLetters(page), options))

/**
 * Requeues a dead-lettered job; `JobConflictError` when it is not dead.
 *
 * @category managing
 * @since 0.2.0
 */
export const requeueDead = (id: string, options?: Policies.CallOptions): Effect.Effect<Job, JobNotFoundError | JobConflictError | ValidationError | ReadError, TaskApi> =>
  withApi((api) => Policies.apply("requeueDead", api.requeueDead(id), options))

/**
 * Deletes every dead-lettered job; how many were removed.
 *
 * @category managing
 * @since 0.2.0
 */
export const purgeDead = (options?: Policies.CallOptions): Effect.Effect<number, ValidationError | TransportError, TaskApi> =>
  withApi((api) => Policies.apply("purgeDead", api.purgeDead, options))

/**
 * Pauses a queue: a priority of the default queue (`"high"`), or of a
 * routing key's (`{ priority: "high", routingKey: "gpu" }`). Our workers
 * take nothing from it until it is resumed (checked in the same step as
 * each take); its jobs stay queued and submissions still land. Go workers
 * do not know pause: stop them, or route the work they must not take.
 *
 * @example
 * ```ts
 * yield* Tasks.pauseQueue("low")                                  // the default queue's low priority
 * yield* Tasks.pauseQueue({ priority: "high", routingKey: "gpu" }) // route:gpu:queue:high
 * ```
 *
 * @category managing
 * @since 0.2.0
 */
export const pauseQueue = (queue: QueueRef | JobPriority, options?: Policies.CallOptions): Effect.Effect<QueueRef, ValidationError | TransportError, TaskApi> =>
  withApi((api) => Policies.apply("pauseQueue", api.pauseQueue(refOf(queue)), options))

/**
 * Resumes a paused queue: workers take its jobs at once (they are woken).
 *
 * @category managing
 * @since 0.2.0
 */
export const resumeQueue = (queue: QueueRef | JobPriority, options?: Policies.CallOptions): Effect.Effect<QueueRef, ValidationError | TransportError, TaskApi> =>
  withApi((api) => Policies.apply("resumeQueue", api.resumeQueue(refOf(queue)), options))

/**
 * The paused queues (also in `stats`).
 *
 * @category managing
 * @since 0.2.0
 */
export const pausedQueues = (options?: Policies.CallOptions): Effect.Effect<ReadonlyArray<QueueRef>, ValidationError | TransportError, TaskApi> =>
  withApi((api) => Policies.apply("pausedQueues", api.pausedQueues, options))

// Internal

const refOf = (queue: QueueRef | JobPriority): QueueRef => (typeof queue === "string" ? { priority: queue } : queue)

/**
 * The call in a span named `name`, when tracing is on (`TraceContext.isTracing`):
 * under Effect's built-in tracer a span goes nowhere and cost a fifth of a
 * submit's CPU. No call-site stack trace: capturing one costs more than the
 * Redis round trip.
 */
const traced = (name: string, attributes: Record<string, unknown>) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withFiber((fiber) =>
    TraceContext.isTracing(fiber) ? Effect.withSpan(effect, name, { attributes, captureStackTrace: false }) : effect
  )

const withApi = <A, E>(f: (api: TaskApi["Service"]) => Effect.Effect<A, E>): Effect.Effect<A, E, TaskApi> =>
  Effect.flatMap(Effect.service(TaskApi), f)

/** The wait's deadline: the call's (a positive duration, checked before anything is written), else the layer's. */
const waitTimeout = (options: WaitOptions | undefined): Effect.Effect<Duration.Duration, ValidationError> =>
  options?.timeout !== undefined
    ? Effect.fromResult(DurationInput.decode("timeout", options.timeout, "positiveOrInfinite"))
    : Effect.map(Effect.context<never>(), (context) => Context.get(context, Policies.TimeoutPolicy).wait)

/**
 * Submit-and-wait, retried as a whole on retryable failures (safe: the id
 * is fixed, so a retry never submits twice). The final failure names the
 * job and is `unknown` once any attempt may have written it: the last
 * attempt's `not-written` (Redis still down) says nothing of the earlier
 * ones.
 */
const rpc = (req: Submission.SubmitRequest, options: (SubmitOptions & WaitOptions) | undefined) =>
  Effect.flatMap(waitTimeout(options), (timeout) =>
    withApi((api) => {
      let maybeWritten = false
      const attempt = Effect.tapError(api.submitAndWait(req, timeout), (error) =>
        Effect.sync(() => {
          if (!isNotWritten(error)) maybeWritten = true
        }))
      return Effect.mapError(Policies.retrying(attempt, options), (error) => ofJob(error, req.id!, maybeWritten))
    }))

/** A failure that says nothing was written (`not-written`), or a refusal before anything was sent. */
const isNotWritten = (error: SubmitError | WaitError): boolean =>
  error._tag === "ConnectionError" || error._tag === "TimeoutError"
    ? error.outcome === "not-written"
    : error._tag === "ValidationError" || error._tag === "AuthenticationError" || error._tag === "RateLimitError"

const withDefaults = (definition: JobDefinition.JobDefinition, options: SubmitOptions | undefined): SubmitOptions => ({
  ...options,
  priority: options?.priority ?? definition.priority,
  ...(options?.maxRetries === undefined && options?.maxAttempts === undefined
    ? { maxRetries: definition.maxRetries, maxAttempts: definition.maxAttempts }
    : {}),
  description: options?.description ?? definition.description
})

const prefixed = (error: SubmitError, prefix: string): SubmitError =>
  error._tag === "ValidationError"
    ? new ValidationError({ field: prefix + error.field, message: error.message, cause: error.cause })
    : error
