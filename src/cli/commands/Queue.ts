/**
 * The commands about the whole queue: `list` (jobs by filter, a table or
 * one JSON object per line), `stats` (depths per queue; `--watch`
 * refreshes in place) and `queue pause|resume|paused` (pausing a queue:
 * a priority, of the default queue or of a `--route`).
 *
 * @since 0.2.0
 */

import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Argument from "effect/cli/Argument"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import * as TerminalCapabilities from "effect/cli/TerminalCapabilities"
import type { Job } from "../../domain/Job.ts"
import * as JobPage from "../../domain/JobPage.ts"
import * as JobPriority from "../../domain/JobPriority.ts"
import * as JobStatus from "../../domain/JobStatus.ts"
import * as QueueRef from "../../domain/QueueRef.ts"
import * as Timestamp from "../../domain/Timestamp.ts"
import * as Tasks from "../../Tasks.ts"
import { withClient } from "../Backend.ts"
import { usage } from "../Failures.ts"
import * as Input from "../Input.ts"
import * as Output from "../Output.ts"
import { emit, settings } from "../Root.ts"
import type { Settings } from "../Settings.ts"
import * as Views from "../Views.ts"

/**
 * The paging flags (`list`, `dlq list`).
 *
 * @category flags
 * @since 0.2.0
 */
export const pageFlags = {
  limit: Flag.Int("limit").pipe(
    Flag.withAlias("n"),
    Flag.withDescription(`Jobs per page, 1 to ${JobPage.maxLimit}`),
    Flag.withDefault(JobPage.defaultLimit)
  ),
  cursor: Flag.String("cursor").pipe(Flag.withDescription("Continue from this cursor (printed after a page)"), Flag.optional),
  all: Flag.Boolean("all").pipe(Flag.withDescription("Follow the cursors: every page"), Flag.withDefault(false))
}

/**
 * Prints one page of jobs from `fetch` (every page with `all`), as a table
 * or one JSON object per line; says on stderr how to get the next page. A
 * filtered page is already filled by the listing itself (it scans until
 * `limit` jobs matched, the scan ended or its budget ran out:
 * `StoreAdmin.listBudgetMillis`).
 *
 * @category printing
 * @since 0.2.0
 */
export const printPages = <E, R>(
  options: Settings,
  paging: { readonly cursor: Option.Option<string>; readonly all: boolean },
  fetch: (cursor: string | undefined) => Effect.Effect<JobPage.JobPage, E, R>
) =>
  Effect.gen(function*() {
    const jobs: Array<Job> = []
    let cursor = Option.getOrUndefined(paging.cursor)
    do {
      const page = yield* fetch(cursor)
      jobs.push(...page.jobs)
      if (options.json) for (const job of page.jobs) yield* Output.line(Views.jobJson(job))
      cursor = page.cursor
    } while (cursor !== undefined && paging.all)
    if (!options.json) {
      const [now, paint] = yield* Effect.all([Clock.currentTimeMillis, Output.painter])
      const none = cursor === undefined ? "no jobs" : "no match in the part scanned so far"
      yield* Output.line(jobs.length === 0 ? none : Views.jobTable(jobs, now, paint))
    }
    if (cursor !== undefined) {
      yield* Output.note(
        jobs.length === 0
          ? `no match in the part scanned so far: pass --cursor ${cursor} to scan on (or --all)`
          : `more jobs: pass --cursor ${cursor} (or --all)`
      )
    }
  })

/**
 * `list`: jobs by status, priority, name and creation time.
 *
 * @category commands
 * @since 0.2.0
 */
export const list = Command.make("list", {
  status: Flag.Literals("status", JobStatus.JobStatus.literals).pipe(Flag.withDescription("Only jobs with this status"), Flag.optional),
  priority: Flag.Literals("priority", JobPriority.all).pipe(Flag.withDescription("Only jobs with this priority"), Flag.optional),
  name: Flag.String("name").pipe(Flag.withDescription("Only jobs with this name"), Flag.optional),
  from: Flag.String("from").pipe(Flag.withDescription("Only jobs created at or after this time (RFC 3339)"), Flag.optional),
  to: Flag.String("to").pipe(Flag.withDescription("Only jobs created before this time (RFC 3339)"), Flag.optional),
  ...pageFlags
}, (input) =>
  Effect.gen(function*() {
    const options = yield* settings
    const from = yield* instantOf(input.from, "--from")
    const to = yield* instantOf(input.to, "--to")
    const filter: JobPage.ListFilter = {
      status: Option.getOrUndefined(input.status),
      priority: Option.getOrUndefined(input.priority),
      name: Option.getOrUndefined(input.name),
      from,
      to,
      limit: input.limit
    }
    // One connection for every page scanned.
    yield* withClient(options, printPages(options, input, (cursor) => Tasks.list({ ...filter, cursor })))
  })).pipe(Command.withDescription("List jobs (filters combine): a table, or one JSON object per line with --json."))

/**
 * `stats`: queue depths.
 *
 * @category commands
 * @since 0.2.0
 */
export const stats = Command.make("stats", {
  watch: Flag.Boolean("watch").pipe(Flag.withAlias("w"), Flag.withDescription("Refresh until interrupted (Ctrl+C)"), Flag.withDefault(false)),
  interval: Flag.String("interval").pipe(Flag.withDescription("Time between refreshes with --watch"), Flag.withDefault("1s")),
  count: Flag.Int("count").pipe(Flag.withDescription("With --watch: stop after this many refreshes"), Flag.optional)
}, (input) =>
  Effect.gen(function*() {
    const options = yield* settings
    const every = yield* Effect.fromResult(Input.duration(input.interval, "--interval"))
    if (Option.isSome(input.count) && input.count.value < 1) return yield* usage("--count must be at least 1")
    const rounds = input.watch ? Option.getOrElse(input.count, () => Infinity) : 1
    const caps = yield* TerminalCapabilities.TerminalCapabilities
    const inPlace = input.watch && caps.canAnimate && !options.json
    const paint = yield* Output.painter
    let drawn = 0
    for (let round = 0; round < rounds; round++) {
      if (round > 0) yield* Effect.sleep(every)
      const depths = yield* withClient(options, Tasks.stats())
      if (options.json) {
        yield* Output.line(Views.statsJson(depths))
        continue
      }
      const text = Views.statsTable(depths, paint) +
        (input.watch ? `\n${paint("dim", `${Timestamp.format(Timestamp.fromMillis(yield* Clock.currentTimeMillis))} · every ${input.interval}`)}` : "")
      // In place: move up over the previous table and clear to the end.
      yield* Output.line(inPlace && drawn > 0 ? `\x1b[${drawn}A\x1b[J${text}` : text)
      drawn = text.split("\n").length
    }
  })).pipe(Command.withDescription("Show queue depths (queued per priority, processing, scheduled, dead) and the paused queues; --watch refreshes."))

/** Which queue: a priority argument and an optional `--route`. */
const queueInput = {
  priority: Argument.Literals("priority", JobPriority.all).pipe(Argument.withDescription("The priority: high, normal or low")),
  route: Flag.String("route").pipe(Flag.withDescription("The routing key's queue (route:{key}:queue:{p}) instead of the default one"), Flag.optional)
}

const refOf = (input: { readonly priority: JobPriority.JobPriority; readonly route: Option.Option<string> }): QueueRef.QueueRef =>
  Option.isSome(input.route) ? { priority: input.priority, routingKey: input.route.value } : { priority: input.priority }

const pause = Command.make("pause", queueInput, (input) =>
  Effect.gen(function*() {
    const options = yield* settings
    const queue = yield* withClient(options, Tasks.pauseQueue(refOf(input)))
    yield* emit(options, () => JSON.stringify(queue), (_, paint) =>
      `${paint("yellow", "paused")} ${QueueRef.format(queue)}: our workers take nothing from it until 'bananas queue resume' (Go workers do not know pause)`)
  })).pipe(Command.withDescription("Pause a queue: our workers take nothing from it (its jobs stay queued; submissions still land)."))

const resume = Command.make("resume", queueInput, (input) =>
  Effect.gen(function*() {
    const options = yield* settings
    const queue = yield* withClient(options, Tasks.resumeQueue(refOf(input)))
    yield* emit(options, () => JSON.stringify(queue), (_, paint) => `${paint("green", "resumed")} ${QueueRef.format(queue)}`)
  })).pipe(Command.withDescription("Resume a paused queue: workers take its jobs at once."))

const paused = Command.make("paused", {}, () =>
  Effect.gen(function*() {
    const options = yield* settings
    const queues = yield* withClient(options, Tasks.pausedQueues())
    if (options.json) {
      for (const queue of queues) yield* Output.line(JSON.stringify(queue))
      return
    }
    yield* Output.line(queues.length === 0 ? "no paused queues" : queues.map(QueueRef.format).join("\n"))
  })).pipe(Command.withDescription("List the paused queues (one JSON object per line with --json)."))

/**
 * `queue`: pause and resume a queue (`pause PRIORITY [--route KEY]`,
 * `resume ...`), and list the paused ones (`paused`).
 *
 * @category commands
 * @since 0.2.0
 */
export const queue = Command.make("queue").pipe(
  Command.withDescription("Pause and resume a queue: a priority of the default queue, or of a --route."),
  Command.withShortDescription("Queues: pause, resume, paused"),
  Command.withSubcommands([pause, resume, paused])
)

// Internal

const instantOf = (text: Option.Option<string>, flag: string) =>
  Option.isNone(text)
    ? Effect.succeed(undefined)
    : Effect.map(Effect.fromResult(Input.instant(text.value, flag)), (d) => Timestamp.fromMillis(d.getTime()))
