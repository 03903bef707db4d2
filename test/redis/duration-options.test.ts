/**
 * A duration option of the Redis backend that cannot work (does not parse,
 * NaN, zero or negative) fails the layer's build with a `ValidationError`
 * naming it, before anything is written.
 */
import { assert, describe, layer } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as BananasRedis from "../../src/layers/redis/BananasRedis.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"

describe("BananasRedis duration options", () => {
  layer(RedisServer.layer, { excludeTestServices: true })((it) => {
    const cases: ReadonlyArray<readonly [string, BananasRedis.Options]> = [
      ["waitPollInterval", { waitPollInterval: "abc" as Duration.Input }],
      ["dequeuePollInterval", { dequeuePollInterval: Number.NaN }],
      ["successTtl", { successTtl: -5 }],
      ["failureTtl", { failureTtl: "abc" as Duration.Input }],
      ["completedJobTtl", { completedJobTtl: Duration.zero }],
      ["deadJobTtl", { deadJobTtl: "-1 seconds" as Duration.Input }],
      ["events.maxAge", { events: { maxAge: "soon" as Duration.Input } }]
    ]
    for (const [field, options] of cases) {
      it.effect(`a bad ${field} is a ValidationError naming it, and nothing is written`, () =>
        Effect.gen(function*() {
          const server = yield* RedisServer
          const before = yield* Effect.promise(() => server.raw.dbsize())
          // A defect (a throw) would end the test here instead of flipping.
          const error = yield* Layer.build(BananasRedis.layer({ url: server.url, prefix: uniquePrefix("dur"), ...options })).pipe(Effect.scoped, Effect.flip)
          assert.strictEqual(error._tag, "ValidationError")
          assert.strictEqual(error._tag === "ValidationError" ? error.field : undefined, field)
          assert.include(error.message, field)
          assert.strictEqual(yield* Effect.promise(() => server.raw.dbsize()), before)
        }))
    }

    it.effect("good durations still build the layer", () =>
      Effect.gen(function*() {
        const server = yield* RedisServer
        yield* Layer.build(BananasRedis.layer({
          url: server.url,
          prefix: uniquePrefix("dur"),
          successTtl: "10 seconds",
          waitPollInterval: Duration.infinity,
          events: { maxAge: "1 day" }
        })).pipe(Effect.scoped)
      }))
  })
})
