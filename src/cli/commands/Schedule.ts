/**
 * `bananas schedule`: cron and interval schedules stored with the queue.
 * `add ID (--cron EXPR | --every SECONDS) --name JOB [--data JSON]
 * [--tz ZONE] [--priority P] [--limit N] [--misfire latest|once|each:N]`,
 * `list`, `rm ID`, `pause ID`, `resume ID`, `run ID` (a job now), `next ID
 * [--count N]`. They run on Redis (`--redis-url`, `--prefix`), or through
 * the gateway with `--api-url` as the other client commands; a process
 * running the cron scheduler (`CronScheduler`) fires them: `bananas worker`
 * (unless `--no-cron`) and `bananas scheduler`.
 *
 * @since 0.2.0
 */

import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { Argument, Command, Flag } from "effect/cli"
import * as RawJson from "../../domain/RawJson.ts"
import type { Misfire, View } from "../../domain/Schedule.ts"
import { Schedules } from "../../services/Schedules.ts"
import { withClient } from "../Backend.ts"
import { CliFailure, ExitCode, usage } from "../Failures.ts"
import { emit, settings } from "../Root.ts"
import type { Settings } from "../Settings.ts"

/** Runs `f` on the client backend's schedules (Redis, or the gateway: both provide them). */
const onSchedules = <A, E>(options: Settings, f: (s: Schedules["Service"]) => Effect.Effect<A, E>) =>
  withClient(options, Effect.flatMap(Effect.serviceOption(Schedules), (found): Effect.Effect<A, E | CliFailure> =>
    Option.isSome(found)
      ? f(found.value)
      : Effect.fail(new CliFailure({ message: "this backend does not provide schedules", exitCode: ExitCode.failed }))))

const id = Argument.String("id").pipe(Argument.withDescription("The schedule id ([A-Za-z0-9_.-], up to 128)"))

const iso = (slot: number) => new Date(slot * 1000).toISOString()

const describe = (v: View) =>
  `${v.schedule.id}  ${v.schedule.cron !== undefined ? `cron "${v.schedule.cron}" ${v.schedule.timeZone}` : `every ${v.schedule.every}s`}  ` +
  `${v.schedule.job.name}  ${v.schedule.enabled ? (v.nextSlot === undefined ? "ended" : `next ${iso(v.nextSlot)}`) : "paused"}  ` +
  `runs ${v.state.run_count ?? 0}`

const misfireOf = (text: string): Misfire | undefined => {
  if (text === "latest" || text === "once") return { policy: text }
  const each = /^each:(\d{1,9})$/.exec(text)
  return each === null ? undefined : { policy: "each", max: Number(each[1]) }
}

const add = Command.make("add", {
  id,
  cron: Flag.String("cron").pipe(Flag.withDescription("Cron expression: 5 fields, or 6 with seconds first"), Flag.optional),
  every: Flag.Int("every").pipe(Flag.withDescription("Fixed interval in seconds"), Flag.optional),
  name: Flag.String("name").pipe(Flag.withDescription("The job name each slot enqueues")),
  data: Flag.String("data").pipe(Flag.withDescription("The payload JSON (kept byte for byte)"), Flag.withDefault("null")),
  tz: Flag.String("tz").pipe(Flag.withDescription("IANA time zone of the cron fields"), Flag.withDefault("UTC")),
  priority: Flag.Literals("priority", ["high", "normal", "low"] as const).pipe(Flag.withDefault("normal" as const)),
  limit: Flag.Int("limit").pipe(Flag.withDescription("At most this many runs in all"), Flag.optional),
  misfire: Flag.String("misfire").pipe(Flag.withDescription("Missed slots: latest, once or each:N"), Flag.withDefault("latest")),
  paused: Flag.Boolean("paused").pipe(Flag.withDescription("Store it paused"), Flag.withDefault(false))
}, (input) =>
  Effect.gen(function*() {
    const options = yield* settings
    const misfire = misfireOf(input.misfire)
    if (misfire === undefined) return yield* usage(`--misfire must be latest, once or each:N, got ${JSON.stringify(input.misfire)}`)
    if (!RawJson.isValid(input.data)) return yield* usage("--data must be valid JSON text")
    const view = yield* onSchedules(options, (s) =>
      s.upsert({
        id: input.id,
        cron: Option.getOrUndefined(input.cron),
        every: Option.getOrUndefined(input.every),
        timeZone: input.tz,
        job: { name: input.name, payload: input.data as RawJson.RawJson, priority: input.priority },
        limit: Option.getOrUndefined(input.limit),
        misfire,
        enabled: !input.paused
      }))
    yield* emit(options, () => JSON.stringify(view), () => `stored ${describe(view)}`)
  })).pipe(Command.withDescription("Create or replace a schedule (its next slot counts from now)."))

const list = Command.make("list", {}, () =>
  Effect.gen(function*() {
    const options = yield* settings
    const views = yield* onSchedules(options, (s) => s.list)
    if (options.json) {
      for (const v of views) yield* emit(options, () => JSON.stringify(v), () => "")
      return
    }
    yield* emit(options, () => "", () => views.length === 0 ? "no schedules" : views.map(describe).join("\n"))
  })).pipe(Command.withAlias("ls"), Command.withDescription("List the schedules, their next slot and run count."))

const rm = Command.make("rm", { id }, ({ id }) =>
  Effect.gen(function*() {
    const options = yield* settings
    yield* onSchedules(options, (s) => s.remove(id))
    yield* emit(options, () => JSON.stringify({ removed: id }), () => `removed ${id}`)
  })).pipe(Command.withDescription("Remove a schedule and its state (its jobs stay)."))

/** `pause ID` / `resume ID`: the schedule's view after the change. */
const toggle = (verb: "pause" | "resume", done: string, description: string) =>
  Command.make(verb, { id }, ({ id }) =>
    Effect.gen(function*() {
      const options = yield* settings
      const view = yield* onSchedules(options, (s) => s[verb](id))
      yield* emit(options, () => JSON.stringify(view), () => `${done} ${describe(view)}`)
    })).pipe(Command.withDescription(description))

const pause = toggle("pause", "paused", "Pause a schedule: no slot runs until it is resumed.")
const resume = toggle("resume", "resumed", "Resume a schedule from its next slot after now (missed slots are skipped).")

const run = Command.make("run", { id }, ({ id }) =>
  Effect.gen(function*() {
    const options = yield* settings
    const job = yield* onSchedules(options, (s) => s.runNow(id))
    yield* emit(options, () => JSON.stringify({ id: job.id, name: job.name }), () => `enqueued ${job.id} (${job.name})`)
  })).pipe(Command.withDescription("Enqueue the schedule's job now (its slots are unchanged)."))

const next = Command.make("next", {
  id,
  count: Flag.Int("count").pipe(Flag.withDescription("How many slots (1 to 1000)"), Flag.withDefault(5))
}, ({ count, id }) =>
  Effect.gen(function*() {
    const options = yield* settings
    const slots = yield* onSchedules(options, (s) => s.preview(id, count))
    yield* emit(options, () => JSON.stringify({ slots }), () => slots.map(iso).join("\n"))
  })).pipe(Command.withDescription("Preview the next slots of a schedule."))

/**
 * The `schedule` command and its subcommands.
 *
 * @category commands
 * @since 0.2.0
 */
export const schedule = Command.make("schedule").pipe(
  Command.withSubcommands([add, list, rm, pause, resume, run, next]),
  Command.withDescription("Cron and interval schedules: add, list, rm, pause, resume, run, next.")
)
