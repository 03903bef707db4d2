/**
 * Runs one job's handler and classifies what happened, without touching
 * the queue: the worker records the outcome.
 *
 * - a handler's value → `Completed` (with the result JSON, if any);
 * - a typed failure → `Failed` with its message (not retryable when it is
 *   a `PermanentJobError`); a defect → `PANIC: …` and its stack frames;
 * - past its timeout → `Failed` with Go's `context cancelled: context
 *   deadline exceeded` and which timeout ran out, how long it was (the
 *   handler is interrupted);
 * - no handler for the name → `Failed` with `no handler registered for job: …`;
 * - interrupted from outside (shutdown) → `Interrupted`;
 * - a handler that does not stop within `abandonGrace` of being
 *   interrupted (past its timeout, or at shutdown) is abandoned: left
 *   running, detached, its outcome never recorded; the attempt ends as
 *   above (`Failed` with the timeout's text and `abandonedNote`, or
 *   `Interrupted`) and an error is logged (see RELIABILITY.md, "Handlers
 *   that ignore interruption").
 *
 * @since 0.1.0
 */

import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import type { Job } from "../domain/Job.ts"
import { defaultMaxPayloadBytes } from "../domain/PayloadLimits.ts"
import type { RawJson } from "../domain/RawJson.ts"
import { timerMillis } from "../layers/Policies.ts"
import * as Failure from "./Failure.ts"
import * as Handlers from "./HandlerRegistry.ts"

/**
 * What running a job's handler produced.
 *
 * @category models
 * @since 0.1.0
 */
export type Outcome =
  /** The handler succeeded: `result` is the JSON to store (none for a handler returning nothing). */
  | { readonly _tag: "Completed"; readonly result: RawJson | undefined }
  /**
   * The attempt failed: `error` is the job's error text (Go's wording where
   * Go has one); `retryable: false` when no retry can fix it
   * (`Failure.PermanentJobError`).
   */
  | { readonly _tag: "Failed"; readonly error: string; readonly retryable?: false }
  /** Interrupted from outside (a shutdown): not an attempt. */
  | { readonly _tag: "Interrupted" }

/**
 * How long a handler may take to stop once interrupted (past its timeout,
 * or at shutdown) before the worker abandons it: its finalizers get this
 * long; a handler still running then holds neither its slot nor its lease.
 *
 * @category constants
 * @since 0.2.0
 */
export const abandonGrace: Duration.Duration = Duration.seconds(2)

/**
 * Appended to the timeout's text when the handler did not stop within
 * `abandonGrace` of its interruption.
 *
 * @category constants
 * @since 0.2.0
 */
export const abandonedNote = `; the handler did not stop within ${Duration.format(abandonGrace)} of its interruption and was abandoned`

/**
 * The default limit of a result's size: 10 MiB of UTF-8 JSON, as for
 * payloads (`PayloadLimits.defaultMaxPayloadBytes`). A larger result is
 * not stored: the attempt fails (`Failure.resultTooLargeReport`).
 *
 * @category constants
 * @since 0.2.0
 */
export const defaultMaxResultBytes: number = defaultMaxPayloadBytes

/**
 * Runs the handler registered for the job's name under its timeout (the
 * handler's own, else `defaultTimeout`); a result over `maxResultBytes`
 * fails the attempt instead of being stored. Never fails: every failure is an
 * `Outcome`. The handler runs in a fiber of its own, so that one that
 * ignores interruption is abandoned after `abandonGrace` instead of holding
 * its caller: an interruption of the caller (a shutdown) interrupts the
 * handler and ends within `abandonGrace` too, with `Interrupted`, never
 * with an interruption.
 *
 * @category constructors
 * @since 0.1.0
 */
export const execute = <R>(
  handlers: Handlers.Handlers<R>,
  job: Job,
  defaultTimeout: Duration.Duration,
  maxResultBytes: number = defaultMaxResultBytes
): Effect.Effect<Outcome, never, R> => {
  const handler = Handlers.get(handlers, job.name)
  if (handler === undefined) return Effect.succeed(failed(Failure.noHandlerMessage(job.name)))
  const run = Effect.suspend(() => handler.run({ job, attempt: job.attempts + 1 }))
  const deadline = handler.timeout ?? defaultTimeout
  const timeoutText = () => Failure.timeoutReport(deadline, handler.timeout === undefined ? "worker" : "handler")
  return Effect.flatMap(supervise(run, deadline), (ended): Effect.Effect<Outcome> => {
    if (ended === "timedOut") return Effect.succeed(failed(timeoutText()))
    if (ended === "abandonedAfterTimeout") return Effect.as(logAbandoned("its timeout"), failed(timeoutText() + abandonedNote))
    if (ended === "abandonedAfterInterruption") return Effect.as(logAbandoned("the worker's shutdown"), interrupted)
    if (ended === "interrupted" || (Exit.isFailure(ended) && Cause.hasInterruptsOnly(ended.cause))) return Effect.succeed(interrupted)
    if (Exit.isFailure(ended)) {
      const error = Failure.messageOfCause(ended.cause)
      return Effect.succeed(Failure.isRetryable(ended.cause) ? failed(error) : { _tag: "Failed", error, retryable: false })
    }
    const bytes = ended.value === undefined ? 0 : resultBytes(ended.value, maxResultBytes)
    return Effect.succeed(bytes > maxResultBytes ? failed(Failure.resultTooLargeReport(bytes, maxResultBytes)) : { _tag: "Completed", result: ended.value })
  })
}

// Internal

const failed = (error: string): Outcome => ({ _tag: "Failed", error })

/** The UTF-8 size of a result, counted only when it may be over `limit` (a UTF-16 unit is at most 3 bytes). */
const resultBytes = (result: RawJson, limit: number): number =>
  result.length * 3 <= limit ? result.length : Buffer.byteLength(result, "utf8")

const interrupted: Outcome = { _tag: "Interrupted" }

const logAbandoned = (after: string) =>
  Effect.logError(
    `handler abandoned: it did not stop within ${Duration.format(abandonGrace)} of its interruption (${after}); ` +
      "it keeps running detached, its slot and lease are given up and whatever it does now is not recorded"
  )

type Ended<A, E> =
  | Exit.Exit<A, E>
  | "timedOut"
  | "interrupted"
  | "abandonedAfterTimeout"
  | "abandonedAfterInterruption"

/**
 * Runs `run` in a detached fiber (one the caller's exit does not wait for)
 * and waits for it, interruptibly, at most `deadline`; past it, or when the
 * caller is interrupted, interrupts it and waits at most `abandonGrace` for
 * it to stop. Under the live clock, with no deadline (an infinite timeout)
 * nothing keeps time, and with a deadline a timer holds, the deadline is
 * kept by a shared lane (`addDeadline`: one timer for every job
 * with the same timeout, no timer per job) and a handler that is done when
 * it first yields (a synchronous one) is not waited for at all; else the
 * Clock keeps both.
 */
const supervise = <A, E, R>(run: Effect.Effect<A, E, R>, deadline: Duration.Duration): Effect.Effect<Ended<A, E>, never, R> =>
  Effect.withFiber((parent) => {
    const clock = parent.getRef(Clock.Clock)
    // No deadline at all (an infinite timeout): no timer either.
    const millis = Duration.isFinite(deadline) ? timerMillis(clock, deadline) : noDeadline
    const graceMillis = timerMillis(clock, abandonGrace)
    if (millis === undefined || graceMillis === undefined) return superviseOnClock(run, deadline)
    return Effect.flatMap(Effect.forkDetach(run, { startImmediately: true }), (child): Effect.Effect<Ended<A, E>> => {
      const done = child.pollUnsafe()
      return done !== undefined ? Effect.succeed(done) : awaitChild(child, parent.id, millis, graceMillis)
    }).pipe(Effect.uninterruptible)
  })

/** `supervise`'s wait for a handler still running: its deadline, then the grace; the caller's interruption. */
const awaitChild = <A, E>(child: Fiber.Fiber<A, E>, parentId: number, millis: number | typeof noDeadline, graceMillis: number): Effect.Effect<Ended<A, E>> => {
  let abandoned = false
  return Effect.callback<Ended<A, E>>((resume) => {
    let timedOut = false
    let grace: ReturnType<typeof setTimeout> | undefined
    const cancelDeadline = millis === noDeadline ? noop : addDeadline(millis, () => {
      timedOut = true
      child.interruptUnsafe(parentId)
      grace = setTimeout(() => {
        stopObserving()
        resume(Effect.succeed("abandonedAfterTimeout"))
      }, graceMillis)
    })
    const stopObserving = child.addObserver((exit) => {
      cancelDeadline()
      clearTimeout(grace)
      resume(Effect.succeed(timedOut ? "timedOut" : exit))
    })
    // The caller is interrupted: interrupt the handler, wait at most the grace.
    return Effect.suspend(() => {
      cancelDeadline()
      clearTimeout(grace)
      stopObserving()
      child.interruptUnsafe(parentId)
      return Effect.callback<void>((stopped) => {
        const graceTimer = setTimeout(() => {
          abandoned = true
          stopped(Effect.void)
        }, graceMillis)
        const stop = child.addObserver(() => {
          clearTimeout(graceTimer)
          stopped(Effect.void)
        })
        return Effect.sync(() => {
          clearTimeout(graceTimer)
          stop()
        })
      })
    })
  }).pipe(
    // The caller's interruption, caught once the handler stopped or was abandoned.
    Effect.interruptible,
    Effect.exit,
    Effect.map((exit): Ended<A, E> => (Exit.isSuccess(exit) ? exit.value : abandoned ? "abandonedAfterInterruption" : "interrupted"))
  )
}

/** No deadline (an infinite timeout). */
const noDeadline = "none"

const noop = () => {}

/**
 * The deadlines of running handlers, one lane per timeout length (in ms).
 * Jobs with the same timeout expire in the order they started, so a lane
 * is an insertion-ordered set (O(1) removal when a handler ends) and one
 * timer, armed for its oldest entry: when it fires, the expired entries
 * fire and it is armed again for the oldest left. The timer does not keep
 * the process alive (the worker's own loops do while it runs) and is not
 * cleared when a lane empties: it finds nothing when it fires.
 */
interface Lane {
  readonly entries: Set<DeadlineEntry>
  timer: ReturnType<typeof setTimeout> | undefined
}

interface DeadlineEntry {
  /** When it expires (`performance.now()` time). */
  readonly at: number
  readonly fire: () => void
}

const lanes = new Map<number, Lane>()

/** Calls `fire` in `millis` unless the returned function is called first. */
const addDeadline = (millis: number, fire: () => void): () => void => {
  let lane = lanes.get(millis)
  if (lane === undefined) {
    lane = { entries: new Set(), timer: undefined }
    lanes.set(millis, lane)
  }
  const entry: DeadlineEntry = { at: performance.now() + millis, fire }
  lane.entries.add(entry)
  if (lane.timer === undefined) arm(lane, millis)
  const owner = lane
  return () => {
    owner.entries.delete(entry)
  }
}

const arm = (lane: Lane, delay: number) => {
  lane.timer = setTimeout(() => fireDue(lane), delay)
  lane.timer.unref()
}

const fireDue = (lane: Lane) => {
  lane.timer = undefined
  const now = performance.now()
  for (const entry of lane.entries) {
    if (entry.at > now) return arm(lane, Math.max(1, Math.ceil(entry.at - now)))
    lane.entries.delete(entry)
    entry.fire()
  }
}

/** `supervise` kept by the Clock (a TestClock, or a deadline beyond what a timer holds). */
const superviseOnClock = <A, E, R>(run: Effect.Effect<A, E, R>, deadline: Duration.Duration): Effect.Effect<Ended<A, E>, never, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const child = yield* Effect.forkDetach(run, { startImmediately: true })
      const waited = yield* Effect.exit(restore(
        Duration.isFinite(deadline) ? Effect.timeoutOption(Fiber.await(child), deadline) : Effect.asSome(Fiber.await(child))
      ))
      if (Exit.isSuccess(waited) && Option.isSome(waited.value)) return waited.value.value
      const after = Exit.isSuccess(waited) ? "timeout" : "interruption"
      child.interruptUnsafe()
      const stopped = yield* Effect.timeoutOption(Fiber.await(child), abandonGrace)
      if (Option.isNone(stopped)) return after === "timeout" ? "abandonedAfterTimeout" : "abandonedAfterInterruption"
      return after === "timeout" ? "timedOut" : "interrupted"
    })
  )
