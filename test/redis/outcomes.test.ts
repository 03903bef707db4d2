/**
 * Errors mean what they say, on a real Redis behind a TCP proxy:
 *
 * - Redis unreachable (connections dropped, new ones refused): a submit
 *   fails unsent (`outcome: "not-written"`, as a `ConnectionError` or at
 *   the deadline as a `TimeoutError`), and nothing is written later, once
 *   Redis is back (no offline queue sends it after the caller gave up).
 * - A frozen network (the command was sent, no answer): `TimeoutError`
 *   with `outcome: "unknown"`; it may land later, and submitting the same
 *   id again creates no duplicate.
 * - A batch cut in the middle reports which ids were written, which were
 *   not and which are unknown (checked against Redis), and submitting the
 *   same batch again (same ids) creates every job once.
 * - Closing the client while Redis does not answer is bounded.
 */
import { assert, layer } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Bananas from "../../src/Bananas.ts"
import type { BatchReport } from "../../src/domain/Errors.ts"
import * as Scripts from "../../src/layers/redis/Scripts.ts"
import * as Tasks from "../../src/Tasks.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"
import { startTcpProxy, type TcpProxyHandle } from "../support/TcpProxy.ts"

const withProxy = Effect.flatMap(RedisServer, (server) =>
  Effect.acquireRelease(Effect.promise(() => startTcpProxy({ targetPort: server.port })), (p) => Effect.promise(() => p.close())))

/** Redis unreachable: every connection dropped, new ones refused. */
const outage = (proxy: TcpProxyHandle) =>
  Effect.promise(async () => {
    await proxy.refuse(true)
    proxy.dropAll()
    await new Promise((r) => setTimeout(r, 50))
  })

const keysOf = (prefix: string, pattern: string) => Effect.flatMap(RedisServer, (s) => Effect.promise(() => s.raw.keys(prefix + pattern)))
const queued = (prefix: string) => Effect.flatMap(RedisServer, (s) => Effect.promise(() => s.raw.lrange(`${prefix}queue:normal`, 0, -1)))

layer(RedisServer.layer, { timeout: 30_000, excludeTestServices: true })("errors and outcomes", (it) => {
  it.effect("Redis unreachable: a submit fails not-written (ConnectionError, or TimeoutError at the deadline) and nothing lands later", () =>
    Effect.gen(function*() {
      const proxy = yield* withProxy
      const prefix = uniquePrefix("out")
      yield* Effect.gen(function*() {
        yield* outage(proxy)
        const connection = yield* Effect.flip(Tasks.submit("x", { n: 1 }, { retry: Schedule.recurs(2) }))
        assert.strictEqual(connection._tag, "ConnectionError")
        assert.strictEqual(connection._tag === "ConnectionError" && connection.outcome, "not-written")
        const started = Date.now()
        // Attempts at 0, 250 and 500 ms, each refused unsent within milliseconds: the deadline
        // falls between attempts (an attempt still running at the deadline would be "unknown").
        const timeout = yield* Effect.flip(Tasks.submit("x", { n: 2 }, { retry: Schedule.spaced("250 millis"), operationTimeout: "600 millis" }))
        assert.strictEqual(timeout._tag, "TimeoutError")
        assert.strictEqual(timeout._tag === "TimeoutError" && timeout.outcome, "not-written")
        assert.isBelow(Date.now() - started, 2_000)
        // Redis is back: nothing sent after the callers gave up.
        yield* Effect.promise(() => proxy.refuse(false))
        yield* Tasks.submit("probe", {}, { retry: Schedule.spaced("100 millis"), operationTimeout: "8 seconds" })
        yield* Effect.sleep("200 millis")
      }).pipe(Effect.provide(Bananas.layerRedis({ url: proxy.url, prefix })))
      assert.strictEqual((yield* keysOf(prefix, "job:*")).length, 1, "only the probe was written")
    }))

  it.effect("a frozen network: TimeoutError says unknown; it lands later, and the same id again is no duplicate", () =>
    Effect.gen(function*() {
      const proxy = yield* withProxy
      const prefix = uniquePrefix("frz")
      yield* Effect.gen(function*() {
        yield* Effect.sleep("50 millis")
        proxy.pause()
        const error = yield* Effect.flip(Tasks.submit("x", { n: 1 }, { id: "frozen-1", operationTimeout: "300 millis" }))
        assert.strictEqual(error._tag, "TimeoutError")
        assert.strictEqual(error._tag === "TimeoutError" && error.outcome, "unknown")
        proxy.resume()
        yield* Effect.sleep("200 millis")
        assert.deepStrictEqual(yield* keysOf(prefix, "job:*"), [`${prefix}job:frozen-1`], "written after the deadline: unknown was right")
        const again = yield* Tasks.submit("x", { n: 1 }, { id: "frozen-1" })
        assert.strictEqual(again.id, "frozen-1")
      }).pipe(Effect.provide(Bananas.layerRedis({ url: proxy.url, prefix })))
      assert.deepStrictEqual(yield* queued(prefix), ["frozen-1"], "one job, queued once")
    }))

  for (const mode of ["retries exhausted", "deadline"] as const) {
    it.effect(`a batch cut in the middle reports written / not written / unknown truthfully (${mode}); the same batch again creates each job once`, () =>
      Effect.gen(function*() {
        const server = yield* RedisServer
        const proxy = yield* withProxy
        const prefix = uniquePrefix("bat")
        const entries = Array.from({ length: 3000 }, (_, i) => ({ name: "bulk", payload: { i } }))
        const report = yield* Effect.gen(function*() {
          yield* Effect.sleep("50 millis")
          // The third script call (of six) runs in Redis, its reply is lost; the calls after it never reach Redis.
          let calls = 0
          const cut = proxy.cutAfterNextCommand((c) => c.name === "EVALSHA" && c.args[0] === Scripts.applyPlans.sha && ++calls === 3)
          void cut.then(() => proxy.refuse(true))
          const error = yield* Effect.flip(Tasks.submitBatch(
            entries,
            mode === "deadline"
              ? { retry: Schedule.spaced("50 millis"), operationTimeout: "700 millis" }
              : { retry: Schedule.spaced("50 millis").pipe(Schedule.upTo({ times: 3 })) }
          ))
          assert.strictEqual(error._tag, mode === "deadline" ? "TimeoutError" : "ConnectionError")
          const failed = error as { readonly outcome?: string; readonly batch?: BatchReport }
          assert.strictEqual(failed.outcome, "unknown", "something may have been written")
          return failed.batch!
        }).pipe(Effect.provide(Bananas.layerRedis({
          url: proxy.url,
          prefix,
          batchChunkSize: 500,
          // ioredis holds the calls in flight to resend them once reconnected, until its
          // reconnect attempts for them run out (maxRetriesPerRequest, 20 by default): here
          // after one, so that the calls fail and the retries run out before the deadline.
          ...(mode === "deadline" ? {} : { driverOptions: { maxRetriesPerRequest: 1 } })
        })))
        assert.strictEqual(report.written.length + report.notWritten.length + report.unknown.length, 3000)
        assert.strictEqual(report.written.length, 1000, "the two answered calls")
        assert.strictEqual(report.unknown.length, 2000, "the call whose reply was lost, and those sent after it")
        const exists = (ids: ReadonlyArray<string>) =>
          Effect.promise(() => Promise.all(ids.map((id) => server.raw.exists(`${prefix}job:${id}`))))
        assert.isTrue((yield* exists(report.written)).every((n) => n === 1), "every id reported written exists")
        assert.isTrue((yield* exists(report.notWritten)).every((n) => n === 0), "no id reported not written exists")
        const unknownExist = (yield* exists(report.unknown)).filter((n) => n === 1).length
        assert.strictEqual(unknownExist, 500, "of the unknown, the call Redis ran exists")
        // The same batch again, with the same ids, once Redis is reachable.
        yield* Effect.promise(() => proxy.refuse(false))
        const retried = yield* Tasks.submitBatch(
          entries.map((e, i) => ({ ...e, options: { id: report.ids[i]! } })),
          { retry: Schedule.spaced("100 millis"), operationTimeout: "10 seconds" }
        ).pipe(Effect.provide(Bananas.layerRedis({ url: proxy.url, prefix })))
        assert.deepStrictEqual(retried.map((r) => r.id), report.ids)
        assert.strictEqual(retried.length, 3000)
        const list = yield* queued(prefix)
        assert.strictEqual(list.length, 3000, "each job queued once")
        assert.strictEqual(new Set(list).size, 3000)
        assert.strictEqual((yield* keysOf(prefix, "job:*")).length, 3000)
      }))
  }

  it.effect("Redis unreachable before a batch: every id not written, outcome not-written", () =>
    Effect.gen(function*() {
      const proxy = yield* withProxy
      const prefix = uniquePrefix("batno")
      const error = yield* Effect.gen(function*() {
        yield* outage(proxy)
        return yield* Effect.flip(Tasks.submitBatch([{ name: "a", payload: 1 }, { name: "b", payload: 2 }], { retry: Schedule.recurs(1) }))
      }).pipe(Effect.provide(Bananas.layerRedis({ url: proxy.url, prefix })))
      assert.strictEqual(error._tag, "ConnectionError")
      const failed = error as { readonly outcome?: string; readonly batch?: BatchReport }
      assert.strictEqual(failed.outcome, "not-written")
      assert.strictEqual(failed.batch?.notWritten.length, 2)
      assert.deepStrictEqual([failed.batch?.written.length, failed.batch?.unknown.length], [0, 0])
    }))

  it.effect("closing the client while Redis does not answer takes about a second, not forever", () =>
    Effect.gen(function*() {
      const proxy = yield* withProxy
      const exit = yield* Effect.scoped(Effect.gen(function*() {
        yield* Layer.build(Bananas.layerRedis({ url: proxy.url, prefix: uniquePrefix("close") }))
        proxy.pause()
      })).pipe(Effect.timed, Effect.timeout("5 seconds"), Effect.exit)
      proxy.resume()
      assert.isTrue(Exit.isSuccess(exit), "the scope closed")
      if (Exit.isSuccess(exit)) assert.isBelow(Duration.toMillis(exit.value[0]), 3_000)
    }))
})
