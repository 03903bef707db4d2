/**
 * The tunables of the Redis layers and their defaults, resolved once from
 * the user's options (Durations in, whole numbers out).
 *
 * @stability unstable
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Keys from "../../domain/Keys.ts"

/**
 * Options shared by the Redis Queue and ResultBackend.
 *
 * @category models
 * @since 0.1.0
 */
export interface SettingsOptions {
  /** Key prefix (default `bananas:`, the one Go hard-codes). Use a hash tag, e.g. `{bananas}:`, on Redis Cluster. */
  readonly prefix?: string | undefined
  /** TTL of a completed job's result hash (default 1 hour, Go's). Whole seconds, at least 1. */
  readonly successTtl?: Duration.Input | undefined
  /** TTL of a failed job's result hash (default 24 hours, Go's). Whole seconds, at least 1. */
  readonly failureTtl?: Duration.Input | undefined
  /** Jobs per round trip in `enqueueBatch` (default 500). */
  readonly batchChunkSize?: number | undefined
  /**
   * How often a result wait re-checks even without a notification
   * (default 5 seconds): a safety net should a notification be missed.
   */
  readonly waitPollInterval?: Duration.Input | undefined
  /**
   * How often an idle blocking `dequeue` re-checks the queues even without
   * a wake-up (default 25 ms): jobs pushed by Go producers publish nothing.
   */
  readonly dequeuePollInterval?: Duration.Input | undefined
}

/**
 * Resolved settings.
 *
 * @category models
 * @since 0.1.0
 */
export interface Settings {
  readonly keys: Keys.Keys
  /** `{prefix}queue:wake`: published by every write that makes work available. */
  readonly wakeChannel: string
  readonly successTtlSeconds: number
  readonly failureTtlSeconds: number
  readonly batchChunkSize: number
  readonly waitPollMillis: number
  readonly dequeuePollMillis: number
}

/**
 * Resolves options to settings.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (options: SettingsOptions = {}): Settings => {
  const keys = Keys.make(options.prefix ?? Keys.defaultPrefix)
  return {
    keys,
    wakeChannel: `${keys.prefix}queue:wake`,
    successTtlSeconds: wholeSeconds(options.successTtl ?? Duration.hours(1)),
    failureTtlSeconds: wholeSeconds(options.failureTtl ?? Duration.hours(24)),
    batchChunkSize: Math.max(1, Math.floor(options.batchChunkSize ?? 500)),
    waitPollMillis: timerMillis(options.waitPollInterval ?? Duration.seconds(5)),
    dequeuePollMillis: timerMillis(options.dequeuePollInterval ?? Duration.millis(25))
  }
}

/**
 * A poll interval for `setTimeout`: at least 1 ms and at most 2^31-1 ms
 * (Node fires a longer, or infinite, delay after 1 ms).
 */
const timerMillis = (d: Duration.Input): number => Math.min(2 ** 31 - 1, Math.max(1, Duration.toMillis(d)))

/**
 * A TTL in whole seconds for `EXPIRE`: rounded up, never below 1 (an
 * `EXPIRE 0` would delete the key at once), and an infinite one capped at
 * 2^31-1 s (Redis rejects `EXPIRE Infinity`).
 *
 * @category conversions
 * @since 0.1.0
 */
export const wholeSeconds = (d: Duration.Input): number =>
  Math.min(maxTtlSeconds, Math.max(1, Math.ceil(Duration.toMillis(d) / 1000)))

// EXPIRE takes a finite integer: an infinite TTL is the longest one (68 years).
const maxTtlSeconds = 2 ** 31 - 1
