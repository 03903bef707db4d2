/**
 * The management transitions, decided once (see `Transitions` for the
 * shared rules): cancelling, requeueing and purging dead-lettered jobs,
 * pausing and resuming a queue.
 *
 * @since 0.2.0
 */

import type { Job } from "../domain/Job.ts"
import * as JobCodec from "../domain/JobCodec.ts"
import type { JobId } from "../domain/JobId.ts"
import type { QueueRef } from "../domain/QueueRef.ts"
import { queueName } from "./Keys.ts"
import * as Timestamp from "../domain/Timestamp.ts"
import type { Plan } from "./Plan.ts"
import * as T from "./Transitions.ts"
import type { Step } from "./Transitions.ts"
import * as Wire from "./Wire.ts"

// --- management ---------------------------------------------------------------------

/**
 * Where a waiting job waits.
 *
 * @category management
 * @since 0.2.0
 */
export type Waiting = "queued" | "scheduled"

/**
 * Cancel a waiting job: out of its queue or `queue:scheduled`, status
 * `failed` with error `cancelled` (TTL 7 d), a failed result and `ready`
 * (and its `job.cancelled` event).
 * Refused when its data changed since it was read, or it no longer waits
 * there.
 *
 * @category management
 * @since 0.2.0
 */
export const cancel = (p: Wire.Protocol, read: {
  /** The job JSON as read (the plan is refused if it changed). */
  readonly data: string
  /** The job, decoded from `data`. */
  readonly job: Job
  /** Where it waits: its queue or the scheduled set. */
  readonly where: Waiting
  /** The time of the cancellation. */
  readonly now: Timestamp.Timestamp
}): Step => {
  const { keys } = p
  const { job, now } = read
  const error = Wire.errorText.cancelled
  const cancelled: Job = { ...job, status: "failed", error, updatedAt: now, scheduledFor: undefined }
  const queued = read.where === "queued"
  return {
    value: cancelled,
    plan: {
      guards: [
        { op: "eq", key: keys.job(job.id), value: read.data, reason: "changed" },
        queued
          ? { op: "lhas", key: T.queueOf(p, job), member: job.id, reason: "notWaiting" }
          : { op: "zhas", key: keys.scheduled, member: job.id, reason: "notWaiting" }
      ],
      writes: [
        queued ? { op: "lrem", key: T.queueOf(p, job), count: 0, value: job.id } : { op: "zrem", key: keys.scheduled, member: job.id },
        { op: "set", key: keys.job(job.id), value: JobCodec.encode(cancelled), ttl: p.ttl.deadJob },
        ...T.outcomeWrites(p, "job.cancelled", cancelled, { jobId: job.id, status: "failed", error, completedAt: now, durationMs: 0 }, true)
      ]
    }
  }
}

/**
 * Requeue a dead-lettered job: out of `queue:dead`, status `pending`,
 * attempts 0, error cleared, TTL removed, its old result deleted, `LPUSH` its
 * queue, workers woken.
 *
 * @category management
 * @since 0.2.0
 */
export const requeueDead = (p: Wire.Protocol, read: {
  /** The job JSON as read (the plan is refused if it changed). */
  readonly data: string
  /** The job, decoded from `data`. */
  readonly job: Job
  /** The time of the requeue. */
  readonly now: Timestamp.Timestamp
}): Step => {
  const { keys } = p
  const requeued: Job = { ...read.job, status: "pending", attempts: 0, error: undefined, updatedAt: read.now, scheduledFor: undefined }
  return {
    value: requeued,
    plan: {
      guards: [
        { op: "eq", key: keys.job(requeued.id), value: read.data, reason: "changed" },
        { op: "lhas", key: keys.dead, member: requeued.id, reason: "notWaiting" }
      ],
      writes: [
        { op: "lrem", key: keys.dead, count: 0, value: requeued.id },
        { op: "set", key: keys.job(requeued.id), value: JobCodec.encode(requeued) },
        { op: "del", key: keys.result(requeued.id) },
        { op: "lpush", key: T.queueOf(p, requeued), value: requeued.id },
        T.wake(p, requeued.priority)
      ]
    }
  }
}

/**
 * Delete a dead-lettered job for good: out of `queue:dead`, its data and
 * its result deleted.
 *
 * @category management
 * @since 0.2.0
 */
export const purgeDead = (p: Wire.Protocol, id: JobId): Plan => ({
  guards: [{ op: "lhas", key: p.keys.dead, member: id, reason: "notWaiting" }],
  writes: [
    { op: "lrem", key: p.keys.dead, count: 0, value: id },
    { op: "del", key: p.keys.job(id) },
    { op: "del", key: p.keys.result(id) }
  ]
})


// --- pausing ------------------------------------------------------------------------

/**
 * Pause a queue: `SADD paused <queue name>` (`Keys.queueName`). Our
 * workers' takes skip it from then on (checked in the take's own step);
 * its jobs stay queued and submissions still land. Pausing a paused queue
 * changes nothing.
 *
 * @category pausing
 * @since 0.2.0
 */
export const pause = (p: Wire.Protocol, queue: QueueRef): Plan => ({
  guards: [],
  writes: [{ op: "sadd", key: p.keys.paused, member: queueName(queue.priority, queue.routingKey) }]
})

/**
 * Resume a paused queue: `SREM paused <queue name>`, and workers woken
 * (`queue:wake`) so that blocked ones look again at once. Resuming a queue
 * that is not paused only wakes them.
 *
 * @category pausing
 * @since 0.2.0
 */
export const resume = (p: Wire.Protocol, queue: QueueRef): Plan => ({
  guards: [],
  writes: [
    { op: "srem", key: p.keys.paused, member: queueName(queue.priority, queue.routingKey) },
    T.wake(p, queue.priority)
  ]
})
