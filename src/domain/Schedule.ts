/**
 * Schedules as data: a cron expression (5 fields, or 6 with seconds) or a
 * fixed interval (`every`), an IANA time zone, the template of the job each
 * slot enqueues (its payload kept byte for byte), an enabled flag, optional
 * start, end and limit of runs, and what to do with slots missed while no
 * scheduler ran (`Misfire`).
 *
 * Slots are whole unix seconds. Cron slots are computed by Effect's `Cron`
 * module in the schedule's time zone, whose rules are the DST rules of a
 * schedule: a wall-clock time that does not exist (spring forward) runs
 * once, moved forward by the gap (02:30 in a 02:00→03:00 gap runs at 03:30
 * summer time); a wall-clock time that happens twice (fall back) runs once,
 * at its first occurrence. An interval's slots are `anchor + k · every`.
 *
 * What the scheduler writes (keys, state hash, jobs) is `ScheduleTransitions`'.
 *
 * @since 0.2.0
 */

import * as Cron from "effect/Cron"
import * as DateTime from "effect/DateTime"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { ValidationError } from "./Errors.ts"
import { JobPriority } from "./JobPriority.ts"
import { RawJson } from "./RawJson.ts"
import * as Submission from "./Submission.ts"

/**
 * What happens to slots missed while no scheduler ran (found due more than
 * one slot at once):
 *
 * - `latest`: the latest missed slot runs, the older ones are skipped;
 * - `each`: each missed slot runs, oldest first, at most `max` of them (the
 *   `max` latest; older ones are skipped);
 * - `once`: one job for all of them, named for the earliest missed slot;
 *   the others are skipped.
 *
 * A single due slot always runs, whatever the policy.
 *
 * @category models
 * @since 0.2.0
 */
export const Misfire = Schema.Union([
  Schema.Struct({
    /** Run the latest missed slot. */
    policy: Schema.Literal("latest")
  }),
  Schema.Struct({
    /** Run each missed slot, the `max` latest. */
    policy: Schema.Literal("each"),
    /** Most missed slots run. */
    max: Schema.Int
  }),
  Schema.Struct({
    /** Run one job, for the earliest missed slot. */
    policy: Schema.Literal("once")
  })
])

/**
 * A misfire policy.
 *
 * @category models
 * @since 0.2.0
 */
export type Misfire = typeof Misfire.Type

/**
 * The job each slot enqueues.
 *
 * @category schemas
 * @since 0.2.0
 */
export const JobTemplate = Schema.Struct({
  /** The job name (which handler runs it). */
  name: Schema.String,
  /** The payload's exact JSON text, written into every job as is. */
  payload: RawJson,
  /** `high`, `normal` or `low` (default `normal`). */
  priority: Schema.optional(JobPriority),
  /** Runs allowed in all (Go's `max_retries`; default 3). */
  maxRetries: Schema.optional(Schema.Int),
  /** Route-Go routing key. */
  routingKey: Schema.optional(Schema.String),
  /** The job's description (default Go's `Scheduled job: {name} (schedule: {id})`). */
  description: Schema.optional(Schema.String)
})

/**
 * A job template.
 *
 * @category models
 * @since 0.2.0
 */
export interface JobTemplate extends Schema.Schema.Type<typeof JobTemplate> {}

/**
 * The schema of a schedule (its JSON form is what `schedule_def:{id}` holds).
 *
 * @category schemas
 * @since 0.2.0
 */
export const Schedule = Schema.Struct({
  /** The schedule id (`[A-Za-z0-9_.-]{1,128}`): its keys and its jobs' ids are built from it. */
  id: Schema.String,
  /** A cron expression (5 fields, or 6 with seconds first); exactly one of `cron` and `every`. */
  cron: Schema.optional(Schema.String),
  /** A fixed interval in whole seconds (at least 1); exactly one of `cron` and `every`. */
  every: Schema.optional(Schema.Int),
  /** The IANA time zone cron fields are read in (default `UTC`). */
  timeZone: Schema.String,
  /** The job each slot enqueues. */
  job: JobTemplate,
  /** False: paused (no slot runs; resuming skips what was missed while paused). */
  enabled: Schema.Boolean,
  /** No slot before this instant (unix seconds); an interval's slots count from it. */
  start: Schema.optional(Schema.Int),
  /** No slot after this instant (unix seconds). */
  end: Schema.optional(Schema.Int),
  /** At most this many runs in all (counted by the state hash's `run_count`). */
  limit: Schema.optional(Schema.Int),
  /** What to do with slots missed while no scheduler ran. */
  misfire: Misfire,
  /** An interval's anchor (unix seconds): its slots are `anchor + k · every`. Set when first stored. */
  anchor: Schema.optional(Schema.Int)
})

/**
 * A schedule.
 *
 * @category models
 * @since 0.2.0
 */
export interface Schedule extends Schema.Schema.Type<typeof Schedule> {}

/**
 * What a caller gives to create or replace a schedule: `timeZone`,
 * `enabled` and `misfire` may be left out (`UTC`, true, `latest`).
 *
 * @category models
 * @since 0.2.0
 */
export interface ScheduleInput extends Omit<Schedule, "timeZone" | "enabled" | "misfire" | "anchor"> {
  /** The IANA time zone (default `UTC`). */
  readonly timeZone?: string | undefined
  /** False: stored paused (default true). */
  readonly enabled?: boolean | undefined
  /** The misfire policy (default `latest`). */
  readonly misfire?: Misfire | undefined
}

/**
 * The schema of a schedule input as it crosses a wire.
 *
 * @category schemas
 * @since 0.2.0
 */
export const ScheduleInput = Schema.Struct({
  ...Schedule.fields,
  timeZone: Schema.optional(Schema.String),
  enabled: Schema.optional(Schema.Boolean),
  misfire: Schema.optional(Misfire),
  anchor: Schema.optional(Schema.Never)
})

/**
 * Validates an input and builds its schedule (`now`: unix seconds, an
 * interval's anchor when it has no start). Every rejection is a
 * `ValidationError` naming the field.
 *
 * @category constructors
 * @since 0.2.0
 */
export const make = (input: ScheduleInput, now: number): Result.Result<Schedule, ValidationError> => {
  const invalid = (field: string, message: string) => Result.fail(new ValidationError({ field, message }))
  if (typeof input.id !== "string" || !idPattern.test(input.id)) {
    return invalid("id", `schedule id must match [A-Za-z0-9_.-]{1,128}, got ${JSON.stringify(input.id)}`)
  }
  const timeZone = input.timeZone ?? "UTC"
  if (typeof timeZone !== "string" || DateTime.zoneMakeNamed(timeZone)._tag === "None") {
    return invalid("timeZone", `unknown IANA time zone ${JSON.stringify(timeZone)} (e.g. "Europe/Berlin", "UTC")`)
  }
  if ((input.cron === undefined) === (input.every === undefined)) {
    return invalid("cron", "give exactly one of cron (an expression) and every (an interval in seconds)")
  }
  if (input.cron !== undefined) {
    const parsed = parseCron(input.cron, timeZone)
    if (Result.isFailure(parsed)) return invalid("cron", parsed.failure)
  }
  if (input.every !== undefined && (!Number.isSafeInteger(input.every) || input.every < 1)) {
    return invalid("every", `every must be a whole number of seconds, at least 1, got ${String(input.every)}`)
  }
  const job = input.job
  if (job === undefined || typeof job !== "object") return invalid("job", "job must be an object: { name, payload, ... }")
  // The template is validated as the submission of its job is: one set of rules.
  const checked = Submission.toJob({ ...job, id: "template" }, { seconds: now, nanos: 0, offsetSeconds: 0 }, "job.")
  if (Result.isFailure(checked)) return Result.fail(checked.failure)
  for (const field of ["start", "end", "limit"] as const) {
    const value = input[field]
    if (value !== undefined && (!Number.isSafeInteger(value) || value < (field === "limit" ? 1 : 0))) {
      return invalid(field, `${field} must be ${field === "limit" ? "a positive integer" : "whole unix seconds"}, got ${String(value)}`)
    }
  }
  if (input.start !== undefined && input.end !== undefined && input.end < input.start) {
    return invalid("end", `end (${input.end}) is before start (${input.start})`)
  }
  const misfire = input.misfire ?? { policy: "latest" as const }
  if (misfire.policy === "each" && (!Number.isSafeInteger(misfire.max) || misfire.max < 1)) {
    return invalid("misfire.max", `misfire.max must be a positive integer, got ${String(misfire.max)}`)
  }
  if (!(["latest", "each", "once"] as ReadonlyArray<unknown>).includes(misfire.policy)) {
    return invalid("misfire.policy", `unknown misfire policy ${JSON.stringify(misfire.policy)} (expected "latest", "each" or "once")`)
  }
  return Result.succeed(compact({
    id: input.id,
    cron: input.cron,
    every: input.every,
    timeZone,
    job: compact({
      name: job.name,
      payload: job.payload,
      priority: job.priority,
      maxRetries: job.maxRetries,
      routingKey: job.routingKey,
      description: job.description
    }),
    enabled: input.enabled ?? true,
    start: input.start,
    end: input.end,
    limit: input.limit,
    misfire,
    anchor: input.every === undefined ? undefined : input.start ?? now
  }))
}

/**
 * The schema of a stored schedule and its state, as reads return it.
 *
 * @category schemas
 * @since 0.2.0
 */
export const View = Schema.Struct({
  /** The definition. */
  schedule: Schedule,
  /** Its next slot (unix seconds); none when paused or ended. */
  nextSlot: Schema.optional(Schema.Number),
  /** Go's state hash `schedules:{id}` as stored (`last_run`, `next_run`, `last_success`, `last_error`, `run_count`). */
  state: Schema.Record(Schema.String, Schema.String)
})

/**
 * A stored schedule and its state.
 *
 * @category models
 * @since 0.2.0
 */
export interface View extends Schema.Schema.Type<typeof View> {}

// --- the stored form ---------------------------------------------------------------

const ScheduleJson = Schema.fromJsonString(Schedule)

/**
 * The schedule as stored: JSON with the fields in schema order (the same
 * schedule always gives the same text, so "unchanged" is a string compare).
 *
 * @category encoding
 * @since 0.2.0
 */
export const encode = (schedule: Schedule): string => Schema.encodeSync(ScheduleJson)(schedule)

/**
 * A stored schedule read back; a `ValidationError` naming `key` when it is
 * not one.
 *
 * @category decoding
 * @since 0.2.0
 */
export const decode = (key: string, text: string): Result.Result<Schedule, ValidationError> =>
  Result.mapError(
    Schema.decodeUnknownResult(ScheduleJson)(text),
    (cause) => new ValidationError({ field: key, message: `${key} does not hold a schedule: ${cause.message}`, cause })
  )

// --- slots ---------------------------------------------------------------------------

/**
 * The first slot strictly after `after` (unix seconds) within the
 * schedule's start and end; none when the schedule has ended.
 *
 * @category slots
 * @since 0.2.0
 */
export const nextSlot = (schedule: Schedule, after: number): number | undefined => {
  const from = schedule.start !== undefined ? Math.max(after, schedule.start - 1) : after
  let slot: number
  if (schedule.every !== undefined) {
    const anchor = schedule.anchor ?? schedule.start ?? 0
    const k = from < anchor ? 0 : Math.floor((from - anchor) / schedule.every) + 1
    slot = anchor + k * schedule.every
  } else {
    slot = Math.floor(Cron.next(cronOf(schedule), new Date(from * 1000)).getTime() / 1000)
  }
  return schedule.end !== undefined && slot > schedule.end ? undefined : slot
}

/**
 * The next `count` slots strictly after `after` (fewer when the schedule ends).
 *
 * @category slots
 * @since 0.2.0
 */
export const nextSlots = (schedule: Schedule, after: number, count: number): ReadonlyArray<number> => {
  const out: Array<number> = []
  let t = after
  while (out.length < count) {
    const slot = nextSlot(schedule, t)
    if (slot === undefined) break
    out.push(slot)
    t = slot
  }
  return out
}

/**
 * What a scheduler does with a schedule whose stored next slot `due` has
 * come (`due <= now`, unix seconds): the slot to fire, how many slots are
 * skipped for it (by the misfire policy; counted up to `maxCounted`), and
 * the slot after it (none: the schedule ended).
 *
 * @category slots
 * @since 0.2.0
 */
export const decide = (schedule: Schedule, due: number, now: number): {
  readonly fire: number
  readonly skipped: number
  readonly next: number | undefined
} => {
  // The missed slots are due, nextSlot(due), ... up to now; at most maxCounted + max are listed.
  const window = schedule.misfire.policy === "each" ? schedule.misfire.max : 1
  const recent: Array<number> = [due]
  let count = 1
  for (let t = nextSlot(schedule, due); t !== undefined && t <= now && count < maxCounted; t = nextSlot(schedule, t)) {
    count++
    recent.push(t)
    if (recent.length > window) recent.shift()
  }
  if (count === maxCounted) {
    // A long outage: the listed slots stop short of now; the latest ones are found backwards from now.
    recent.length = 0
    for (let t: number | undefined = prevSlot(schedule, now + 1); t !== undefined && t > due && recent.length < window; t = prevSlot(schedule, t)) {
      recent.unshift(t)
    }
  }
  const latest = recent[recent.length - 1]!
  if (count === 1) return { fire: due, skipped: 0, next: nextSlot(schedule, due) }
  switch (schedule.misfire.policy) {
    case "latest":
      return { fire: latest, skipped: count - 1, next: nextSlot(schedule, latest) }
    case "once":
      return { fire: due, skipped: count - 1, next: nextSlot(schedule, latest) }
    case "each":
      return count <= window
        ? { fire: due, skipped: 0, next: nextSlot(schedule, due) }
        : { fire: recent[0]!, skipped: count - window, next: nextSlot(schedule, recent[0]!) }
  }
}

/**
 * Most missed slots counted for one decision (a schedule every second
 * stopped for a day has 86,400; the count stops here).
 *
 * @category constants
 * @since 0.2.0
 */
export const maxCounted = 100_000

/**
 * The UTC offset (seconds east) of the schedule's time zone at `at` (unix
 * seconds): the offset its state hash's times are written in.
 *
 * @category slots
 * @since 0.2.0
 */
export const offsetAt = (schedule: Schedule, at: number): number =>
  Math.round(DateTime.zonedOffset(DateTime.makeZonedUnsafe(at * 1000, { timeZone: schedule.timeZone })) / 1000)

// Internal

/** `value` without its undefined properties (absent, not `null`, in every JSON form). */
const compact = <A extends object>(value: A): A =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as A

/** The last slot strictly before `before` (unix seconds), ignoring start and end; none before an interval's anchor. */
const prevSlot = (schedule: Schedule, before: number): number | undefined => {
  if (schedule.every !== undefined) {
    const anchor = schedule.anchor ?? schedule.start ?? 0
    if (before <= anchor) return undefined
    return anchor + Math.floor((before - 1 - anchor) / schedule.every) * schedule.every
  }
  return Math.floor(Cron.prev(cronOf(schedule), new Date(before * 1000)).getTime() / 1000)
}

const idPattern = /^[A-Za-z0-9_.-]{1,128}$/

const parseCron = (expression: string, timeZone: string): Result.Result<Cron.Cron, string> => {
  if (typeof expression !== "string") return Result.fail("cron must be a string")
  const fields = expression.trim().split(/\s+/).length
  if (fields !== 5 && fields !== 6) return Result.fail(`cron expression must have 5 fields (or 6 with seconds first), got ${fields}: ${JSON.stringify(expression)}`)
  return Result.mapError(Cron.parse(expression, timeZone), (e) => `${e.message}: ${JSON.stringify(expression)}`)
}

const cronCache = new Map<string, Cron.Cron>()

/** The parsed cron of a (validated) schedule, cached by expression and zone. */
const cronOf = (schedule: Schedule): Cron.Cron => {
  const key = `${schedule.timeZone} ${schedule.cron}`
  let cron = cronCache.get(key)
  if (cron === undefined) {
    cron = Cron.parseUnsafe(schedule.cron!, schedule.timeZone)
    if (cronCache.size > 1000) cronCache.clear()
    cronCache.set(key, cron)
  }
  return cron
}
