/**
 * The gateway's throughput sampler: counters per process (workers of one
 * process report the same counters), growth between samples (a process
 * seen at the start counts from then, one started since counts all, a
 * counter that went down counts from zero), minute buckets on the memory
 * backend's registry under the test clock.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/testing/TestClock"
import type { WorkerInfo } from "../../src/domain/WorkerInfo.ts"
import * as Throughput from "../../src/gateway/Throughput.ts"
import * as BananasMemory from "../../src/layers/memory/BananasMemory.ts"
import { WorkerRegistry } from "../../src/services/WorkerRegistry.ts"

const worker = (id: string, pid: number, startedAt: number, processed: number, failed: number): WorkerInfo => ({
  id,
  host: "box",
  pid,
  concurrency: 1,
  priorities: ["normal"],
  startedAt: new Date(startedAt).toISOString(),
  beatAt: new Date(startedAt).toISOString(),
  inFlight: 0,
  processed,
  failed,
  version: "0.2.0"
})

describe("the throughput sampler", () => {
  it("counts each process once: workers of one process report the same counters, maybe a heartbeat apart", () => {
    const sample = Throughput.sampleOf([worker("a", 1, 5_000, 10, 2), worker("b", 1, 4_000, 12, 1), worker("c", 2, 9_000, 3, 0)])
    assert.deepStrictEqual([...sample.values()], [{ processed: 12, failed: 2, startedAt: 4_000 }, { processed: 3, failed: 0, startedAt: 9_000 }])
  })

  it("growth: since the last sample; a process new since counts all only when it started since", () => {
    const before = Throughput.sampleOf([worker("a", 1, 0, 10, 2), worker("old", 3, 0, 50, 5)])
    const after = Throughput.sampleOf([
      worker("a", 1, 0, 15, 3), // +5, +1
      worker("old", 3, 0, 4, 0), // went down (a restart under the same pid): counts from zero
      worker("new", 2, 20_000, 7, 1), // started after the last sample: all of it
      worker("late", 4, 1_000, 100, 9) // registered late: nothing yet
    ])
    assert.deepStrictEqual(Throughput.growth(before, 10_000, after), { processed: 5 + 4 + 7, failed: 1 + 0 + 1 })
  })

  it.effect("samples the registry every interval into minute buckets, whatever the tabs", () =>
    Effect.gen(function*() {
      const registry = yield* WorkerRegistry
      const throughput = yield* Throughput.Throughput
      yield* Effect.yieldNow // the first sample, at 0: nobody registered
      yield* registry.beat(worker("a", 1, 1_000, 5, 1), Duration.hours(1))
      yield* TestClock.adjust(Throughput.sampleInterval)
      yield* registry.beat(worker("a", 1, 1_000, 12, 1), Duration.hours(1))
      yield* registry.beat(worker("b", 1, 1_000, 11, 1), Duration.hours(1))
      yield* TestClock.adjust(Throughput.sampleInterval)
      const first = yield* throughput.recent
      assert.isTrue(first.available)
      assert.deepStrictEqual(first.buckets, [{ at: "1970-01-01T00:00:00.000Z", processed: 12, failed: 1 }])
      yield* TestClock.adjust(Duration.seconds(40)) // samples at 30 to 60 s: nothing grew
      yield* registry.beat(worker("a", 1, 1_000, 20, 4), Duration.hours(1))
      yield* TestClock.adjust(Throughput.sampleInterval) // the sample at 70 s: the second minute
      const later = yield* throughput.recent
      assert.deepStrictEqual(later.buckets, [
        { at: "1970-01-01T00:00:00.000Z", processed: 12, failed: 1 },
        { at: "1970-01-01T00:01:00.000Z", processed: 8, failed: 3 }
      ])
      assert.strictEqual(later.bucketSeconds, 60)
    }).pipe(Effect.provide(Throughput.layer.pipe(Layer.provideMerge(BananasMemory.layer()), Layer.orDie))))

  it.effect("without a worker registry: unavailable, nothing sampled", () =>
    Effect.gen(function*() {
      const recent = yield* (yield* Throughput.Throughput).recent
      assert.deepStrictEqual([recent.available, recent.buckets], [false, []])
    }).pipe(Effect.provide(Throughput.layer)))
})
