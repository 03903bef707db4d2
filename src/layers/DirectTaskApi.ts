/**
 * The TaskApi built directly on `Queue` + `ResultBackend`: for Redis or
 * memory. Input is validated before anything is written; every storage
 * operation runs under the retry and timeout policies (`Policies`).
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import type * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { JobFailedError, JobNotFoundError, ValidationError } from "../domain/Errors.ts"
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

  const waitFinal = (id: string, options: WaitOptions | undefined) =>
    Effect.gen(function*() {
      const timeout = options?.timeout !== undefined
        ? Duration.fromInputUnsafe(options.timeout)
        : (yield* Policies.TimeoutPolicy).wait
      const schedule = options?.retry ?? (yield* Policies.RetryPolicy)
      return yield* results.wait(id, timeout).pipe(Effect.retry({ schedule, while: (e) => e.isRetryable }))
    })

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
      submit(name, payload, options).pipe(
        Effect.flatMap((id) => waitFinal(id, options)),
        Effect.flatMap(completedOrFail),
        Effect.withSpan("TaskApi.submitAndWait", { attributes: { "job.name": name } }, noStack)
      ),
    call: (definition, payload, options) =>
      JobDefinition.encodePayload(definition, payload).pipe(
        Effect.flatMap((raw) => submit(definition.name, rawPayload(raw), withDefaults(definition, options))),
        Effect.flatMap((id) => waitFinal(id, options)),
        Effect.flatMap(completedOrFail),
        Effect.flatMap((result) => JobDefinition.decodeResult(definition, result.result)),
        Effect.withSpan("TaskApi.call", { attributes: { "job.name": definition.name } }, noStack)
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
