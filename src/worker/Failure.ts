/**
 * How a handler's failure becomes the job's error message, with the Go
 * worker's wording where Go has one: a defect is `PANIC: <message>` (then
 * its stack frames), a timeout is `context cancelled: context deadline
 * exceeded` (then which timeout ran out), an unknown job name is `no
 * handler registered for job: <name>`.
 *
 * This module only formats messages; the worker records them (`Queue.fail`).
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Schema from "effect/Schema"
import { errorText } from "../protocol/Wire.ts"

/**
 * A failure a handler may raise to fail its job with exactly this message.
 * Any other typed failure works too: its `message` (or its text) is used.
 *
 * @example
 * ```ts
 * const handler = () => Effect.fail(new JobError({ message: "smtp: timeout" }))
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class JobError extends Schema.TaggedError<JobError>()("JobError", {
  /** The job's error text, recorded as it is. */
  message: Schema.String
}) {}

/**
 * The message Go's worker records when a job runs past its timeout (its
 * context deadline). Kept verbatim so dashboards that match Go's text keep
 * working.
 *
 * @category constants
 * @since 0.1.0
 */
export const timeoutMessage: string = errorText.timeout

/**
 * The message recorded when no handler is registered for a job's name
 * (Go's wording).
 *
 * @category constructors
 * @since 0.1.0
 */
export const noHandlerMessage: (name: string) => string = errorText.noHandler

/**
 * The job error for a handler's typed failure: a string as is; an object's
 * non-empty `message`; a tagged error without message, its `_tag`; anything
 * else, its JSON text.
 *
 * @category constructors
 * @since 0.1.0
 */
export const messageOf = (error: unknown): string => {
  if (typeof error === "string") return error
  if (typeof error === "object" && error !== null) {
    const message = (error as { message?: unknown }).message
    if (typeof message === "string" && message !== "") return message
    const tag = (error as { _tag?: unknown })._tag
    if (typeof tag === "string") return tag
  }
  try {
    const json = JSON.stringify(error)
    if (typeof json === "string") return json
  } catch {
    // fall through: not serializable
  }
  return String(error)
}

/**
 * The job error for a defect (an unexpected exception): `PANIC: <message>`,
 * as Go's worker reports a recovered panic.
 *
 * @category constructors
 * @since 0.1.0
 */
export const panicMessage = (defect: unknown): string => errorText.panic(messageOf(defect))

/**
 * The job error for a defect, with where it happened: Go's `PANIC:
 * <message>` on the first line (what Go's dashboards match), then the
 * defect's stack frames (at most 20), so whoever reads the failure (the
 * job's `error`, the result, `JobFailedError.error`, the worker's log)
 * can find the bug.
 *
 * @category constructors
 * @since 0.2.0
 */
export const panicReport = (defect: unknown): string => {
  const first = panicMessage(defect)
  const stack = defect instanceof Error && typeof defect.stack === "string" ? defect.stack : ""
  const frames = stack.split("\n").filter((line) => /^\s+at\s/.test(line)).slice(0, maxFrames)
  return frames.length === 0 ? first : `${first}\n${frames.join("\n")}`
}

/**
 * The job error for a handler that ran past its timeout: Go's text
 * (`context cancelled: context deadline exceeded`), then which timeout it
 * was and how long: the handler's own (`JobDefinition.timeout`, or
 * `Handlers.addRaw`'s `timeout` option) or the worker's `jobTimeout`.
 *
 * @category constructors
 * @since 0.2.0
 */
export const timeoutReport = (timeout: Duration.Duration, source: "handler" | "worker"): string =>
  `${timeoutMessage} (${source === "handler" ? "the handler's own timeout" : "the worker's jobTimeout"} of ${Duration.format(timeout)} ran out)`

/**
 * The job error for a failed handler's cause: its first typed failure, else
 * its first defect (`PANIC: …` and its stack, see `panicReport`), else
 * (interrupted from inside) `interrupted`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const messageOfCause = (cause: Cause.Cause<unknown>): string => {
  for (const reason of cause.reasons) {
    if (Cause.isFailReason(reason)) return messageOf(reason.error)
  }
  for (const reason of cause.reasons) {
    if (Cause.isDieReason(reason)) return panicReport(reason.defect)
  }
  return "interrupted"
}

// Internal

const maxFrames = 20
