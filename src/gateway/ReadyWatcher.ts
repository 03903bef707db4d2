/**
 * Events for jobs finished without an outbox entry — by Go workers, or by
 * SDK workers whose backend has events off — picked up from their `ready`
 * notifications (`PSUBSCRIBE <prefix>result:notify:*`), **best effort**:
 * a notification published while no gateway listens is gone, and Go writes
 * its result before it rewrites the job, so the job is read a moment later
 * (and once more if it still looks unfinished). Each outcome gets the same
 * deterministic event id the outbox would have given it, so an event the
 * outbox already wrote is recognized (`duplicate`) and not created twice;
 * every replica may listen, and the event is still created once.
 *
 * Go's failed attempts publish `ready` too: they become `job.failed`
 * events; our workers publish nothing for a retried attempt (their outbox
 * has it).
 *
 * @since 0.2.0
 */

import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import type { Job } from "../domain/Job.ts"
import type { JobResult } from "../domain/JobResult.ts"
import { RedisPort } from "../layers/redis/BananasRedis.ts"
import * as Events from "../protocol/Events.ts"
import * as Keys from "../protocol/Keys.ts"
import * as Wire from "../protocol/Wire.ts"
import { EventQueue, JobQueue } from "../services/JobQueue.ts"
import { ResultBackend } from "../services/ResultBackend.ts"

/**
 * The event of an outcome read back from Redis, if it is one: a completed
 * result of a completed job, a failed result of a job that runs again
 * (`job.failed`) or failed for good (`job.dead`, or `job.cancelled`).
 *
 * @category constructors
 * @since 0.2.0
 */
export const eventTypeOf = (job: Job, result: JobResult): Events.EventType | undefined => {
  if (result.status === "completed") return job.status === "completed" ? "job.completed" : undefined
  switch (job.status) {
    case "pending":
    case "scheduled":
      return "job.failed"
    case "failed":
      return job.error === Wire.errorText.cancelled ? "job.cancelled" : "job.dead"
    default:
      return undefined
  }
}

/**
 * The watcher, while the layer lives (Redis only: without a `RedisPort`
 * with pattern subscriptions, it logs why and does nothing).
 *
 * @category layers
 * @since 0.2.0
 */
export const layer: Layer.Layer<never, never, JobQueue | EventQueue | ResultBackend> = Layer.effectDiscard(Effect.gen(function*() {
  const port = yield* Effect.serviceOption(RedisPort.RedisPort)
  if (Option.isNone(port)) return
  const queue = yield* JobQueue
  const outbox = yield* EventQueue
  const results = yield* ResultBackend
  const keys = queue.protocol.keys
  const config = queue.protocol.events ?? Events.resolve(true, keys)!
  const connection = yield* Effect.acquireRelease(Effect.sync(() => port.value.pubsub()), (c) => Effect.sync(() => c.close()))
  const { psubscribe, onPatternMessage } = connection
  if (psubscribe === undefined || onPatternMessage === undefined) {
    return yield* Effect.logWarning("the Redis driver has no pattern subscriptions: events of jobs finished by Go workers are not picked up")
  }
  // Under a flood the oldest notifications are dropped (best effort), never memory.
  const inbox = yield* Queue.sliding<string>(10_000)
  const notifyPrefix = keys.notify("")
  onPatternMessage((channel) => void Queue.offerUnsafe(inbox, channel.slice(notifyPrefix.length)))
  connection.onReady(() => void psubscribe([`${Keys.escapeGlob(notifyPrefix)}*`]).catch(() => undefined))
  connection.onError(() => undefined) // the driver logs and reconnects
  connection.connect()

  const read = (id: string) =>
    Effect.all([queue.get(id), results.get(id)]).pipe(Effect.map(([job, result]) => ({ job, result })))

  const handle = (id: string) =>
    Effect.gen(function*() {
      for (const pause of settle) {
        yield* Effect.sleep(pause)
        const { job, result } = yield* read(id)
        if (Option.isNone(job) || Option.isNone(result)) return
        const type = eventTypeOf(job.value, result.value)
        if (type === undefined) continue // Go rewrites the job after its result: look again
        yield* outbox.enqueue(Events.eventJob(config, Events.make(type, job.value, result.value)))
        return
      }
    }).pipe(Effect.catchCause((cause) => Effect.logWarning(`could not turn the result of ${id} into an event`, cause)))

  yield* Effect.forkScoped(
    Effect.forever(Effect.flatMap(Queue.takeAll(inbox), (ids) => Effect.forEach(new Set(ids), handle, { concurrency: 16, discard: true })))
  )
}).pipe(Effect.annotateLogs({ module: "bananas/gateway/ReadyWatcher" })))

// Internal

/** When to read the job after its notification: soon, then once more. */
const settle = [Duration.millis(250), Duration.seconds(1)]
