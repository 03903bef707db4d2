/**
 * The bounds Redis and its Lua put on one script call, checked before
 * anything is sent: a call that would break one fails its caller with a
 * `StorageError` of reason `Limit` (nothing was sent), instead of an error
 * from Redis halfway through a script (writes of earlier steps applied) or
 * an exception in the sending code.
 *
 * @stability unstable
 * @since 0.2.0
 */

import { StorageError } from "../../domain/Errors.ts"

/**
 * A bound a call would break, described for a person (what, and the bound).
 *
 * @category models
 * @since 0.2.0
 */
export interface LimitExceeded {
  /** Identifies the value. */
  readonly _tag: "LimitExceeded"
  /** What breaks which bound. */
  readonly message: string
}

/**
 * The bound `message` describes.
 *
 * @category constructors
 * @since 0.2.0
 */
export const exceeded = (message: string): LimitExceeded => ({ _tag: "LimitExceeded", message })

/**
 * True for a `LimitExceeded`.
 *
 * @category guards
 * @since 0.2.0
 */
export const isExceeded = (u: unknown): u is LimitExceeded =>
  typeof u === "object" && u !== null && "_tag" in u && u._tag === "LimitExceeded"

/**
 * The caller's error for a bound its call would break: nothing was sent.
 *
 * @category errors
 * @since 0.2.0
 */
export const toError = (operation: string, limit: LimitExceeded): StorageError =>
  new StorageError({ operation, reason: "Limit", message: `${operation}: ${limit.message}; nothing was sent to Redis` })

/**
 * Most values one Lua `unpack` may spread into a command (Redis's Lua 5.1
 * stops at `LUAI_MAXCSTACK`, 8,000 stack slots, less the slots the script
 * holds): the fields of one `HSET`, twice the ids of one take.
 *
 * @category constants
 * @since 0.2.0
 */
export const maxUnpack = 7_900

/**
 * Most bytes of one argument (Redis's default `proto-max-bulk-len`, 512 MiB).
 *
 * @category constants
 * @since 0.2.0
 */
export const maxArgumentBytes = 512 * 1024 * 1024

/**
 * Most characters of arguments in one call: a third of Redis's default
 * `client-query-buffer-limit` (1 GiB), since a character takes up to three
 * bytes in UTF-8. A batch over it goes out in more calls; one step over it
 * is refused.
 *
 * @category constants
 * @since 0.2.0
 */
export const maxCallChars = Math.floor(1024 * 1024 * 1024 / 3)

/**
 * Most seconds of an expiry (`SET ... EX`, `EXPIRE`): Redis refuses one
 * whose milliseconds overflow; 10^12 s (31,000 years) is far inside.
 *
 * @category constants
 * @since 0.2.0
 */
export const maxExpirySeconds = 1e12

/**
 * A string argument over `max` bytes (default `maxArgumentBytes`), measured
 * in UTF-8 only when its length could reach it.
 *
 * @category checks
 * @since 0.2.0
 */
export const tooLong = (value: string, max: number = maxArgumentBytes): boolean =>
  value.length * 3 > max && Buffer.byteLength(value) > max

/**
 * What is wrong with a number Redis reads as an integer in `[min, max]`
 * (`what` names it), or `undefined` when nothing is.
 *
 * @category checks
 * @since 0.2.0
 */
export const checkInteger = (what: string, n: number, min: number, max: number): LimitExceeded | undefined =>
  Number.isSafeInteger(n) && n >= min && n <= max ? undefined : exceeded(`${what} must be an integer in [${min}, ${max}], got ${n}`)

/**
 * What is wrong with a number Redis reads as a float (`what` names it): it
 * must be finite.
 *
 * @category checks
 * @since 0.2.0
 */
export const checkFinite = (what: string, n: number): LimitExceeded | undefined =>
  Number.isFinite(n) ? undefined : exceeded(`${what} must be a finite number, got ${n}`)
