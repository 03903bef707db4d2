/**
 * One definition per wire constant: the TTLs are defined once
 * (`protocol/Wire`), and overriding one through the backend options changes
 * what the Redis layer and the memory layer write alike — the same
 * scenario, the same TTLs, on both.
 */
import { assert, layer } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { RawJson } from "../../src/domain/RawJson.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import * as JobModel from "../../src/domain/Job.ts"
import * as BananasMemory from "../../src/layers/memory/BananasMemory.ts"
import { MemoryStore } from "../../src/layers/memory/MemoryStore.ts"
import * as BananasRedis from "../../src/layers/redis/BananasRedis.ts"
import * as Wire from "../../src/protocol/Wire.ts"
import { JobQueue } from "../../src/services/JobQueue.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"

const overrides = {
  completedJobTtl: Duration.hours(2),
  deadJobTtl: Duration.days(3),
  successTtl: Duration.minutes(10),
  failureTtl: Duration.minutes(20)
}

/** Completes one job and dead-letters another; returns the TTLs (seconds) of their data and results. */
const scenario = (queue: JobQueue["Service"], pttl: (key: string) => Effect.Effect<number>) =>
  Effect.gen(function*() {
    const now = Timestamp.fromMillis(Date.now())
    const make = (id: string) => JobModel.make({ id, name: "x", payload: `{}` as RawJson, priority: "normal", now, maxRetries: 1 })
    yield* queue.enqueue(make("ok"))
    yield* queue.enqueue(make("dead"))
    const [a, b] = yield* queue.dequeueMany({ priorities: ["normal"], block: Duration.zero, max: 2 })
    if (a?._tag !== "Job" || b?._tag !== "Job") return assert.fail("expected two jobs")
    yield* queue.complete(a, { durationMs: 1, now })
    yield* queue.fail(b, "boom", { durationMs: 1, now })
    const { keys } = queue.protocol
    const seconds = (key: string) => Effect.map(pttl(key), (ms) => Math.round(ms / 1000))
    return {
      completedJob: yield* seconds(keys.job(a.job.id)),
      resultSuccess: yield* seconds(keys.result(a.job.id)),
      deadJob: yield* seconds(keys.job(b.job.id)),
      resultFailure: yield* seconds(keys.result(b.job.id))
    }
  })

layer(RedisServer.layer, { timeout: 30_000, excludeTestServices: true })("wire constants: one definition, both backends", (it) => {
  it.effect("overriding the TTLs through the options changes Redis and memory together", () =>
    Effect.gen(function*() {
      const expected = Wire.make(overrides).ttl
      assert.notDeepEqual(expected, Wire.defaultTtls)

      const memoryContext = yield* Layer.build(BananasMemory.layerWithStore({ prefix: uniquePrefix("wire"), ...overrides }))
      const store = Context.get(memoryContext, MemoryStore)
      const memory = yield* scenario(Context.get(memoryContext, JobQueue), store.pttl)

      const server = yield* RedisServer
      const redisContext = yield* Layer.build(BananasRedis.layer({ url: server.url, prefix: uniquePrefix("wire"), ...overrides })).pipe(Effect.orDie)
      const redis = yield* scenario(Context.get(redisContext, JobQueue), (key) => Effect.promise(() => server.raw.pttl(key)))

      const want = { completedJob: expected.completedJob, resultSuccess: expected.resultSuccess, deadJob: expected.deadJob, resultFailure: expected.resultFailure }
      assert.deepStrictEqual(memory, want, "memory")
      assert.deepStrictEqual(redis, want, "redis")
    }).pipe(Effect.scoped))
})
