/**
 * The contract suite's `Raw` service over a memory instance's `MemoryStore`.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { MemoryStore } from "../../src/layers/memory/MemoryStore.ts"
import { Raw } from "../contract/Raw.ts"

/** `Raw` over the `MemoryStore` in context. */
export const layer: Layer.Layer<Raw, never, MemoryStore> = Layer.effect(
  Raw,
  Effect.gen(function*() {
    const store = yield* MemoryStore
    return Raw.of({
      set: (key, text) => store.set(key, text),
      get: (key) => store.get(key).pipe(Effect.map(Option.getOrUndefined)),
      del: (key) => Effect.asVoid(store.del(key)),
      lpush: (key, member) => store.lpush(key, member),
      lrange: (key) => store.lrange(key),
      zadd: (key, score, member) => store.zadd(key, score, member),
      zscore: (key, member) => store.zscore(key, member).pipe(Effect.map(Option.getOrUndefined)),
      // Redis rounds the remaining milliseconds to the nearest second.
      ttl: (key) => store.pttl(key).pipe(Effect.map((ms) => (ms < 0 ? ms : Math.floor((ms + 500) / 1000)))),
      pttl: (key) => store.pttl(key),
      hset: (key, fields) => store.hset(key, fields),
      hgetall: (key) => store.hgetall(key),
      // MemoryStore has no SMEMBERS: read the set from a dump (sets live under the instance prefix).
      smembers: (key) =>
        store.dump.pipe(Effect.flatMap((entries) => {
          const entry = entries.find((e) => e.key === key)
          if (entry === undefined) return Effect.succeed<ReadonlyArray<string>>([])
          if (entry.type !== "set") return Effect.die(new Error(`WRONGTYPE ${key} is a ${entry.type}`))
          return Effect.succeed([...entry.value].sort())
        })),
      keys: (prefix) => store.scan(prefix),
      purge: (prefix) => Effect.flatMap(store.scan(prefix), (keys) => Effect.forEach(keys, (key) => store.del(key), { discard: true }))
    })
  })
)
