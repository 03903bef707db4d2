/**
 * The background loops' intervals are checked before they start: a bad one
 * is a `ValidationError` naming it, never a thrown `Invalid Input`.
 */
import { assert, describe, it } from "@effect/vitest"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as BananasMemory from "../../src/layers/memory/BananasMemory.ts"
import * as CronScheduler from "../../src/worker/CronScheduler.ts"
import * as Promoter from "../../src/worker/Promoter.ts"
import * as Reaper from "../../src/worker/Reaper.ts"

const bad = ["abc" as Duration.Input, -5, 0] as const

describe("background loop intervals", () => {
  it.effect("Promoter, Reaper and CronScheduler refuse a bad interval, as loops and as layers", () =>
    Effect.gen(function*() {
      for (const interval of bad) {
        const loops: ReadonlyArray<readonly [string, Effect.Effect<unknown, { readonly _tag: string; readonly field?: string }, BananasMemory.Services>]> = [
          ["interval", Promoter.run({ interval })],
          ["interval", Reaper.run({ interval })],
          ["pollInterval", CronScheduler.run({ pollInterval: interval })],
          ["pollInterval", Effect.scoped(Layer.build(CronScheduler.layer({ pollInterval: interval })))]
        ]
        for (const [field, loop] of loops) {
          const error = yield* Effect.flip(loop)
          assert.strictEqual(error._tag, "ValidationError", String(interval))
          assert.strictEqual(error.field, field)
        }
      }
    }).pipe(Effect.provide(Layer.orDie(BananasMemory.layer()))))
})
