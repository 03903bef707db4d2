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
 * A failure no retry can fix: the job is dead-lettered at once with this
 * message, whatever its retry budget. Raised by the worker for a payload
 * that does not decode with its definition's schema; a handler may raise
 * it too.
 *
 * @example
 * ```ts
 * const handler = () => Effect.fail(new PermanentJobError({ message: "account closed" }))
 * ```
 *
 * @category errors
 * @since 0.2.0
 */
export class PermanentJobError extends Schema.TaggedError<PermanentJobError>()("PermanentJobError", {
  /** The job's error text, recorded as it is. */
  message: Schema.String
}) {}

/**
 * Whether a failed handler's cause may pass on a retry: not when its first
 * typed failure (the one `messageOfCause` reports) is a `PermanentJobError`.
 *
 * @category predicates
 * @since 0.2.0
 */
export const isRetryable = (cause: Cause.Cause<unknown>): boolean => {
  const first = cause.reasons.find(Cause.isFailReason)
  try {
    return !(first !== undefined && first.error instanceof PermanentJobError)
  } catch {
    // A value whose prototype cannot be read (a throwing Proxy) is no PermanentJobError.
    return true
  }
}

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
 * else, its JSON text. Total: a value that throws when read (a `message`
 * getter that throws, a throwing `Proxy`, a cyclic object) gets a safe
 * description instead (`describe`), never an exception.
 *
 * @category constructors
 * @since 0.1.0
 */
export const messageOf = (error: unknown): string => {
  if (typeof error === "string") return error
  if (typeof error === "object" && error !== null) {
    const message = read(error, "message")
    if (typeof message === "string" && message !== "") return message
    const tag = read(error, "_tag")
    if (typeof tag === "string") return tag
    if (message instanceof Unreadable) return describe(error, message.cause)
  }
  try {
    const json = JSON.stringify(error)
    if (typeof json === "string") return json
  } catch {
    // fall through: not serializable
  }
  return describe(error)
}

/**
 * A description of any thrown value that never throws: `String(value)`
 * when that works and says more than `[object ...]`, else its type (and
 * constructor name when readable),
 * with why its message could not be read when `cause` is given.
 *
 * @category constructors
 * @since 0.2.0
 */
export const describe = (value: unknown, cause?: unknown): string => {
  const why = cause === undefined ? "" : ` (its message could not be read: ${plainMessage(cause)})`
  try {
    const text = String(value)
    // `[object Object]` says nothing: the constructor's name says more.
    return `${text.startsWith("[object ") ? shallow(value) : text}${why}`
  } catch {
    return `${shallow(value)}${why}`
  }
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
  const stack = stackOf(defect)
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

/**
 * The job error for a result over the worker's `maxResultBytes`: nothing
 * was stored, the attempt failed.
 *
 * @category constructors
 * @since 0.2.0
 */
export const resultTooLargeReport = (bytes: number, limit: number): string =>
  `result too large: ${bytes} bytes of JSON, over the worker's maxResultBytes of ${limit} (nothing stored); store large data elsewhere and return a reference to it`

// Internal

const maxFrames = 20

/** A property read that failed: what it threw. */
class Unreadable {
  readonly cause: unknown
  constructor(cause: unknown) {
    this.cause = cause
  }
}

/** `value[key]`, or `Unreadable` when reading it throws (a getter, a Proxy trap). */
const read = (value: object, key: string): unknown => {
  try {
    return (value as Record<string, unknown>)[key]
  } catch (cause) {
    return new Unreadable(cause)
  }
}

/** The stack of an `Error`, or "" (also when reading it throws). */
const stackOf = (defect: unknown): string => {
  try {
    return defect instanceof Error && typeof defect.stack === "string" ? defect.stack : ""
  } catch {
    return ""
  }
}

/** The message of what a getter threw, read without trusting it. */
const plainMessage = (thrown: unknown): string => {
  try {
    const message = thrown instanceof Error ? thrown.message : undefined
    return typeof message === "string" && message !== "" ? message : shallow(thrown)
  } catch {
    return shallow(thrown)
  }
}

/** A description without calling anything the value defines: its type, and its constructor's name when readable. */
const shallow = (value: unknown): string => {
  if (typeof value !== "object" || value === null) {
    try {
      return String(value)
    } catch {
      return typeof value
    }
  }
  try {
    const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name
    return typeof name === "string" && name !== "" ? `a thrown ${name}` : "a thrown object"
  } catch {
    return "a thrown object"
  }
}
