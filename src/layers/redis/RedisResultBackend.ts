/**
 * The `ResultBackend` service on Redis: the `result:{id}` hash (Go's fields
 * and TTLs) and its `result:notify:{id}` notification.
 *
 * **Waiting.** `wait` subscribes first (through the client's shared
 * `Subscriber`, awaiting Redis's confirmation), then checks, then sleeps
 * until a notification, so a result stored at any moment after the wait
 * began is seen. Any payload is a wake-up (Go publishes `ready`, other SDKs
 * the status). With a `start` (RPC), the job is submitted between the
 * confirmation and the first check; for a `fresh` job the first check is
 * skipped (there cannot be a result yet), so an RPC costs the submission,
 * one check per notification, and its share of the batched SUBSCRIBE /
 * UNSUBSCRIBE. A wait is a plain object driven by callbacks (no fiber,
 * scope or Effect timer of its own), resumed by the subscriber's message
 * callback through its check.
 *
 * A check reads the hash and, when it says `failed`, the job too (one
 * script call): Go stores a `failed` result on **every** failed attempt, and
 * publishes before it rewrites the job, so `failed` is final only when the
 * job is gone or itself `failed`/`completed`. While the job is still
 * pending/scheduled/processing, the wait re-checks on a short backoff (50 ms
 * doubling to 1 s) as well as on notifications. Without any result it
 * re-checks every `waitPollInterval` (default 5 s) in case a notification
 * was missed.
 *
 * @stability unstable
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import { ConnectionError, SerializationError, TimeoutError } from "../../domain/Errors.ts"
import * as JobCodec from "../../domain/JobCodec.ts"
import type { JobId } from "../../domain/JobId.ts"
import * as JobResult from "../../domain/JobResult.ts"
import type * as Keys from "../../domain/Keys.ts"
import { ResultBackend, type WaitStart } from "../../services/ResultBackend.ts"
import type { Redis } from "ioredis"
import { RedisConnection } from "./RedisConnection.ts"
import * as Scripts from "./Scripts.ts"
import * as Settings from "./Settings.ts"
import { Subscriber } from "./Subscriber.ts"

/**
 * Options of the Redis result backend.
 *
 * @category models
 * @since 0.1.0
 */
export interface RedisResultBackendOptions extends Settings.SettingsOptions {
  /**
   * Test hooks, run inside `wait`: after the subscription is confirmed
   * (before the first check; waits without a `start` only, since a `start`
   * already runs there), and after every check. Not for production use.
   *
   * @internal
   */
  readonly testHooks?: {
    readonly afterSubscribe?: ((id: JobId) => Effect.Effect<void>) | undefined
    readonly afterCheck?: ((id: JobId, outcome: "none" | "retrying" | "final") => Effect.Effect<void>) | undefined
  } | undefined
}

/**
 * Builds the backend on the `RedisConnection` and `Subscriber` in context.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function*(options: RedisResultBackendOptions = {}) {
  const connection = yield* RedisConnection
  const subscriber = yield* Subscriber
  const settings = Settings.make(options)
  const { keys } = settings

  const decode = (id: JobId, hash: Readonly<Record<string, string>>) =>
    Effect.fromResult(JobResult.fromHash(id, keys.result(id), hash))

  const store = (result: JobResult.JobResult) =>
    connection.use("storeResult", (c) =>
      Scripts.run(c, Scripts.storeResult, [keys.result(result.jobId)], [
        result.status === "completed" ? settings.successTtlSeconds : settings.failureTtlSeconds,
        keys.notify(result.jobId),
        ...JobResult.toHashFields(result)
      ])).pipe(Effect.asVoid)

  const get = (id: JobId) =>
    connection.use("getResult", (c) => c.hgetall(keys.result(id))).pipe(
      Effect.flatMap((hash) => decode(id, hash)),
      Effect.map(Option.fromUndefinedOr)
    )

  const remove = (id: JobId) =>
    connection.use("deleteResult", (c) => c.del(keys.result(id))).pipe(Effect.map((n) => n > 0))

  const env: WaitEnv = {
    client: connection.client,
    subscriber,
    keys,
    pollMillis: settings.waitPollMillis,
    hooks: options.testHooks,
    runFork: Effect.runForkWith(yield* Effect.context<never>())
  }

  const timeoutError = (id: JobId, timeout: Duration.Duration) =>
    new TimeoutError({
      operation: "waitForResult",
      timeoutMillis: Duration.toMillis(timeout),
      jobId: id,
      message: `no final result for job ${id} within ${Duration.format(timeout)}`
    })

  /**
   * Each wait is one `ResultWait`, driven by callbacks (subscription
   * confirmed, message, check reply, timers) rather than by a fiber of its
   * own. The deadline is a plain timer under the live clock; under any
   * other clock (TestClock) it is kept with `Effect.timeoutOrElse`.
   */
  const wait = <E = never>(id: JobId, timeout: Duration.Duration, start?: WaitStart<E>) =>
    Effect.clockWith((clock) => {
      // A timer holds at most 2^31-1 ms; longer (or infinite) deadlines go through the Clock.
      const live = clock === liveClock && Duration.toMillis(timeout) <= maxTimerMillis
      const deadline = live ? Duration.toMillis(timeout) : undefined
      const onTimeout = () => timeoutError(id, timeout)
      const run: Effect.Effect<JobResult.JobResult, E | WaitError> = start === undefined
        ? Effect.callback<JobResult.JobResult, WaitError>((resume) => {
          const w = new ResultWait(env, id, deadline, onTimeout)
          w.resume = resume
          w.listen(false)
          return Effect.sync(() => w.cancel())
        })
        : Effect.acquireUseRelease(
          Effect.sync(() => {
            const w = new ResultWait(env, id, deadline, onTimeout)
            w.listen(true)
            return w
          }),
          (w) =>
            w.confirmed.pipe(
              Effect.andThen(start.run),
              Effect.andThen(Effect.callback<JobResult.JobResult, WaitError>((resume) => {
                w.resume = resume
                w.begin(start.fresh !== true)
              }))
            ),
          (w) => Effect.sync(() => w.cancel())
        )
      return live ? run : Effect.timeoutOrElse(run, { duration: timeout, orElse: () => Effect.fail(onTimeout()) })
    })

  return ResultBackend.of({ store, get, wait, delete: remove })
})

/**
 * The Redis result backend as a layer (needs `RedisConnection` and
 * `Subscriber`).
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: RedisResultBackendOptions = {}): Layer.Layer<ResultBackend, never, RedisConnection | Subscriber> =>
  Layer.effect(ResultBackend, make(options))

// Internal

type WaitError = ConnectionError | SerializationError | TimeoutError

const liveClock = Context.get(Context.empty(), Clock.Clock)

const maxTimerMillis = 2 ** 31 - 1

const retryPollStartMillis = 50
const retryPollMaxMillis = 1000

/** What every `ResultWait` of one backend shares. */
interface WaitEnv {
  readonly client: Redis
  readonly subscriber: Subscriber["Service"]
  readonly keys: Keys.Keys
  readonly pollMillis: number
  readonly hooks: RedisResultBackendOptions["testHooks"]
  readonly runFork: (effect: Effect.Effect<void>) => Fiber.Fiber<void>
}

/**
 * One wait for one job's final result.
 *
 * Listens on the job's channel; once the subscription is confirmed (and,
 * for an RPC, the job submitted: `begin`), checks, and re-checks on every
 * notification (a notification during a check queues one more check), on
 * a short backoff while a `failed` result may still be retried, and every
 * `pollMillis` otherwise in case a notification was missed. Ends when a
 * check finds the final result, a check fails, or the deadline passes;
 * `cancel` (interruption) stops it. Every end removes the listener.
 */
class ResultWait {
  readonly env: WaitEnv
  readonly id: JobId
  readonly deadlineMillis: number | undefined
  readonly onTimeout: () => TimeoutError
  /** Resumes the fiber awaiting the outcome (set once it awaits). */
  resume: ((effect: Effect.Effect<JobResult.JobResult, WaitError>) => void) | undefined = undefined
  /** Resumes the fiber awaiting the confirmation (RPC waits). */
  confirmResume: ((effect: Effect.Effect<void, ConnectionError>) => void) | undefined = undefined
  remove: (() => void) | undefined = undefined
  /** Undefined while unconfirmed; then `Effect.void` or the failure. */
  confirmation: Effect.Effect<void, ConnectionError> | undefined = undefined
  /** Checks run on messages (false until `begin`). */
  waiting = false
  /** A message arrived before `begin`. */
  woken = false
  checking = false
  recheck = false
  done = false
  /** The deadline passed: the check under way (or one last check) decides. */
  expired = false
  retryPoll = retryPollStartMillis
  pollTimer: ReturnType<typeof setTimeout> | undefined = undefined
  deadlineTimer: ReturnType<typeof setTimeout> | undefined = undefined

  constructor(env: WaitEnv, id: JobId, deadlineMillis: number | undefined, onTimeout: () => TimeoutError) {
    this.env = env
    this.id = id
    this.deadlineMillis = deadlineMillis
    this.onTimeout = onTimeout
  }

  /**
   * Subscribes; without `deferred`, begins (checks) once confirmed, and the
   * deadline runs from now (it also bounds the wait for the confirmation).
   */
  listen(deferred: boolean): void {
    if (!deferred) this.armDeadline()
    const remove = this.env.subscriber.listenUnsafe(
      this.env.keys.notify(this.id),
      () => this.onMessage(),
      (error) => this.onConfirmed(error, deferred)
    )
    if (this.done) remove()
    else this.remove = remove
  }

  /** Resolves once the subscription is confirmed (RPC waits). */
  get confirmed(): Effect.Effect<void, ConnectionError> {
    return this.confirmation ?? Effect.callback<void, ConnectionError>((resume) => {
      if (this.confirmation !== undefined) return resume(this.confirmation)
      this.confirmResume = resume
      return Effect.sync(() => {
        this.confirmResume = undefined
      })
    })
  }

  onConfirmed(error: ConnectionError | undefined, deferred: boolean): void {
    if (this.done) return
    if (error !== undefined) {
      this.confirmation = Effect.fail(error)
      if (deferred) this.confirmResume?.(this.confirmation)
      else this.finish(Effect.fail(error))
      return
    }
    this.confirmation = Effect.void
    if (deferred) this.confirmResume?.(this.confirmation)
    else this.hook(this.env.hooks?.afterSubscribe, () => this.begin(true))
  }

  /** Starts waiting: arms the deadline and checks (at once, or on the first message). */
  begin(checkFirst: boolean): void {
    if (this.done || this.expired) return // expired: its last check decides
    this.waiting = true
    this.armDeadline()
    if (checkFirst || this.woken) this.check()
    else this.arm(this.env.pollMillis)
  }

  /** Arms the deadline timer, once. */
  armDeadline(): void {
    if (this.deadlineMillis === undefined || this.deadlineTimer !== undefined || this.done || this.expired) return
    this.deadlineTimer = setTimeout(() => this.expire(), this.deadlineMillis)
  }

  onMessage(): void {
    if (this.done) return
    if (!this.waiting) this.woken = true
    else if (this.checking) this.recheck = true
    else this.check()
  }

  check(): void {
    this.checking = true
    this.recheck = false
    if (this.pollTimer !== undefined) {
      clearTimeout(this.pollTimer)
      this.pollTimer = undefined
    }
    const { keys } = this.env
    Scripts.run(this.env.client, Scripts.checkResult, [keys.result(this.id), keys.job(this.id)], []).then(
      (reply) => this.onChecked(reply),
      (cause: unknown) =>
        this.finish(Effect.fail(
          new ConnectionError({
            operation: "waitForResult",
            message: `Redis waitForResult failed: ${cause instanceof Error ? cause.message : String(cause)}`,
            cause
          })
        ))
    )
  }

  onChecked(reply: unknown): void {
    this.checking = false
    if (this.done) return
    const [flat, data] = reply as [Array<string>, (string | null)?]
    const hash: Record<string, string> = {}
    for (let i = 0; i + 1 < flat.length; i += 2) hash[flat[i]!] = flat[i + 1]!
    const decoded = JobResult.fromHash(this.id, this.env.keys.result(this.id), hash)
    if (Result.isFailure(decoded)) return this.finish(Effect.fail(decoded.failure))
    const result = decoded.success
    const outcome = result === undefined
      ? "none"
      : result.status === "completed" || !isRetryPending(data ?? null)
      ? "final"
      : "retrying"
    const afterCheck = this.env.hooks?.afterCheck
    this.hook(afterCheck === undefined ? undefined : () => afterCheck(this.id, outcome), () => {
      if (outcome === "final") return this.finish(Effect.succeed(result!))
      if (this.expired) return this.finish(Effect.fail(this.onTimeout()))
      if (this.recheck) return this.check()
      if (outcome === "retrying") {
        this.arm(this.retryPoll)
        this.retryPoll = Math.min(this.retryPoll * 2, retryPollMaxMillis)
      } else {
        this.retryPoll = retryPollStartMillis
        this.arm(this.env.pollMillis)
      }
    })
  }

  /**
   * The deadline passed: as Go does, one last check decides (a result whose
   * notification was lost is still returned); then a `TimeoutError`.
   */
  expire(): void {
    this.deadlineTimer = undefined
    if (this.done) return
    this.expired = true
    if (!this.checking) this.check()
  }

  /** Re-checks after `millis` unless a message comes first. */
  arm(millis: number): void {
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined
      if (!this.done && !this.checking) this.check()
    }, millis)
  }

  /** Runs a test hook (when set), then `k`. */
  hook(hook: ((id: JobId) => Effect.Effect<void>) | undefined, k: () => void): void {
    if (hook === undefined) return k()
    this.env.runFork(hook(this.id)).addObserver(() => {
      if (!this.done) k()
    })
  }

  finish(outcome: Effect.Effect<JobResult.JobResult, WaitError>): void {
    if (this.done) return
    this.cancel()
    const resume = this.resume
    this.resume = undefined
    resume?.(outcome)
  }

  cancel(): void {
    this.done = true
    if (this.pollTimer !== undefined) clearTimeout(this.pollTimer)
    if (this.deadlineTimer !== undefined) clearTimeout(this.deadlineTimer)
    this.pollTimer = this.deadlineTimer = undefined
    if (this.remove !== undefined) {
      this.remove()
      this.remove = undefined
    }
  }
}
/**
 * A `failed` result is not final while its job will run again: still
 * pending, scheduled or processing. A missing or unreadable job (or one of
 * Go's dead-letter records) cannot run again.
 */
const isRetryPending = (data: string | null): boolean => {
  if (data === null) return false
  const decoded = JobCodec.decode(data)
  if (Result.isFailure(decoded)) return false
  const status = decoded.success.status
  return status === "pending" || status === "scheduled" || status === "processing"
}
