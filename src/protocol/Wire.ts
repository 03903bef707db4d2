/**
 * The wire constants of the Bananas protocol, each defined once: TTLs, the
 * error texts Go records, Go's dead-letter records, and how scores and TTLs
 * are written (when a failed job runs again is `Retry`'s). The Redis and
 * memory backends both read them from the `Protocol` built here, so a constant
 * changed (or overridden through `Options`) changes both at once.
 *
 * @since 0.2.0
 */

import * as Duration from "effect/Duration"
import * as Result from "effect/Result"
import * as Events from "./Events.ts"
import * as Keys from "./Keys.ts"
import * as DurationInput from "../domain/DurationInput.ts"
import type { ValidationError } from "../domain/Errors.ts"
import { quote } from "../domain/RawJson.ts"
import * as Timestamp from "../domain/Timestamp.ts"

/**
 * TTLs of the protocol, in whole seconds (what `EXPIRE` / `SET ... EX`
 * receive).
 *
 * @category models
 * @since 0.2.0
 */
export interface Ttls {
  /** A completed job's data (Go: `EX 86400`). */
  readonly completedJob: number
  /** A dead-lettered, cancelled or corrupted job's data (Go: `EX 604800`). */
  readonly deadJob: number
  /** A completed job's result hash (Go's default: 1 hour). */
  readonly resultSuccess: number
  /** A failed job's result hash (Go's default: 24 hours). */
  readonly resultFailure: number
}

/**
 * What a backend is configured with: the key layout and the TTLs.
 *
 * @category models
 * @since 0.2.0
 */
export interface Protocol {
  /** The key layout. */
  readonly keys: Keys.Keys
  /** The TTLs, in whole seconds. */
  readonly ttl: Ttls
  /** The job-event outbox, when on (see `Events`); absent: no event is written (Go's bytes). */
  readonly events?: Events.Config | undefined
}

/**
 * Options of a backend's protocol (the same for Redis and memory). Every
 * duration is written to Redis as whole seconds, rounded up, at least 1.
 *
 * @category models
 * @since 0.2.0
 */
export interface Options {
  /** Key prefix (default `bananas:`, Go's). On Redis Cluster use a hash tag, e.g. `{bananas}:`. */
  readonly prefix?: string | undefined
  /** TTL of a completed job's result hash (default 1 hour, Go's). */
  readonly successTtl?: Duration.Input | undefined
  /** TTL of a failed job's result hash (default 24 hours, Go's). */
  readonly failureTtl?: Duration.Input | undefined
  /** TTL of a completed job's data (default 24 hours, Go's). */
  readonly completedJobTtl?: Duration.Input | undefined
  /** TTL of a dead-lettered, cancelled or corrupted job's data (default 7 days, Go's). */
  readonly deadJobTtl?: Duration.Input | undefined
  /**
   * Write a job event (for webhooks) in the same atomic step as every
   * outcome: `true` for the defaults, or the outbox's options (see
   * `Events`). Default off: nothing beyond Go's writes. Turn it on in every
   * backend that finishes jobs (workers) or cancels them (the gateway).
   */
  readonly events?: boolean | Events.Options | undefined
}

/**
 * Go's TTLs.
 *
 * @category constants
 * @since 0.2.0
 */
export const defaultTtls: Ttls = {
  completedJob: 86_400,
  deadJob: 604_800,
  resultSuccess: 3_600,
  resultFailure: 86_400
}

/**
 * Builds the protocol of a backend from its options.
 *
 * @category constructors
 * @since 0.2.0
 */
export const make = (options: Options = {}): Protocol => {
  const keys = Keys.make(options.prefix ?? Keys.defaultPrefix)
  return {
    keys,
    ttl: {
      completedJob: ttlOr(options.completedJobTtl, defaultTtls.completedJob),
      deadJob: ttlOr(options.deadJobTtl, defaultTtls.deadJob),
      resultSuccess: ttlOr(options.successTtl, defaultTtls.resultSuccess),
      resultFailure: ttlOr(options.failureTtl, defaultTtls.resultFailure)
    },
    events: Events.resolve(options.events, keys)
  }
}

/**
 * Builds the protocol of a backend from options a caller gave, or names the
 * duration option it cannot take (one that does not parse, `NaN`, zero or
 * negative): every backend checks its options so, before anything connects
 * or writes.
 *
 * @category constructors
 * @since 0.2.0
 */
export const decode = (options: Options = {}): Result.Result<Protocol, ValidationError> => {
  const optional = (field: string, input: Duration.Input | undefined) =>
    input === undefined ? Result.succeed(undefined) : DurationInput.decode(field, input, "positiveOrInfinite")
  const events = options.events
  return Result.map(
    Result.all({
      successTtl: optional("successTtl", options.successTtl),
      failureTtl: optional("failureTtl", options.failureTtl),
      completedJobTtl: optional("completedJobTtl", options.completedJobTtl),
      deadJobTtl: optional("deadJobTtl", options.deadJobTtl),
      maxAge: optional("events.maxAge", typeof events === "object" ? events.maxAge : undefined)
    }),
    ({ maxAge, ...ttls }) => make({ ...options, ...ttls, events: typeof events === "object" ? { ...events, maxAge } : events })
  )
}

/**
 * A TTL in whole seconds for `EXPIRE`: rounded up, never below 1 (an
 * `EXPIRE 0` would delete the key at once), and an infinite one capped at
 * 2^31-1 s (Redis rejects `EXPIRE Infinity`).
 *
 * @category conversions
 * @since 0.2.0
 */
export const wholeSeconds = (d: Duration.Input): number =>
  Math.min(maxTtlSeconds, Math.max(1, Math.ceil(Duration.toMillis(Duration.fromInputUnsafe(d)) / 1000)))

// --- scores ----------------------------------------------------------------------

/**
 * The `queue:scheduled` score of a job due at `t`: unix **seconds**
 * (fraction kept), never milliseconds.
 *
 * @category conversions
 * @since 0.2.0
 */
export const scheduleScore = (t: Timestamp.Timestamp): number => Timestamp.toUnixSeconds(t)

// --- error texts -----------------------------------------------------------------

/**
 * The error texts recorded on jobs and results. Go's wording where Go has
 * one, so dashboards matching Go's text keep working.
 *
 * @category constants
 * @since 0.2.0
 */
export const errorText = {
  /** A queued id without data (Go). */
  missingData: "Job data not found (corrupted reference)",
  /** Job data that does not decode (Go), followed by Go's unmarshal error. */
  unmarshal: (goError: string): string => `Failed to unmarshal job: ${goError}`,
  /** A job past its timeout (Go's context deadline). */
  timeout: "context cancelled: context deadline exceeded",
  /** No handler for the job's name (Go). */
  noHandler: (name: string): string => `no handler registered for job: ${name}`,
  /** A handler defect (Go's recovered panic), followed by its message. */
  panic: (message: string): string => `PANIC: ${message}`,
  /** A job whose worker died (its lease expired). Ours. */
  leaseExpired: "lease expired: worker lost",
  /** A cancelled job. Ours. */
  cancelled: "cancelled"
} as const

// --- Go's dead-letter records --------------------------------------------------------

/**
 * The record Go writes at `job:{id}` when a queued id has no data.
 *
 * @category records
 * @since 0.2.0
 */
export const missingDataRecord = (id: string): string => `{"error":${quote(errorText.missingData)},"id":${quote(id)}}`

/**
 * The record Go writes at `job:{id}` when the job JSON cannot be decoded:
 * keys sorted, the data cut to 500 bytes with `...` appended when cut.
 *
 * @category records
 * @since 0.2.0
 */
export const corruptedDataRecord = (id: string, data: string, goError: string): string =>
  `{"corrupted_data":${quoteCut(data)},"error":${quote(errorText.unmarshal(goError))},"id":${quote(id)}}`

/**
 * True for the records Go writes at `job:{id}` when it dead-letters missing
 * or undecodable data: they are not jobs, and are never listed or requeued
 * as such.
 *
 * @category records
 * @since 0.2.0
 */
export const isDeadLetterRecord = (data: string): boolean =>
  data.startsWith(missingDataPrefix) || data.startsWith(`{"corrupted_data":`)

/**
 * The error text a dead-letter record carries (what Go recorded), or
 * undefined when `data` is not such a record.
 *
 * @category records
 * @since 0.2.0
 */
export const deadLetterRecordError = (data: string): string | undefined => {
  if (!isDeadLetterRecord(data)) return undefined
  try {
    const parsed = JSON.parse(data) as { readonly error?: unknown }
    return typeof parsed.error === "string" ? parsed.error : undefined
  } catch {
    return undefined
  }
}

// Internal

const maxTtlSeconds = 2 ** 31 - 1

const ttlOr = (d: Duration.Input | undefined, fallback: number): number => (d === undefined ? fallback : wholeSeconds(d))

const missingDataPrefix = `{"error":${quote(errorText.missingData)},"id":`

// Go cuts the bytes at 500 and appends "..."; a character split by the cut
// leaves invalid UTF-8, which Go's encoder writes as one \ufffd per byte.
const quoteCut = (data: string): string => {
  const bytes = Buffer.from(data, "utf8")
  if (bytes.length <= 500) return quote(data)
  let start = 500
  while (start > 0 && (bytes[start]! & 0xc0) === 0x80) start--
  const whole = quote(bytes.subarray(0, start).toString("utf8"))
  return whole.slice(0, -1) + "\\ufffd".repeat(500 - start) + "...\""
}
