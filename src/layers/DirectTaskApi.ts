/**
 * The TaskApi built directly on the queue services (`JobQueue`,
 * `QueueAdmin`, `ResultBackend`): for Redis or memory, and behind the HTTP
 * gateway. Every request is validated before anything is written (with
 * this side's clock for scheduled times). No retry or deadline here: the
 * `Tasks` helpers apply the policies, for every TaskApi alike.
 *
 * @since 0.1.0
 */

import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import { BatchProgress } from "../domain/BatchFailure.ts"
import { JobConflictError, JobFailedError, JobNotFoundError, ValidationError } from "../domain/Errors.ts"
import { ofJob } from "../domain/BatchFailure.ts"
import * as JobPage from "../domain/JobPage.ts"
import * as PayloadLimits from "../domain/PayloadLimits.ts"
import type { JobResult } from "../domain/JobResult.ts"
import * as Submission from "../domain/Submission.ts"
import * as Timestamp from "../domain/Timestamp.ts"
import { type EnqueueOutcome, JobQueue } from "../services/JobQueue.ts"
import { QueueAdmin } from "../services/QueueAdmin.ts"
import { ResultBackend } from "../services/ResultBackend.ts"
import { TaskApi } from "../services/TaskApi.ts"

/**
 * Builds the TaskApi from the queue services in context.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.gen(function*() {
  const queue = yield* JobQueue
  const admin = yield* QueueAdmin
  const results = yield* ResultBackend

  const now = Effect.map(Clock.currentTimeMillis, Timestamp.fromMillis)
  // The clock and the payload size limit in force for this call.
  const limits = Effect.flatMap(Effect.context<never>(), (context) =>
    Effect.map(now, (ts) => ({ now: ts, maxPayloadBytes: Context.get(context, PayloadLimits.MaxPayloadBytes) })))

  const build = (request: Submission.SubmitRequest, field?: string) =>
    Effect.flatMap(limits, (l) => Effect.fromResult(Submission.toJob(request, l.now, field, l.maxPayloadBytes)))

  const store = ({ job, dueAt }: Submission.NewJob) => (dueAt === undefined ? queue.enqueue(job) : queue.schedule(job))

  const submitted = (request: Submission.SubmitRequest, { job }: Submission.NewJob, outcome: EnqueueOutcome) =>
    outcome === "duplicate" && request.unique === true
      ? Effect.fail(new JobConflictError({
        jobId: job.id,
        status: "",
        operation: "submit",
        message: `a job with id ${job.id} exists already (unique submission): nothing was written`
      }))
      : Effect.succeed<Submission.Submitted>({ id: job.id, duplicate: outcome === "duplicate" })

  const submit = (request: Submission.SubmitRequest) =>
    Effect.flatMap(build(request), (newJob) => Effect.flatMap(store(newJob), (outcome) => submitted(request, newJob, outcome)))

  const submitBatch = (requests: ReadonlyArray<Submission.SubmitRequest>) =>
    Effect.gen(function*() {
      const l = yield* limits
      // Every request validated before anything is written (a plain loop).
      const jobs: Array<Submission.NewJob["job"]> = []
      for (let i = 0; i < requests.length; i++) {
        const built = Submission.toJob(requests[i]!, l.now, `entries[${i}].`, l.maxPayloadBytes)
        if (Result.isFailure(built)) return yield* Effect.fail(built.failure)
        jobs.push(built.success.job)
      }
      if (jobs.length === 0) return []
      // A caller tracking this batch (`Tasks.submitBatch`, the gateway) learns what became of each write.
      const progress = yield* BatchProgress
      if (progress !== undefined) progress.tracked = true
      const outcomes = yield* queue.enqueueBatch(jobs, progress)
      return jobs.map((job, i): Submission.Submitted => ({ id: job.id, duplicate: outcomes[i] === "duplicate" }))
    })

  const submitAndWait = (request: Submission.SubmitRequest, timeout: Duration.Duration) =>
    Effect.flatMap(build(request), (newJob) => {
      // Once stored, the job exists: a failure of the wait is `unknown`
      // (never the `not-written` of an unsent read), naming the job.
      let stored = false
      // Subscribed with the submission and checked once both are answered,
      // so no result can slip by; the job tells a result announced for an
      // earlier job with its id from this one's.
      return results.wait(newJob.job.id, timeout, {
        job: newJob.job,
        run: Effect.flatMap(store(newJob), (outcome) => {
          stored = true
          return Effect.as(submitted(request, newJob, outcome), outcome === "created")
        })
      }).pipe(Effect.mapError((error) => ofJob(error, newJob.job.id, stored)))
    }).pipe(Effect.flatMap(completedOrFail))

  const validPage = <P extends JobPage.PageRequest>(page: P) =>
    page.limit === undefined || (Number.isSafeInteger(page.limit) && page.limit >= 1 && page.limit <= JobPage.maxLimit)
      ? Effect.succeed(page)
      : Effect.fail(new ValidationError({ field: "limit", message: `limit must be an integer from 1 to ${JobPage.maxLimit}, got ${String(page.limit)}` }))

  return TaskApi.of({
    submit,
    submitBatch,
    getJob: (id) =>
      Effect.flatMap(queue.get(id), Option.match({
        onNone: () => Effect.fail(new JobNotFoundError({ jobId: id, message: `job ${id} not found` })),
        onSome: Effect.succeed
      })),
    getResult: (id) => results.get(id),
    waitForResult: (id, timeout) => results.wait(id, timeout),
    submitAndWait,
    cancel: (id) => Effect.flatMap(now, (ts) => admin.cancel(id, ts)),
    stats: admin.stats,
    list: (filter) => Effect.flatMap(validPage(filter), admin.list),
    deadLetters: (page) => Effect.flatMap(validPage(page), admin.deadLetters),
    requeueDead: (id) => Effect.flatMap(now, (ts) => admin.requeueDead(id, ts)),
    purgeDead: admin.purgeDead,
    pauseQueue: admin.pause,
    resumeQueue: admin.resume,
    pausedQueues: admin.paused
  })
})

/**
 * The direct TaskApi, over whichever queue services are provided.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<TaskApi, never, JobQueue | QueueAdmin | ResultBackend> = Layer.effect(TaskApi, make)

/**
 * The completed result, or `JobFailedError` for a final failure.
 *
 * @category combinators
 * @since 0.2.0
 */
export const completedOrFail = (result: JobResult): Effect.Effect<JobResult, JobFailedError> =>
  result.status === "completed"
    ? Effect.succeed(result)
    : Effect.fail(new JobFailedError({
      jobId: result.jobId,
      error: result.error ?? "",
      message: `job ${result.jobId} failed: ${result.error ?? "(no error message)"}`
    }))
