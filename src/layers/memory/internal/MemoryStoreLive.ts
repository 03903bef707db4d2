/**
 * The implementation of `MemoryStore` over a memory instance's keyspace.
 *
 * Internal: exposed through `BananasMemory.layerWithStore`.
 *
 * @since 0.1.0
 */

import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { Keys } from "../../../protocol/Keys.ts"
import { type DumpEntry, MemoryStore } from "../MemoryStore.ts"
import { atomically } from "./MemoryJobStore.ts"
import type { Store } from "./Store.ts"

/**
 * Builds the raw access of a memory instance (see `BananasMemory`).
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (store: Store, keys: Keys): MemoryStore["Service"] => {
  const run = <A>(f: (now: number) => A) => Effect.orDie(atomically(store, "MemoryStore", f))
  return MemoryStore.of({
    keys,
    set: (key, text, ttl) => run(() => store.set(key, text, ttl === undefined ? undefined : Duration.toMillis(Duration.fromInputUnsafe(ttl)))),
    get: (key) => run(() => Option.fromUndefinedOr(store.get(key))),
    del: (key) => run(() => store.del(key)),
    lpush: (key, member) => run(() => store.lpush(key, member)),
    lrange: (key) => run(() => store.lrange(key)),
    zadd: (key, score, member) => run(() => void store.zadd(key, score, member)),
    zscore: (key, member) => run(() => Option.fromUndefinedOr(store.zscore(key, member))),
    hset: (key, fields) => run(() => store.hset(key, Object.entries(fields))),
    hgetall: (key) => run(() => store.hgetall(key)),
    pttl: (key) => run(() => store.pttl(key)),
    scan: (prefix) => run(() => store.keys(prefix ?? keys.prefix)),
    dump: run(() =>
      store.keys(keys.prefix).flatMap((key): Array<DumpEntry> => {
        const e = store.entry(key)
        if (e === undefined) return []
        const pttl = store.pttl(key)
        switch (e.type) {
          case "string": return [{ key, type: "string", value: e.value, pttl }]
          case "list": return [{ key, type: "list", value: [...e.items], pttl }]
          case "zset": return [{ key, type: "zset", value: store.zrangeByScore(key, Infinity), pttl }]
          case "hash": return [{ key, type: "hash", value: Object.fromEntries(e.fields), pttl }]
          case "set": return [{ key, type: "set", value: store.smembers(key), pttl }]
        }
      })
    ),
    listeners: run(() => store.subscriptionCount() + store.watcherCount())
  })
}
