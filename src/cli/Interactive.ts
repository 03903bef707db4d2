/**
 * `bananas submit --interactive`: asks for the job's name, priority,
 * payload (valid JSON, asked again until it is) and schedule, shows what
 * it will submit and asks for confirmation. Only in a real terminal:
 * without one it refuses with a usage error.
 *
 * @since 0.2.0
 */

import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as Prompt from "effect/cli/Prompt"
import * as TerminalCapabilities from "effect/cli/TerminalCapabilities"
import type { JobPriority } from "../domain/JobPriority.ts"
import type * as RawJson from "../domain/RawJson.ts"
import type * as Tasks from "../Tasks.ts"
import { usage } from "./Failures.ts"
import * as Input from "./Input.ts"

/**
 * What the user answered.
 *
 * @category models
 * @since 0.2.0
 */
export interface Answers {
  readonly name: string
  readonly payload: RawJson.RawJson
  readonly options: Tasks.SubmitOptions
}

/**
 * Asks the questions; `undefined` when the user declines at the end.
 *
 * @category prompts
 * @since 0.2.0
 */
export const ask = (name: string | undefined) =>
  Effect.gen(function*() {
    const caps = yield* TerminalCapabilities.TerminalCapabilities
    if (!caps.canPrompt) {
      return yield* usage("submit --interactive needs a terminal (stdin and stdout); in scripts pass NAME with --data or --file")
    }
    const jobName = yield* Prompt.String({
      message: "Job name",
      ...(name === undefined ? {} : { default: name }),
      validate: (s) => s.trim() === "" ? Effect.fail("a job needs a name") : Effect.succeed(s.trim())
    })
    const priority = yield* Prompt.Select<JobPriority>({
      message: "Priority",
      choices: [
        { title: "normal", value: "normal" },
        { title: "high", value: "high" },
        { title: "low", value: "low" }
      ]
    })
    const payload = yield* Prompt.String({
      message: "Payload (JSON)",
      default: Input.defaultPayload,
      validate: (s) => {
        const json = Input.json(s, "the payload")
        return Result.isSuccess(json) ? Effect.succeed(json.success) : Effect.fail(json.failure.message)
      }
    })
    const when = yield* Prompt.String({
      message: "When (now, a delay like 30s, or a time like 2026-12-01T10:00:00Z)",
      default: "now",
      validate: (s) => Result.isSuccess(schedule(s)) ? Effect.succeed(s.trim()) : Effect.fail("not now, a delay (30s, 5m) or a time with a zone")
    })
    const at = Result.getOrUndefined(schedule(when))
    const confirmed = yield* Prompt.Confirm({
      message: `Submit ${jobName} (${priority}, ${when === "now" ? "now" : when}) with payload ${payload}?`,
      initial: true
    })
    if (!confirmed) return undefined
    return { name: jobName, payload: payload as RawJson.RawJson, options: { priority, at } } satisfies Answers
  })

// Internal

const schedule = (text: string): Result.Result<Tasks.SubmitOptions["at"], unknown> => {
  const s = text.trim()
  if (s === "" || s === "now") return Result.succeed(undefined)
  const delay = Input.duration(s, "when")
  return Result.isSuccess(delay) ? delay : Input.instant(s, "when")
}
