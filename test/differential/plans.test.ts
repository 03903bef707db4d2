/**
 * The plan interpreter on Redis (`applyPlans`, many plans in one script
 * call) against the memory layer's `applyPlan` (one plan at a time), on
 * random plans over a few keys seeded with random types: the same outcome
 * per plan (applied, refused by which guard, already applied, or which key
 * has the wrong type) and the same keyspace after. The script's shortcuts
 * live here: the removals it gathers over a call (a later guard on a
 * removed member, a later write to the key), the type check it leaves to a
 * plan's first write (refused by a guard, another key of the wrong type
 * too). The seed is printed on failure; `DIFF_RUNS` sets the number of
 * calls (default 150).
 */
import { assert, describe, layer } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import fc from "fast-check"
import { Keyspace } from "../../src/layers/memory/internal/Keyspace.ts"
import * as MemoryJobStore from "../../src/layers/memory/internal/MemoryJobStore.ts"
import * as MemoryStore from "../../src/layers/memory/MemoryStore.ts"
import * as IoRedis from "../../src/layers/redis/IoRedis.ts"
import * as RedisJobStore from "../../src/layers/redis/RedisJobStore.ts"
import * as Settings from "../../src/layers/redis/Settings.ts"
import * as Subscriber from "../../src/layers/redis/Subscriber.ts"
import * as Keys from "../../src/protocol/Keys.ts"
import type { Guard, Plan, Write } from "../../src/protocol/Plan.ts"
import { findKeyTypes } from "../../src/protocol/Plan.ts"
import * as Wire from "../../src/protocol/Wire.ts"
import { JobStore } from "../../src/store/JobStore.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"
import { dumpRedis, normalize } from "./Keyspace.ts"

const numRuns = Number(process.env.DIFF_RUNS ?? 150)

// Each key has a type in the layout (as the job layout does); most operations keep to it.
const names = ["k0", "k1", "k2", "k3", "k4"] as const
const layout = ["zset", "hash", "set", "list", "string"] as const
const member = fc.constantFrom("m0", "m1", "m2")
const keyIndex = fc.integer({ min: 0, max: names.length - 1 })
const seedKind = fc.oneof(
  { arbitrary: fc.constant("layout"), weight: 6 },
  { arbitrary: fc.constant("none"), weight: 2 },
  { arbitrary: fc.constantFrom("string", "list", "zset", "hash", "set"), weight: 1 }
)

/** Writes that give a key its seed (none: absent). */
const seedWrites = (key: string, k: number, kind: string): ReadonlyArray<Write> => {
  switch (kind === "layout" ? layout[k] : kind) {
    case "string": return [{ op: "set", key, value: "s" }]
    case "list": return [{ op: "rpush", key, value: "m0" }, { op: "rpush", key, value: "m1" }]
    case "zset": return [{ op: "zadd", key, score: 1, member: "m0" }, { op: "zadd", key, score: 2, member: "m1" }]
    case "hash": return [{ op: "hset", key, fields: [["m0", "v0"], ["m1", "v1"]] }]
    case "set": return [{ op: "sadd", key, member: "m0" }, { op: "sadd", key, member: "m1" }]
    default: return []
  }
}

/** Every key of the test under one prefix (each call starts from none of them). */
const prefix = uniquePrefix("plans")
const key = (k: number) => prefix + names[k]
/** The operations on a key of each layout type, and on any type. */
const guardsOf = { zset: ["zhas", "zle"], hash: ["heq", "hnil"], set: ["snot"], list: ["lhas"], string: ["eq", "ne"] } as const
const writesOf = {
  zset: ["zadd", "zrem", "zrem"],
  hash: ["hset", "hdel", "hdel"],
  set: ["sadd", "srem", "srem"],
  list: ["lpush", "rpush", "lrem", "ltrim"],
  string: ["set"]
} as const
/** An operation for key `k`: mostly of its layout type, sometimes of any (`anyType`), sometimes typeless (`untyped`). */
const opFor = <A extends string>(ofType: Readonly<Record<string, ReadonlyArray<A>>>, untyped: ReadonlyArray<A>) =>
  fc.tuple(keyIndex, fc.nat(), fc.integer({ min: 0, max: 9 })).map(([k, n, roll]) => {
    const choices = roll === 0 ? Object.values(ofType).flat() : roll <= 2 ? untyped : ofType[layout[k]!]!
    return [k, choices[n % choices.length]!] as const
  })

const guard: fc.Arbitrary<Guard> = fc.tuple(
  opFor<Guard["op"]>(guardsOf, ["absent", "exists"]),
  member,
  fc.option(fc.constant(4), { nil: undefined, freq: 3 })
).map(([[k, op], m, appliedIf]): Guard => {
  const base = { reason: "notHeld" as const, ...(appliedIf === undefined ? {} : { appliedIf: { key: key(appliedIf), value: "s" } }) }
  switch (op) {
    case "absent": case "exists": return { ...base, op, key: key(k) }
    case "eq": case "ne": return { ...base, op, key: key(k), value: "s" }
    case "heq": return { ...base, op, key: key(k), field: m, value: `v${m.slice(1)}` }
    case "hnil": return { ...base, op, key: key(k), field: m }
    case "zle": return { ...base, op, key: key(k), member: m, max: 2 }
    default: return { ...base, op, key: key(k), member: m }
  }
})

const write: fc.Arbitrary<Write> = fc.tuple(
  opFor<Write["op"]>(writesOf, ["del", "expire", "publish"]),
  member
).map(([[k, op], m]): Write => {
  switch (op) {
    case "set": return { op, key: key(k), value: "s" }
    case "del": return { op, key: key(k) }
    case "lpush": case "rpush": return { op, key: key(k), value: m }
    case "lrem": return { op, key: key(k), count: -1, value: m }
    case "ltrim": return { op, key: key(k), start: 0, stop: 1 }
    case "zadd": return { op, key: key(k), score: 3, member: m }
    case "hset": return { op, key: key(k), fields: [[m, "v9"]] }
    case "hdel": return { op, key: key(k), field: m }
    case "expire": return { op, key: key(k), seconds: 1000 }
    case "publish": return { op, channel: key(k), message: "x" }
    default: return { op: op as "zrem" | "sadd" | "srem", key: key(k), member: m }
  }
})

const plan: fc.Arbitrary<Plan> = fc.record({ guards: fc.array(guard, { maxLength: 2 }), writes: fc.array(write, { minLength: 1, maxLength: 4 }) })
  .filter((p) => !("conflict" in findKeyTypes(p)))

const call = fc.record({
  seeds: fc.tuple(seedKind, seedKind, seedKind, seedKind, seedKind),
  plans: fc.array(plan, { minLength: 1, maxLength: 10 })
})

describe("applyPlans against memory's applyPlan", () => {
  layer(RedisServer.layer, { excludeTestServices: true })((it) => {
    it.effect(`${numRuns} random calls of plans over keys of random types: the same outcomes and keyspace`, () =>
      Effect.scoped(Effect.gen(function*() {
        const server = yield* RedisServer
        const settings = yield* Effect.fromResult(Settings.make({ prefix }))
        const context = yield* Layer.build(
          RedisJobStore.layer(settings).pipe(Layer.provideMerge(Subscriber.layer), Layer.provideMerge(IoRedis.layer({ url: server.url })))
        )
        const redis = Context.get(context, JobStore)
        const coverage = { applied: 0, refused: 0, wrongType: 0 }
        const ttls = { expire: 1000 }
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(call, ({ seeds, plans }) =>
              Effect.runPromise(Effect.gen(function*() {
                yield* Effect.promise(() => server.raw.del(...names.map((_, k) => key(k))))
                const keyspace = new Keyspace()
                const memory = MemoryJobStore.make(keyspace, Wire.make({ prefix }))
                const seed = { guards: [], writes: seeds.flatMap((kind, k) => seedWrites(key(k), k, kind)) }
                for (const store of [memory, redis]) yield* store.apply("seed", [seed])
                const expected = yield* Effect.result(memory.apply("diff", plans))
                assert.deepStrictEqual(yield* Effect.result(redis.apply("diff", plans)), expected, "outcomes")
                if (Result.isSuccess(expected)) {
                  for (const o of expected.success) {
                    if (o._tag === "Applied") coverage.applied++
                    else if (o._tag === "Refused") coverage.refused++
                    else coverage.wrongType++
                  }
                }
                assert.deepStrictEqual(
                  normalize(prefix, yield* dumpRedis(server.raw, prefix), ttls),
                  normalize(prefix, yield* MemoryStore.make(keyspace, Keys.make(prefix)).dump, ttls),
                  "keyspace"
                )
              }))
            ),
            { numRuns }
          )
        )
        // The properties above are about all three; none may be vacuous.
        assert.isAbove(coverage.applied, numRuns, "applied plans")
        assert.isAbove(coverage.refused, numRuns / 2, "refused plans")
        assert.isAbove(coverage.wrongType, numRuns / 2, "plans refused for a key's type")
      })))
  })
})
