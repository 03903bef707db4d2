/**
 * Typed jobs: a job name paired with a payload Schema, a result Schema and
 * defaults. Producers get a typed `submitTyped` / `call`, workers a typed
 * handler; both sides validate with the same schemas.
 *
 * @since 0.1.0
 */

import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { SerializationError, ValidationError } from "./Errors.ts"
import type { JobPriority } from "./JobPriority.ts"
import * as RawJson from "./RawJson.ts"

/**
 * A schema usable for a job's payload or result: it may transform, but
 * needs no services.
 *
 * @category models
 * @since 0.1.0
 */
export type JobSchema = Schema.Codec<any, any, never, never>

/**
 * A typed job definition.
 *
 * @category models
 * @since 0.1.0
 */
export interface JobDefinition<P extends JobSchema = JobSchema, R extends JobSchema = JobSchema> {
  /** The job name: which handler runs it (the `name` of the job JSON). */
  readonly name: string
  /** The payload's schema: producers encode with it, handlers decode with it. */
  readonly payload: P
  /** The result's schema: handlers encode with it, `Tasks.call` decodes with it. */
  readonly result: R
  /** The default priority of its submissions (`normal` when unset). */
  readonly priority?: JobPriority | undefined
  /**
   * The default runs allowed in all (Go's `max_retries`, which counts runs
   * despite its name: 1 means a single run, no retry; default 3).
   */
  readonly maxRetries?: number | undefined
  /** The same as `maxRetries`, by a name that says what it counts. */
  readonly maxAttempts?: number | undefined
  /** How long the handler may run before it is interrupted and the attempt fails (default: the worker's `jobTimeout`). */
  readonly timeout?: Duration.Input | undefined
  /** The default description of its submissions. */
  readonly description?: string | undefined
}

/**
 * The payload type of a definition.
 *
 * @category models
 * @since 0.1.0
 */
export type Payload<D extends JobDefinition> = D["payload"]["Type"]

/**
 * The result type of a definition.
 *
 * @category models
 * @since 0.1.0
 */
export type Success<D extends JobDefinition> = D["result"]["Type"]

/**
 * Defines a typed job.
 *
 * @example
 * ```ts
 * const Resize = JobDefinition.make({
 *   name: "resize_image",
 *   payload: Schema.Struct({ url: Schema.String, width: Schema.Int }),
 *   result: Schema.Struct({ url: Schema.String }),
 *   priority: "high",
 *   timeout: "30 seconds"
 * })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = <P extends JobSchema, R extends JobSchema>(definition: JobDefinition<P, R>): JobDefinition<P, R> =>
  definition

/**
 * Validates and encodes a payload with the definition's schema, to JSON text.
 *
 * @category encoding
 * @since 0.1.0
 */
export const encodePayload = <D extends JobDefinition>(definition: D, payload: Payload<D>) =>
  encodeWith(definition.payload, payload, "payload", definition.name)

/**
 * Validates and encodes a handler's result with the definition's schema.
 *
 * @category encoding
 * @since 0.1.0
 */
export const encodeResult = <D extends JobDefinition>(definition: D, result: Success<D>) =>
  encodeWith(definition.result, result, "result", definition.name)

/**
 * Decodes stored payload JSON with the definition's schema.
 *
 * @category decoding
 * @since 0.1.0
 */
export const decodePayload = <D extends JobDefinition>(definition: D, raw: RawJson.RawJson): Effect.Effect<Payload<D>, ValidationError | SerializationError> =>
  decodeWith(definition.payload, raw, "payload", definition.name)

/**
 * Decodes stored result JSON with the definition's schema (`null` when the
 * job stored no result).
 *
 * @category decoding
 * @since 0.1.0
 */
export const decodeResult = <D extends JobDefinition>(definition: D, raw: RawJson.RawJson | undefined): Effect.Effect<Success<D>, ValidationError | SerializationError> =>
  decodeWith(definition.result, raw ?? RawJson.nullJson, "result", definition.name)

// Internal

const encodeWith = (schema: JobSchema, value: unknown, field: string, name: string): Effect.Effect<RawJson.RawJson, ValidationError | SerializationError> =>
  Schema.encodeUnknownEffect(Schema.toCodecJson(schema))(value).pipe(
    Effect.mapError((cause) => new ValidationError({ field, message: `invalid ${field} for job "${name}": ${cause.message}`, cause })),
    Effect.flatMap((json) => Effect.fromResult(RawJson.fromValue(json)))
  )

const decodeWith = (schema: JobSchema, raw: RawJson.RawJson, field: string, name: string): Effect.Effect<any, ValidationError | SerializationError> =>
  Effect.fromResult(RawJson.parse(raw)).pipe(
    Effect.flatMap((json) => Schema.decodeUnknownEffect(Schema.toCodecJson(schema))(json)),
    Effect.mapError((cause) =>
      cause._tag === "SerializationError"
        ? cause
        : new ValidationError({ field, message: `stored ${field} of job "${name}" does not match its schema: ${cause.message}`, cause })
    )
  )

