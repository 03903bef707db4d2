/**
 * The CLI's log lines, on stderr: one line per entry in either format,
 * `text` (`[12:00:00.000] WARN message: the error's message`) or `json`
 * (one JSON object per line, as the gateway's `npm run gateway` writes),
 * chosen with `--log-format` (env `BANANAS_LOG_FORMAT`); the default is
 * `json` for `serve` (a gateway process) and `text` for every other
 * command. A failure's stack and cause chain are printed only with
 * `--verbose`.
 *
 * Repeated warnings and errors are rate-limited: one with the same level,
 * message, error and annotations as one printed in the last minute is
 * counted, not printed; the
 * next one printed after the minute says how many were left out. A worker
 * whose Redis is down thus logs a line per failing loop and minute, not
 * one per retry. Info and debug entries (an access log line per request)
 * are never held back.
 *
 * @since 0.2.0
 */

import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as References from "effect/References"

/**
 * The log formats.
 *
 * @category models
 * @since 0.2.0
 */
export type Format = "text" | "json"

/**
 * The formats, for the flag.
 *
 * @category constants
 * @since 0.2.0
 */
export const formats: ReadonlyArray<Format> = ["text", "json"]

/**
 * How long a repeated entry stays quiet.
 *
 * @category constants
 * @since 0.2.0
 */
export const repeatWindowMillis = 60_000

/**
 * The CLI's logger: the format's lines on stderr, repeats rate-limited.
 *
 * @category loggers
 * @since 0.2.0
 */
export const make = (format: Format, verbose: boolean): Logger.Logger<unknown, void> => {
  const quiet = new Map<string, { until: number; left: number }>()
  return Logger.make((options: Logger.Options<unknown>): void => {
    const error = errorLine(options.cause)
    if (!rateLimited.has(options.logLevel)) {
      options.fiber.getRef(Console.Console).error(format === "json" ? jsonLine(options, 0, verbose) : textLine(options, error, 0, verbose))
      return
    }
    const key = `${options.logLevel} ${messageText(options.message)} ${error}${annotationText(options)}`
    const now = options.date.getTime()
    const seen = quiet.get(key)
    if (seen !== undefined && now < seen.until) {
      seen.left++
      return
    }
    if (quiet.size > 1_000) quiet.clear()
    quiet.set(key, { until: now + repeatWindowMillis, left: 0 })
    const left = seen?.left ?? 0
    options.fiber.getRef(Console.Console).error(format === "json" ? jsonLine(options, left, verbose) : textLine(options, error, left, verbose))
  })
}

/**
 * Runs an effect with the CLI's logger in place of the default ones.
 *
 * @category combinators
 * @since 0.2.0
 */
export const withLogger = (format: Format, verbose: boolean) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.provideService(effect, Logger.CurrentLoggers, new Set([make(format, verbose)]))

// Internal

/** The levels whose repeats are held back. */
const rateLimited: ReadonlySet<string> = new Set(["Warn", "Error", "Fatal"])

/** The message's strings, then any error or value logged with them (`Effect.logWarning("failed", error)`), on one line. */
const messageText = (message: unknown): string => {
  const parts: ReadonlyArray<unknown> = Array.isArray(message) ? message : [message]
  const text = parts.filter((p) => typeof p === "string").join(" ")
  const values = parts.filter((p) => typeof p !== "string").map(describe)
  return flat(values.length === 0 ? text : `${text}: ${values.join("; ")}`)
}

/** The stacks of errors logged in the message or the cause (`--verbose`). */
const details = (options: Logger.Options<unknown>): ReadonlyArray<string> => {
  const parts: ReadonlyArray<unknown> = Array.isArray(options.message) ? options.message : [options.message]
  const stacks = parts.filter((p): p is Error => p instanceof Error).map((e) => e.stack ?? e.message)
  return options.cause.reasons.length > 0 ? [...stacks, Cause.pretty(options.cause)] : stacks
}

const describe = (u: unknown): string => (u instanceof Error ? (u.message === "" ? u.name : u.message) : safeJson(u))

const flat = (text: string): string => text.split("\n").map((l) => l.trim()).filter((l) => l !== "").join(" ")

const errorLine = (cause: Cause.Cause<unknown>): string => cause.reasons.length === 0 ? "" : flat(describe(Cause.squash(cause)))

const safeJson = (u: unknown): string => {
  try {
    return typeof u === "string" ? u : JSON.stringify(u) ?? String(u)
  } catch {
    return String(u)
  }
}

/** The entry's annotations as ` key=value` pairs (the access log's method, route, status...); `module` is left out. */
const annotationText = (options: Logger.Options<unknown>): string =>
  Object.entries(options.fiber.getRef(References.CurrentLogAnnotations))
    .filter(([key]) => key !== "module")
    .map(([key, value]) => ` ${key}=${typeof value === "string" ? value : safeJson(value)}`)
    .join("")

const omitted = (left: number) => (left > 0 ? ` (${left} more like this in the last minute not shown)` : "")

const textLine = (options: Logger.Options<unknown>, error: string, left: number, verbose: boolean): string => {
  const time = options.date.toISOString().slice(11, 23)
  const line = `[${time}] ${options.logLevel.toUpperCase()} ${messageText(options.message)}${error === "" ? "" : `: ${error}`}${annotationText(options)}${omitted(left)}`
  return verbose ? [line, ...details(options)].join("\n") : line
}

const jsonLine = (options: Logger.Options<unknown>, left: number, verbose: boolean): string => {
  const entry = JSON.parse(Logger.formatJson.log(options)) as Record<string, unknown>
  entry.message = messageText(options.message)
  if (options.cause.reasons.length > 0) entry.cause = errorLine(options.cause)
  if (verbose) entry.details = details(options)
  if (left > 0) entry.omitted = left
  return JSON.stringify(entry)
}
