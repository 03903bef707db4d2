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
import { RedisCluster } from "../support/RedisCluster.ts"

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

/** Every key under `prefix` on every master (SCAN MATCH), sorted. */
export const scanAll = async (c: Cluster, prefix: string): Promise<Array<string>> => {
  const found: Array<string> = []
  for (const node of c.nodes("master")) {
    let cursor = "0"
    do {
      const [next, batch] = await node.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000)
      cursor = next
      found.push(...batch)
    } while (cursor !== "0")
  }
  return [...new Set(found)].sort()
}

/** `Raw` as ioredis Cluster commands. */
export const rawLayer: Layer.Layer<Raw, never, RedisCluster> = Layer.effect(
  Raw,
  Effect.gen(function*() {
    const r = yield* rawCluster
    const run = <A>(f: () => Promise<A>) => Effect.promise(f)
    return Raw.of({
      set: (key, text) => Effect.asVoid(run(() => r.set(key, text))),
      get: (key) => Effect.map(run(() => r.get(key)), (v) => v ?? undefined),
      del: (key) => Effect.asVoid(run(() => r.del(key))),
      lpush: (key, member) => Effect.asVoid(run(() => r.lpush(key, member))),
      lrange: (key) => run(() => r.lrange(key, 0, -1)),
      zadd: (key, score, member) => Effect.asVoid(run(() => r.zadd(key, score, member))),
      zscore: (key, member) => Effect.map(run(() => r.zscore(key, member)), (v) => (v === null ? undefined : Number(v))),
      ttl: (key) => run(() => r.ttl(key)),
      pttl: (key) => run(() => r.pttl(key)),
      hset: (key, fields) => Effect.asVoid(run(() => r.hset(key, fields))),
      hgetall: (key) => run(() => r.hgetall(key)),
      smembers: (key) => Effect.map(run(() => r.smembers(key)), (members) => [...members].sort()),
      keys: (prefix) => run(() => scanAll(r, prefix)),
      purge: (prefix) =>
        run(async () => {
          for (const key of await scanAll(r, prefix)) await r.unlink(key)
        })
    })
  })
)
