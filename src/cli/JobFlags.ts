/**
 * The flags that describe a job to submit (`submit`, `call`): where its
 * payload comes from and its options, turned into the `Tasks` submit
 * options with every bad value reported as a usage error.
 *
 * @since 0.2.0
 */

import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Flag from "effect/cli/Flag"
import * as JobPriority from "../domain/JobPriority.ts"
import type * as Tasks from "../Tasks.ts"
import { type CliFailure, usage } from "./Failures.ts"
import * as Input from "./Input.ts"

/**
 * Where the payload comes from.
 *
 * @category flags
 * @since 0.2.0
 */
export const payloadFlags = {
  data: Flag.String("data").pipe(Flag.withAlias("d"), Flag.withDescription("The payload as JSON text (kept byte for byte)"), Flag.optional),
  file: Flag.String("file").pipe(
    Flag.withAlias("f"),
    Flag.withDescription("Read the payload from this file (- for stdin); default: stdin when piped, else {}"),
    Flag.optional
  )
}

/**
 * The options of the job.
 *
 * @category flags
 * @since 0.2.0
 */
export const optionFlags = {
  priority: Flag.Literals("priority", JobPriority.all).pipe(
    Flag.withAlias("p"),
    Flag.withDescription("Queue priority (default normal)"),
    Flag.optional
  ),
  at: Flag.String("at").pipe(Flag.withDescription("Run at this time (RFC 3339, e.g. 2026-12-01T10:00:00Z)"), Flag.optional),
  in: Flag.String("in").pipe(Flag.withDescription("Run after this delay (e.g. 30s, 5m, 2h)"), Flag.optional),
  maxRetries: Flag.Int("max-retries").pipe(Flag.withDescription("Runs allowed in all (default 3; 1 = no retry)"), Flag.optional),
  description: Flag.String("description").pipe(Flag.withDescription("A free-text description"), Flag.optional),
  route: Flag.String("route").pipe(Flag.withDescription("Routing key: only workers on this route take it"), Flag.optional),
  id: Flag.String("id").pipe(Flag.withDescription("Use this job id (an id that exists creates nothing)"), Flag.optional),
  unique: Flag.Boolean("unique").pipe(Flag.withDescription("With --id: fail (exit 1) when the id exists"), Flag.withDefault(false))
}

/**
 * The parsed option flags.
 *
 * @category models
 * @since 0.2.0
 */
export interface OptionValues {
  readonly priority: Option.Option<JobPriority.JobPriority>
  readonly at: Option.Option<string>
  readonly in: Option.Option<string>
  readonly maxRetries: Option.Option<number>
  readonly description: Option.Option<string>
  readonly route: Option.Option<string>
  readonly id: Option.Option<string>
  readonly unique: boolean
}

/**
 * Whether any option flag was given (a batch file sets them per line).
 *
 * @category predicates
 * @since 0.2.0
 */
export const anyOption = (values: OptionValues): boolean =>
  values.unique || [values.priority, values.at, values.in, values.maxRetries, values.description, values.route, values.id].some((o: Option.Option<unknown>) => Option.isSome(o))

/**
 * The submit options of the flags.
 *
 * @category constructors
 * @since 0.2.0
 */
export const submitOptions = (values: OptionValues): Effect.Effect<Tasks.SubmitOptions, CliFailure> =>
  Effect.gen(function*() {
    if (Option.isSome(values.at) && Option.isSome(values.in)) return yield* usage("pass --at or --in, not both")
    if (values.unique && Option.isNone(values.id)) return yield* usage("--unique needs --id")
    const at = Option.isSome(values.at)
      ? yield* Effect.fromResult(Input.instant(values.at.value, "--at"))
      : Option.isSome(values.in)
      ? yield* Effect.fromResult(Input.duration(values.in.value, "--in"))
      : undefined
    return {
      priority: Option.getOrUndefined(values.priority),
      maxRetries: Option.getOrUndefined(values.maxRetries),
      description: Option.getOrUndefined(values.description),
      routingKey: Option.getOrUndefined(values.route),
      id: Option.getOrUndefined(values.id),
      unique: values.unique || undefined,
      at
    }
  })

/**
 * The wait timeout flag (`wait`, `call`).
 *
 * @category flags
 * @since 0.2.0
 */
export const timeoutFlag = Flag.String("timeout").pipe(
  Flag.withAlias("t"),
  Flag.withDescription("How long to wait for the result (default 30s); exit 4 when it runs out"),
  Flag.withDefault("30s")
)

/**
 * The parsed timeout.
 *
 * @category constructors
 * @since 0.2.0
 */
export const timeout = (text: string) => Effect.fromResult(Input.duration(text, "--timeout"))
