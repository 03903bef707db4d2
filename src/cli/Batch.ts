/**
 * `bananas submit --batch FILE`: every line of an NDJSON file is a job.
 * Each line is checked by the same rules as a single submission; invalid
 * lines are reported with their numbers and nothing is written for them,
 * the valid ones are submitted in chunks (a progress bar on a terminal).
 *
 * @since 0.2.0
 */

import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as TerminalCapabilities from "effect/cli/TerminalCapabilities"
import * as JobPriority from "../domain/JobPriority.ts"
import * as RawJson from "../domain/RawJson.ts"
import * as Submission from "../domain/Submission.ts"
import * as Timestamp from "../domain/Timestamp.ts"
import * as Policies from "../layers/Policies.ts"
import { TaskApi } from "../services/TaskApi.ts"
import * as Tasks from "../Tasks.ts"
import { withClient } from "./Backend.ts"
import { CliFailure, ExitCode, usage } from "./Failures.ts"
import * as Input from "./Input.ts"
import * as Output from "./Output.ts"
import type { Settings } from "./Settings.ts"

/**
 * Jobs sent per `submitBatch` call.
 *
 * @category constants
 * @since 0.2.0
 */
export const chunkSize = 1000

/**
 * A line that was not submitted, and why.
 *
 * @category models
 * @since 0.2.0
 */
export interface InvalidLine {
  /** Its line number, from 1. */
  readonly line: number
  /** What is wrong with it. */
  readonly error: string
}

/**
 * Checks every line: the submit requests of the valid ones (ids and
 * creation time fixed), and the invalid ones.
 *
 * @category parsing
 * @since 0.2.0
 */
export const parse = (
  text: string,
  now: Timestamp.Timestamp
): { readonly requests: ReadonlyArray<Submission.SubmitRequest>; readonly invalid: ReadonlyArray<InvalidLine> } => {
  const requests: Array<Submission.SubmitRequest> = []
  const invalid: Array<InvalidLine> = []
  text.split("\n").forEach((raw, i) => {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw
    if (line.trim() === "") return
    const checked = check(line, now)
    if (Result.isFailure(checked)) invalid.push({ line: i + 1, error: checked.failure })
    else requests.push(checked.success)
  })
  return { requests, invalid }
}

/**
 * Runs the batch command on a file (`-` for stdin).
 *
 * @category commands
 * @since 0.2.0
 */
export const run = (options: Settings, path: string) =>
  Effect.gen(function*() {
    const text = yield* Input.readFile(path)
    const { invalid, requests } = parse(text, Timestamp.fromMillis(yield* Clock.currentTimeMillis))
    if (requests.length === 0 && invalid.length === 0) return yield* usage(`${path} has no jobs (one JSON object per line)`)
    const caps = yield* TerminalCapabilities.TerminalCapabilities
    const progress = caps.canAnimate && !options.json
    const submitted = yield* submitAll(options, requests, progress)
    const duplicates = submitted.filter((s) => s.duplicate).length
    for (const { error, line } of invalid) yield* Output.note(`line ${line}: ${error}`)
    const created = submitted.length - duplicates
    yield* options.json
      ? Output.line(JSON.stringify({ submitted: created, duplicates, invalid, ids: submitted.map((s) => s.id) }))
      : Output.line(`submitted ${Output.count(created, "job")}` + (duplicates > 0 ? ` (${Output.count(duplicates, "id")} existed already: nothing written for them)` : ""))
    if (invalid.length > 0) {
      return yield* new CliFailure({
        message: `${invalid.length} invalid line${invalid.length === 1 ? "" : "s"} skipped (nothing written for them); the other ${submitted.length} were submitted`,
        exitCode: ExitCode.usage
      })
    }
  })

// Internal

const check = (line: string, now: Timestamp.Timestamp): Result.Result<Submission.SubmitRequest, string> => {
  const entry = Input.batchLine(line)
  if (Result.isFailure(entry)) return Result.fail(entry.failure)
  const e = entry.success
  const priority = e.priority === undefined || JobPriority.isJobPriority(e.priority) ? e.priority : undefined
  if (e.priority !== undefined && priority === undefined) {
    return Result.fail(`invalid priority: ${JSON.stringify(e.priority)} (expected "high", "normal" or "low")`)
  }
  const request = Tasks.request(e.name, new RawJson.Raw(e.payload), {
    priority,
    description: e.description,
    maxRetries: e.maxRetries,
    routingKey: e.routingKey,
    id: e.id,
    at: e.scheduledFor
  }, now)
  if (Result.isFailure(request)) return Result.fail(messageOf(request.failure))
  const job = Submission.toJob(request.success, now)
  return Result.isFailure(job) ? Result.fail(messageOf(job.failure)) : Result.succeed(request.success)
}

const messageOf = (error: { readonly message: string; readonly field?: string }): string =>
  error.field !== undefined && error.field !== "" ? `invalid ${error.field}: ${error.message}` : error.message

const submitAll = (options: Settings, requests: ReadonlyArray<Submission.SubmitRequest>, progress: boolean) =>
  Effect.gen(function*() {
    const submitted: Array<Submission.Submitted> = []
    for (let start = 0; start < requests.length; start += chunkSize) {
      const chunk = requests.slice(start, start + chunkSize)
      const out = yield* withClient(options, Effect.flatMap(Effect.service(TaskApi), (a) => Policies.apply("submitBatch", a.submitBatch(chunk)))).pipe(
        Effect.tapError(() => submitted.length > 0 ? Output.note(`${Output.count(submitted.length, "job")} submitted before this failure`) : Effect.void)
      )
      submitted.push(...out)
      if (progress) yield* Output.progress(submitted.length, requests.length)
    }
    if (progress) yield* Output.progressDone
    return submitted
  })
