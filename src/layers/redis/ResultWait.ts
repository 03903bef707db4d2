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
import * as ApplyPlans from "./ApplyPlans.ts"
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
 * (and, for an RPC, the job submitted), and after every check.
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
  /** The backend's waits listening right now. */
  readonly waits: { count: number }
}

/**
 * One wait for one job's final result.
 *
 * Listens on the job's channel `result:notify:{id}` (Go's `ready`) and,
 * while its backend has fewer than `dataUnder` waits, on `result:data:{id}`
 * too, on which our writers send the result hash itself right after
 * `ready` when someone listens there (`announce` in `applyPlans`): a
 * round trip less for the wait. With more waits, the reads of a burst of
 * notifications share one call (`ResultReads`), which costs less than a
 * message each. Once its subscriptions are confirmed (and, for an RPC,
 * the job submitted: `begin`), checks, and re-checks on every notification (a
 * notification during a check queues one more check), on a short backoff
 * while a `failed` result may still be retried, and every `pollMillis`
 * otherwise in case a notification was missed. A `ready` is checked on in
 * a microtask: its data message, parsed from the same socket read, ends
 * the wait first and no read is sent. Ends when a check or a data message
 * finds the final result, a check fails, or the deadline passes; `cancel`
 * (interruption) stops it. Every end removes the listeners.
 */
export class ResultWait {
  readonly env: WaitEnv
  readonly id: JobId
  readonly deadlineMillis: number | undefined
  readonly onTimeout: () => TimeoutError
  /**
   * The tag (`resultTag`) of the job this wait created, when it did: a data
   * message with another tag is an earlier job's with the same id (only a
   * wake-up). Undefined: any data message is this job's.
   */
  tag: string | undefined = undefined
  /** Resumes the fiber awaiting the outcome (set once it awaits). */
  resume: ((effect: Effect.Effect<JobResult.JobResult, WaitError>) => void) | undefined = undefined
  removes: ReadonlyArray<() => void> | undefined = undefined
  /** Undefined while unconfirmed; then `"confirmed"` or the failure. */
  confirmation: "confirmed" | ConnectionError | undefined = undefined
  /** An RPC's submission runs: the confirmation waits for `start`. */
  deferred = false
  /** Checks run on messages (false until `begin`, whose check sees what they announced). */
  waiting = false
  checking = false
  recheck = false
  /** A check is queued for the end of this microtask turn (after a `ready`). */
  noted = false
  /** Counted in `env.waits` (until `cancel`). */
  counted = false
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
   * With it (an RPC), the job is submitted meanwhile, then `start`.
   */
  listen(deferred: boolean): void {
    this.deferred = deferred
    if (!deferred) this.armDeadline()
    const { keys, subscriber } = this.env
    const withData = this.env.waits.count < dataUnder
    this.env.waits.count++
    this.counted = true
    // Confirmed once every channel is (one SUBSCRIBE: they are registered in the same turn).
    let unconfirmed = withData ? 2 : 1
    const onConfirmed = (error: ConnectionError | undefined) => {
      if (error !== undefined || --unconfirmed === 0) this.onConfirmed(error)
    }
    const removes: Array<() => void> = [subscriber.listenUnsafe(keys.notify(this.id), () => this.onNotify(), onConfirmed)]
    if (withData) removes.push(subscriber.listenUnsafe(keys.resultData(this.id), (message) => this.onData(message), onConfirmed))
    if (this.done) for (const remove of removes) remove()
    else this.removes = removes
  }

  /**
   * An RPC's job is submitted: the deadline runs from now, and the first
   * check follows the confirmation (the subscription may postdate the
   * job's outcome).
   */
  start(): void {
    this.deferred = false
    this.armDeadline()
    if (this.confirmation !== undefined) this.proceed()
  }

  onConfirmed(error: ConnectionError | undefined): void {
    if (this.done || this.confirmation !== undefined) return
    this.confirmation = error ?? "confirmed"
    if (!this.deferred) this.proceed()
  }

  /** Confirmed (or refused) and not deferred: fails, or begins. */
  proceed(): void {
    if (this.confirmation !== "confirmed") return this.finish(Effect.fail(this.confirmation!))
    this.hook(this.env.hooks?.afterSubscribe, () => this.begin())
  }

  /** Starts waiting: checks at once, then on messages. */
  begin(): void {
    if (this.done || this.expired) return // expired: its last check decides
    this.waiting = true
    this.armDeadline()
    this.check()
  }

  /** Arms the deadline timer, once. */
  armDeadline(): void {
    if (this.deadlineMillis === undefined || this.deadlineTimer !== undefined || this.done || this.expired) return
    this.deadlineTimer = setTimeout(() => this.expire(), this.deadlineMillis)
  }

  /**
   * A `ready` (any payload: other SDKs publish the status; none after a
   * reconnect): checks once the current socket read is parsed.
   */
  onNotify(): void {
    if (this.done || this.noted) return
    this.noted = true
    queueMicrotask(() => {
      this.noted = false
      this.onMessage()
    })
  }

  /**
   * A data message: the final result itself, or only a wake-up (before
   * `begin`, unreadable, another job's tag, or a result that may not be
   * final). None after a reconnect: the `ready` listener's wake-up checks.
   */
  onData(message: string | undefined): void {
    if (this.done || message === undefined) return
    const data = this.waiting ? ApplyPlans.decodeResultData(message) : undefined
    if (data === undefined || (this.tag !== undefined && data.tag !== this.tag)) return this.onMessage()
    const decoded = JobResult.fromHash(this.id, this.env.keys.result(this.id), data.fields)
    if (Result.isFailure(decoded)) return this.finish(Effect.fail(decoded.failure))
    const result = decoded.success
    // Only an outcome of a known job is announced as final with a failed status (a result stored alone may be Go's retried attempt).
    if (result === undefined || (result.status !== "completed" && data.tag === "")) return this.onMessage()
    this.finish(Effect.succeed(result))
  }

  onMessage(): void {
    if (this.done) return
    if (!this.waiting) return
    if (this.checking) this.recheck = true
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
    if (this.counted) {
      this.counted = false
      this.env.waits.count--
    }
    if (this.pollTimer !== undefined) clearTimeout(this.pollTimer)
    if (this.deadlineTimer !== undefined) clearTimeout(this.deadlineTimer)
    this.pollTimer = this.deadlineTimer = undefined
    if (this.removes !== undefined) {
      for (const remove of this.removes) remove()
      this.removes = undefined
    }
  }
}

// Internal

/**
 * Waits listen for the result's data while their backend has fewer than
 * this many: a lone wait saves the read's round trip; a crowd's reads are
 * cheaper batched (BENCHMARKS.md).
 */
const dataUnder = 8

const RETRY_START = 50
const RETRY_MAX = 1000
