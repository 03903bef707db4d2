/**
 * A Promise facade over `TaskApi`, for TypeScript programs that do not use
 * Effect. Its API follows the reference Bananas TypeScript client
 * (`new Client({ redisUrl })`, `submitJob`, `submitJobScheduled`, `getJob`,
 * `getResult`, `submitAndWait`, `close`), with Go-compatible wire data.
 *
 * Every method returns a Promise. Failures reject with the SDK's tagged
 * error instances (`ValidationError`, `JobFailedError`, `TimeoutError`,
 * `ConnectionError`, `SerializationError`), never with a wrapper, so
 * `catch (e) { if (e instanceof JobFailedError) ... }` works. Nothing is
 * thrown synchronously, not even by the constructor: invalid options make
 * every call reject with a `ValidationError`.
 *
 * All calls run on one `ManagedRuntime` built (lazily, on the first call)
 * from the Redis layer (or the `layer` given in the options) and the direct
 * TaskApi — or, with `apiUrl` (and `apiKey`), from the HTTP TaskApi through
 * a Bananas gateway; `close()` releases it.
 *
 * **Differences from the reference client**
 *
 * - `successTTL` / `failureTTL` are milliseconds, as in the reference, but
 *   are converted to whole seconds correctly (rounded up, never 0; the
 *   reference floored them, so a TTL under 1000 ms deleted the result).
 * - A missing `max_retries` is read as 0 and integers beyond 2^53 in payloads
 *   keep their digits (`rawPayload` / `rawResult` hold the exact JSON text).
 * - `submitAndWait` resolves with the completed result only; a failed job
 *   rejects with `JobFailedError`, a deadline with `TimeoutError` (the
 *   reference resolved both as a result or `null`).
 *
 * @stability stable
 * @since 0.1.0
 */

import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import { ConnectionError, ValidationError } from "../domain/Errors.ts"
import type { JobPriority } from "../domain/JobPriority.ts"
import type { ResultStatus } from "../domain/JobResult.ts"
import type { JobStatus } from "../domain/JobStatus.ts"
import type { QueueRef } from "../domain/QueueRef.ts"
import type { QueueStats } from "../domain/QueueStats.ts"
import { toClientJob, toClientResult } from "./ClientModels.ts"
import * as Bananas from "../Bananas.ts"
import * as DirectTaskApi from "../layers/DirectTaskApi.ts"
import * as BananasRedis from "../layers/redis/BananasRedis.ts"
import type { JobQueue } from "../services/JobQueue.ts"
import type { QueueAdmin } from "../services/QueueAdmin.ts"
import type { ResultBackend } from "../services/ResultBackend.ts"
import { TaskApi } from "../services/TaskApi.ts"
import * as Tasks from "../Tasks.ts"

/**
 * The Promise client.
 *
 * @example
 * ```ts
 * import { Client, JobFailedError } from "@bananas/effect"
 *
 * const client = new Client({ redisUrl: "redis://localhost:6379" })
 * const id = await client.submitJob("send_email", { to: "a@b.c" }, "high")
 * const job = await client.getJob(id)
 * const outcome = await client.submitAndWait("resize", { w: 64 }, "normal", 30_000).then(
 *   (result) => `done: ${result.result}`,
 *   (e) => (e instanceof JobFailedError ? `failed: ${e.error}` : Promise.reject(e))
 * )
 * await client.close()
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export class Client {
  readonly #layer: Layer.Layer<TaskApi, unknown>
  #runtime: ManagedRuntime.ManagedRuntime<TaskApi, unknown>
  #closed = false

  constructor(options: Client.Options = {}) {
    this.#layer = clientLayer(options)
    this.#runtime = ManagedRuntime.make(this.#layer)
  }

  /**
   * Submits a job; resolves with its id.
   *
   * @since 0.1.0
   */
  submitJob(options: Client.SubmitOptions): Promise<string>
  submitJob(name: string, payload: unknown, priority?: JobPriority, description?: string): Promise<string>
  submitJob(nameOrOptions: string | Client.SubmitOptions, payload?: unknown, priority?: JobPriority, description?: string): Promise<string> {
    const o = typeof nameOrOptions === "object" && nameOrOptions !== null
      ? nameOrOptions
      : { name: nameOrOptions, payload, priority, description }
    return this.#run("submitJob", Effect.map(Tasks.submit(o.name, o.payload, submitOptions(o)), (s) => s.id))
  }

  /**
   * Submits a job with a Route-Go routing key; resolves with its id.
   *
   * @since 0.1.0
   */
  submitJobWithRoute(name: string, payload: unknown, priority: JobPriority, routingKey: string, description?: string): Promise<string> {
    return this.submitJob({ name, payload, priority, routingKey, description })
  }

  /**
   * Submits a job that becomes due at `scheduledFor` (a past date rejects
   * with `ValidationError`); resolves with its id.
   *
   * @since 0.1.0
   */
  submitJobScheduled(options: Client.SubmitScheduledOptions): Promise<string>
  submitJobScheduled(name: string, payload: unknown, priority: JobPriority, scheduledFor: Date, description?: string): Promise<string>
  submitJobScheduled(
    nameOrOptions: string | Client.SubmitScheduledOptions,
    payload?: unknown,
    priority?: JobPriority,
    scheduledFor?: Date,
    description?: string
  ): Promise<string> {
    const o: Client.SubmitScheduledOptions = typeof nameOrOptions === "object" && nameOrOptions !== null
      ? nameOrOptions
      : { name: nameOrOptions, payload, priority, description, scheduledFor: scheduledFor as Date }
    return this.#run(
      "submitJobScheduled",
      Effect.map(Tasks.submitScheduled(o.name, o.payload, o.scheduledFor, submitOptions(o)), (s) => s.id)
    )
  }

  /**
   * The job, or `null` when there is none; rejects with `JobFailedError`
   * when a worker dead-lettered it without its data (only Go's dead-letter
   * record is left under the id).
   *
   * @since 0.1.0
   */
  getJob(jobId: string): Promise<Client.Job | null> {
    return this.#run(
      "getJob",
      Tasks.getJob(jobId).pipe(
        Effect.flatMap(toClientJob),
        Effect.catchTag("JobNotFoundError", () => Effect.succeed(null))
      )
    )
  }

  /**
   * The stored result (completed or failed), or `null` when there is none.
   *
   * @since 0.1.0
   */
  getResult(jobId: string): Promise<Client.JobResult | null> {
    return this.#run(
      "getResult",
      Tasks.getResult(jobId).pipe(
        Effect.flatMap(Option.match({ onNone: () => Effect.succeed(null), onSome: toClientResult }))
      )
    )
  }

  /**
   * Submits a job and waits for its final outcome (default 30 seconds):
   * resolves with the completed result, rejects with `JobFailedError` when
   * the job failed for good, or `TimeoutError`.
   *
   * @since 0.1.0
   */
  submitAndWait(options: Client.SubmitAndWaitOptions): Promise<Client.JobResult>
  submitAndWait(name: string, payload: unknown, priority?: JobPriority, timeoutMs?: number): Promise<Client.JobResult>
  submitAndWait(nameOrOptions: string | Client.SubmitAndWaitOptions, payload?: unknown, priority?: JobPriority, timeoutMs?: number): Promise<Client.JobResult> {
    const o: Client.SubmitAndWaitOptions = typeof nameOrOptions === "object" && nameOrOptions !== null
      ? nameOrOptions
      : { name: nameOrOptions, payload, priority, timeout: timeoutMs }
    return this.#run(
      "submitAndWait",
      Effect.gen(function*() {
        const timeout = o.timeout === undefined ? undefined : yield* millis("timeout", o.timeout)
        return yield* toClientResult(yield* Tasks.submitAndWait(o.name, o.payload, { ...submitOptions(o), timeout }))
      })
    )
  }

  /**
   * Queue depths (queued per priority, processing, scheduled, dead).
   *
   * @since 0.1.0
   */
  stats(): Promise<QueueStats> {
    return this.#run("stats", Tasks.stats())
  }

  /**
   * Pauses a queue (`"high"`, or `{ priority: "high", routingKey: "gpu" }`):
   * our workers take nothing from it until it is resumed; submissions
   * still land. Resolves the queue as normalized.
   *
   * @since 0.2.0
   */
  pauseQueue(queue: QueueRef | JobPriority): Promise<QueueRef> {
    return this.#run("pauseQueue", Tasks.pauseQueue(queue))
  }

  /**
   * Resumes a paused queue: workers take its jobs at once.
   *
   * @since 0.2.0
   */
  resumeQueue(queue: QueueRef | JobPriority): Promise<QueueRef> {
    return this.#run("resumeQueue", Tasks.resumeQueue(queue))
  }

  /**
   * The paused queues.
   *
   * @since 0.2.0
   */
  pausedQueues(): Promise<ReadonlyArray<QueueRef>> {
    return this.#run("pausedQueues", Tasks.pausedQueues())
  }

  /**
   * Cancels a queued or scheduled job; resolves `false` when it was no
   * longer waiting.
   *
   * @since 0.1.0
   */
  cancel(jobId: string): Promise<boolean> {
    return this.#run(
      "cancel",
      Tasks.cancel(jobId).pipe(
        Effect.as(true),
        Effect.catchTag(["JobConflictError", "JobNotFoundError"], () => Effect.succeed(false))
      )
    )
  }

  /**
   * Releases the connections (and anything else the layer holds). Calls
   * still running reject with a `ConnectionError`; later calls too. Safe to
   * call twice.
   *
   * @since 0.1.0
   */
  close(): Promise<void> {
    this.#closed = true
    return this.#runtime.dispose()
  }

  /**
   * `await using client = new Client(...)` closes the client at scope exit.
   *
   * @since 0.1.0
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  async #run<A, E>(operation: string, effect: Effect.Effect<A, E, TaskApi>): Promise<A> {
    if (this.#closed) throw closedError(operation)
    const runtime = this.#runtime
    const exit = await runtime.runPromiseExit(effect)
    if (Exit.isSuccess(exit)) return exit.value
    if (runtime.cachedContext === undefined && this.#runtime === runtime && !this.#closed) {
      // The layer could not be built (e.g. Redis was down). ManagedRuntime
      // caches that failure, so start afresh: the next call tries again.
      this.#runtime = ManagedRuntime.make(this.#layer)
      void runtime.dispose()
    }
    throw rejection(operation, exit.cause, this.#closed)
  }
}

/**
 * The Promise client's options, and jobs and results as it returns them
 * (times as `Date`s, payloads parsed, with their exact JSON text beside
 * them).
 *
 * @since 0.2.0
 */
export declare namespace Client {
  /**
   * Options of a client.
   *
   * @category models
   * @since 0.1.0
   */
  export interface Options {
    /** Redis URL, e.g. `redis://localhost:6379` (the default). Ignored when `layer` or `apiUrl` is given. */
    readonly redisUrl?: string | undefined
    /**
     * The URL of a Bananas gateway (the HTTP Task API), e.g.
     * `http://localhost:8080`: the client talks HTTP instead of Redis (same
     * methods, same errors). The TTLs and `keyPrefix` are the gateway's then.
     */
    readonly apiUrl?: string | undefined
    /** The gateway's API key, with `apiUrl`. */
    readonly apiKey?: string | undefined
    /**
     * TTL of a completed result, in **milliseconds** (as the reference client;
     * default 1 hour). Sent to Redis as whole seconds, rounded up.
     */
    readonly successTTL?: number | undefined
    /** TTL of a failed result, in **milliseconds** (default 24 hours). Rounded up to whole seconds. */
    readonly failureTTL?: number | undefined
    /** Key prefix (default `bananas`, Go's); a trailing `:` is added when missing. */
    readonly keyPrefix?: string | undefined
    /**
     * Use this backend instead of Redis, e.g. `Bananas.layerMemory()` to test
     * code that uses the client without Redis. The layer may provide more
     * (an in-process worker, for instance); it is built once and released by
     * `close()`. `redisUrl`, the TTLs and `keyPrefix` are ignored.
     */
    readonly layer?: Layer.Layer<JobQueue | QueueAdmin | ResultBackend, unknown> | undefined
  }

  /**
   * Options of a submission, in the reference client's object form.
   *
   * @category models
   * @since 0.1.0
   */
  export interface SubmitOptions {
    /** The job name (which handler runs it); not empty. */
    readonly name: string
    /** Any JSON-serializable value (marshalled as Go does), or `RawJson.Raw` for exact bytes. */
    readonly payload: unknown
    /** Default `normal`. */
    readonly priority?: JobPriority | undefined
    /** A free-text description. */
    readonly description?: string | undefined
    /** Route-Go routing key (`[A-Za-z0-9_-]{1,64}`). */
    readonly routingKey?: string | undefined
    /** Runs allowed in all (Go's `max_retries`, default 3): 1 means one run and no retry. */
    readonly maxRetries?: number | undefined
    /** The same as `maxRetries`, by a name that says what it counts. */
    readonly maxAttempts?: number | undefined
  }

  /**
   * Options of a scheduled submission (object form).
   *
   * @category models
   * @since 0.1.0
   */
  export interface SubmitScheduledOptions extends SubmitOptions {
    /** When the job becomes due; not in the past. */
    readonly scheduledFor: Date
  }

  /**
   * Options of `submitAndWait` (object form).
   *
   * @category models
   * @since 0.1.0
   */
  export interface SubmitAndWaitOptions extends SubmitOptions {
    /** How long to wait, in milliseconds (default 30 seconds, as for Effect users: the TimeoutPolicy's `wait`). */
    readonly timeout?: number | undefined
  }

  /**
   * A job as the client returns it: times as `Date`s (millisecond precision:
   * Go's nanoseconds and the writer's UTC offset are dropped), the payload
   * parsed, and its exact JSON text in `rawPayload`.
   *
   * @category models
   * @since 0.1.0
   */
  export interface Job {
    /** The job id. */
    readonly id: string
    /** The job name. */
    readonly name: string
    /** Its description, when it has one. */
    readonly description?: string | undefined
    /** The payload, parsed with `JSON.parse` (integers beyond 2^53 lose digits: use `rawPayload`). */
    readonly payload: unknown
    /** The payload's exact JSON text. */
    readonly rawPayload: string
    /** `""` only for jobs written by Go's cron scheduler. */
    readonly status: JobStatus | ""
    /** Which queue it goes to. */
    readonly priority: JobPriority
    /** When it was created. */
    readonly createdAt: Date
    /** When it last changed state. */
    readonly updatedAt: Date
    /** When a scheduled job (or a retry) is due. */
    readonly scheduledFor?: Date | undefined
    /** Failed runs so far. */
    readonly attempts: number
    /** Runs allowed in all (Go's `max_retries`). */
    readonly maxRetries: number
    /** The last failure's message. */
    readonly error?: string | undefined
    /** Route-Go's routing key. */
    readonly routingKey?: string | undefined
  }

  /**
   * A job's result as the client returns it.
   *
   * @category models
   * @since 0.1.0
   */
  export interface JobResult {
    /** The job. */
    readonly jobId: string
    /** `completed` or `failed`. */
    readonly status: ResultStatus
    /** The handler's result, parsed (absent when it stored none). */
    readonly result?: unknown
    /** The result's exact JSON text. */
    readonly rawResult?: string | undefined
    /** The failure message (a completed job may still carry an earlier attempt's). */
    readonly error?: string | undefined
    /** When it was stored (whole seconds, as Go writes it). */
    readonly completedAt: Date
    /** How long the attempt ran, in milliseconds. */
    readonly durationMs: number
  }
}

// Internal

const closedError = (operation: string) => new ConnectionError({ operation, message: "the Bananas client is closed" })

const rejection = (operation: string, cause: Cause.Cause<unknown>, closed: boolean): unknown => {
  const failure = Cause.findErrorOption(cause)
  if (Option.isSome(failure)) return failure.value
  if (closed && Cause.hasInterruptsOnly(cause)) return closedError(operation)
  return Cause.squash(cause)
}

const millis = (field: string, value: number) =>
  Number.isFinite(value) && value > 0
    ? Effect.succeed(Duration.millis(value))
    : Effect.fail(new ValidationError({ field, message: `${field} must be a positive number of milliseconds, got ${String(value)}` }))

const submitOptions = (o: Client.SubmitOptions): Tasks.SubmitOptions => ({
  priority: o.priority,
  description: o.description,
  routingKey: o.routingKey,
  maxRetries: o.maxRetries,
  maxAttempts: o.maxAttempts
})

const clientLayer = (options: Client.Options): Layer.Layer<TaskApi, unknown> => {
  if (options.layer !== undefined) return DirectTaskApi.layer.pipe(Layer.provide(options.layer))
  if (options.apiUrl !== undefined) {
    return /^https?:\/\/[^/\s]+/.test(options.apiUrl)
      ? Bananas.layerHttp({ url: options.apiUrl, apiKey: options.apiKey })
      : Layer.effect(TaskApi, Effect.fail(new ValidationError({ field: "apiUrl", message: `the gateway URL must start with http:// or https://, got ${JSON.stringify(options.apiUrl)}` })))
  }
  return Layer.unwrap(Effect.gen(function*() {
    const successTtl = yield* millis("successTTL", options.successTTL ?? 60 * 60 * 1000)
    const failureTtl = yield* millis("failureTTL", options.failureTTL ?? 24 * 60 * 60 * 1000)
    const prefix = options.keyPrefix === undefined ? undefined : options.keyPrefix.endsWith(":") ? options.keyPrefix : `${options.keyPrefix}:`
    return DirectTaskApi.layer.pipe(Layer.provide(BananasRedis.layer({
      url: options.redisUrl,
      urlField: "redisUrl",
      prefix,
      successTtl: Duration.seconds(ttlSeconds(successTtl)),
      failureTtl: Duration.seconds(ttlSeconds(failureTtl))
    })))
  }))
}

// Milliseconds to whole seconds for EXPIRE: rounded up, at least 1 (the
// reference client floored them, and EXPIRE 0 deletes the key).
const ttlSeconds = (d: Duration.Duration): number => Math.max(1, Math.ceil(Duration.toMillis(d) / 1000))
