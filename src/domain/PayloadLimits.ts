/**
 * Limits on a submitted payload, checked before anything is written, so a
 * job that no worker could read is refused at once instead of being
 * dead-lettered later:
 *
 * - nesting: workers (Go's and ours) read job JSON nested at most 10,000
 *   levels, the job object included, so a payload may nest 9,999 levels;
 * - size: at most `MaxPayloadBytes` UTF-8 bytes (default 10 MiB), a
 *   `Context.Reference` an application sets for its producers (or the HTTP
 *   gateway for its callers) with `layerMaxPayloadBytes` or
 *   `Effect.provideService`.
 *
 * @since 0.2.0
 */

import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { ValidationError } from "./Errors.ts"
import { maxNestingDepth } from "./JsonScanner.ts"

/**
 * The deepest nesting a payload may have (levels of arrays and objects):
 * one less than the decoder's limit, which counts the job object.
 *
 * @category constants
 * @since 0.2.0
 */
export const maxPayloadDepth: number = maxNestingDepth - 1

/**
 * The default payload size limit: 10 MiB of UTF-8.
 *
 * @category constants
 * @since 0.2.0
 */
export const defaultMaxPayloadBytes: number = 10 * 1024 * 1024

/**
 * The payload size limit in force, in UTF-8 bytes (default 10 MiB). Read
 * where jobs are built (`DirectTaskApi`), for each submission.
 *
 * @example
 * ```ts
 * program.pipe(Effect.provideService(PayloadLimits.MaxPayloadBytes, 64 * 1024))
 * ```
 *
 * @category references
 * @since 0.2.0
 */
export const MaxPayloadBytes = Context.Reference<number>("@bananas/effect/MaxPayloadBytes", {
  defaultValue: () => defaultMaxPayloadBytes
})

/**
 * Sets the payload size limit; a limit that is not a positive whole number
 * of bytes fails the layer with a `ValidationError`.
 *
 * @category layers
 * @since 0.2.0
 */
export const layerMaxPayloadBytes = (bytes: number): Layer.Layer<never, ValidationError> =>
  Layer.effect(
    MaxPayloadBytes,
    Number.isSafeInteger(bytes) && bytes > 0
      ? Effect.succeed(bytes)
      : Effect.fail(new ValidationError({ field: "maxPayloadBytes", message: `maxPayloadBytes must be a positive whole number of bytes, got ${String(bytes)}` }))
  )

/**
 * The nesting depth of JSON text: the most arrays and objects open at once
 * (0 for a string, number, boolean or null).
 *
 * @category getters
 * @since 0.2.0
 */
export const depthOf = (json: string): number => {
  let depth = 0
  let deepest = 0
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i)
    if (c === 34) { // a string: skip it, escapes included
      for (i++; i < json.length && json.charCodeAt(i) !== 34; i++) if (json.charCodeAt(i) === 92) i++
    } else if (c === 123 || c === 91) {
      if (++depth > deepest) deepest = depth
    } else if (c === 125 || c === 93) {
      depth--
    }
  }
  return deepest
}

/**
 * Why a payload (valid JSON text) cannot be submitted, as a
 * `ValidationError` naming `field`; undefined when it can.
 *
 * @category validation
 * @since 0.2.0
 */
export const check = (payload: string, maxBytes: number, field: string): ValidationError | undefined => {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: most payloads need no count.
  if (payload.length * 3 > maxBytes) {
    const bytes = Buffer.byteLength(payload, "utf8")
    if (bytes > maxBytes) {
      return new ValidationError({
        field,
        message: `payload is ${bytes} bytes, over the limit of ${maxBytes} bytes (PayloadLimits.MaxPayloadBytes); store large data elsewhere and submit a reference to it`
      })
    }
  }
  // Each level takes two characters: shorter text cannot nest too deep.
  if (payload.length > 2 * maxPayloadDepth) {
    const depth = depthOf(payload)
    if (depth > maxPayloadDepth) {
      return new ValidationError({
        field,
        message: `payload nests ${depth} levels deep; workers read at most ${maxPayloadDepth} (Go's JSON decoder stops at ${maxNestingDepth} levels with the job object), so it would be dead-lettered`
      })
    }
  }
  return undefined
}
