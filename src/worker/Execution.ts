/**
 * Runs one job's handler and classifies what happened, without touching
 * the queue: the worker records the outcome.
 *
 * - a handler's value → `Completed` (with the result JSON, if any);
 * - a typed failure → `Failed` with its message; a defect → `PANIC: …`
 *   and its stack frames;
 * - past its timeout → `Failed` with Go's `context cancelled: context
 *   deadline exceeded` and which timeout ran out, how long it was (the
 *   handler is interrupted);
 * - no handler for the name → `Failed` with `no handler registered for job: …`;
 * - interrupted from outside (shutdown) → `Interrupted`.
 *
 * @since 0.1.0
 */

import * as Cause from "effect/Cause"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type { Job } from "../domain/Job.ts"
import type { RawJson } from "../domain/RawJson.ts"
import { withDeadline } from "../layers/Policies.ts"
import * as Failure from "./Failure.ts"
import * as Handlers from "./Handlers.ts"

/**
 * What running a job's handler produced.
 *
 * @category models
 * @since 0.1.0
 */
export type Outcome =
  /** The handler succeeded: `result` is the JSON to store (none for a handler returning nothing). */
  | { readonly _tag: "Completed"; readonly result: RawJson | undefined }
  /** The attempt failed: `error` is the job's error text (Go's wording where Go has one). */
  | { readonly _tag: "Failed"; readonly error: string }
  /** Interrupted from outside (a shutdown): not an attempt. */
  | { readonly _tag: "Interrupted" }

/**
 * Runs the handler registered for the job's name under its timeout (the
 * handler's own, else `defaultTimeout`). Never fails: every failure is an
 * `Outcome`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const execute = <R>(
  handlers: Handlers.Handlers<R>,
  job: Job,
  defaultTimeout: Duration.Duration
): Effect.Effect<Outcome, never, R> => {
  const handler = Handlers.get(handlers, job.name)
  if (handler === undefined) return Effect.succeed(failed(Failure.noHandlerMessage(job.name)))
  const run = Effect.suspend(() => handler.run({ job, attempt: job.attempts + 1 }))
  const deadline = handler.timeout ?? defaultTimeout
  return Effect.exit(withDeadline(run, deadline, () => timedOut)).pipe(
    Effect.map((exit): Outcome => {
      if (Exit.isSuccess(exit)) return { _tag: "Completed", result: exit.value }
      if (Cause.hasInterruptsOnly(exit.cause)) return { _tag: "Interrupted" }
      const timeout = Cause.findErrorOption(exit.cause)
      return Option.isSome(timeout) && timeout.value === timedOut
        ? failed(Failure.timeoutReport(deadline, handler.timeout === undefined ? "worker" : "handler"))
        : failed(Failure.messageOfCause(exit.cause))
    })
  )
}

// Internal

const failed = (error: string): Outcome => ({ _tag: "Failed", error })

/** The failure standing for "past the job's timeout" (a handler cannot fail with it). */
const timedOut: unique symbol = Symbol("bananas/worker/timedOut")
