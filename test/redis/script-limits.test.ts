/**
 * How the store sends a flush of steps (a real redis-server). Bounds of
 * Redis and Lua: steps that would break one, batched into one flush with
 * steps that do not, fail their own callers with a typed `StorageError`
 * (reason `Limit`), write nothing, and leave the other callers' steps to go
 * through in the same script call; a step that makes building the call
 * throw (a bug) resumes every caller of that flush with an error, and the
 * store keeps working. Splits: a burst of many callers goes out as two
 * calls, a lone caller's batch as one.
 */
import { assert, describe, layer } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import * as JobModel from "../../src/domain/Job.ts"
import type { RawJson } from "../../src/domain/RawJson.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import * as IoRedis from "../../src/layers/redis/IoRedis.ts"
import * as RedisJobStore from "../../src/layers/redis/RedisJobStore.ts"
import * as Settings from "../../src/layers/redis/Settings.ts"
import * as Subscriber from "../../src/layers/redis/Subscriber.ts"
import type { Outcome, Plan } from "../../src/protocol/Plan.ts"
import * as Take from "../../src/protocol/Take.ts"
import * as T from "../../src/protocol/Transitions.ts"
import { JobStore, type StoreFailure } from "../../src/store/JobStore.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"

const now = Timestamp.fromMillis(Date.parse("2025-01-15T10:30:00Z"))
const newJob = (id: string) => JobModel.make({ id, name: "t", payload: `{"id":"${id}"}` as RawJson, priority: "normal", now, maxRetries: 3 })

/** A store on the file's server, under a fresh prefix. */
const store = Effect.gen(function*() {
  const server = yield* RedisServer
  const options = { url: server.url, prefix: uniquePrefix("lim") }
  const ctx = yield* Layer.build(RedisJobStore.layer(Result.getOrThrow(Settings.make(options))).pipe(
    Layer.provideMerge(Subscriber.layer),
    Layer.provideMerge(IoRedis.layer(options))
  )).pipe(Effect.orDie)
  return Context.get(ctx, JobStore)
})

/** EVALSHA calls the server ran so far. */
const evalshaCalls = Effect.flatMap(RedisServer, (s) =>
  Effect.promise(async () => Number(/cmdstat_evalsha:calls=(\d+)/.exec(await s.raw.info("commandstats"))?.[1] ?? 0)))

/** Applies each plan as its own caller, all in one turn of the event loop (one flush). */
const applyTogether = (s: JobStore["Service"], plans: ReadonlyArray<readonly [string, Plan]>) =>
  Effect.promise(() =>
    Promise.all(plans.map(([operation, plan]) => Effect.runPromiseExit(s.apply(operation, [plan]))))
  )

const limitOf = (exit: Exit.Exit<ReadonlyArray<Outcome>, StoreFailure>) =>
  Exit.isFailure(exit) && exit.cause.reasons[0]?._tag === "Fail" ? exit.cause.reasons[0].error : undefined

describe("script bounds at the store", () => {
  layer(RedisServer.layer, { excludeTestServices: true })((it) => {
    it.effect("steps over a bound fail their callers typed and write nothing; the others of the same flush go through in one call", () =>
      Effect.gen(function*() {
        const s = yield* store
        const keys = s.protocol.keys
        const tooManyFields: Plan = { guards: [], writes: [{ op: "hset", key: keys.result("h"), fields: Array.from({ length: 4000 }, (_, i) => [`f${i}`, "v"] as const) }] }
        const nanScore: Plan = { guards: [], writes: [{ op: "set", key: keys.job("nan"), value: "x" }, { op: "zadd", key: keys.scheduled, score: Number.NaN, member: "nan" }] }
        const zeroTtl: Plan = { guards: [], writes: [{ op: "set", key: keys.job("ttl"), value: "x", ttl: 0 }] }
        const twoTypes: Plan = { guards: [{ op: "eq", key: keys.job("two"), value: "v", reason: "changed" }], writes: [{ op: "lpush", key: keys.job("two"), value: "v" }] }
        const before = yield* evalshaCalls
        const exits = yield* applyTogether(s, [
          ["enqueue", T.enqueue(s.protocol, newJob("a"))],
          ["storeResult", tooManyFields],
          ["schedule", nanScore],
          ["complete", zeroTtl],
          ["enqueue", T.enqueue(s.protocol, newJob("b"))],
          ["cancel", twoTypes]
        ])
        assert.strictEqual((yield* evalshaCalls) - before, 1, "one script call carried the two good steps")
        assert.deepStrictEqual(exits.map((e) => (Exit.isSuccess(e) ? e.value[0]?._tag : limitOf(e)?._tag)), [
          "Applied", "StorageError", "StorageError", "StorageError", "Applied", "StorageError"
        ])
        const errors = exits.map(limitOf).filter((e) => e !== undefined)
        for (const e of errors) assert.strictEqual(e._tag === "StorageError" ? e.reason : e._tag, "Limit")
        assert.deepStrictEqual(errors.map((e) => e.operation), ["storeResult", "schedule", "complete", "cancel"])
        assert.match(errors[0]!.message, /storeResult: an HSET of .* sets 1 to 3950 fields in one step .*got 4000; nothing was sent to Redis/)
        assert.match(errors[1]!.message, /must be a finite number, got NaN/)
        assert.match(errors[2]!.message, /TTL \(s\)/)
        assert.match(errors[3]!.message, /as string and list/)
        const server = yield* RedisServer
        const exists = yield* Effect.promise(() =>
          Promise.all([keys.job("a"), keys.job("b"), keys.result("h"), keys.job("nan"), keys.scheduled, keys.job("ttl"), keys.job("two")].map((k) => server.raw.exists(k)))
        )
        assert.deepStrictEqual(exists, [1, 1, 0, 0, 0, 0, 0], "the good steps written, nothing of the refused ones")
      }))

    it.effect("a take over Lua's unpack bound fails typed before anything is sent", () =>
      Effect.gen(function*() {
        const s = yield* store
        const before = yield* evalshaCalls
        const error = yield* Effect.flip(s.take(Take.make(s.protocol, { priorities: ["normal"], max: 5000, lease: { owner: "w", expiresAt: 1, firstToken: 1, heartbeatMillis: 1000 } })))
        assert.strictEqual(error._tag, "StorageError")
        assert.strictEqual(error._tag === "StorageError" ? error.reason : "", "Limit")
        assert.match(error.message, /^dequeue: the most ids of one take must be an integer in \[1, 3950\], got 5000; nothing was sent/)
        assert.strictEqual((yield* evalshaCalls) - before, 0)
      }))

    it.effect("a step that makes building the call throw resumes every caller of that flush with an error; the next flush works", () =>
      Effect.gen(function*() {
        const s = yield* store
        const exploding = { writes: [], get guards(): never { throw new Error("boom") } } satisfies Plan
        const exits = yield* applyTogether(s, [
          ["enqueue", T.enqueue(s.protocol, newJob("c"))],
          ["enqueue", exploding],
          ["enqueue", T.enqueue(s.protocol, newJob("d"))]
        ])
        assert.strictEqual(exits.length, 3, "every caller resumed")
        for (const exit of exits) {
          const error = limitOf(exit)
          assert.strictEqual(error?._tag, "StorageError")
          assert.match(error?.message ?? "", /enqueue: could not send its steps to Redis: Error: boom/)
        }
        const after = yield* s.apply("enqueue", [T.enqueue(s.protocol, newJob("e"))])
        assert.deepStrictEqual(after, [{ _tag: "Applied" }])
      }))
  })
})

describe("a flush's script calls", () => {
  layer(RedisServer.layer, { excludeTestServices: true })((it) => {
    it.effect("a burst of 32 steps or more from many callers goes out as two calls; a smaller burst and a lone caller's batch as one", () =>
      Effect.gen(function*() {
        const s = yield* store
        const enqueues = (label: string, n: number) =>
          Array.from({ length: n }, (_, i) => T.enqueue(s.protocol, newJob(`${label}-${i}`)))
        const callsOf = <A, E>(effect: Effect.Effect<A, E>) =>
          Effect.gen(function*() {
            const before = yield* evalshaCalls
            const value = yield* effect
            return { calls: (yield* evalshaCalls) - before, value }
          })

        const small = yield* callsOf(applyTogether(s, enqueues("small", 31).map((plan) => ["enqueue", plan] as const)))
        assert.strictEqual(small.calls, 1, "31 callers: one call")
        const burst = yield* callsOf(applyTogether(s, enqueues("burst", 40).map((plan) => ["enqueue", plan] as const)))
        assert.strictEqual(burst.calls, 2, "40 callers: two calls")
        assert.deepStrictEqual(burst.value.map((e) => (Exit.isSuccess(e) ? e.value[0]?._tag : "failed")), Array(40).fill("Applied"))
        const lone = yield* callsOf(s.apply("enqueue", enqueues("lone", 40)))
        assert.strictEqual(lone.calls, 1, "one caller's 40 steps: one call")
        assert.deepStrictEqual(lone.value.map((o) => o._tag), Array(40).fill("Applied"))
        const server = yield* RedisServer
        const queued = yield* Effect.promise(() => server.raw.llen(s.protocol.keys.queue("normal")))
        assert.strictEqual(queued, 111, "every step written once")
      }))
  })
})
