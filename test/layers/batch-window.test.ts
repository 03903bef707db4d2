/**
 * A large batch submission goes out a window at a time (`Apply.batchWindow`
 * plans): when one window fails, the windows before it are reported
 * written, it and the ones after it not written (never sent), and the
 * failure carries that report.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { ConnectionError } from "../../src/domain/Errors.ts"
import { makeProgress, reportOf } from "../../src/domain/WriteOutcome.ts"
import type { Plan } from "../../src/protocol/Plan.ts"
import { applyMany, batchWindow } from "../../src/store/Apply.ts"
import type { JobStore } from "../../src/store/JobStore.ts"

describe("batch windows", () => {
  it.effect("a failing window: earlier windows written, the failing one and later ones not written", () =>
    Effect.gen(function*() {
      const calls: Array<number> = []
      const store = {
        apply: (_operation: string, plans: ReadonlyArray<Plan>) => {
          calls.push(plans.length)
          return calls.length === 2
            ? Effect.fail(new ConnectionError({ operation: "enqueueBatch", message: "down", outcome: "not-written" }))
            : Effect.succeed(plans.map(() => ({ _tag: "Applied" as const })))
        }
      } as unknown as JobStore["Service"]
      const n = batchWindow * 2 + 10
      const plans: Array<Plan> = Array.from({ length: n }, () => ({ guards: [], writes: [] }))
      const progress = makeProgress(n)
      progress.tracked = true
      const error = yield* Effect.flip(applyMany(store, "enqueueBatch", plans, progress))
      assert.strictEqual(error._tag, "ConnectionError")
      assert.deepStrictEqual(calls, [batchWindow, batchWindow], "the third window was never sent")
      const ids = plans.map((_, i) => `j${i}`)
      const report = reportOf(progress, ids)
      assert.strictEqual(report.written.length, batchWindow)
      assert.strictEqual(report.notWritten.length, n - batchWindow)
      assert.deepStrictEqual(report.unknown, [])
      assert.strictEqual(report.written[0], "j0")
      assert.strictEqual(report.notWritten[0], `j${batchWindow}`)
    }))
})
