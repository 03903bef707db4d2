/**
 * Durations given by users (`"30 seconds"`, `500`, `Duration.seconds(2)`)
 * decoded without throwing: a string that does not parse, `NaN`, or a value
 * outside what the option allows is a `ValidationError` naming the option,
 * not a defect.
 *
 * @since 0.2.0
 */

import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import { ValidationError } from "./Errors.ts"

/**
 * What a duration option accepts: `positive` (more than zero, finite),
 * `positiveOrInfinite` (more than zero; `Infinity` means no limit), or
 * `nonNegative` (zero or more, finite).
 *
 * @category models
 * @since 0.2.0
 */
export type Rule = "positive" | "positiveOrInfinite" | "nonNegative"

/**
 * Decodes `input` for the option `field` (`fallback` when undefined).
 *
 * @example
 * ```ts
 * DurationInput.decode("jobTimeout", "5 sekonds", "positive")
 * // Result.fail(ValidationError: jobTimeout: cannot read "5 sekonds" as a duration ...)
 * ```
 *
 * @category constructors
 * @since 0.2.0
 */
export const decode = (
  field: string,
  input: Duration.Input | undefined,
  rule: Rule,
  fallback?: Duration.Input
): Result.Result<Duration.Duration, ValidationError> => {
  const given = input ?? fallback
  const fail = (why: string) => Result.fail(new ValidationError({ field, message: `${field}${why}` }))
  if (given === undefined) return fail(" is required")
  if (typeof given === "number" && Number.isNaN(given)) return fail(" must be a duration, got NaN")
  const decoded = Duration.fromInput(given)
  if (Option.isNone(decoded)) {
    return fail(`: cannot read ${show(given)} as a duration (e.g. "30 seconds", "500 millis", or a number of milliseconds)`)
  }
  const d = decoded.value
  const infinite = !Duration.isFinite(d)
  switch (rule) {
    case "positive":
      return Duration.isPositive(d) && !infinite ? Result.succeed(d) : fail(` must be a positive, finite duration, got ${show(given)}`)
    case "positiveOrInfinite":
      return Duration.isPositive(d) ? Result.succeed(d) : fail(` must be a positive duration, got ${show(given)}`)
    case "nonNegative":
      return !Duration.isNegative(d) && !infinite ? Result.succeed(d) : fail(` must be zero or more (and finite), got ${show(given)}`)
  }
}

// Internal

const show = (input: Duration.Input): string => {
  if (Duration.isDuration(input)) return Duration.format(input)
  if (typeof input === "string") return JSON.stringify(input)
  if (typeof input === "object") return JSON.stringify(input, (_, v: unknown) => (typeof v === "bigint" ? String(v) : v))
  return String(input)
}
