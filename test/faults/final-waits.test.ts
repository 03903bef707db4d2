/**
 * Bug 6d on a real Redis: every final outcome ends every wait at once.
 * A job dead-lettered for missing or corrupt data, one dead-lettered by the
 * reaper, and a cancelled one each get a failed result and `ready`, so a
 * waiting `submitAndWait` fails with `JobFailedError` (and `waitForResult`
 * returns the failed result) within moments — never after its timeout.
 */
import { assert, layer } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Bananas from "../../src/Bananas.ts"
import * as Tasks from "../../src/Tasks.ts"
import * as Wire from "../../src/protocol/Wire.ts"
import { JobQueue } from "../../src/services/JobQueue.ts"
import * as Handlers from "../../src/worker/HandlerRegistry.ts"
import * as Worker from "../../src/worker/Worker.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"

const timeout = "20 seconds"
const quickly = 3_000

const handlers = Handlers.empty.pipe(Handlers.addRaw("work", () => Effect.void))

/** Waits for `id` to be queued (its submission went through). */
const queued = (prefix: string, id: string) =>
  Effect.gen(function*() {
    const raw = (yield* RedisServer).raw
    for (let i = 0; i < 500; i++) {
      if ((yield* Effect.promise(() => raw.lpos(`${prefix}queue:normal`, id))) !== null) return
      yield* Effect.sleep("5 millis")
    }
    return assert.fail(`${id} was never queued`)
  })

layer(RedisServer.layer, { timeout: 30_000, excludeTestServices: true })("6d: final outcomes end waits at once", (it) => {
  for (const bad of ["missing", "corrupt"] as const) {
    it.effect(`dead-lettered for ${bad} data: submitAndWait fails with JobFailedError at once`, () =>
      Effect.gen(function*() {
        const server = yield* RedisServer
        const raw = server.raw
        const prefix = uniquePrefix("final")
        const backend = Bananas.layerRedis({ url: server.url, prefix })
        yield* Effect.gen(function*() {
          const started = Date.now()
          const waiting = yield* Effect.forkChild(Effect.flip(Tasks.submitAndWait("work", { n: 1 }, { id: "victim", timeout })))
          yield* queued(prefix, "victim")
          if (bad === "missing") yield* Effect.promise(() => raw.del(`${prefix}job:victim`))
          else yield* Effect.promise(() => raw.set(`${prefix}job:victim`, `{"id":"victim","attempts":"1"}`))
          // Now a worker takes it and dead-letters it.
          const error = yield* Fiber.join(waiting).pipe(
            Effect.provide(Worker.layer({ handlers, reaper: false, scheduler: false }).pipe(Layer.provideMerge(backend)))
          )
          assert.strictEqual(error._tag, "JobFailedError")
          if (error._tag === "JobFailedError") {
            assert.strictEqual(
              error.error,
              bad === "missing"
                ? Wire.errorText.missingData
                : Wire.errorText.unmarshal("json: cannot unmarshal string into Go struct field Job.attempts of type int")
            )
          }
          assert.isBelow(Date.now() - started, quickly)
        }).pipe(Effect.provide(backend))
      }))
  }

  it.effect("dead-lettered by the reaper (its worker died on the last attempt): submitAndWait fails at once", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      const raw = server.raw
      const prefix = uniquePrefix("final")
      const backend = Bananas.layerRedis({ url: server.url, prefix })
      yield* Effect.gen(function*() {
        const queue = yield* JobQueue
        const started = Date.now()
        const waiting = yield* Effect.forkChild(Effect.flip(Tasks.submitAndWait("work", {}, { id: "victim", maxRetries: 1, timeout })))
        yield* queued(prefix, "victim")
        // A worker "dead" takes it under a short lease, then dies (its heartbeat set is gone).
        yield* queue.dequeue({ priorities: ["normal"], block: Duration.zero, lease: { owner: "dead", duration: Duration.millis(50) } })
        yield* Effect.promise(() => raw.del(`${prefix}worker:dead`))
        yield* Effect.sleep("60 millis")
        const recovered = yield* queue.reapExpired()
        assert.deepStrictEqual(recovered, ["victim"])
        const error = yield* Fiber.join(waiting)
        assert.strictEqual(error._tag, "JobFailedError")
        if (error._tag === "JobFailedError") assert.strictEqual(error.error, Wire.errorText.leaseExpired)
        assert.isBelow(Date.now() - started, quickly)
      }).pipe(Effect.provide(backend))
    }))

  it.effect("cancelled: submitAndWait fails with JobFailedError(cancelled) at once; waitForResult returns the failed result", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      const prefix = uniquePrefix("final")
      yield* Effect.gen(function*() {
        const started = Date.now()
        const rpc = yield* Effect.forkChild(Effect.flip(Tasks.submitAndWait("work", {}, { id: "victim", timeout })))
        yield* queued(prefix, "victim")
        const watcher = yield* Effect.forkChild(Tasks.waitForResult("victim", { timeout }))
        yield* Effect.sleep("20 millis")
        yield* Tasks.cancel("victim")
        const error = yield* Fiber.join(rpc)
        assert.strictEqual(error._tag, "JobFailedError")
        if (error._tag === "JobFailedError") assert.strictEqual(error.error, Wire.errorText.cancelled)
        const watched = yield* Fiber.join(watcher)
        assert.strictEqual(watched.status, "failed")
        assert.strictEqual(watched.error, Wire.errorText.cancelled)
        assert.isBelow(Date.now() - started, quickly)
      }).pipe(Effect.provide(Bananas.layerRedis({ url: server.url, prefix })))
    }))
})
