/**
 * Queue depths, as `stats` reports them.
 *
 * @since 0.2.0
 */

import * as Schema from "effect/Schema"
import { QueueRef } from "./QueueRef.ts"

/**
 * The schema of queue depths.
 *
 * @category schemas
 * @since 0.2.0
 */
export const QueueStats = Schema.Struct({
  /** Ids waiting in the default (unrouted) priority lists. */
  queued: Schema.Struct({
    /** `queue:high`. */
    high: Schema.Int,
    /** `queue:normal`. */
    normal: Schema.Int,
    /** `queue:low`. */
    low: Schema.Int
  }),
  /** Ids held by workers (`queue:processing`). */
  processing: Schema.Int,
  /** Jobs waiting for their time, retries included (`queue:scheduled`). */
  scheduled: Schema.Int,
  /** Dead-lettered ids (`queue:dead`). */
  dead: Schema.Int,
  /**
   * The paused queues (default or routed), which our workers take nothing
   * from, in key order; present only when at least one is paused (so the
   * depths of an unpaused system read as before).
   */
  paused: Schema.optional(Schema.Array(QueueRef))
})

/**
 * Queue depths.
 *
 * @category models
 * @since 0.1.0
 */
export interface QueueStats extends Schema.Schema.Type<typeof QueueStats> {}
