/**
 * Issue 16.13 on a real Redis: a duration option that cannot be kept
 * (`"abc"`, zero or negative where a positive one is needed) is a typed
 * `ValidationError` naming the option, found before anything is written —
 * not a defect thrown, nor a job written and then a `TimeoutError`.
 */
import { assert, layer } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Bananas from "../../src/Bananas.ts"
import type { TaskApi } from "../../src/services/TaskApi.ts"
import * as Tasks from "../../src/Tasks.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"

layer(RedisServer.layer, { timeout: 30_000, excludeTestServices: true })("16.13: bad durations", (it) => {
  it.effect("timeout and operationTimeout that cannot be kept: ValidationError naming them, nothing written", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      const prefix = uniquePrefix("durations")
      const cases: ReadonlyArray<readonly [string, string, Effect.Effect<unknown, unknown, TaskApi>]> = [
        ["submitAndWait timeout \"abc\"", "timeout", Tasks.submitAndWait("x", {}, { timeout: "abc" as Duration.Input })],
        ["submitAndWait timeout 0", "timeout", Tasks.submitAndWait("x", {}, { timeout: 0 })],
        ["submitAndWait timeout -5", "timeout", Tasks.submitAndWait("x", {}, { timeout: -5 })],
        ["submitAndWait timeout NaN", "timeout", Tasks.submitAndWait("x", {}, { timeout: Number.NaN })],
        ["submit operationTimeout \"abc\"", "operationTimeout", Tasks.submit("x", {}, { operationTimeout: "abc" as Duration.Input })],
        ["submit operationTimeout -5", "operationTimeout", Tasks.submit("x", {}, { operationTimeout: -5 })],
        ["submitBatch operationTimeout 0", "operationTimeout", Tasks.submitBatch([{ name: "x", payload: {} }], { operationTimeout: Duration.zero })],
        ["waitForResult timeout \"abc\"", "timeout", Tasks.waitForResult("nope", { timeout: "abc" as Duration.Input })],
        ["getJob operationTimeout -1", "operationTimeout", Tasks.getJob("nope", { operationTimeout: -1 })]
      ]
      for (const [label, field, effect] of cases) {
        const exit = yield* Effect.exit(effect.pipe(Effect.provide(Bananas.layerRedis({ url: server.url, prefix }))))
        assert.strictEqual(exit._tag, "Failure", label)
        if (exit._tag !== "Failure") continue
        const reason = exit.cause.reasons[0]
        assert.strictEqual(reason?._tag, "Fail", `${label}: a typed failure, not a defect: ${String(exit.cause)}`)
        const error = (reason as { error: { _tag: string; field?: string } }).error
        assert.strictEqual(error._tag, "ValidationError", label)
        assert.strictEqual(error.field, field, label)
      }
      assert.deepStrictEqual(yield* Effect.promise(() => server.raw.keys(`${prefix}*`)), [], "nothing was written")
    }))
})
