/**
 * The normalized keyspace of one Bananas namespace, for comparing the
 * memory layer with a real Redis: every key under the prefix (prefix
 * stripped) with its type and value, and its TTL reduced to which
 * configured TTL it was set to (the clocks run differently: Redis TTLs in
 * real time, memory's in the test's virtual time). Lease tokens
 * (`<owner>:<n>`, n counted from a random start per client) become their
 * rank among the tokens present.
 */
import * as Effect from "effect/Effect"
import { isDeepStrictEqual } from "node:util"
import type { Redis } from "ioredis"
import type { DumpEntry } from "../../src/layers/memory/MemoryStore.ts"
import { compareBytes } from "../../src/layers/memory/internal/Keyspace.ts"
import { scanKeys } from "../support/WireAudit.ts"

/** One normalized key. */
export interface NormalKey {
  readonly key: string
  readonly type: string
  readonly value: unknown
  readonly ttl: string
}

/** The TTLs a test configured, by name (seconds), to classify each key's TTL. */
export type TtlNames = Readonly<Record<string, number>>

/** Normalizes a dump (memory's, or one read from Redis in the same shape). */
export const normalize = (prefix: string, entries: ReadonlyArray<DumpEntry>, ttls: TtlNames): ReadonlyArray<NormalKey> => {
  const tokenKey = `${prefix}lease:tokens`
  const tokenNumbers = entries
    .filter((e) => e.key === tokenKey && e.type === "hash")
    .flatMap((e) => Object.values(e.value as Record<string, string>).map(tokenNumber))
  const ranks = new Map([...new Set(tokenNumbers)].sort((a, b) => a - b).map((n, i) => [n, i]))
  return [...entries]
    .sort((a, b) => compareBytes(a.key, b.key))
    .map((e) => {
      const key = e.key.slice(prefix.length)
      switch (e.type) {
        case "string":
          return { key, type: e.type, value: e.value, ttl: ttlName(e.pttl, ttls) }
        case "list":
          return { key, type: e.type, value: e.value, ttl: ttlName(e.pttl, ttls) }
        case "zset":
          return {
            key,
            type: e.type,
            value: [...e.value].sort(([am, as], [bm, bs]) => as - bs || compareBytes(am, bm)),
            ttl: ttlName(e.pttl, ttls)
          }
        case "set":
          return { key, type: e.type, value: [...e.value].sort(compareBytes), ttl: ttlName(e.pttl, ttls) }
        case "hash": {
          const fields = Object.entries(e.value).sort(([a], [b]) => compareBytes(a, b)).map(([f, v]) =>
            e.key === tokenKey ? [f, `${ownerOf(v)}#${ranks.get(tokenNumber(v))}`] : [f, v]
          )
          return { key, type: e.type, value: fields, ttl: ttlName(e.pttl, ttls) }
        }
      }
    })
}

/** Reads every key under `prefix` from Redis, in `MemoryStore.dump`'s shape. */
export const dumpRedis = (redis: Redis, prefix: string): Effect.Effect<ReadonlyArray<DumpEntry>> =>
  Effect.promise(async () => {
    const list = [...await scanKeys(redis, prefix)]
    const types = await Promise.all(list.map((k) => redis.type(k)))
    return Promise.all(list.map(async (key, i): Promise<DumpEntry> => {
      const pttl = await redis.pttl(key)
      switch (types[i]) {
        case "string": return { key, type: "string", value: (await redis.get(key)) ?? "", pttl }
        case "list": return { key, type: "list", value: await redis.lrange(key, 0, -1), pttl }
        case "zset": {
          const flat = await redis.zrange(key, 0, -1, "WITHSCORES")
          const pairs: Array<readonly [string, number]> = []
          for (let j = 0; j + 1 < flat.length; j += 2) pairs.push([flat[j]!, Number(flat[j + 1])])
          return { key, type: "zset", value: pairs, pttl }
        }
        case "hash": return { key, type: "hash", value: await redis.hgetall(key), pttl }
        case "set": return { key, type: "set", value: await redis.smembers(key), pttl }
        default: throw new Error(`unexpected type ${types[i]} at ${key}`)
      }
    }))
  })

/** A backend's side of a comparison: its prefix and how to dump its keyspace. */
export interface Dumpable {
  readonly prefix: string
  readonly dump: Effect.Effect<ReadonlyArray<DumpEntry>>
}

/** Dies with the first difference between the two sides after a step: their answers, then their normalized keyspaces. */
export const compareStep = (where: string, answers: readonly [unknown, unknown], sides: readonly [Dumpable, Dumpable], ttls: TtlNames) =>
  Effect.gen(function*() {
    const [a, b] = answers
    if (!isDeepStrictEqual(a, b)) {
      return yield* Effect.die(new Error(`${where}: answers differ\n memory: ${JSON.stringify(a)}\n redis:  ${JSON.stringify(b)}`))
    }
    const ka = normalize(sides[0].prefix, yield* sides[0].dump, ttls)
    const kb = normalize(sides[1].prefix, yield* sides[1].dump, ttls)
    if (!isDeepStrictEqual(ka, kb)) {
      return yield* Effect.die(new Error(`${where}: keyspaces differ\n memory: ${JSON.stringify(ka)}\n redis:  ${JSON.stringify(kb)}`))
    }
  })

// Internal

const tokenNumber = (token: string): number => Number(token.slice(token.lastIndexOf(":") + 1))
const ownerOf = (token: string): string => token.slice(0, token.lastIndexOf(":"))

/** The configured TTL a key's remaining time belongs to: the nearest one, by ratio. */
const ttlName = (pttl: number, ttls: TtlNames): string => {
  if (pttl < 0) return "none"
  let best = "?"
  let distance = Infinity
  for (const [name, seconds] of Object.entries(ttls)) {
    const d = Math.abs(Math.log(Math.max(1, pttl) / (seconds * 1000)))
    if (d < distance) {
      distance = d
      best = name
    }
  }
  return best
}
