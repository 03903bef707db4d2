/**
 * Queue depths, as `stats` reports them.
 *
 * @since 0.2.0
 */
import * as Schema from "effect/Schema"

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
  dead: Schema.Int
})

/**
 * Queue depths.
 *
 * @category models
 * @since 0.1.0
 */
export interface QueueStats extends Schema.Schema.Type<typeof QueueStats> {}
