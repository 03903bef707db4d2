/**
 * `QueueLatency` over the storage port: the tail of each default queue
 * (`LRANGE queue:{p} -1 -1`, the id popped next) and that job's
 * `created_at` (`GET job:{id}`, decoded by `JobCodec`).
 *
 * @stability internal
 * @since 0.2.0
 */

import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import type { JobId } from "../domain/JobId.ts"
import * as JobCodec from "../domain/JobCodec.ts"
import * as JobPriority from "../domain/JobPriority.ts"
import * as Timestamp from "../domain/Timestamp.ts"
import { type Oldest, QueueLatency } from "../services/QueueLatency.ts"
import { JobStore } from "../store/JobStore.ts"

/**
 * Builds the latency service on the `JobStore` in context.
 *
 * @category constructors
 * @since 0.2.0
 */
export const make = Effect.gen(function*() {
  const store = yield* JobStore
  const { keys } = store.protocol
  const oldestOf = (priority: JobPriority.JobPriority) =>
    Effect.gen(function*() {
      const [id] = yield* store.lrange(keys.queue(priority), -1, -1)
      if (id === undefined) return { priority } satisfies Oldest
      const data = yield* store.get(keys.job(id as JobId))
      const job = data === undefined ? undefined : Result.getOrUndefined(JobCodec.decode(data))
      const createdAt = job === undefined || Timestamp.isZero(job.createdAt) ? undefined : job.createdAt
      return { priority, id, createdAt } satisfies Oldest
    })
  return QueueLatency.of({ oldest: Effect.forEach(JobPriority.all, oldestOf, { concurrency: 3 }) })
})

/**
 * The latency service on the `JobStore` in context, as a layer.
 *
 * @category layers
 * @since 0.2.0
 */
export const layer: Layer.Layer<QueueLatency, never, JobStore> = Layer.effect(QueueLatency, make)
