/**
 * The Redis settings the SDK depends on, checked when a client connects.
 *
 * `maxmemory-policy` must be `noeviction`: under any eviction policy a
 * full Redis deletes keys to make room, and a job whose data
 * (`job:{id}`) is evicted while its id is queued is lost without a trace
 * (a worker then finds its data missing and dead-letters it). With
 * `noeviction` a full Redis refuses writes instead (`StorageError`,
 * `OutOfMemory`: retryable, nothing lost). Anything else logs a loud
 * warning once per client, or, with `strict`, fails the layer with a
 * `ValidationError` naming the setting. A Redis that refuses `CONFIG`
 * (managed services often do) is noted once at info level, and the client
 * goes on.
 *
 * @stability unstable
 * @since 0.2.0
 */

import * as Effect from "effect/Effect"
import { ValidationError } from "../../domain/Errors.ts"
import type { RedisPort } from "./RedisPort.ts"

/**
 * Options of the settings check.
 *
 * @category models
 * @since 0.2.0
 */
export interface PolicyOptions {
  /**
   * Refuse to start (a `ValidationError`) on a Redis whose
   * `maxmemory-policy` is not `noeviction`, instead of logging a warning
   * (default false; env `BANANAS_REDIS_STRICT` with `layerConfig`).
   */
  readonly strict?: boolean | undefined
}

/**
 * The `maxmemory-policy` the SDK requires.
 *
 * @category constants
 * @since 0.2.0
 */
export const requiredPolicy = "noeviction"

/**
 * Reads `maxmemory-policy` (`CONFIG GET`) and warns (or, `strict`, fails)
 * when it is not `noeviction`.
 *
 * @category constructors
 * @since 0.2.0
 */
export const check = (port: RedisPort["Service"], options: PolicyOptions = {}): Effect.Effect<void, ValidationError> =>
  Effect.flatMap(
    Effect.result(Effect.tryPromise(() => port.send("CONFIG", ["GET", "maxmemory-policy"]))),
    (read) => {
      if (read._tag === "Failure") {
        return Effect.logInfo(
          `bananas: cannot read maxmemory-policy of Redis at ${port.target} (CONFIG GET refused: ${describe(read.failure.cause)}); ` +
            `make sure it is ${requiredPolicy}, or jobs may be evicted and lost when Redis is full`
        )
      }
      const policy = policyOf(read.success)
      if (policy === undefined || policy === requiredPolicy) return Effect.void
      const message = evictionWarning(port.target, policy)
      return options.strict === true
        ? Effect.fail(new ValidationError({ field: "maxmemory-policy", message: `${message} (strict: refusing to start)` }))
        : Effect.logWarning(message)
    }
  )

/**
 * The warning for a Redis that may evict keys.
 *
 * @category constants
 * @since 0.2.0
 */
export const evictionWarning = (target: string, policy: string): string =>
  `bananas: Redis at ${target} has maxmemory-policy ${policy}: when it is full it evicts keys, and a job whose data is evicted ` +
  `while its id is queued is lost without a trace. Set maxmemory-policy ${requiredPolicy} ` +
  `(CONFIG SET maxmemory-policy ${requiredPolicy}, and in redis.conf): a full Redis then refuses writes (OutOfMemory, retryable) instead`

// Internal

/** The value of `CONFIG GET maxmemory-policy`: a flat array (RESP2) or a map (RESP3). */
const policyOf = (reply: unknown): string | undefined => {
  if (Array.isArray(reply)) return typeof reply[1] === "string" ? reply[1] : undefined
  if (typeof reply === "object" && reply !== null) {
    const value = (reply as Record<string, unknown>)["maxmemory-policy"]
    return typeof value === "string" ? value : undefined
  }
  return undefined
}

const describe = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))
