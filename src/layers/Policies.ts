/**
 * Typed retry and timeout policies, provided as services with defaults and
 * overridable per Layer (`layerRetry`, `layerTimeouts`) or per call
 * (`CallOptions`), and the payload size limit (`MaxPayloadBytes`). Only retryable errors are retried (connection failures,
 * and storage errors that may heal: out of memory, read-only replica,
 * busy); validation, serialization and job failures never are. The `Tasks`
 * helpers apply them to every TaskApi implementation alike.
 *
 * Deadlines are kept by a plain timer where one can keep them
 * (`withDeadline`, `timerMillis`): storage operations, handlers and the
 * gateway's requests run under them.
 *
 * @since 0.1.0
 */

import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import * as Schedule from "effect/Schedule"
import { withOutcome } from "../domain/BatchFailure.ts"
import * as DurationInput from "../domain/DurationInput.ts"
import { ConnectionError, isRetryable, retryAfterMillis, timedOut, TimeoutError, type ValidationError, type WriteOutcome } from "../domain/Errors.ts"

export {
  /** Turns the payload size limit into a layer. */
  layerMaxPayloadBytes,
  /** The largest payload accepted, in bytes (10 MiB by default): a `Context.Reference` you can set. */
  MaxPayloadBytes
} from "../domain/PayloadLimits.ts"

/**
 * Per-call policy overrides.
 *
 * @category models
 * @since 0.1.0
 */
export interface CallOptions {
  /** Retry schedule for retryable failures of this call (default: the layer's `RetryPolicy`). */
  readonly retry?: Schedule.Schedule<unknown, unknown> | undefined
  /** Deadline for this call, retries included (default: the layer's `TimeoutPolicy.operation`). */
  readonly operationTimeout?: Duration.Input | undefined
}

/**
 * The schedule retrying retryable failures of a TaskApi operation. Default:
 * exponential from 50 ms, jittered, capped at 2 s between tries, 3 retries.
 *
 * @category services
 * @since 0.1.0
 */
export const RetryPolicy = Context.Reference<Schedule.Schedule<unknown, unknown>>("@bananas/effect/RetryPolicy", {
  defaultValue: () =>
    Schedule.min([Schedule.exponential("50 millis"), Schedule.spaced("2 seconds")]).pipe(
      Schedule.jittered,
      Schedule.upTo({ times: 3 })
    )
})

/**
 * Deadlines: `operation` bounds one TaskApi operation (retries included);
 * `wait` is the default time to wait for a job's result.
 *
 * @category models
 * @since 0.1.0
 */
export interface Timeouts {
  /** The deadline of one TaskApi operation, retries included (default 10 s). */
  readonly operation: Duration.Duration
  /** How long a wait for a job's result lasts when the call gives none (default 30 s). */
  readonly wait: Duration.Duration
}

/**
 * The deadlines in force. Default: 10 s per operation, 30 s per wait.
 *
 * @category services
 * @since 0.1.0
 */
export const TimeoutPolicy = Context.Reference<Timeouts>("@bananas/effect/TimeoutPolicy", {
  defaultValue: () => ({ operation: Duration.seconds(10), wait: Duration.seconds(30) })
})

/**
 * Replaces the retry schedule.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerRetry = (schedule: Schedule.Schedule<unknown, unknown>): Layer.Layer<never> =>
  Layer.succeed(RetryPolicy, schedule)

/**
 * Replaces some or all deadlines. A deadline that is not a positive
 * duration fails the layer with a `ValidationError` naming it.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerTimeouts = (timeouts: {
  /** The deadline of one operation (default 10 seconds). */
  readonly operation?: Duration.Input
  /** The default wait for a result (default 30 seconds). */
  readonly wait?: Duration.Input
}): Layer.Layer<never, ValidationError> =>
  Layer.effect(
    TimeoutPolicy,
    Effect.fromResult(Result.all({
      operation: DurationInput.decode("operation", timeouts.operation, "positiveOrInfinite", "10 seconds"),
      wait: DurationInput.decode("wait", timeouts.wait, "positiveOrInfinite", "30 seconds")
    }))
  )

/**
 * Runs one storage operation under the policies: retryable failures are
 * retried by the schedule (the call's, else the layer's), and the whole
 * operation is bounded by the operation deadline.
 *
 * **Outcomes**
 *
 * The `TimeoutError` of the deadline, and a `ConnectionError` ending the
 * retries, say what the attempts did (`outcome`): `not-written` only when
 * no attempt may have been carried out (each failed unsent, and none was in
 * flight at the deadline), else `unknown`. The tracking starts at the first
 * failure: the success path pays nothing for it.
 *
 * @category combinators
 * @since 0.1.0
 */
export const apply = <A, E>(
  operation: string,
  effect: Effect.Effect<A, E>,
  options?: CallOptions | undefined
): Effect.Effect<A, E | TimeoutError | ValidationError> =>
  Effect.flatMap(Effect.context<never>(), (context) => {
    const schedule = options?.retry ?? Context.get(context, RetryPolicy)
    // Checked before anything runs: a bad deadline writes nothing.
    const given = options?.operationTimeout === undefined
      ? undefined
      : DurationInput.decode("operationTimeout", options.operationTimeout, "positiveOrInfinite")
    if (given !== undefined && Result.isFailure(given)) return Effect.fail(given.failure)
    const deadline = given !== undefined ? given.success : Context.get(context, TimeoutPolicy).operation
    // Undefined until an attempt failed: the first attempt in flight at the deadline was sent.
    let attempts: Attempts | undefined
    return withDeadline(
      Effect.catchIf(effect, isRetryable, (first) => {
        const tracked = new Attempts(first)
        attempts = tracked
        return retryAfter(first, tracked.track(effect), schedule).pipe(Effect.mapError((e) => tracked.annotate(e)))
      }),
      deadline,
      () => timedOut(operation, deadline, undefined, attempts === undefined ? "unknown" : attempts.outcome())
    )
  })

/**
 * What the attempts of one call may have written: `maybeWritten` once an
 * attempt ended with anything but a `not-written` failure; `inFlight`
 * while one runs.
 */
class Attempts {
  maybeWritten: boolean
  inFlight = false
  constructor(first: unknown) {
    this.maybeWritten = attemptOutcome(first) !== "not-written"
  }
  track<A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> {
    return Effect.suspend(() => {
      this.inFlight = true
      return effect
    }).pipe(Effect.tapError((e) =>
      Effect.sync(() => {
        this.inFlight = false
        if (attemptOutcome(e) !== "not-written") this.maybeWritten = true
      })
    ))
  }
  outcome(): WriteOutcome {
    return this.maybeWritten || this.inFlight ? "unknown" : "not-written"
  }
  /** The final error, its `outcome` widened to what every attempt may have done. */
  annotate<E>(error: E): E {
    if (!this.maybeWritten || !(error instanceof ConnectionError || error instanceof TimeoutError) || error.outcome === "unknown") return error
    return withOutcome(error, "unknown") as E
  }
}

/**
 * What a failed attempt wrote: its error's `outcome` when it has one; a
 * refusal (a storage, validation, rate-limit or authentication error)
 * wrote nothing; anything else may have.
 */
const attemptOutcome = (error: unknown): WriteOutcome => {
  if (hasOutcome(error)) return error.outcome
  const tag = typeof error === "object" && error !== null && "_tag" in error ? (error as { readonly _tag: unknown })._tag : undefined
  return tag === "StorageError" || tag === "ValidationError" || tag === "RateLimitError" || tag === "AuthenticationError" ? "not-written" : "unknown"
}

const hasOutcome = (error: unknown): error is { readonly outcome: WriteOutcome } =>
  typeof error === "object" && error !== null && "outcome" in error &&
  ((error as { readonly outcome: unknown }).outcome === "not-written" || (error as { readonly outcome: unknown }).outcome === "unknown")

/**
 * The retry schedule of a call: its own, else the layer's.
 *
 * @category combinators
 * @since 0.2.0
 * @internal
 */
export const retrySchedule = (options?: CallOptions | undefined): Effect.Effect<Schedule.Schedule<unknown, unknown>> =>
  options?.retry !== undefined ? Effect.succeed(options.retry) : Effect.map(Effect.context<never>(), (context) => Context.get(context, RetryPolicy))

/**
 * Retries a wait (which has its own deadline) on retryable failures by the
 * call's schedule: no operation deadline around it.
 *
 * @category combinators
 * @since 0.2.0
 * @internal
 */
export const retrying = <A, E>(effect: Effect.Effect<A, E>, options?: CallOptions | undefined): Effect.Effect<A, E> =>
  Effect.catchIf(effect, isRetryable, (first) =>
    Effect.flatMap(retrySchedule(options), (schedule) => retryAfter(first, effect, schedule)))

/**
 * Retries `effect` by `schedule` after it already failed with `first`
 * (retrying while `retryIf` holds, by default while the error is
 * retryable): the schedule sees `first` as the first failure, so its
 * delays and retry count are exactly those of `Effect.retry` on the whole,
 * while the happy path (which never gets here) pays for no schedule. A
 * failure that says how long to wait (`RateLimitError`, the gateway's
 * `Retry-After`) is retried no sooner than that, and not at all when that
 * is longer than `maxRetryAfterMillis`.
 *
 * **Example**
 *
 * ```ts
 * op.pipe(Effect.catchIf(isRetryable, (first) => Policies.retryAfter(first, op, schedule)))
 * ```
 *
 * @category combinators
 * @since 0.1.0
 * @internal
 */
export const retryAfter = <A, E>(
  first: E,
  effect: Effect.Effect<A, E>,
  schedule: Schedule.Schedule<unknown, unknown>,
  retryIf: (error: E) => boolean = isRetryable
): Effect.Effect<A, E> =>
  retryFrom(first, effect, honoringRetryAfter(schedule), (e) => retryIf(e) && !waitsTooLong(e))

/**
 * Retries `effect` by `schedule` while `retryIf` holds, after it already
 * failed with `first`: the first attempt replays `first` instead of running
 * `effect` again, so the schedule counts it as the first failure (the
 * delays and retry count of `Effect.retry` on the whole), while the
 * success path, which never gets here, builds no schedule. The one copy of
 * this trick: `retryAfter` and the worker's outcome writes use it.
 *
 * @category combinators
 * @since 0.2.0
 * @internal
 */
export const retryFrom = <A, E, R>(
  first: E,
  effect: Effect.Effect<A, E, R>,
  schedule: Schedule.Schedule<unknown, E>,
  retryIf: (error: E) => boolean
): Effect.Effect<A, E, R> =>
  Effect.suspend(() => {
    let replayed = false
    const attempt = Effect.suspend(() => {
      if (replayed) return effect
      replayed = true
      return Effect.fail(first)
    })
    return Effect.retry(attempt, { schedule, while: retryIf })
  })

/**
 * The longest `Retry-After` (a `RateLimitError`'s) a retry waits for: a
 * longer one is handed to the caller instead of sleeping on it.
 *
 * @category constants
 * @since 0.2.0
 */
export const maxRetryAfterMillis = 60_000

// --- deadlines ---------------------------------------------------------------------

/**
 * The longest delay `setTimeout` holds, in milliseconds (Node fires a longer,
 * or infinite, one after 1 ms).
 *
 * @category constants
 * @internal
 * @since 0.2.0
 */
export const maxTimerMillis = 2 ** 31 - 1

/**
 * The milliseconds of `deadline` when a plain timer can keep it: under the
 * live clock (not a TestClock) and within `maxTimerMillis`; else undefined
 * (keep it through the Clock, with `Effect.timeoutOrElse`).
 *
 * @category timers
 * @internal
 * @since 0.2.0
 */
export const timerMillis = (clock: Clock.Clock, deadline: Duration.Duration): number | undefined => {
  const millis = Duration.toMillis(deadline)
  return clock === liveClock && millis <= maxTimerMillis ? millis : undefined
}

/**
 * A signal that can end an operation early (the gateway's shutdown, for its
 * long-polls): `register` adds a listener, called once when the signal
 * fires (at once if it has fired already), and returns the function that
 * removes it.
 *
 * @category models
 * @since 0.2.0
 */
export interface StopSignal<E> {
  /** Adds a listener (called once, when the signal fires); returns its removal. */
  readonly register: (listener: () => void) => () => void
  /** The failure of an operation the signal ended. */
  readonly onAbort: () => E
}

/**
 * Fails with `onTimeout()` when `effect` has not finished within
 * `deadline` (interrupting it), as `Effect.timeoutOrElse` does; and with
 * `abort.onAbort()` when `abort` fires first.
 *
 * **Details**
 *
 * Under the live clock, `effect` runs in one child fiber raced against a
 * plain timer and the signal's listener: half the memory and CPU of
 * `Effect.timeoutOrElse` (two fibers and a sleep), and no fiber for the
 * signal where `Effect.raceFirst` would fork two (a gateway serving long-polls
 * answered 22 % more calls a second), which matters when every storage
 * operation of thousands of concurrent calls carries a deadline. Under any other clock (TestClock), or for a
 * deadline beyond what a timer holds, it is `Effect.timeoutOrElse` (raced
 * against the signal).
 *
 * @category combinators
 * @since 0.1.0
 */
export const withDeadline = <A, E, E2, R, E3 = never>(
  effect: Effect.Effect<A, E, R>,
  deadline: Duration.Duration,
  onTimeout: () => E2,
  abort?: StopSignal<E3> | undefined
): Effect.Effect<A, E | E2 | E3, R> =>
  Effect.withFiber((parent) => {
    const millis = timerMillis(parent.getRef(Clock.Clock), deadline)
    if (millis === undefined) {
      const bounded = Effect.timeoutOrElse(effect, { duration: deadline, orElse: () => Effect.fail(onTimeout()) })
      return abort === undefined
        ? bounded
        : Effect.raceFirst(bounded, Effect.callback<never, E3>((resume) => {
          let remove: (() => void) | undefined
          let fired = false
          remove = abort.register(() => {
            fired = true
            remove?.()
            resume(Effect.fail(abort.onAbort()))
          })
          if (fired) remove()
          return Effect.sync(remove)
        }))
    }
    return Effect.flatMap(Effect.forkChild(effect, { startImmediately: true }), (child) =>
      Effect.callback<A, E | E2 | E3>((resume) => {
        const done = child.pollUnsafe()
        if (done !== undefined) return resume(done)
        let ended: (() => E2 | E3) | undefined
        // On timeout or abort the child is interrupted and the failure
        // reported once it has stopped (its finalizers run), as
        // `Effect.timeoutOrElse` does.
        const end = (failure: () => E2 | E3) => {
          if (ended !== undefined) return
          ended = failure
          child.interruptUnsafe(parent.id)
        }
        const timer = setTimeout(() => end(onTimeout), millis)
        const removeAbort = abort === undefined ? undefined : abort.register(() => end(abort.onAbort))
        const stopObserving = child.addObserver((exit) => {
          clearTimeout(timer)
          removeAbort?.()
          resume(ended !== undefined ? Effect.fail(ended()) : exit)
        })
        // Interrupted: resume once the child has stopped.
        return Effect.suspend(() => {
          clearTimeout(timer)
          removeAbort?.()
          stopObserving()
          return Fiber.interrupt(child)
        })
      }))
  })

// Internal

const liveClock = Context.get(Context.empty(), Clock.Clock)


/** The schedule, its delay never below what the failure asked for (`Retry-After`). */
const honoringRetryAfter = (schedule: Schedule.Schedule<unknown, unknown>): Schedule.Schedule<unknown, unknown> =>
  Schedule.modifyDelay(schedule, ({ duration, input }) => {
    const floor = retryAfterMillis(input)
    return Effect.succeed(floor === undefined ? duration : Duration.max(duration, Duration.millis(floor)))
  })

const waitsTooLong = (error: unknown): boolean => (retryAfterMillis(error) ?? 0) > maxRetryAfterMillis
