/**
 * The backend the examples run on (a helper, not an example): in memory by
 * default; on Redis when `REDIS_URL` is set.
 *
 * On Redis each backend uses a fresh throwaway key prefix
 * (`bananas-example-<random>:`) and deletes its keys when released, so
 * running the examples never touches the `bananas:` queues that Go, Python
 * or other TypeScript programs share. Real applications keep the default
 * prefix and never delete keys like this.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Bananas, type QueueAdmin, type ResultBackend, type Schedules, type TaskApi } from "../src/index.ts"
import { type EventQueue, type JobQueue, RedisPort } from "../src/protocol.ts"

/** `REDIS_URL`, when set. */
export const redisUrl: string | undefined = process.env.REDIS_URL === "" ? undefined : process.env.REDIS_URL

/** `"memory"` or `"redis"`. */
export const backendName: "memory" | "redis" = redisUrl === undefined ? "memory" : "redis"

/** A fresh throwaway key prefix (used on Redis). */
export const examplePrefix = (): string => `bananas-example-${crypto.randomUUID().slice(0, 8)}:`

/** What every backend of the examples provides. */
export type Services = TaskApi | JobQueue | EventQueue | QueueAdmin | ResultBackend | Schedules

/**
 * A fresh backend: `Bananas.layerMemory()` (a new empty memory instance),
 * or `Bananas.layerRedis(...)` under a new throwaway prefix whose keys are
 * deleted on release; `events` turns on the job-event outbox (webhooks).
 */
export const makeBackend = (prefix: string = examplePrefix(), options: { readonly events?: boolean } = {}): Layer.Layer<Services, Bananas.RedisLayerError> =>
  redisUrl === undefined
    ? Bananas.layerMemory(options)
    : deleteOnRelease(prefix).pipe(Layer.provideMerge(Bananas.layerRedis({ url: redisUrl, prefix, ...options })))

/** On release, deletes every key under `prefix` (SCAN + DEL through the layer's own connection). */
const deleteOnRelease = (prefix: string) =>
  Layer.effectDiscard(Effect.gen(function*() {
    const port = yield* RedisPort.RedisPort
    yield* Effect.addFinalizer(() =>
      Effect.ignore(RedisPort.run(port, "cleanup", async (redis) => {
        let cursor = "0"
        do {
          const [next, keys] = (await redis.send("SCAN", [cursor, "MATCH", `${prefix}*`, "COUNT", 1000])) as [string, Array<string>]
          if (keys.length > 0) await redis.send("DEL", keys)
          cursor = next
        } while (cursor !== "0")
      }))
    )
  }))
