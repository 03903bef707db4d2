/**
 * Go-compatible timestamps: an instant with nanosecond precision and the UTC
 * offset it was written with.
 *
 * Go writes `time.Time` as RFC 3339 with up to nine fractional digits
 * (trailing zeros trimmed) and the writer's local offset (`Z` for zero).
 * JavaScript's `Date` keeps milliseconds only, so jobs written by Go would
 * lose digits on a round trip through `Date`; this module reads every digit
 * and writes Go's exact form.
 *
 * @since 0.1.0
 */

import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as SchemaGetter from "effect/SchemaGetter"
import * as SchemaIssue from "effect/SchemaIssue"

/**
 * An instant: whole unix seconds, nanoseconds within the second, and the
 * offset (in seconds east of UTC) to render it in.
 *
 * @category models
 * @since 0.1.0
 */
export interface Timestamp {
  /** Whole seconds since the unix epoch (negative before 1970). */
  readonly seconds: number
  /** Nanoseconds within the second, 0 to 999,999,999. */
  readonly nanos: number
  /** The offset the instant is written in, in seconds east of UTC (0 writes `Z`). */
  readonly offsetSeconds: number
}

/**
 * The schema of a timestamp as a value (its three numbers).
 *
 * @category schemas
 * @since 0.2.0
 */
export const Fields: Schema.Codec<Timestamp> = Schema.Struct({
  seconds: Schema.Int,
  nanos: Schema.Int,
  offsetSeconds: Schema.Int
})

/**
 * The schema of a timestamp written as Go writes it: RFC 3339 text with up
 * to nine fractional digits and the writer's offset. Decoding accepts what
 * Go's `time.Time` accepts (any fraction length, `Z` or `±hh:mm`).
 *
 * @category schemas
 * @since 0.2.0
 */
export const FromString: Schema.Codec<Timestamp, string> = Schema.String.pipe(Schema.decodeTo(Fields, {
  decode: SchemaGetter.transformEffect((text: string) => {
    const t = parse(text)
    return t === undefined
      ? Effect.fail(new SchemaIssue.InvalidValue({ message: `not an RFC 3339 time with an offset: ${JSON.stringify(text)}` }, text))
      : Effect.succeed(t)
  }),
  encode: SchemaGetter.transform((t: Timestamp) => format(t))
}))

/**
 * Go's zero `time.Time` (`0001-01-01T00:00:00Z`), written by Go's cron
 * scheduler for jobs built without `NewJob`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const zero: Timestamp = { seconds: -62135596800, nanos: 0, offsetSeconds: 0 }

/**
 * True for Go's zero time.
 *
 * @category guards
 * @since 0.1.0
 */
export const isZero = (t: Timestamp): boolean => t.seconds === zero.seconds && t.nanos === 0

/**
 * An instant from epoch milliseconds, rendered in UTC.
 *
 * @category constructors
 * @since 0.1.0
 */
export const fromMillis = (millis: number): Timestamp => {
  const seconds = Math.floor(millis / 1000)
  return { seconds, nanos: Math.round((millis - seconds * 1000) * 1e6), offsetSeconds: 0 }
}

/**
 * An instant from a `Date`, rendered in UTC.
 *
 * @category constructors
 * @since 0.1.0
 */
export const fromDate = (date: Date): Timestamp => fromMillis(date.getTime())

/**
 * Epoch milliseconds (sub-millisecond digits are truncated).
 *
 * @category conversions
 * @since 0.1.0
 */
export const toMillis = (t: Timestamp): number => t.seconds * 1000 + Math.floor(t.nanos / 1e6)

/**
 * A `Date` (sub-millisecond digits are truncated).
 *
 * @category conversions
 * @since 0.1.0
 */
export const toDate = (t: Timestamp): Date => new Date(toMillis(t))

/**
 * Unix seconds as a float, the score of the scheduled sorted set.
 *
 * @category conversions
 * @since 0.1.0
 */
export const toUnixSeconds = (t: Timestamp): number => t.seconds + t.nanos / 1e9

/**
 * Adds whole seconds, keeping the nanoseconds and the offset.
 *
 * @category combinators
 * @since 0.1.0
 */
export const addSeconds = (t: Timestamp, seconds: number): Timestamp => ({ ...t, seconds: t.seconds + seconds })

/**
 * Orders two instants (offsets do not matter).
 *
 * @category combinators
 * @since 0.1.0
 */
export const compare = (a: Timestamp, b: Timestamp): -1 | 0 | 1 =>
  a.seconds !== b.seconds ? (a.seconds < b.seconds ? -1 : 1) : a.nanos === b.nanos ? 0 : a.nanos < b.nanos ? -1 : 1

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/

/**
 * Parses RFC 3339 as Go's `time.Time.UnmarshalJSON` does: `T`, seconds and an
 * offset (`Z` or `±hh:mm`) are required; a fraction of any length is read
 * (digits past nine are dropped). Returns `undefined` when Go would fail.
 *
 * @category parsing
 * @since 0.1.0
 */
export const parse = (text: string): Timestamp | undefined => {
  const fast = parseFast(text)
  if (fast !== undefined) return fast
  const m = RFC3339.exec(text)
  if (m === null) return undefined
  const [, y, mo, d, h, mi, s, frac, off] = m as unknown as [string, string, string, string, string, string, string, string | undefined, string]
  const year = Number(y), month = Number(mo), day = Number(d), hour = Number(h), minute = Number(mi), second = Number(s)
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return undefined
  let offsetSeconds = 0
  if (off !== "Z") {
    const sign = off[0] === "-" ? -1 : 1
    const oh = Number(off.slice(1, 3)), om = Number(off.slice(4, 6))
    if (oh > 23 || om > 59) return undefined
    offsetSeconds = sign * (oh * 3600 + om * 60)
  }
  const nanos = frac === undefined ? 0 : Number(frac.length === 9 ? frac : frac.slice(0, 9).padEnd(9, "0"))
  return { seconds: daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds, nanos, offsetSeconds }
}

/**
 * Formats as Go's `time.RFC3339Nano`: fraction trailing zeros trimmed (none
 * when zero), `Z` for a zero offset.
 *
 * @category formatting
 * @since 0.1.0
 */
export const format = (t: Timestamp): string => formatWith(t, true)

/**
 * Formats as Go's `time.RFC3339` (whole seconds), used for `completed_at` in
 * result hashes.
 *
 * @category formatting
 * @since 0.1.0
 */
export const formatSeconds = (t: Timestamp): string => formatWith(t, false)

// Internal

/** `parse` of `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±hh:mm)` digit by digit; `undefined`: the general parser decides. */
const parseFast = (text: string): Timestamp | undefined => {
  const n = text.length
  if (n < 20 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 84 ||
    text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return undefined
  const year = digits(text, 0, 4), month = digits(text, 5, 2), day = digits(text, 8, 2)
  const hour = digits(text, 11, 2), minute = digits(text, 14, 2), second = digits(text, 17, 2)
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || !(hour >= 0 && hour <= 23) ||
    !(minute >= 0 && minute <= 59) || !(second >= 0 && second <= 59)) return undefined
  let i = 19
  let nanos = 0
  if (text.charCodeAt(i) === 46) {
    let scale = 100_000_000
    i++
    const start = i
    for (; i < n; i++) {
      const c = text.charCodeAt(i) - 48
      if (c < 0 || c > 9) break
      if (scale >= 1) nanos += c * scale // digits past nine are dropped
      scale /= 10
    }
    if (i === start) return undefined
  }
  let offsetSeconds = 0
  if (i === n - 1 && text.charCodeAt(i) === 90) return { seconds: daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second, nanos, offsetSeconds }
  if (i !== n - 6 || text.charCodeAt(i + 3) !== 58) return undefined
  const sign = text.charCodeAt(i)
  const oh = digits(text, i + 1, 2), om = digits(text, i + 4, 2)
  if ((sign !== 43 && sign !== 45) || !(oh >= 0 && oh <= 23) || !(om >= 0 && om <= 59)) return undefined
  offsetSeconds = (sign === 45 ? -1 : 1) * (oh * 3600 + om * 60)
  return { seconds: daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds, nanos, offsetSeconds }
}

/** The number of `count` ASCII digits at `at`, or -1. */
const digits = (text: string, at: number, count: number): number => {
  let v = 0
  for (let i = at; i < at + count; i++) {
    const c = text.charCodeAt(i) - 48
    if (c < 0 || c > 9) return -1
    v = v * 10 + c
  }
  return v
}

const two: ReadonlyArray<string> = Array.from({ length: 100 }, (_, i) => (i < 10 ? "0" : "") + i)

const pad = (n: number, width: number) => String(n).padStart(width, "0")

const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0

const daysInMonth = (y: number, m: number): number => (m === 2 ? (isLeap(y) ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31)

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
const daysFromCivil = (year: number, month: number, day: number): number => {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146_097 + doe - 719_468
}

/** The date of a day since 1970-01-01 (the inverse of `daysFromCivil`). */
const civilFromDays = (days: number): readonly [number, number, number] => {
  const z = days + 719_468
  const era = Math.floor(z / 146_097)
  const doe = z - era * 146_097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day]
}

const formatWith = (t: Timestamp, nano: boolean): string => {
  const local = t.seconds + t.offsetSeconds
  const days = Math.floor(local / 86_400)
  const secs = local - days * 86_400
  const time = `${two[Math.floor(secs / 3600)]}:${two[Math.floor((secs % 3600) / 60)]}:${two[secs % 60]}`
  const frac = nano && t.nanos !== 0 ? fraction(t.nanos) : ""
  return `${dateOf(days)}T${time}${frac}${t.offsetSeconds === 0 ? "Z" : formatOffset(t.offsetSeconds)}`
}

/** `YYYY-MM-DD` of a day since the epoch; the last one is kept (timestamps of a run share their day). */
let lastDays = Number.NaN
let lastDate = ""
const dateOf = (days: number): string => {
  if (days === lastDays) return lastDate
  const [year, month, day] = civilFromDays(days)
  lastDate = `${year >= 0 && year < 10_000 ? pad(year, 4) : String(year)}-${two[month]}-${two[day]}`
  lastDays = days
  return lastDate
}

/** `.` and the nanoseconds (1 to 999,999,999) in nine digits, trailing zeros trimmed. */
const fraction = (nanos: number): string => {
  let n = nanos
  let width = 9
  while (n % 10 === 0) {
    n /= 10
    width--
  }
  return "." + pad(n, width)
}

const formatOffset = (offsetSeconds: number): string => {
  if (offsetSeconds === 0) return "Z"
  const sign = offsetSeconds < 0 ? "-" : "+"
  const abs = Math.abs(offsetSeconds)
  return `${sign}${two[Math.floor(abs / 3600)]}:${two[Math.floor((abs % 3600) / 60)]}`
}
