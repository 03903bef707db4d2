/**
 * Issue 16.15 on a real Redis: results have a size limit (the worker's
 * `maxResultBytes`, default 10 MiB as for payloads), enforced before
 * anything is written: a handler returning more fails its attempt with a
 * clear error and no result of that size is stored; one within it is.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Bananas from "../../src/Bananas.ts"
import * as Tasks from "../../src/Tasks.ts"
import * as Execution from "../../src/worker/Execution.ts"
import * as Handlers from "../../src/worker/HandlerRegistry.ts"
import * as Worker from "../../src/worker/Worker.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"

layer(RedisServer.layer, { timeout: 60_000, excludeTestServices: true })("16.15: result size limit", (it) => {
  it.effect("a 12 MB result fails the attempt (nothing stored); a result at the limit is stored", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      const prefix = uniquePrefix("results")
      const live = Bananas.layerRedis({ url: server.url, prefix })
      const limit = Execution.defaultMaxResultBytes
      const handlers = Handlers.empty.pipe(
        Handlers.addRaw("huge", () => Effect.succeed("x".repeat(12 * 1024 * 1024))),
        // A JSON string of exactly `limit` bytes (its quotes included).
        Handlers.addRaw("fits", () => Effect.succeed("y".repeat(limit - 2)))
      )
      yield* Effect.gen(function*() {
        const huge = yield* Tasks.submit("huge", {}, { maxRetries: 0 })
        const failed = yield* Tasks.waitForResult(huge.id, { timeout: "20 seconds" })
        assert.strictEqual(failed.status, "failed")
        assert.include(failed.error ?? "", "result too large")
        assert.include(failed.error ?? "", `maxResultBytes of ${limit}`)
        const stored = yield* Effect.promise(() => server.raw.hstrlen(`${prefix}result:${huge.id}`, "result"))
        assert.isBelow(stored, 1024, "no large result was stored")
        const fits = yield* Tasks.submit("fits", {})
        const done = yield* Tasks.waitForResult(fits.id, { timeout: "20 seconds" })
        assert.strictEqual(done.status, "completed")
        assert.strictEqual(done.result?.length, limit)
      }).pipe(Effect.provide(Worker.layer({ handlers, reaper: false, scheduler: false }).pipe(Layer.provideMerge(live))))
    }))
})
