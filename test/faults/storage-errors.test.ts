/**
 * Bug 6e on a real Redis: command errors are typed by kind, each with an
 * honest `isRetryable`, instead of a retryable `ConnectionError`; and a
 * worker whose handler finished while Redis refused writes keeps its lease
 * (its heartbeat is a PEXPIRE, which Redis accepts even out of memory) and
 * retries writing the outcome: the job is completed once, never re-run.
 */
import { assert, layer } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Bananas from "../../src/Bananas.ts"
import * as Tasks from "../../src/Tasks.ts"
import { RedisFailure, toFailure } from "../../src/layers/redis/RedisPort.ts"
import * as Handlers from "../../src/worker/HandlerRegistry.ts"
import * as Worker from "../../src/worker/Worker.ts"
import { RedisServer, startRedisServer, uniquePrefix } from "../support/RedisServer.ts"

/** The typed error of a Redis error reply, as the port reports it. */
const typed = (message: string) => toFailure("op", "127.0.0.1:1", new RedisFailure("reply", message, undefined, undefined))

/** The error text Redis replies to `f`. */
const replyOf = (f: () => Promise<unknown>) =>
  Effect.promise(() => f().then(() => assert.fail("expected an error reply"), (e: Error) => e.message))

layer(RedisServer.layer, { timeout: 30_000, excludeTestServices: true })("6e: Redis errors typed by kind", (it) => {
  it.effect("real error replies of Redis map to their kind, with isRetryable", () =>
    Effect.gen(function*() {
      const raw = (yield* RedisServer).raw
      const prefix = uniquePrefix("err")
      yield* Effect.promise(() => raw.set(`${prefix}s`, "x"))
      const wrongType = yield* replyOf(() => raw.lpush(`${prefix}s`, "a"))
      const script = yield* replyOf(() => raw.eval("return redis.call('NOPE')", 0))
      const syntax = yield* replyOf(() => raw.eval("this is not lua", 0))
      const aborted = yield* replyOf(() => raw.multi().set(`${prefix}t`, "1").call("NOPE").exec())
      const wrongPass = yield* replyOf(() => raw.call("AUTH", "nobody", "nothing"))
      const expectations: ReadonlyArray<readonly [string, string, boolean]> = [
        [wrongType, "WrongType", false],
        [script, "Script", false],
        [syntax, "Script", false],
        [aborted, "Aborted", false],
        [wrongPass, "Auth", false],
        ["OOM command not allowed when used memory > 'maxmemory'.", "OutOfMemory", true],
        ["READONLY You can't write against a read only replica.", "ReadOnly", true],
        ["BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.", "Busy", true],
        ["LOADING Redis is loading the dataset in memory", "Loading", true],
        ["CLUSTERDOWN The cluster is down", "ClusterDown", true]
      ]
      for (const [message, reason, retryable] of expectations) {
        const error = typed(message)
        assert.strictEqual(error._tag, "StorageError", message)
        if (error._tag === "StorageError") {
          assert.strictEqual(error.reason, reason, message)
          assert.strictEqual(error.isRetryable, retryable, message)
          assert.include(error.message, message.split(" ")[0]!, "the message keeps Redis's text")
        }
      }
      // A transport failure stays a ConnectionError naming where.
      const lost = toFailure("submit", "10.0.0.1:6380", new RedisFailure("transport", "connect ECONNREFUSED", "ECONNREFUSED", undefined))
      assert.strictEqual(lost._tag, "ConnectionError")
      assert.include(lost.message, "10.0.0.1:6380")
      assert.include(lost.message, "ECONNREFUSED")
    }))

  it.effect("out of memory: a submit fails with StorageError(OutOfMemory), retryable, and writes nothing", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      const raw = server.raw
      const prefix = uniquePrefix("oom")
      yield* Effect.gen(function*() {
        yield* Effect.promise(() => raw.config("SET", "maxmemory", "1"))
        const error = yield* Effect.flip(Tasks.submit("x", {}, { id: "j1", retry: undefined, operationTimeout: "5 seconds" }))
        yield* Effect.promise(() => raw.config("SET", "maxmemory", "0"))
        assert.strictEqual(error._tag, "StorageError")
        if (error._tag === "StorageError") {
          assert.strictEqual(error.reason, "OutOfMemory")
          assert.isTrue(error.isRetryable)
          assert.include(error.message, "maxmemory")
        }
        assert.isNull(yield* Effect.promise(() => raw.get(`${prefix}job:j1`)))
        assert.strictEqual(yield* Effect.promise(() => raw.llen(`${prefix}queue:normal`)), 0)
      }).pipe(Effect.provide(Bananas.layerRedis({ url: server.url, prefix })), Effect.ensuring(Effect.promise(() => raw.config("SET", "maxmemory", "0"))))
    }))

  it.effect("a read-only replica: a submit fails with StorageError(ReadOnly), retryable", () =>
    Effect.gen(function*() {
      const primary = yield* RedisServer
      const replica = yield* Effect.acquireRelease(Effect.promise(() => startRedisServer()), (r) => Effect.promise(() => r.stop()))
      const { Redis } = yield* Effect.promise(() => import("ioredis"))
      const admin = new Redis(replica.url)
      yield* Effect.promise(() => admin.call("REPLICAOF", "127.0.0.1", String(primary.port)))
      admin.disconnect()
      const error = yield* Effect.flip(Tasks.submit("x", {}, { retry: undefined })).pipe(
        Effect.provide(Bananas.layerRedis({ url: replica.url, prefix: uniquePrefix("ro") }))
      )
      assert.strictEqual(error._tag, "StorageError")
      if (error._tag === "StorageError") {
        assert.strictEqual(error.reason, "ReadOnly")
        assert.isTrue(error.isRetryable)
      }
    }).pipe(Effect.scoped))

  it.effect("out of memory after the handler finished: the worker keeps its lease, retries the outcome, and the job completes once", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      const raw = server.raw
      const prefix = uniquePrefix("oomw")
      const backend = Bananas.layerRedis({ url: server.url, prefix })
      const started = yield* Deferred.make<void>()
      const finish = yield* Deferred.make<void>()
      let runs = 0
      const handlers = Handlers.empty.pipe(Handlers.addRaw("work", () =>
        Effect.gen(function*() {
          runs++
          yield* Deferred.succeed(started, undefined)
          yield* Deferred.await(finish)
          return { done: true }
        })))
      const { id } = yield* Tasks.submit("work", {}).pipe(Effect.provide(backend))
      yield* Effect.gen(function*() {
        yield* Deferred.await(started)
        yield* Effect.promise(() => raw.config("SET", "maxmemory", "1"))
        yield* Deferred.succeed(finish, undefined)
        // Refused writes for more than two lease durations: the lease lapses, the heartbeat does not.
        yield* Effect.sleep("2500 millis")
        assert.deepStrictEqual(yield* Effect.promise(() => raw.lrange(`${prefix}queue:processing`, 0, -1)), [id], "still held")
        assert.isAbove(yield* Effect.promise(() => raw.pttl(`${prefix}worker:oom-worker`)), 0, "the heartbeat went on")
        yield* Effect.promise(() => raw.config("SET", "maxmemory", "0"))
        const result = yield* Tasks.waitForResult(id, { timeout: "15 seconds" })
        assert.strictEqual(result.status, "completed")
        assert.strictEqual(result.result, `{"done":true}`)
      }).pipe(
        Effect.provide(Worker.layer({
          handlers,
          workerId: "oom-worker",
          leaseDuration: "1 second",
          leaseRenewInterval: "200 millis",
          reaperInterval: "200 millis",
          scheduler: false
        }).pipe(Layer.provideMerge(backend))),
        Effect.ensuring(Effect.promise(() => raw.config("SET", "maxmemory", "0")))
      )
      assert.strictEqual(runs, 1, "never run again")
      const job = JSON.parse((yield* Effect.promise(() => raw.get(`${prefix}job:${id}`)))!)
      assert.strictEqual(job.status, "completed")
      assert.strictEqual(job.attempts, 0)
      assert.isUndefined(job.error)
    }), { timeout: 30_000 })
})
