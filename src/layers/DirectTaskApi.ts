/**
 * The TaskApi built directly on `Queue` + `ResultBackend`: for Redis or
 * memory. Input is validated before anything is written; every storage
 * operation runs under the retry and timeout policies (`Policies`).
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import type * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { isRetryable, JobFailedError, JobNotFoundError, ValidationError } from "../domain/Errors.ts"
import type { Job } from "../domain/Job.ts"
import * as JobDefinition from "../domain/JobDefinition.ts"
import type { JobResult } from "../domain/JobResult.ts"
import * as RawJson from "../domain/RawJson.ts"
import * as Submission from "../domain/Submission.ts"
import * as Timestamp from "../domain/Timestamp.ts"
import { Queue } from "../services/Queue.ts"
import { ResultBackend } from "../services/ResultBackend.ts"
import { TaskApi, type SubmitOptions, type WaitOptions } from "../services/TaskApi.ts"
import * as Policies from "./Policies.ts"

/**
 * Builds the TaskApi from the Queue and ResultBackend in context.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.gen(function*() {
  const queue = yield* Queue
  const results = yield* ResultBackend

  const now = Effect.map(Clock.currentTimeMillis, Timestamp.fromMillis)

  const build = (name: string, payload: unknown, options: SubmitOptions | undefined, at?: Timestamp.Timestamp, field?: string) =>
    Effect.flatMap(now, (ts) =>
      Effect.fromResult(Submission.toJob({ ...options, name, payload }, ts, field)).pipe(
        Effect.map((job) => (at === undefined ? job : Submission.toScheduled(job, at)))
      ))

  const submit = (name: string, payload: unknown, options?: SubmitOptions) =>
    build(name, payload, options).pipe(
      Effect.tap((job) => Policies.apply("submit", queue.enqueue(job), options)),
      Effect.map((job) => job.id),
      Effect.withSpan("TaskApi.submit", { attributes: { "job.name": name, "job.priority": options?.priority ?? "normal" } }, noStack)
    )

  const submitScheduled = (name: string, payload: unknown, at: Date | DateTime.DateTime | Duration.Duration, options?: SubmitOptions) =>
    Effect.gen(function*() {
      const due = yield* Effect.fromResult(Submission.dueTime(at, yield* Clock.currentTimeMillis))
      const job = yield* build(name, payload, options, due)
      yield* Policies.apply("submitScheduled", queue.schedule(job), options)
      return job.id
    }).pipe(Effect.withSpan("TaskApi.submitScheduled", { attributes: { "job.name": name } }, noStack))

  /** The wait's deadline and retry schedule: the call's, else the layer's. */
  const waitPolicy = (context: Context.Context<never>, options: WaitOptions | undefined) => ({
    timeout: options?.timeout !== undefined ? Duration.fromInputUnsafe(options.timeout) : Context.get(context, Policies.TimeoutPolicy).wait,
    schedule: options?.retry ?? Context.get(context, Policies.RetryPolicy)
  })

  const waitFinal = (id: string, options: WaitOptions | undefined) =>
    Effect.flatMap(Effect.context<never>(), (context) => {
      const { schedule, timeout } = waitPolicy(context, options)
      const once = results.wait(id, timeout)
      return Effect.catchIf(once, isRetryable, (first) => Policies.retryAfter(first, once, schedule))
    })

  /**
   * RPC: submits `job` and waits for its final result, subscribed to its
   * notification *before* the submission (`ResultBackend.wait`'s `start`),
   * so no result can slip by and a job with a fresh id needs no first
   * check. Retryable failures are retried by the schedule: a failed
   * subscription re-runs the whole (nothing was submitted), a failed wait
   * after the submission re-runs only the wait; a failed submission was
   * already retried by `Policies.apply` and ends the call.
   */
  const submitAndWaitJob = (job: Job, options: (SubmitOptions & WaitOptions) | undefined, span: string) =>
    Effect.flatMap(Effect.context<never>(), (context) => {
      const { schedule, timeout } = waitPolicy(context, options)
      let phase: "subscribe" | "submit" | "wait" = "subscribe"
      const submitJob = Effect.suspend(() => {
        phase = "submit"
        return Policies.apply("submit", queue.enqueue(job), options)
      }).pipe(
        Effect.map(() => {
          phase = "wait"
        }),
        Effect.withSpan("TaskApi.submit", { attributes: { "job.name": job.name, "job.priority": job.priority } }, noStack)
      )
      const start = { run: submitJob, fresh: options?.id === undefined }
      const attempt = Effect.suspend(() => {
        if (phase === "wait") return results.wait(job.id, timeout)
        phase = "subscribe"
        return results.wait(job.id, timeout, start)
      })
      const retryable = (error: unknown) => phase !== "submit" && isRetryable(error)
      return Effect.catchIf(attempt, retryable, (first) => Policies.retryAfter(first, attempt, schedule, retryable))
    }).pipe(
      Effect.flatMap(completedOrFail),
      Effect.withSpan(span, { attributes: { "job.name": job.name } }, noStack)
    )

  const completedOrFail = (result: JobResult): Effect.Effect<JobResult, JobFailedError> =>
    result.status === "completed"
      ? Effect.succeed(result)
      : Effect.fail(new JobFailedError({
        jobId: result.jobId,
        error: result.error ?? "",
        message: `job ${result.jobId} failed: ${result.error ?? "(no error message)"}`
      }))

  return TaskApi.of({
    submit,
    submitScheduled,
    submitBatch: (entries, options) =>
      Effect.gen(function*() {
        const ts = yield* now
        const jobs: Array<Job> = []
        for (let i = 0; i < entries.length; i++) {
          const entry = entries[i]!
          jobs.push(yield* Effect.fromResult(Submission.toJob({ ...entry.options, name: entry.name, payload: entry.payload }, ts, `entries[${i}].`)))
        }
        if (jobs.length > 0) yield* Policies.apply("submitBatch", queue.enqueueBatch(jobs), options)
        return jobs.map((job) => job.id)
      }).pipe(Effect.withSpan("TaskApi.submitBatch", { attributes: { "batch.size": entries.length } }, noStack)),
    submitTyped: (definition, payload, options) =>
      JobDefinition.encodePayload(definition, payload).pipe(
        Effect.flatMap((raw) => submit(definition.name, rawPayload(raw), withDefaults(definition, options)))
      ),
    getJob: (id, options) =>
      Policies.apply("getJob", queue.get(id), options).pipe(
        Effect.flatMap(Option.match({
          onNone: () => Effect.fail(new JobNotFoundError({ jobId: id, message: `job ${id} not found` })),
          onSome: Effect.succeed
        }))
      ),
    getResult: (id, options) => Policies.apply("getResult", results.get(id), options),
    waitForResult: (id, options) => waitFinal(id, options),
    submitAndWait: (name, payload, options) =>
      Effect.flatMap(build(name, payload, options), (job) => submitAndWaitJob(job, options, "TaskApi.submitAndWait")),
    call: (definition, payload, options) =>
      JobDefinition.encodePayload(definition, payload).pipe(
        Effect.flatMap((raw) => build(definition.name, rawPayload(raw), withDefaults(definition, options))),
        Effect.flatMap((job) => submitAndWaitJob(job, options, "TaskApi.call")),
        Effect.flatMap((result) => JobDefinition.decodeResult(definition, result.result))
      ),
    cancel: (id, options) => Effect.flatMap(now, (ts) => Policies.apply("cancel", queue.cancel(id, ts), options)),
    stats: (options) => Policies.apply("stats", queue.stats, options),
    list: (filter, options) =>
      validLimit(filter?.limit).pipe(Effect.andThen(Policies.apply("list", queue.list(filter ?? {}), options))),
    deadLetters: (page, options) =>
      validLimit(page?.limit).pipe(Effect.andThen(Policies.apply("deadLetters", queue.deadLetters(page), options))),
    requeueDead: (id, options) => Effect.flatMap(now, (ts) => Policies.apply("requeueDead", queue.requeueDead(id, ts), options))
  })
})

/**
 * The direct TaskApi, over whichever Queue and ResultBackend are provided.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<TaskApi, never, Queue | ResultBackend> = Layer.effect(TaskApi, make)

// Internal

/** Spans without a captured call-site stack trace: capturing one costs more than the Redis round trip. */
const noStack = { captureStackTrace: false } as const

const rawPayload = (raw: RawJson.RawJson) => new RawJson.Raw(raw)

const withDefaults = (definition: JobDefinition.JobDefinition, options: SubmitOptions | undefined): SubmitOptions => ({
  ...options,
  priority: options?.priority ?? definition.priority,
  maxRetries: options?.maxRetries ?? definition.maxRetries,
  description: options?.description ?? definition.description
})

const validLimit = (limit: number | undefined) =>
  limit === undefined || (Number.isSafeInteger(limit) && limit > 0 && limit <= 10_000)
    ? Effect.void
    : Effect.fail(new ValidationError({ field: "limit", message: `limit must be an integer from 1 to 10000, got ${String(limit)}` }))
