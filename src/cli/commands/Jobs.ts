/**
 * The commands about one job: `get`, `result`, `wait`, `call`, `cancel`.
 * `wait` and `call` exit with the job's outcome: 0 completed, 1 failed,
 * 4 no final result in time.
 *
 * @since 0.2.0
 */

import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Argument from "effect/cli/Argument"
import * as Command from "effect/cli/Command"
import type { JobResult } from "../../domain/JobResult.ts"
import * as RawJson from "../../domain/RawJson.ts"
import * as Tasks from "../../Tasks.ts"
import { withClient } from "../Backend.ts"
import { CliFailure, ExitCode } from "../Failures.ts"
import * as Input from "../Input.ts"
import * as JobFlags from "../JobFlags.ts"
import { emit, settings } from "../Root.ts"
import type { Settings } from "../Settings.ts"
import * as Views from "../Views.ts"

const idArgument = Argument.String("id").pipe(Argument.withDescription("The job id"))

/**
 * `get ID`: the job.
 *
 * @category commands
 * @since 0.2.0
 */
export const get = Command.make("get", { id: idArgument }, ({ id }) =>
  Effect.gen(function*() {
    const options = yield* settings
    const job = yield* withClient(options, Tasks.getJob(id))
    yield* emit(options, () => Views.jobJson(job), (now, paint) => Views.jobText(job, now, paint))
  })).pipe(Command.withDescription("Show a job: status, attempts, times, payload."))

/**
 * `result ID`: the stored result (exit 1 when there is none yet).
 *
 * @category commands
 * @since 0.2.0
 */
export const result = Command.make("result", { id: idArgument }, ({ id }) =>
  Effect.gen(function*() {
    const options = yield* settings
    const stored = yield* withClient(options, Tasks.getResult(id))
    if (Option.isNone(stored)) {
      return yield* new CliFailure({ message: `job ${id} has no result (not finished, expired, or no such job)`, exitCode: ExitCode.failed })
    }
    yield* printResult(options, stored.value)
  })).pipe(Command.withDescription("Show a job's result, if it has one (exit 1 when none)."))

/**
 * `wait ID`: waits for the final result.
 *
 * @category commands
 * @since 0.2.0
 */
export const wait = Command.make("wait", { id: idArgument, timeout: JobFlags.timeoutFlag }, ({ id, timeout }) =>
  Effect.gen(function*() {
    const options = yield* settings
    const within = yield* JobFlags.timeout(timeout)
    const final = yield* withClient(options, Tasks.waitForResult(id, { timeout: within }))
    yield* printResult(options, final)
    if (final.status === "failed") return yield* failedJob(final)
  })).pipe(Command.withDescription("Wait for a job's final result: exit 0 completed, 1 failed, 4 timed out."))

/**
 * `call NAME`: submits and waits; prints the result's JSON.
 *
 * @category commands
 * @since 0.2.0
 */
export const call = Command.make("call", {
  name: Argument.String("name").pipe(Argument.withDescription("The job name")),
  ...JobFlags.payloadFlags,
  ...JobFlags.optionFlags,
  timeout: JobFlags.timeoutFlag
}, (input) =>
  Effect.gen(function*() {
    const options = yield* settings
    const payload = yield* Input.payload(input.data, input.file)
    const submitOptions = yield* JobFlags.submitOptions(input)
    const within = yield* JobFlags.timeout(input.timeout)
    // A final failure is a JobFailedError: exit 1 with its message.
    const outcome = yield* withClient(options, Tasks.submitAndWait(input.name, new RawJson.Raw(payload), { ...submitOptions, timeout: within }))
    yield* emit(options, () => Views.resultJson(outcome), () => outcome.result ?? "null")
  })).pipe(
    Command.withDescription("Submit a job and wait for it (RPC): prints its result JSON; exit 0 completed, 1 failed, 4 timed out."),
    Command.withExamples([{ command: "bananas call greet --data '{\"name\":\"Ada\"}' --timeout 10s" }])
  )

/**
 * `cancel ID`: cancels a queued or scheduled job.
 *
 * @category commands
 * @since 0.2.0
 */
export const cancel = Command.make("cancel", { id: idArgument }, ({ id }) =>
  Effect.gen(function*() {
    const options = yield* settings
    const job = yield* withClient(options, Tasks.cancel(id))
    yield* emit(options, () => Views.jobJson(job), (_, paint) => `${paint("yellow", "cancelled")} ${job.id} (${job.name})`)
  })).pipe(Command.withDescription("Cancel a queued or scheduled job (a running or finished one cannot be: exit 1)."))

// Internal

const printResult = (options: Settings, r: JobResult) =>
  emit(options, () => Views.resultJson(r), (now, paint) => Views.resultText(r, now, paint))

const failedJob = (r: JobResult) =>
  Effect.fail(new CliFailure({ message: `job ${r.jobId} failed: ${r.error ?? "no error message"}`, exitCode: ExitCode.failed }))
