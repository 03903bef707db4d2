/**
 * The bounded webhook delivery log: one record per delivery attempt
 * (endpoint, status, error, duration), newest first, at most `size`
 * records. On Redis it is one capped list (`<prefix>events:log`, `LPUSH` +
 * `LTRIM`), shared by every replica; in memory an array. It is a log for
 * people: the events themselves are durable jobs, whatever happens to it.
 *
 * @since 0.2.0
 */

import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { RedisPort } from "../layers/redis/BananasRedis.ts"
import { DeliveryRecord } from "../http/Schemas.ts"
import { JobQueue } from "../services/JobQueue.ts"

/**
 * The delivery log.
 *
 * @category services
 * @since 0.2.0
 */
export class DeliveryLog extends Context.Service<DeliveryLog, {
  /** Appends a record (a failure to write it is logged, never fails the delivery). */
  readonly record: (entry: DeliveryRecord) => Effect.Effect<void>
  /** The newest records, at most `limit`. */
  readonly recent: (limit: number) => Effect.Effect<ReadonlyArray<DeliveryRecord>>
}>()("@bananas/effect/gateway/DeliveryLog") {}

/**
 * The log on the backend in context: Redis when a `RedisPort` is there
 * (the key under the queue's prefix), else in memory.
 *
 * @category layers
 * @since 0.2.0
 */
export const layer = (size: number): Layer.Layer<DeliveryLog, never, JobQueue> =>
  Layer.effect(DeliveryLog, Effect.gen(function*() {
    const port = yield* Effect.serviceOption(RedisPort.RedisPort)
    const key = `${(yield* JobQueue).protocol.keys.prefix}events:log`
    return Option.isSome(port) ? onRedis(port.value, key, size) : inMemory(size)
  }))

// Internal

const encode = Schema.encodeSync(Schema.fromJsonString(DeliveryRecord))
const decode = Schema.decodeUnknownOption(Schema.fromJsonString(DeliveryRecord))

const onRedis = (port: RedisPort.RedisPort["Service"], key: string, size: number): DeliveryLog["Service"] =>
  DeliveryLog.of({
    record: (entry) =>
      RedisPort.run(port, "deliveryLog", async (redis) => {
        await redis.send("LPUSH", [key, encode(entry)])
        await redis.send("LTRIM", [key, 0, size - 1])
      }).pipe(Effect.catch((e) => Effect.logWarning("could not write the webhook delivery log", e.message))),
    recent: (limit) =>
      RedisPort.run(port, "deliveryLog", (redis) => redis.send("LRANGE", [key, 0, Math.max(0, Math.min(limit, size) - 1)])).pipe(
        Effect.map((items) => (Array.isArray(items) ? items : []).flatMap((item) => Option.toArray(decode(item)))),
        Effect.catch((e) => Effect.as(Effect.logWarning("could not read the webhook delivery log", e.message), []))
      )
  })

const inMemory = (size: number): DeliveryLog["Service"] => {
  const entries: Array<DeliveryRecord> = []
  return DeliveryLog.of({
    record: (entry) =>
      Effect.sync(() => {
        entries.unshift(entry)
        if (entries.length > size) entries.length = size
      }),
    recent: (limit) => Effect.sync(() => entries.slice(0, Math.max(0, limit)))
  })
}
