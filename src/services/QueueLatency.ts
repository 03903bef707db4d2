/**
 * A queue's latency: the job next to be taken from each default queue
 * (the list's tail: the oldest waiting) and when it was created. Two
 * reads per queue, made when asked (the dashboard's overview), never
 * sampled. Written once over the storage port (`layers/StoreLatency`).
 *
 * @since 0.2.0
 */

import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { JobPriority } from "../domain/JobPriority.ts"
import type { Timestamp } from "../domain/Timestamp.ts"
import type { StoreFailure } from "../store/JobStore.ts"

/**
 * The oldest waiting job of one queue.
 *
 * @category models
 * @since 0.2.0
 */
export interface Oldest {
  /** The queue's priority (the default, unrouted queues). */
  readonly priority: JobPriority
  /** The id next to be taken; none when the queue is empty. */
  readonly id?: string | undefined
  /** When that job was created; none when its data is gone or unreadable. */
  readonly createdAt?: Timestamp | undefined
}

/**
 * The latency service.
 *
 * @category services
 * @since 0.2.0
 */
export class QueueLatency extends Context.Service<QueueLatency, {
  /** The oldest waiting job of each default queue, high to low. */
  readonly oldest: Effect.Effect<ReadonlyArray<Oldest>, StoreFailure>
}>()("@bananas/effect/QueueLatency") {}
