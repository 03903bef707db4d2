/**
 * A dequeue whose reply is lost on the wire (a TCP proxy cuts the
 * connection right after Redis ran the take script): the job Redis moved
 * into processing for this worker is given back by the worker itself
 * (reclaim: it holds it but is not running it) and runs once, as attempt 1
 * (no attempt counted, no "lease expired" error), within seconds, not a
 * lease — also while every slot of the worker is busy with long jobs (its
 * dispatcher then waits for a slot: the reclaimer's own timer does it).
 */
import { assert, layer } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import * as Bananas from "../../src/Bananas.ts"
import * as JobCodec from "../../src/domain/JobCodec.ts"
import * as Scripts from "../../src/layers/redis/Scripts.ts"
import * as Tasks from "../../src/Tasks.ts"
import * as Handlers from "../../src/worker/HandlerRegistry.ts"
import * as Worker from "../../src/worker/Worker.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"
import { startTcpProxy } from "../support/TcpProxy.ts"

layer(RedisServer.layer, { timeout: 30_000, excludeTestServices: true })("lost dequeue reply", (it) => {
  it.effect("the job taken by a dequeue whose reply was lost runs once, attempt 1, within seconds", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      const proxy = yield* Effect.acquireRelease(Effect.promise(() => startTcpProxy({ targetPort: server.port })), (p) => Effect.promise(() => p.close()))
      const prefix = uniquePrefix("lostdq")
      const { id } = yield* Tasks.submit("once", { n: 1 }).pipe(Effect.provide(Bananas.layerRedis({ url: server.url, prefix })))
      // The worker's first take (over the proxy) takes the job; its reply is dropped.
      const cut = proxy.cutAfterNextCommand((c) => c.name === "EVALSHA" && c.args[0] === Scripts.takeJobs.sha)
      const runs: Array<{ readonly attempts: number; readonly at: number }> = []
      const started = Date.now()
      const handlers = Handlers.empty.pipe(Handlers.addRaw("once", ({ job }) => Effect.sync(() => void runs.push({ attempts: job.attempts, at: Date.now() - started }))))
      const backend = Bananas.layerRedis({ url: proxy.url, prefix })
      const result = yield* Tasks.waitForResult(id, { timeout: "15 seconds" }).pipe(
        Effect.provide(Worker.layer({ handlers, reaper: true, scheduler: false }).pipe(Layer.provideMerge(backend)))
      )
      const event = yield* Effect.promise(() => cut)
      assert.strictEqual(event.command.args[0], Scripts.takeJobs.sha)
      assert.strictEqual(result.status, "completed")
      assert.strictEqual(runs.length, 1, "run once")
      assert.strictEqual(runs[0]!.attempts, 0, "attempt 1: no attempt counted for the lost reply")
      assert.isBelow(runs[0]!.at, 8_000, "given back within seconds, not a lease (30 s)")
      const job = Result.getOrThrow(JobCodec.decode((yield* Effect.promise(() => server.raw.get(`${prefix}job:${id}`)))!))
      assert.strictEqual(job.attempts, 0)
      assert.isUndefined(job.error)
      console.log(`lost dequeue: ran after ${runs[0]!.at} ms`)
    }))
  it.effect("while every slot is busy with long jobs, the stray is back in its queue within seconds, then runs once", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      const proxy = yield* Effect.acquireRelease(Effect.promise(() => startTcpProxy({ targetPort: server.port })), (p) => Effect.promise(() => p.close()))
      const prefix = uniquePrefix("lostdq2")
      const direct = Bananas.layerRedis({ url: server.url, prefix })
      const { id } = yield* Tasks.submit("once", { n: 1 }).pipe(Effect.provide(direct))
      const cut = proxy.cutAfterNextCommand((c) => c.name === "EVALSHA" && c.args[0] === Scripts.takeJobs.sha)
      const runs: Array<number> = []
      let longStarted = 0
      const bothStarted = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const handlers = Handlers.empty.pipe(
        Handlers.addRaw("once", ({ job }) => Effect.sync(() => void runs.push(job.attempts))),
        Handlers.addRaw("long", () =>
          Effect.suspend(() => {
            if (++longStarted === 2) Deferred.doneUnsafe(bothStarted, Effect.void)
            return Deferred.await(release)
          }))
      )
      const backend = Bananas.layerRedis({ url: proxy.url, prefix })
      const backAfter = yield* Effect.gen(function*() {
        yield* Effect.promise(() => cut)
        // Both slots taken by long jobs: the dispatcher waits for a free slot.
        yield* Tasks.submitBatch([{ name: "long", payload: 1 }, { name: "long", payload: 2 }]).pipe(Effect.provide(direct))
        yield* Deferred.await(bothStarted).pipe(Effect.timeout("5 seconds"))
        const since = Date.now()
        while (!(yield* Effect.promise(() => server.raw.lrange(`${prefix}queue:normal`, 0, -1))).includes(id)) {
          assert.isBelow(Date.now() - since, 8_000, "the stray was not given back while the slots were busy")
          yield* Effect.sleep("50 millis")
        }
        const back = Date.now() - since
        assert.deepStrictEqual(runs, [], "not run while every slot is busy")
        yield* Deferred.succeed(release, undefined)
        const result = yield* Tasks.waitForResult(id, { timeout: "10 seconds" })
        assert.strictEqual(result.status, "completed")
        return back
      }).pipe(Effect.provide(Worker.layer({ handlers, concurrency: 2, reaper: true, scheduler: false }).pipe(Layer.provideMerge(backend))))
      assert.deepStrictEqual(runs, [0], "run once, attempt 1")
      assert.isBelow(backAfter, 4_000)
      console.log(`lost dequeue with busy slots: back in its queue ${backAfter} ms after the slots filled`)
    }))
})
