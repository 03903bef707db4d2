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
      hset: (key, fields) => store.hset(key, fields),
      hgetall: (key) => store.hgetall(key),
      keys: (prefix) => store.scan(prefix)
    })
  })
)
