/**
 * Issue 16.17 on a real Redis: one wrong-typed queue key (`SET
 * queue:low oops`) must not stall the other priorities. A take checks
 * every source's type first, so it fails as a whole; the worker then
 * serves the healthy queues and warns, naming the key, once (rate-limited)
 * however often it retries the broken one; once repaired, its jobs run too.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Bananas from "../../src/Bananas.ts"
import * as Tasks from "../../src/Tasks.ts"
import * as Handlers from "../../src/worker/HandlerRegistry.ts"
import * as Worker from "../../src/worker/Worker.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"

layer(RedisServer.layer, { timeout: 30_000, excludeTestServices: true })("16.17: a wrong-typed queue key", (it) => {
  it.effect("queue:low set to a string: the 20 normal jobs run at once, one warning names the key; repaired, low runs too", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      const prefix = uniquePrefix("broken")
      const raw = server.raw
      const live = Bananas.layerRedis({ url: server.url, prefix })
      yield* Effect.forEach(Array.from({ length: 20 }, (_, i) => i), (i) => Tasks.submit("work", { i }, { id: `n-${i}` })).pipe(Effect.provide(live))
      yield* Effect.promise(() => raw.set(`${prefix}queue:low`, "oops"))

      const warnings: Array<string> = []
      const logger = Logger.make(({ logLevel, message }) => {
        const text = Array.isArray(message) ? message.map(String).join(" ") : String(message)
        if (logLevel === "Warn" && text.includes("wrong type")) warnings.push(text)
      })
      let runs = 0
      const handlers = Handlers.empty.pipe(Handlers.addRaw("work", () => Effect.sync(() => void runs++)))
      yield* Effect.gen(function*() {
        const started = Date.now()
        for (let i = 0; i < 20; i++) {
          const result = yield* Tasks.waitForResult(`n-${i}`, { timeout: "3 seconds" })
          assert.strictEqual(result.status, "completed")
        }
        assert.isBelow(Date.now() - started, 3_000, "served while queue:low is broken")
        // Retries of the broken key go on (every few seconds) without more warnings.
        yield* Effect.sleep("300 millis")
        assert.strictEqual(warnings.length, 1, warnings.join("\n"))
        assert.include(warnings[0]!, `${prefix}queue:low`)
        // Repaired: a low job runs (the broken key is tried again within BrokenQueues.recheckMillis).
        yield* Effect.promise(() => raw.del(`${prefix}queue:low`))
        yield* Tasks.submit("work", {}, { id: "low-1", priority: "low" })
        assert.strictEqual((yield* Tasks.waitForResult("low-1", { timeout: "10 seconds" })).status, "completed")
      }).pipe(
        Effect.provide(Worker.layer({ handlers, reaper: false, scheduler: false, block: "100 millis" }).pipe(Layer.provideMerge(live))),
        Effect.provide(Logger.layer([logger]))
      )
      assert.strictEqual(runs, 21)
    }))
})
