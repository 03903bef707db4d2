/**
 * The tunables of the Redis layers and their defaults, resolved once from
 * the user's options (Durations in, whole numbers out). The wire settings
 * (prefix, TTLs) are the protocol's (`protocol/Wire`), shared with the
 * memory layer.
 *
 * @stability unstable
 * @since 0.1.0
 */

import * as Duration from "effect/Duration"
import * as Result from "effect/Result"
import * as DurationInput from "../../domain/DurationInput.ts"
import type { ValidationError } from "../../domain/Errors.ts"
import * as Wire from "../../protocol/Wire.ts"
import { maxTimerMillis } from "../Policies.ts"

/**
 * Options of the Redis backend beyond how to reach Redis.
 *
 * @category models
 * @since 0.1.0
 */
export interface SettingsOptions extends Wire.Options {
  /** Most plans one script call carries (default 500): a batch submit of 10,000 jobs is 20 calls, sent together. */
  readonly batchChunkSize?: number | undefined
  /**
   * How often a result wait re-checks even without a notification
   * (default 5 seconds): a safety net should a notification be missed.
   */
  readonly waitPollInterval?: Duration.Input | undefined
  /**
   * How often an idle blocking `dequeue` re-checks the queues even without
   * a wake-up (default 1 second). Our producers, promotions and requeues
   * publish a wake-up in the same step that makes work available, so this
   * only bounds how long a job pushed by a Go producer (a plain `LPUSH`,
   * which publishes nothing) waits; Go's own workers block for 1 s per
   * priority. Each re-check is one script call (two Redis commands).
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
  /** The key layout and TTLs. */
  readonly protocol: Wire.Protocol
  /** Most plans per script call. */
  readonly batchChunkSize: number
  /** The fallback re-check of a result wait, ms. */
  readonly waitPollMillis: number
  /** The idle poll of a blocking dequeue, ms. */
  readonly dequeuePollMillis: number
}

/**
 * Resolves options to settings, or names the duration option it cannot
 * take (one that does not parse, `NaN`, zero or negative): checked before
 * anything connects or writes.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (options: SettingsOptions = {}): Result.Result<Settings, ValidationError> =>
  Result.map(
    Result.all({
      protocol: Wire.decode(options),
      waitPoll: DurationInput.decode("waitPollInterval", options.waitPollInterval, "positiveOrInfinite", Duration.seconds(5)),
      dequeuePoll: DurationInput.decode("dequeuePollInterval", options.dequeuePollInterval, "positiveOrInfinite", Duration.seconds(1))
    }),
    ({ dequeuePoll, protocol, waitPoll }) => ({
      protocol,
      batchChunkSize: Math.max(1, Math.floor(options.batchChunkSize ?? 500)),
      waitPollMillis: pollMillis(waitPoll),
      dequeuePollMillis: pollMillis(dequeuePoll)
    })
  )

/**
 * A poll interval for `setTimeout`: at least 1 ms and at most 2^31-1 ms
 * (Node fires a longer, or infinite, delay after 1 ms).
 */
const pollMillis = (d: Duration.Duration): number => Math.min(maxTimerMillis, Math.max(1, Duration.toMillis(d)))
