/**
 * `bananas dlq`: the dead-letter list. `list`, `requeue ID`,
 * `requeue --all`, and `purge` (asks first on a terminal; needs `--yes`
 * anywhere else).
 *
 * @since 0.2.0
 */

import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Argument from "effect/cli/Argument"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import * as Prompt from "effect/cli/Prompt"
import * as TerminalCapabilities from "effect/cli/TerminalCapabilities"
import * as JobPage from "../../domain/JobPage.ts"
import * as Tasks from "../../Tasks.ts"
import { withClient } from "../Backend.ts"
import { CliFailure, ExitCode, usage } from "../Failures.ts"
import * as Output from "../Output.ts"
import { emit, settings } from "../Root.ts"
import type { Settings } from "../Settings.ts"
import * as Views from "../Views.ts"
import { pageFlags, printPages } from "./Queue.ts"

const list = Command.make("list", pageFlags, (input) =>
  Effect.gen(function*() {
    const options = yield* settings
    yield* withClient(options, printPages(options, input, (cursor) => Tasks.deadLetters({ cursor, limit: input.limit })))
  })).pipe(Command.withAlias("ls"), Command.withDescription("List dead-lettered jobs, newest first."))

const requeue = Command.make("requeue", {
  id: Argument.String("id").pipe(Argument.withDescription("The job to requeue"), Argument.optional),
  all: Flag.Boolean("all").pipe(Flag.withDescription("Requeue every dead-lettered job"), Flag.withDefault(false))
}, ({ all, id }) =>
  Effect.gen(function*() {
    const options = yield* settings
    if (all === Option.isSome(id)) return yield* usage("pass exactly one of ID or --all")
    if (Option.isSome(id)) {
      const job = yield* withClient(options, Tasks.requeueDead(id.value))
      return yield* emit(options, () => Views.jobJson(job), (_, paint) => `${paint("green", "requeued")} ${job.id} (${job.name}, ${job.priority})`)
    }
    return yield* requeueAll(options)
  })).pipe(Command.withDescription("Put a dead-lettered job (or --all of them) back on its queue, attempts reset."))

const purge = Command.make("purge", {
  yes: Flag.Boolean("yes").pipe(Flag.withAlias("y"), Flag.withDescription("Do not ask for confirmation"), Flag.withDefault(false))
}, ({ yes }) =>
  Effect.gen(function*() {
    const options = yield* settings
    if (!yes) {
      const caps = yield* TerminalCapabilities.TerminalCapabilities
      if (!caps.canPrompt) return yield* usage("dlq purge deletes every dead-lettered job for good: pass --yes to confirm")
      const depths = yield* withClient(options, Tasks.stats())
      const confirmed = yield* Prompt.Confirm({ message: `Delete all ${Output.count(depths.dead, "dead-lettered job")} for good?`, initial: false })
      if (!confirmed) return yield* Output.note("nothing deleted")
    }
    const purged = yield* withClient(options, Tasks.purgeDead())
    yield* emit(options, () => JSON.stringify({ purged }), () => `purged ${Output.count(purged, "dead-lettered job")}`)
  })).pipe(Command.withDescription("Delete every dead-lettered job (asks first; --yes to skip)."))

/**
 * The `dlq` command and its subcommands.
 *
 * @category commands
 * @since 0.2.0
 */
export const dlq = Command.make("dlq").pipe(
  Command.withDescription("The dead-letter list: jobs that failed every run."),
  Command.withShortDescription("Dead letters: list, requeue, purge"),
  Command.withSubcommands([list, requeue, purge])
)

// Internal

/** Collects every id first (requeueing reorders the list), then requeues each; reports the ones that cannot be. */
const requeueAll = (options: Settings) =>
  Effect.gen(function*() {
    const ids: Array<string> = []
    let cursor: string | undefined
    do {
      const page = yield* withClient(options, Tasks.deadLetters({ cursor, limit: JobPage.maxLimit }))
      ids.push(...page.jobs.map((j) => j.id))
      cursor = page.cursor
    } while (cursor !== undefined)
    const failed: Array<{ readonly id: string; readonly error: string }> = []
    let requeued = 0
    for (const id of ids) {
      const outcome = yield* withClient(options, Tasks.requeueDead(id)).pipe(Effect.result)
      if (outcome._tag === "Success") requeued++
      else if (outcome.failure.exitCode === ExitCode.connection) return yield* outcome.failure
      else failed.push({ id, error: outcome.failure.message })
    }
    for (const f of failed) yield* Output.note(`${f.id}: ${f.error}`)
    yield* emit(options, () => JSON.stringify({ requeued, failed }), () => `requeued ${Output.count(requeued, "job")}`)
    if (failed.length > 0) {
      return yield* new CliFailure({ message: `${Output.count(failed.length, "dead-lettered job")} could not be requeued (see above)`, exitCode: ExitCode.failed })
    }
  })
