/**
 * The handler registry of a worker: which Effect runs a job, by job name.
 *
 * Typed handlers come from a `JobDefinition`: the stored payload is decoded
 * with its schema and the handler's value encoded with its result schema.
 * Raw handlers take the payload's exact JSON text (plus a lazy decode), for
 * jobs submitted by Go or Python without a shared definition.
 *
 * A handler is an Effect: its typed failure becomes the job's error
 * message, a defect becomes `PANIC: …` (see `Failure`). The registry does
 * not run anything by itself; the worker does.
 *
 * @example
 * ```ts
 * const handlers = Handlers.empty.pipe(
 *   Handlers.add(SendEmail, (payload) => mailer.send(payload)),
 *   Handlers.addRaw("legacy_job", ({ payload }) => Effect.log(payload))
 * )
 * ```
 *
 * @since 0.1.0
 */

import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import { type Pipeable, pipeArguments } from "effect/Pipeable"
import * as Result from "effect/Result"
import * as DurationInput from "../domain/DurationInput.ts"
import type { SerializationError, ValidationError } from "../domain/Errors.ts"
import type { Job } from "../domain/Job.ts"
import * as JobDefinition from "../domain/JobDefinition.ts"
import * as RawJson from "../domain/RawJson.ts"
import { PermanentJobError } from "./Failure.ts"

const TypeId = "~@bananas/effect/worker/Handlers" as const

/**
 * What every handler is told about the job it runs.
 *
 * @category models
 * @since 0.1.0
 */
export interface JobContext {
  /** The job as dequeued (id, name, attempts so far, max_retries, ...). */
  readonly job: Job
  /** This run's number, from 1 (`job.attempts + 1`). */
  readonly attempt: number
}

/**
 * The input of a raw handler: the payload's exact JSON text and a lazy
 * `JSON.parse` of it (lossy for integers beyond 2^53: decode the text
 * yourself when that matters).
 *
 * @category models
 * @since 0.1.0
 */
export interface RawInput extends JobContext {
  /** The payload's exact JSON text, as stored. */
  readonly payload: RawJson.RawJson
  /** `JSON.parse` of the payload, on demand (a `SerializationError` if it is not JSON). */
  readonly decode: Effect.Effect<unknown, SerializationError>
}

/**
 * A registered handler, in the form the worker runs: given the job, the
 * result JSON to store (or none), failing with any value that `Failure`
 * turns into the job's error.
 *
 * @category models
 * @since 0.1.0
 */
export interface Handler<R> {
  /** The job name it runs. */
  readonly name: string
  /** The handler's own timeout (from its definition); the worker's default otherwise. */
  readonly timeout: Duration.Duration | undefined
  /** Its timeout could not be kept (not a positive duration): a worker given this handler refuses to start with this error. */
  readonly invalid?: ValidationError | undefined
  /** Runs the job: the result JSON to store (or none), or a failure that becomes the job's error. */
  readonly run: (context: JobContext) => Effect.Effect<RawJson.RawJson | undefined, unknown, R>
}

/**
 * An immutable registry of handlers needing the services `R`.
 *
 * @category models
 * @since 0.1.0
 */
export interface Handlers<out R = never> extends Pipeable {
  readonly [TypeId]: typeof TypeId
  /** The handlers by job name. */
  readonly handlers: ReadonlyMap<string, Handler<R>>
}

/**
 * The services the handlers of a registry need.
 *
 * @category models
 * @since 0.1.0
 */
export type Services<H> = H extends Handlers<infer R> ? R : never

/**
 * The empty registry.
 *
 * @category constructors
 * @since 0.1.0
 */
export const empty: Handlers<never> = makeHandlers(new Map())

/**
 * Registers a typed handler for a definition's job name (replacing any
 * handler of that name). The payload is decoded with the definition's
 * schema (a payload that does not match fails the job at once, without
 * retries: `PermanentJobError`); the value returned
 * is encoded with its result schema (`undefined` stores no result). The
 * definition's `timeout`, when set, overrides the worker's default.
 *
 * @category combinators
 * @since 0.1.0
 */
export const add: {
  <D extends JobDefinition.JobDefinition, E, R2>(
    definition: D,
    handler: (payload: JobDefinition.Payload<D>, context: JobContext) => Effect.Effect<JobDefinition.Success<D>, E, R2>
  ): <R>(self: Handlers<R>) => Handlers<R | R2>
  <R, D extends JobDefinition.JobDefinition, E, R2>(
    self: Handlers<R>,
    definition: D,
    handler: (payload: JobDefinition.Payload<D>, context: JobContext) => Effect.Effect<JobDefinition.Success<D>, E, R2>
  ): Handlers<R | R2>
} = dual(3, <R, D extends JobDefinition.JobDefinition, E, R2>(
  self: Handlers<R>,
  definition: D,
  handler: (payload: JobDefinition.Payload<D>, context: JobContext) => Effect.Effect<JobDefinition.Success<D>, E, R2>
): Handlers<R | R2> =>
  register(self, {
    name: definition.name,
    ...timeoutOf(definition.name, definition.timeout),
    run: (context) =>
      JobDefinition.decodePayload(definition, context.job.payload).pipe(
        // No retry can make the stored payload match: dead-letter it now.
        Effect.mapError((e) => new PermanentJobError({ message: `${e.message} (not retried: the payload cannot change)` })),
        Effect.flatMap((payload) => handler(payload, context)),
        Effect.flatMap((value) =>
          value === undefined ? Effect.succeed(undefined) : JobDefinition.encodeResult(definition, value)
        )
      )
  }))

/**
 * Registers a raw handler by job name (replacing any handler of that name).
 * It receives the payload's JSON text untouched, and may return:
 * `undefined` (no result stored, as Go handlers do), a `RawJson.Raw` (its
 * text stored byte for byte), or any JSON-serializable value (marshalled as
 * Go would). A value that cannot be serialized fails the job.
 *
 * @category combinators
 * @since 0.1.0
 */
export const addRaw: {
  <E, R2>(
    name: string,
    handler: (input: RawInput) => Effect.Effect<unknown, E, R2>,
    options?: { readonly timeout?: Duration.Input | undefined }
  ): <R>(self: Handlers<R>) => Handlers<R | R2>
  <R, E, R2>(
    self: Handlers<R>,
    name: string,
    handler: (input: RawInput) => Effect.Effect<unknown, E, R2>,
    options?: { readonly timeout?: Duration.Input | undefined }
  ): Handlers<R | R2>
} = dual((args) => isHandlers(args[0]), <R, E, R2>(
  self: Handlers<R>,
  name: string,
  handler: (input: RawInput) => Effect.Effect<unknown, E, R2>,
  options?: { readonly timeout?: Duration.Input | undefined }
): Handlers<R | R2> =>
  register(self, {
    name,
    ...timeoutOf(name, options?.timeout),
    run: (context) =>
      handler({
        ...context,
        payload: context.job.payload,
        decode: Effect.suspend(() => Effect.fromResult(RawJson.parse(context.job.payload)))
      }).pipe(Effect.flatMap(encodeRawResult))
  }))

/**
 * The handler for a job name, if any.
 *
 * @category getters
 * @since 0.1.0
 */
export const get = <R>(self: Handlers<R>, name: string): Handler<R> | undefined => self.handlers.get(name)

/**
 * The registered job names.
 *
 * @category getters
 * @since 0.1.0
 */
export const names = <R>(self: Handlers<R>): ReadonlyArray<string> => Array.from(self.handlers.keys())

/**
 * True for a handler registry.
 *
 * @category guards
 * @since 0.1.0
 */
export const isHandlers = (u: unknown): u is Handlers<unknown> =>
  typeof u === "object" && u !== null && TypeId in u

// Internal

/** A handler's own timeout, decoded without throwing (see `Handler.invalid`). */
const timeoutOf = (name: string, input: Duration.Input | undefined): Pick<Handler<never>, "timeout" | "invalid"> => {
  if (input === undefined) return { timeout: undefined }
  const decoded = DurationInput.decode(`handlers.${name}.timeout`, input, "positiveOrInfinite")
  return Result.isSuccess(decoded) ? { timeout: decoded.success } : { timeout: undefined, invalid: decoded.failure }
}

function makeHandlers<R>(handlers: ReadonlyMap<string, Handler<R>>): Handlers<R> {
  return {
    [TypeId]: TypeId,
    handlers,
    pipe() {
      return pipeArguments(this, arguments)
    }
  }
}

const register = <R, R2>(self: Handlers<R>, handler: Handler<R2>): Handlers<R | R2> => {
  const next = new Map<string, Handler<R | R2>>(self.handlers)
  next.set(handler.name, handler)
  return makeHandlers(next)
}

const encodeRawResult = (value: unknown): Effect.Effect<RawJson.RawJson | undefined, SerializationError> => {
  if (value === undefined) return Effect.succeed(undefined)
  if (value instanceof RawJson.Raw) return Effect.succeed(value.json)
  return Effect.fromResult(RawJson.fromValue(value, "result"))
}
