/**
 * Bug 6b on a real Redis: no step half-applies. Each key of the layout in
 * turn is made the wrong type (as another program might); every operation
 * touching it fails with a `StorageError` (`WrongType`) naming the key and
 * leaves the keyspace exactly as it was; nothing else is lost, and a worker
 * keeps going once the key is repaired.
 */
import { assert, layer } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Bananas from "../../src/Bananas.ts"
import * as Tasks from "../../src/Tasks.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import { JobQueue } from "../../src/services/JobQueue.ts"
import type { TaskApi } from "../../src/services/TaskApi.ts"
import * as Handlers from "../../src/worker/HandlerRegistry.ts"
import * as Worker from "../../src/worker/Worker.ts"
import { dumpRedis } from "../differential/Keyspace.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"

const lease = { owner: "w1", duration: Duration.seconds(30) }
const take = { priorities: ["high", "normal", "low"] as const, block: Duration.zero, max: 10, lease }

/** Runs `effect`, expecting a WrongType StorageError naming `key` and no change to the keyspace under `prefix`. */
const refusedUnchanged = <A, E, R>(label: string, prefix: string, key: string, effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const raw = (yield* RedisServer).raw
    const before = yield* dumpRedis(raw, prefix)
    const error = yield* Effect.flip(effect)
    const e = error as { readonly _tag?: string; readonly reason?: string; readonly key?: string; readonly message?: string }
    assert.strictEqual(e._tag, "StorageError", `${label}: ${String(e.message)}`)
    assert.strictEqual(e.reason, "WrongType", label)
    assert.strictEqual(e.key, key, label)
    assert.include(e.message ?? "", key, label)
    assert.deepStrictEqual(sortDump(yield* dumpRedis(raw, prefix)), sortDump(before), `${label}: the keyspace changed`)
  })

/** A dump sorted by key, remaining TTLs reduced to "has one" (they tick in real time). */
const sortDump = <A extends { readonly key: string; readonly pttl: number }>(d: ReadonlyArray<A>) =>
  [...d].sort((a, b) => (a.key < b.key ? -1 : 1)).map((e) => ({ ...e, pttl: e.pttl > 0 ? "ttl" : e.pttl }))

layer(RedisServer.layer, { timeout: 30_000, excludeTestServices: true })("6b: wrong-typed keys are detected before anything moves", (it) => {
  it.effect("SET queue:low oops, then 20 submits: the 10 low ones fail typed and write nothing, the 10 others are queued and run while it is broken", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      const prefix = uniquePrefix("wt")
      const raw = server.raw
      yield* Effect.promise(() => raw.set(`${prefix}queue:low`, "oops"))
      const live = backend(server.url, prefix)
      const outcomes = yield* Effect.forEach(Array.from({ length: 20 }, (_, i) => i), (i) =>
        Effect.result(Tasks.submit("work", { i }, { priority: i % 2 === 0 ? "low" : "normal", id: `job-${i}` }))).pipe(Effect.provide(live))
      for (const [i, o] of outcomes.entries()) {
        if (i % 2 === 0) {
          assert.isTrue(o._tag === "Failure", `job-${i}`)
          if (o._tag === "Failure") {
            assert.strictEqual(o.failure._tag, "StorageError")
            assert.strictEqual((o.failure as { key?: string }).key, `${prefix}queue:low`)
          }
          assert.isNull(yield* Effect.promise(() => raw.get(`${prefix}job:job-${i}`)), "nothing written for a refused submit")
        } else {
          assert.isTrue(o._tag === "Success", `job-${i}`)
        }
      }
      assert.strictEqual(yield* Effect.promise(() => raw.llen(`${prefix}queue:normal`)), 10)

      // A worker over all priorities serves the healthy queues while queue:low is broken
      // (see test/worker/BrokenQueue.redis.test.ts); the broken key is left as it was.
      let runs = 0
      const handlers = Handlers.empty.pipe(Handlers.addRaw("work", () => Effect.sync(() => void runs++)))
      yield* Effect.gen(function*() {
        for (let i = 1; i < 20; i += 2) {
          const result = yield* Tasks.waitForResult(`job-${i}`, { timeout: "10 seconds" })
          assert.strictEqual(result.status, "completed")
        }
        assert.strictEqual(yield* Effect.promise(() => raw.get(`${prefix}queue:low`)), "oops", "the broken key untouched")
        yield* Effect.promise(() => raw.del(`${prefix}queue:low`))
      }).pipe(Effect.provide(Worker.layer({ handlers, reaper: false, scheduler: false, block: "100 millis" }).pipe(Layer.provideMerge(live))))
      assert.strictEqual(runs, 10)
    }))

  // Each key of the layout in turn: how to break it, and the steps that touch it (each must be refused).
  // (queue:low holds the bystander job, so it is not broken here: the first test covers it.)
  type StepName = "submitHigh" | "submitNormal" | "submitVictim" | "schedule" | "dequeue" | "fail" | "complete"
  const cases: ReadonlyArray<{ readonly key: string; readonly bad: "string" | "list" | "zset"; readonly refused: ReadonlyArray<StepName> }> = [
    { key: "queue:high", bad: "string", refused: ["submitHigh", "dequeue"] },
    { key: "queue:normal", bad: "string", refused: ["submitNormal", "dequeue"] },
    { key: "queue:processing", bad: "string", refused: ["dequeue", "fail", "complete"] },
    { key: "leases", bad: "string", refused: ["dequeue", "fail", "complete"] },
    { key: "lease:tokens", bad: "list", refused: ["dequeue", "fail", "complete"] },
    { key: "worker:w1", bad: "string", refused: ["dequeue", "fail", "complete"] },
    { key: "queue:scheduled", bad: "list", refused: ["schedule", "fail"] },
    { key: "queue:dead", bad: "zset", refused: ["fail"] },
    { key: "job:victim", bad: "list", refused: ["submitVictim", "fail", "complete"] },
    { key: "result:victim", bad: "string", refused: ["complete"] }
  ]

  for (const { key: suffix, bad, refused } of cases) {
    it.effect(`${suffix} of the wrong type: ${refused.join(", ")} refused, typed, naming it, nothing changed; repaired, all goes on`, () =>
      Effect.gen(function*() {
        const server = yield* RedisServer
        const prefix = uniquePrefix("wt")
        const key = prefix + suffix
        const raw = server.raw
        yield* Effect.gen(function*() {
          const queue = yield* JobQueue
          const end = () => ({ durationMs: 1, now: Timestamp.fromMillis(Date.now()) })
          // Before the fault: the victim taken under a lease (its failure is retried only when the scheduled set is the
          // key under test, so that the failure touches it), another job waiting.
          yield* Tasks.submit("x", { n: 0 }, { id: "victim", priority: "high", maxRetries: suffix === "queue:scheduled" ? 3 : 1 })
          yield* Tasks.submit("x", { n: 1 }, { id: "other", priority: "low" })
          const victim = (yield* queue.dequeueMany({ ...take, max: 1 }))[0]
          if (victim?._tag !== "Job" || victim.job.id !== "victim") return assert.fail("expected the victim")
          // Break the key.
          yield* Effect.promise(() => raw.del(key))
          yield* Effect.promise(async () => {
            if (bad === "string") await raw.set(key, "oops")
            else if (bad === "list") await raw.rpush(key, "oops")
            else await raw.zadd(key, 1, "oops")
          })
          const steps: Readonly<Record<StepName, Effect.Effect<unknown, unknown, JobQueue | TaskApi>>> = {
            submitHigh: Tasks.submit("x", {}, { id: "fresh-high", priority: "high" }),
            submitNormal: Tasks.submit("x", {}, { id: "fresh-normal", priority: "normal" }),
            submitVictim: Tasks.submit("x", {}, { id: "victim" }),
            schedule: Tasks.submit("x", {}, { id: "later", at: Duration.minutes(5) }),
            dequeue: queue.dequeueMany(take),
            fail: queue.fail(victim, "boom", end()),
            complete: queue.complete(victim, end())
          }
          for (const step of refused) yield* refusedUnchanged(step, prefix, key, steps[step])
          // Repaired (deleted), the steps go through and nothing was lost.
          yield* Effect.promise(() => raw.del(key))
          const ended = yield* Effect.result(queue.complete(victim, end()))
          if (suffix === "lease:tokens") {
            // Deleting it to repair it took the victim's claim (its token) with it: fenced off.
            assert.strictEqual(ended._tag, "Failure", suffix)
            if (ended._tag === "Failure") assert.strictEqual((ended.failure as { _tag: string })._tag, "LeaseLostError")
          } else {
            assert.strictEqual(ended._tag, "Success", suffix)
          }
          const rest = yield* queue.dequeueMany(take)
          assert.deepStrictEqual(rest.map((d) => (d._tag === "Job" ? d.job.id : d.id)), ["other"], "the other job was never lost")
        }).pipe(Effect.provide(backend(server.url, prefix)))
      }))
  }
})

const backend = (url: string, prefix: string) => Bananas.layerRedis({ url, prefix })
