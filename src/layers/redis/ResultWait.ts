/**
 * One wait of the Redis result backend for one job's final result, driven
 * by callbacks (subscription confirmed, message, check reply, timers)
 * rather than by a fiber of its own, so 10,000 concurrent waits cost
 * 10,000 small objects.
 *
 * A check reads the hash and, when it says `failed`, the job too (one
 * script call): Go stores a `failed` result on **every** failed attempt, and
 * publishes before it rewrites the job, so whether it is final is decided
 * by `Transitions.isFinalResult`. While the job is still
 * pending/scheduled/processing, the wait re-checks on a short backoff (50 ms
 * doubling to 1 s) as well as on notifications. Without any result it
 * re-checks every `pollMillis` in case a notification was missed.
 *
 * Internal to the Redis layer.
 *
 * @since 0.2.0
 */

import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as Result from "effect/Result"
import type { ConnectionError, SerializationError, TimeoutError } from "../../domain/Errors.ts"
import type { JobId } from "../../domain/JobId.ts"
import * as JobResult from "../../domain/JobResult.ts"
import type * as Keys from "../../protocol/Keys.ts"
import { isFinalResult } from "../../protocol/ResultTransitions.ts"
import type { StoreFailure } from "../../store/JobStore.ts"
import { toFailure } from "./RedisPort.ts"
import type * as ResultReads from "./ResultReads.ts"
import type * as Scripts from "./Scripts.ts"
import type { Subscriber } from "./Subscriber.ts"

/**
 * What a wait can fail with.
 *
 * @category errors
 * @since 0.2.0
 */
export type WaitError = StoreFailure | SerializationError | TimeoutError

/**
 * Hooks run inside waits, for tests: after the subscription is confirmed
 * (waits without a `start`), and after every check.
 *
 * @internal
 */
export interface WaitHooks {
  readonly afterSubscribe?: ((id: JobId) => Effect.Effect<void>) | undefined
  readonly afterCheck?: ((id: JobId, outcome: "none" | "retrying" | "final") => Effect.Effect<void>) | undefined
}

/**
 * The wait hooks a Redis result backend built in this context runs (none by
 * default): tests provide them to the layer, no option carries them.
 *
 * @internal
 */
export const WaitHooks = Context.Reference<WaitHooks | undefined>("@bananas/effect/redis/WaitHooks", {
  defaultValue: () => undefined
})

/**
 * What every `ResultWait` of one backend shares.
 *
 * @category models
 * @since 0.2.0
 */
export interface WaitEnv {
  /** Where Redis is, for errors. */
  readonly target: string
  /** The backend's batched reads. */
  readonly read: ResultReads.ReadResult
  readonly subscriber: Subscriber["Service"]
  readonly keys: Keys.Keys
  readonly pollMillis: number
  readonly hooks: WaitHooks | undefined
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
export class ResultWait {
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
  retryPoll = RETRY_START
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
    this.env.read(keys.result(this.id), keys.job(this.id)).then(
      (reply) => this.onChecked(reply),
      (cause: unknown) => this.finish(Effect.fail(toFailure("waitForResult", this.env.target, cause)))
    )
  }

  onChecked(read: Scripts.ResultRead): void {
    this.checking = false
    if (this.done) return
    const decoded = JobResult.fromHash(this.id, this.env.keys.result(this.id), read.fields)
    if (Result.isFailure(decoded)) return this.finish(Effect.fail(decoded.failure))
    const result = decoded.success
    const outcome = result === undefined
      ? "none"
      : isFinalResult(result, read.job)
      ? "final"
      : "retrying"
    const afterCheck = this.env.hooks?.afterCheck
    this.hook(afterCheck === undefined ? undefined : () => afterCheck(this.id, outcome), () => {
      if (outcome === "final") return this.finish(Effect.succeed(result!))
      if (this.expired) return this.finish(Effect.fail(this.onTimeout()))
      if (this.recheck) return this.check()
      if (outcome === "retrying") {
        this.arm(this.retryPoll)
        this.retryPoll = Math.min(this.retryPoll * 2, RETRY_MAX)
      } else {
        this.retryPoll = RETRY_START
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

// Internal

const RETRY_START = 50
const RETRY_MAX = 1000
