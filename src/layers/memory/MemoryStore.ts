/**
 * Raw access to the keyspace of a memory instance, for tests and tooling:
 * inspect what the memory layers wrote (the same keys and values Redis
 * would hold) and plant data the SDK would never write itself (corrupted
 * job JSON, ids without data, records written by Go).
 *
 * The commands mirror their Redis namesakes, and TTLs follow Effect's
 * `Clock` like the rest of the memory layers. A command on a key of another
 * type dies (Redis's `WRONGTYPE`): these are test tools.
 *
 * @stability stable
 * @since 0.1.0
 */

import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { Keys } from "../../protocol/Keys.ts"
import type { Keyspace } from "./internal/Keyspace.ts"
import { atomically } from "./internal/MemoryJobStore.ts"

/**
 * One key of a dump, with its value in Redis terms: `key`, its `type`,
 * its `value` (a string, the list's items head first, the zset's members
 * with their scores, the hash's fields, the set's members) and `pttl` (as
 * `PTTL` answers: -1 without a TTL).
 *
 * @category models
 * @since 0.1.0
 */
export type DumpEntry =
  /** A string key. */
  | { readonly key: string; readonly type: "string"; readonly value: string; readonly pttl: number }
  /** A list, its items from the head (`LRANGE 0 -1`). */
  | { readonly key: string; readonly type: "list"; readonly value: ReadonlyArray<string>; readonly pttl: number }
  /** A sorted set, its members with their scores in score order. */
  | { readonly key: string; readonly type: "zset"; readonly value: ReadonlyArray<readonly [string, number]>; readonly pttl: number }
  /** A hash, its fields. */
  | { readonly key: string; readonly type: "hash"; readonly value: Readonly<Record<string, string>>; readonly pttl: number }
  /** A set, its members. */
  | { readonly key: string; readonly type: "set"; readonly value: ReadonlyArray<string>; readonly pttl: number }

/**
 * The raw keyspace service of a memory instance.
 *
 * @category services
 * @since 0.1.0
 */
export class MemoryStore extends Context.Service<MemoryStore, {
  /** The key layout (prefix) of this instance. */
  readonly keys: Keys
  /** `SET key text` (no TTL), or with a TTL. */
  readonly set: (key: string, text: string, ttl?: Duration.Input) => Effect.Effect<void>
  /** `GET key`. */
  readonly get: (key: string) => Effect.Effect<Option.Option<string>>
  /** `DEL key`: true when it existed. */
  readonly del: (key: string) => Effect.Effect<boolean>
  /** `LPUSH key member` (wakes blocked `dequeue`s, as a real push does). */
  readonly lpush: (key: string, member: string) => Effect.Effect<void>
  /** `LRANGE key 0 -1`: newest `LPUSH` first. */
  readonly lrange: (key: string) => Effect.Effect<ReadonlyArray<string>>
  /** `ZADD key score member`. */
  readonly zadd: (key: string, score: number, member: string) => Effect.Effect<void>
  /** `ZSCORE key member`. */
  readonly zscore: (key: string, member: string) => Effect.Effect<Option.Option<number>>
  /** `HSET key field value ...` (merges). */
  readonly hset: (key: string, fields: Readonly<Record<string, string>>) => Effect.Effect<void>
  /** `HGETALL key` (empty when absent). */
  readonly hgetall: (key: string) => Effect.Effect<Readonly<Record<string, string>>>
  /** `PTTL key`: remaining milliseconds, -1 without a TTL, -2 when absent. */
  readonly pttl: (key: string) => Effect.Effect<number>
  /** Every live key starting with `prefix` (default: this instance's prefix), sorted. */
  readonly scan: (prefix?: string) => Effect.Effect<ReadonlyArray<string>>
  /** Every live key under this instance's prefix with its value and TTL. */
  readonly dump: Effect.Effect<ReadonlyArray<DumpEntry>>
  /** Open result subscriptions plus blocked `dequeue` watchers (0 when nothing waits). */
  readonly listeners: Effect.Effect<number>
}>()("@bananas/effect/MemoryStore") {}

/**
 * Builds the raw access of a memory instance over its keyspace (what
 * `BananasMemory.layerWithStore` provides).
 *
 * @internal
 * @category constructors
 * @since 0.1.0
 */
export const make = (store: Keyspace, keys: Keys): MemoryStore["Service"] => {
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
