/**
 * The SDK on a Sentinel-managed Redis (a master, a replica, three
 * sentinels; one fixture for the file, so one failover):
 *
 * - the retry policy treats the failover's errors (ReadOnly, ClusterDown,
 *   Loading) as retryable;
 * - a write that reaches the read-only replica is a typed
 *   `StorageError` (reason `ReadOnly`, retryable), and a submit retried by
 *   the policy through the failover succeeds once the replica is promoted,
 *   creating the job once;
 * - the master is SIGKILLed mid-load (producers submitting, a worker
 *   running): the sentinel-configured clients and the worker reconnect to
 *   the promoted master and finish the work: every submitted job is
 *   completed, its result stored, nothing left queued or in processing.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import { Redis } from "ioredis"
import { StorageError } from "../../src/domain/Errors.ts"
import * as DirectTaskApi from "../../src/layers/DirectTaskApi.ts"
import * as Policies from "../../src/layers/Policies.ts"
import * as BananasRedis from "../../src/layers/redis/BananasRedis.ts"
import { JobQueue } from "../../src/services/JobQueue.ts"
import * as Tasks from "../../src/Tasks.ts"
import { Worker } from "../../src/worker/index.ts"
import { RedisSentinel } from "../support/RedisSentinel.ts"
import { uniquePrefix } from "../support/RedisServer.ts"
import { newJob } from "../worker/support/Backend.ts"
import { countingAdd } from "../support/CountingHandlers.ts"

const TOTAL = 400

/** `errorstat_<code>` count of a node's `INFO errorstats`. */
const errorCount = async (port: number, code: string): Promise<number> => {
  const r = new Redis({ port, host: "127.0.0.1", lazyConnect: true, retryStrategy: () => null })
  r.on("error", () => {})
  await r.connect()
  const info = await r.info("errorstats")
  r.disconnect()
  return Number(new RegExp(`^errorstat_${code}:count=(\\d+)`, "m").exec(info)?.[1] ?? 0)
}

/** A retry budget longer than a failover (about 2-3 s here). */
const patient = Policies.layerRetry(Schedule.spaced("100 millis").pipe(Schedule.upTo({ times: 150 })))

layer(RedisSentinel.layer, { excludeTestServices: true, timeout: "45 seconds" })("Redis Sentinel", (it) => {
  it.effect("ReadOnly, ClusterDown and Loading are retryable StorageErrors", () =>
    Effect.sync(() => {
      for (const reason of ["ReadOnly", "ClusterDown", "Loading"] as const) {
        assert.isTrue(new StorageError({ operation: "submit", reason, message: "x" }).isRetryable, reason)
      }
      assert.isFalse(new StorageError({ operation: "submit", reason: "WrongType", message: "x" }).isRetryable)
    }))

  it.effect("a failover mid-load: clients and the worker follow the promoted master; every job completes, none lost", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisSentinel
      const prefix = uniquePrefix("failover")
      const sentinel = { sentinels: fixture.sentinels, name: fixture.name }
      const backend = DirectTaskApi.layer.pipe(
        Layer.provideMerge(BananasRedis.layer({ sentinel, prefix, connectionName: "failover" })),
        Layer.provideMerge(patient)
      )
      // A client that (wrongly) points at the replica: every write is READONLY until the replica is promoted.
      // (fresh: the TaskApi layer is memoized, and the failover client builds one too)
      const onReplica = Layer.fresh(DirectTaskApi.layer).pipe(
        Layer.provideMerge(BananasRedis.layer({ url: `redis://127.0.0.1:${fixture.replicaPort}`, prefix })),
        Layer.provideMerge(patient),
        Layer.orDie
      )

      // The typed error, from the store itself.
      const refused = yield* Effect.gen(function*() {
        const queue = yield* JobQueue
        return yield* Effect.flip(queue.enqueue(yield* newJob("add", { payload: `{"a":0,"b":0}` })))
      }).pipe(Effect.provide(onReplica))
      assert.strictEqual(refused._tag, "StorageError")
      assert.isTrue(refused._tag === "StorageError" && refused.reason === "ReadOnly" && refused.isRetryable, String(refused))

      const { runs, handlers } = countingAdd()
      const worker = Worker.layer({ handlers, concurrency: 8, leaseDuration: "3 seconds" })

      const result = yield* Effect.gen(function*() {
        // The replica client's submit, retried by the policy through the failover.
        const readOnlyBefore = yield* Effect.promise(() => errorCount(fixture.replicaPort, "READONLY"))
        const viaReplica = yield* Effect.forkChild(Effect.provide(Tasks.submit("add", { a: -1, b: 1 }), onReplica))

        // Producers: 400 jobs, 10 every 20 ms; the master dies after the first 100.
        const submitted: Array<string> = []
        const failedSubmits: Array<string> = []
        const producer = yield* Effect.forkChild(Effect.forEach(
          Array.from({ length: TOTAL / 10 }, (_, i) => i),
          (round) =>
            Effect.forEach(Array.from({ length: 10 }, (_, j) => round * 10 + j), (n) =>
              Tasks.submit("add", { a: n, b: 1 }).pipe(
                Effect.tap((s) => Effect.sync(() => void submitted.push(s.id))),
                Effect.catch((e) => Effect.sync(() => void failedSubmits.push(String(e))))
              ), { concurrency: 10, discard: true }).pipe(Effect.andThen(Effect.sleep("20 millis"))),
          { discard: true }
        ))
        while (submitted.length < 100) yield* Effect.sleep("10 millis")
        const old = yield* fixture.killMaster
        const promoted = yield* fixture.waitForFailover(old)
        assert.strictEqual(promoted, fixture.replicaPort)
        yield* Fiber.join(producer)
        const replicaSubmit = yield* Fiber.join(viaReplica)
        const readOnlyAfter = yield* Effect.promise(() => errorCount(promoted, "READONLY"))
        assert.isAbove(readOnlyAfter, readOnlyBefore, "the replica client's submit met READONLY before the promotion")
        assert.isFalse(replicaSubmit.duplicate)
        submitted.push(replicaSubmit.id)

        const results = yield* Effect.forEach(submitted, (id) => Tasks.waitForResult(id, { timeout: "20 seconds" }), { concurrency: 50 })
        const stats = yield* Tasks.stats()
        return { submitted, failedSubmits, results, stats }
      }).pipe(Effect.provide(worker.pipe(Layer.provideMerge(backend), Layer.orDie)))

      assert.deepStrictEqual(result.failedSubmits, [], "no submit failed for good")
      assert.strictEqual(result.submitted.length, TOTAL + 1)
      assert.strictEqual(new Set(result.submitted).size, TOTAL + 1)
      assert.isTrue(result.results.every((r) => r.status === "completed"), "every job completed")
      assert.deepStrictEqual(result.stats, { queued: { high: 0, normal: 0, low: 0 }, processing: 0, scheduled: 0, dead: 0 })
      for (const id of result.submitted) assert.isAtLeast(runs.get(id) ?? 0, 1, `job ${id} ran`)
      const repeated = [...runs.values()].filter((n) => n > 1).length
      // At-least-once: a job whose dequeue or completion had not reached the
      // replica when the master died runs again on the promoted master.
      assert.isAtMost(repeated, 8 * 2, "only jobs in flight at the kill may run twice")
      yield* Effect.logInfo(`failover: ${runs.size} jobs, ${repeated} ran twice`)
    }), { timeout: 40_000 })
})
