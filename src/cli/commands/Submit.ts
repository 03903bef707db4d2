/**
 * `bananas submit`: one job (`NAME` with flags), a batch file
 * (`--batch FILE`, NDJSON), or a job described interactively
 * (`--interactive`, in a terminal only).
 *
 * @since 0.2.0
 */

import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Argument from "effect/cli/Argument"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import * as RawJson from "../../domain/RawJson.ts"
import type { Submitted } from "../../domain/Submission.ts"
import * as Timestamp from "../../domain/Timestamp.ts"
import * as Tasks from "../../Tasks.ts"
import { withClient } from "../Backend.ts"
import * as Batch from "../Batch.ts"
import { usage } from "../Failures.ts"
import * as Input from "../Input.ts"
import * as Interactive from "../Interactive.ts"
import * as JobFlags from "../JobFlags.ts"
import * as Output from "../Output.ts"
import { emit, settings } from "../Root.ts"
import type { Settings } from "../Settings.ts"

/**
 * The `submit` command.
 *
 * @category commands
 * @since 0.2.0
 */
export const submit = Command.make("submit", {
  name: Argument.String("name").pipe(Argument.withDescription("The job name (which handler runs it)"), Argument.optional),
  ...JobFlags.payloadFlags,
  ...JobFlags.optionFlags,
  batch: Flag.String("batch").pipe(
    Flag.withDescription("Submit every line of this NDJSON file (- for stdin) instead of one job"),
    Flag.withMetavar("file"),
    Flag.optional
  ),
  interactive: Flag.Boolean("interactive").pipe(
    Flag.withAlias("i"),
    Flag.withDescription("Ask for the name, priority, payload and schedule (terminal only)"),
    Flag.withDefault(false)
  )
}, (input) =>
  Effect.gen(function*() {
    const options = yield* settings
    const modes = [Option.isSome(input.name), Option.isSome(input.batch), input.interactive].filter(Boolean).length
    if (modes !== 1) return yield* usage("pass exactly one of NAME, --batch FILE or --interactive (see bananas submit --help)")
    if (Option.isSome(input.batch)) {
      if (JobFlags.anyOption(input) || Option.isSome(input.data) || Option.isSome(input.file)) {
        return yield* usage("--batch takes every field from its lines: drop the payload and job flags")
      }
      return yield* Batch.run(options, input.batch.value)
    }
    if (input.interactive) {
      const answers = yield* Interactive.ask(Option.getOrUndefined(input.name))
      if (answers === undefined) return yield* Output.note("nothing submitted")
      return yield* one(options, answers.name, answers.payload, answers.options)
    }
    const name = Option.getOrElse(input.name, () => "")
    const payload = yield* Input.payload(input.data, input.file)
    return yield* one(options, name, payload, yield* JobFlags.submitOptions(input))
  })).pipe(
    Command.withDescription("Submit a job: NAME with a payload, every line of an NDJSON file (--batch), or interactively (-i)."),
    Command.withShortDescription("Submit a job, a batch file, or interactively"),
    Command.withExamples([
      { command: "bananas submit send_email --data '{\"to\":\"a@b.c\"}' --priority high", description: "queue a job now" },
      { command: "bananas submit report --in 10m", description: "run it in ten minutes" },
      { command: "bananas submit --batch jobs.ndjson", description: "one job per line" }
    ])
  )

/**
 * Submits one job and prints its receipt.
 *
 * @category submitting
 * @since 0.2.0
 */
export const one = (options: Settings, name: string, payload: RawJson.RawJson, submitOptions: Tasks.SubmitOptions) =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const submitted = yield* withClient(options, Tasks.submit(name, new RawJson.Raw(payload), submitOptions))
    yield* emit(options, () => JSON.stringify(submitted), (at, paint) => receipt(submitted, dueMillis(submitOptions.at, now), at, paint))
  })

// Internal

const dueMillis = (at: Tasks.SubmitOptions["at"], now: number): number | undefined =>
  at === undefined
    ? undefined
    : at instanceof Date
    ? at.getTime()
    : Duration.isDuration(at)
    ? now + Duration.toMillis(at)
    : undefined

const receipt = (submitted: Submitted, due: number | undefined, now: number, paint: Output.Paint): string =>
  submitted.duplicate
    ? `${paint("yellow", "exists")} ${submitted.id}: a job with this id exists already, nothing was written`
    : due === undefined
    ? `${paint("green", "submitted")} ${submitted.id}`
    : `${paint("green", "scheduled")} ${submitted.id} for ${Timestamp.format(Timestamp.fromMillis(due))} (${Output.relative(due, now)})`
