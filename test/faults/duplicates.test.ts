/**
 * Bug 6a on a real Redis: a submission never creates a job twice.
 *
 * - A custom id submitted three times is one job, run once.
 * - A reply lost on the wire after Redis ran the submission (a TCP proxy
 *   cuts the connection right after forwarding the script call): whether
 *   ioredis resends the command by itself (its default) or the SDK's retry
 *   policy resubmits after the `ConnectionError`, exactly one job exists and
 *   its id is queued once.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Bananas from "../../src/Bananas.ts"
import * as Tasks from "../../src/Tasks.ts"
import { JobQueue } from "../../src/services/JobQueue.ts"
import * as Handlers from "../../src/worker/HandlerRegistry.ts"
import * as Worker from "../../src/worker/Worker.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"
import { startTcpProxy } from "../support/TcpProxy.ts"

layer(RedisServer.layer, { timeout: 30_000, excludeTestServices: true })("6a: no duplicate jobs", (it) => {
  it.effect("a custom id submitted three times is one job, run once", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      const prefix = uniquePrefix("dup")
      let runs = 0
      const handlers = Handlers.empty.pipe(Handlers.addRaw("once", () => Effect.sync(() => void runs++)))
      const outcomes = yield* Effect.gen(function*() {
        const first = yield* Tasks.submit("once", { n: 1 }, { id: "order-42" })
        const second = yield* Tasks.submit("once", { n: 2 }, { id: "order-42" })
        const third = yield* Tasks.submit("once", { n: 3 }, { id: "order-42", priority: "high" })
        const unique = yield* Effect.flip(Tasks.submit("once", { n: 4 }, { id: "order-42", unique: true }))
        return { first, second, third, unique }
      }).pipe(Effect.provide(Bananas.layerRedis({ url: server.url, prefix })))
      assert.deepStrictEqual(outcomes.first, { id: "order-42", duplicate: false })
      assert.deepStrictEqual(outcomes.second, { id: "order-42", duplicate: true })
      assert.deepStrictEqual(outcomes.third, { id: "order-42", duplicate: true })
      assert.strictEqual(outcomes.unique._tag, "JobConflictError")
      const raw = server.raw
      assert.deepStrictEqual(yield* Effect.promise(() => raw.lrange(`${prefix}queue:normal`, 0, -1)), ["order-42"])
      assert.deepStrictEqual(yield* Effect.promise(() => raw.lrange(`${prefix}queue:high`, 0, -1)), [])
      assert.include((yield* Effect.promise(() => raw.get(`${prefix}job:order-42`)))!, `"payload":{"n":1}`)
      // Run it: the worker sees one job.
      yield* Tasks.waitForResult("order-42", { timeout: "5 seconds" }).pipe(
        Effect.provide(Worker.layer({ handlers, reaper: false, scheduler: false }).pipe(Layer.provideMerge(Bananas.layerRedis({ url: server.url, prefix }))))
      )
      assert.strictEqual(runs, 1)
    }))

  for (const mode of ["ioredis resends the command", "the retry policy resubmits"] as const) {
    it.effect(`a reply lost after Redis ran the submission creates one job (${mode})`, () =>
      Effect.gen(function*() {
        const server = yield* RedisServer
        const proxy = yield* Effect.acquireRelease(Effect.promise(() => startTcpProxy({ targetPort: server.port })), (p) => Effect.promise(() => p.close()))
        const prefix = uniquePrefix("lost")
        // In "resubmits" mode ioredis fails the command at once (no resend),
        // so only the SDK's policy can try again.
        const driverOptions = mode === "the retry policy resubmits" ? { maxRetriesPerRequest: 0 } : {}
        const backend = Bananas.layerRedis({ url: proxy.url, prefix, driverOptions })
        const { submitted, cut } = yield* Effect.gen(function*() {
          const queue = yield* JobQueue
          yield* Effect.promise(() => new Promise((r) => setTimeout(r, 50))) // connected, scripts loaded
          const cutting = proxy.cutAfterNextCommand("EVALSHA")
          const submitted = yield* Tasks.submit("lost_reply", { n: 1 }, {
            retry: Schedule.spaced("100 millis").pipe(Schedule.upTo({ times: 20 })),
            operationTimeout: "10 seconds"
          })
          void queue
          return { submitted, cut: yield* Effect.promise(() => cutting) }
        }).pipe(Effect.provide(backend))
        assert.strictEqual(cut.command.name, "EVALSHA")
        assert.isFalse(submitted.duplicate, "our own resend is not a duplicate")
        const raw = server.raw
        assert.deepStrictEqual(yield* Effect.promise(() => raw.lrange(`${prefix}queue:normal`, 0, -1)), [submitted.id])
        const keys = yield* Effect.promise(() => raw.keys(`${prefix}job:*`))
        assert.deepStrictEqual(keys, [`${prefix}job:${submitted.id}`])
        const stats = proxy.stats()
        assert.isAtLeast(stats.commandsByName["EVALSHA"] ?? 0, 2, "the script ran again after the cut")
      }).pipe(Effect.scoped))
  }
})
