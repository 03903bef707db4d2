/**
 * Support for the Redis Cluster tests: the Bananas layer on the file's
 * private 3-master cluster (`RedisCluster`, default hash-tagged prefix made
 * unique per layer), and the contract suite's `Raw` as ioredis `Cluster`
 * commands, with SCAN over every master (a raw view, independent of the
 * SDK's slot routing).
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Cluster } from "ioredis"
import * as BananasRedis from "../../src/layers/redis/BananasRedis.ts"
import { Raw } from "../contract/Raw.ts"
import { rawOn } from "../redis/RedisRaw.ts"
import { RedisCluster } from "../support/RedisCluster.ts"
import { scanKeys } from "../support/WireAudit.ts"

/** A fresh hash-tagged prefix (`{label-<uuid>}:`). */
export const taggedPrefix = (label: string): string => `{${label}-${crypto.randomUUID().slice(0, 8)}}:`

/** `BananasRedis.layer` on the file's cluster. */
export const bananas = (options: BananasRedis.Options = {}) =>
  Layer.unwrap(Effect.gen(function*() {
    const { startupNodes } = yield* RedisCluster
    return BananasRedis.layer({ cluster: { nodes: startupNodes }, ...options })
  }))

/** A raw ioredis Cluster on the file's cluster (scoped). */
export const rawCluster = Effect.gen(function*() {
  const { startupNodes } = yield* RedisCluster
  return yield* Effect.acquireRelease(
    Effect.promise(async () => {
      const c = new Cluster([...startupNodes], { lazyConnect: true })
      c.on("error", () => {})
      await c.connect()
      return c
    }),
    (c) => Effect.promise(() => c.quit().then(() => undefined, () => c.disconnect()))
  )
})

/** Every key under `prefix` on every master (the wire audit's SCAN on each), sorted. */
export const scanAll = async (c: Cluster, prefix: string): Promise<Array<string>> => {
  const perNode = await Promise.all(c.nodes("master").map((node) => scanKeys(node, prefix)))
  return [...new Set(perNode.flat())].sort()
}

/** `Raw` as ioredis Cluster commands. */
export const rawLayer: Layer.Layer<Raw, never, RedisCluster> = Layer.effect(
  Raw,
  Effect.map(rawCluster, (r) =>
    rawOn(r, (prefix) => scanAll(r, prefix), async (keys) => {
      for (const key of keys) await r.unlink(key)
    }))
)
