/**
 * Redis memory of the webhook outbox per event (`MEMORY USAGE`), on a
 * private redis-server: 1,000 jobs completed with events on, then each
 * event fanned out to one endpoint and delivered, as the gateway's
 * delivery worker does. Prints the bytes per pending event (its event job
 * and its queue entry) and per delivered event while its records are kept
 * (`Events.deliveredTtlSeconds`). Run: `node bench/outbox-memory.ts`.
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as JobModel from "../src/domain/Job.ts"
import type { RawJson } from "../src/domain/RawJson.ts"
import * as Timestamp from "../src/domain/Timestamp.ts"
import * as BananasRedis from "../src/layers/redis/BananasRedis.ts"
import * as Events from "../src/protocol/Events.ts"
import { EventQueue, JobQueue } from "../src/services/JobQueue.ts"
import { startRedisServer } from "../test/support/RedisServer.ts"
import { Redis } from "ioredis"

const n = 1000
const prefix = "m:"
const payload = `{"order_id":12345678901234567890,"email":"ada@example.com","amount_cents":4200}` as RawJson

const server = await startRedisServer()
const raw = new Redis(server.url)

/** Sum of `MEMORY USAGE` over the keys matching `pattern`. */
const usage = async (pattern: string): Promise<{ keys: number; bytes: number }> => {
  let cursor = "0"
  let keys = 0
  let bytes = 0
  do {
    const [next, batch] = await raw.scan(cursor, "MATCH", pattern, "COUNT", 1000)
    cursor = next
    for (const key of batch) {
      keys++
      bytes += Number(await raw.call("MEMORY", "USAGE", key, "SAMPLES", "0"))
    }
  } while (cursor !== "0")
  return { keys, bytes }
}

const program = Effect.gen(function*() {
  const context = yield* Layer.build(BananasRedis.layer({ url: server.url, prefix, events: true }))
  const queue = Context.get(context, JobQueue)
  const outbox = Context.get(context, EventQueue)
  const now = () => Timestamp.fromMillis(Date.now())
  for (let i = 0; i < n; i++) {
    yield* queue.enqueue(JobModel.make({ id: `job-${i}`, name: "work", payload, priority: "normal", now: now(), maxRetries: 3 }))
  }
  for (let i = 0; i < n; i++) {
    const taken = yield* queue.dequeue({ priorities: ["normal"], block: Duration.zero })
    if (Option.isNone(taken) || taken.value._tag !== "Job") throw new Error("expected a job")
    yield* queue.complete(taken.value, { result: `{"charged":true,"receipt":"r-${i}"}` as RawJson, durationMs: 3, now: now() })
  }
  const pending = yield* Effect.promise(() => usage(`${prefix}events:job:*`))
  const list = Number(yield* Effect.promise(() => raw.call("MEMORY", "USAGE", `${prefix}events:queue:normal`, "SAMPLES", "0")))
  // Deliver each: fan out to one endpoint, complete the event and its delivery (the delivery worker's steps).
  for (let i = 0; i < n; i++) {
    const taken = yield* outbox.dequeue({ priorities: ["normal"], block: Duration.zero })
    if (Option.isNone(taken) || taken.value._tag !== "Job") throw new Error("expected an event")
    const event = taken.value.job
    yield* outbox.enqueue(JobModel.make({ id: `${event.id}.hook`, name: JobModel.deliveryJobName, payload: `{"endpoint":"hook","event":${event.payload}}` as RawJson, priority: "normal", now: now(), maxRetries: 12 }))
    yield* outbox.complete(taken.value, { result: `{"deliveries":1}` as RawJson, durationMs: 1, now: now() })
    const delivery = yield* outbox.dequeue({ priorities: ["normal"], block: Duration.zero })
    if (Option.isNone(delivery) || delivery.value._tag !== "Job") throw new Error("expected a delivery")
    yield* outbox.complete(delivery.value, { result: `{"status":200}` as RawJson, durationMs: 1, now: now() })
  }
  const delivered = yield* Effect.promise(() => usage(`${prefix}events:*`))
  console.log(`pending: ${(pending.bytes / n).toFixed(0)} B per event (event job) + ${(list / n).toFixed(0)} B queue entry; ${pending.keys} keys for ${n} events`)
  console.log(`delivered (kept ${Events.deliveredTtlSeconds} s): ${(delivered.bytes / n).toFixed(0)} B per event in ${(delivered.keys / n).toFixed(1)} keys (event job, delivery job, their results)`)
})

await Effect.runPromise(Effect.scoped(program)).finally(async () => {
  raw.disconnect()
  await server.stop()
})
