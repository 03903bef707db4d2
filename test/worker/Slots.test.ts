/**
 * The worker's slot accounting (`Slots`, issue 15.5): its invariants hold
 * at every step — slots taken = handlers running + slots reserved for the
 * take; writers taken = outcomes being written; jobs running = handlers
 * running + outcomes being written — and nothing leaks on interruption,
 * shutdown, lease loss or an abandoned handler. Unit steps on `Slots`
 * itself, then a worker on a real Redis sampled while it runs every kind
 * of ending. And the size of a take under backlog: at most half the slots
 * (at most 64), on the memory backend.
 */
import { assert, describe, it, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as References from "effect/References"
import * as Job from "../../src/domain/Job.ts"
import type { RawJson } from "../../src/domain/RawJson.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import * as Bananas from "../../src/Bananas.ts"
import { JobQueue } from "../../src/services/JobQueue.ts"
import * as Tasks from "../../src/Tasks.ts"
import * as Handlers from "../../src/worker/HandlerRegistry.ts"
import * as Slots from "../../src/worker/Slots.ts"
import * as Worker from "../../src/worker/Worker.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"

const delivery = (id: string) => ({
  _tag: "Job" as const,
  job: Job.make({ id, name: "x", payload: "{}" as RawJson, priority: "normal", now: Timestamp.zero, maxRetries: Job.defaultMaxRetries }),
  token: `w:${id}`
})

describe("Slots", () => {
  it.effect("a take, a job through writing, a skipped entry: the invariants hold at each step and nothing is left", () =>
    Effect.gen(function*() {
      const slots = yield* Slots.make(3)
      const ok = () => assert.deepStrictEqual(slots.check(), [])
      yield* slots.awaitSlot
      ok()
      assert.strictEqual(yield* slots.beginTake(64), 3, "every free slot, at most concurrency")
      assert.isTrue(slots.takes.inFlight)
      ok()
      slots.register(delivery("a"))
      slots.register(delivery("b"))
      yield* slots.skip
      ok()
      yield* slots.endTake
      assert.deepStrictEqual(slots.snapshot(), { slotsTaken: 2, writersTaken: 0, running: 2, writing: 0, reserved: 0 })
      yield* slots.startWriting("a" as never)
      ok()
      assert.deepStrictEqual(slots.snapshot(), { slotsTaken: 1, writersTaken: 1, running: 2, writing: 1, reserved: 0 })
      yield* slots.finish("a" as never)
      yield* slots.finish("b" as never)
      yield* slots.finish("b" as never) // idempotent
      ok()
      assert.deepStrictEqual(slots.snapshot(), { slotsTaken: 0, writersTaken: 0, running: 0, writing: 0, reserved: 0 })
    }))

  it.effect("interrupted while waiting for a slot or a writer: nothing taken", () =>
    Effect.gen(function*() {
      const slots = yield* Slots.make(1)
      yield* slots.awaitSlot
      yield* slots.beginTake(1)
      slots.register(delivery("a"))
      yield* slots.endTake
      const waiting = yield* Effect.forkChild(slots.awaitSlot)
      yield* Effect.yieldNow
      yield* Fiber.interrupt(waiting)
      assert.deepStrictEqual(slots.check(), [])
      yield* slots.startWriting("a" as never)
      // b holds the only slot while a's outcome holds the only writer: b waits for a writer
      yield* slots.awaitSlot
      yield* slots.beginTake(1)
      slots.register(delivery("b"))
      yield* slots.endTake
      const writer = yield* Effect.forkChild(slots.startWriting("b" as never))
      yield* Effect.yieldNow
      assert.strictEqual(slots.snapshot().writing, 1, "b still waits")
      yield* slots.finish("a" as never)
      yield* Fiber.join(writer)
      yield* slots.finish("b" as never)
      assert.deepStrictEqual(slots.check(), [])
      assert.deepStrictEqual(slots.snapshot(), { slotsTaken: 0, writersTaken: 0, running: 0, writing: 0, reserved: 0 })
    }))
})

layer(RedisServer.layer, { timeout: 60_000, excludeTestServices: true })("Slots in a running worker", (it) => {
  it.effect("completions, failures, a lease lost, an abandoned handler, a drain past its deadline: invariants hold throughout, nothing left", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      const prefix = uniquePrefix("slots")
      const live = Bananas.layerRedis({ url: server.url, prefix })
      const handlers = Handlers.empty.pipe(
        Handlers.addRaw("ok", () => Effect.sleep("5 millis")),
        Handlers.addRaw("fails", () => Effect.fail("boom")),
        // Its lease token is taken away while it runs: its completion is refused.
        Handlers.addRaw("loses_lease", ({ job }) =>
          Effect.andThen(Effect.promise(() => server.raw.hdel(`${prefix}lease:tokens`, job.id)), Effect.sleep("20 millis"))),
        Handlers.addRaw("wedged", () => Effect.uninterruptible(Effect.never), { timeout: "200 millis" }),
        Handlers.addRaw("slow", () => Effect.never)
      )
      const violations: Array<string> = []
      const after = yield* Effect.scoped(Effect.gen(function*() {
        const worker = yield* Worker.make({ handlers, concurrency: 4, shutdownTimeout: "100 millis", reaper: false, scheduler: false })
        const sampler = yield* Effect.forkChild(Effect.forever(Effect.andThen(
          Effect.flatMap(worker.slots, (s) => Effect.sync(() => violations.push(...s.violations))),
          Effect.sleep("2 millis")
        )))
        const ids: Array<string> = []
        for (let i = 0; i < 40; i++) ids.push((yield* Tasks.submit(i % 2 === 0 ? "ok" : "fails", {}, { maxRetries: 0 })).id)
        ids.push((yield* Tasks.submit("loses_lease", {})).id)
        ids.push((yield* Tasks.submit("wedged", {}, { maxRetries: 0 })).id)
        for (const id of ids.slice(0, 40)) yield* Tasks.waitForResult(id, { timeout: "10 seconds" })
        yield* Tasks.waitForResult(ids[41]!, { timeout: "10 seconds" }) // abandoned after 200 ms + the grace
        for (let i = 0; i < 3; i++) yield* Tasks.submit("slow", {})
        yield* Effect.sleep("200 millis")
        yield* worker.shutdown
        yield* Fiber.interrupt(sampler)
        return yield* worker.slots
      })).pipe(Effect.provide(live), Effect.provideService(References.MinimumLogLevel, "None"))
      assert.deepStrictEqual(violations, [])
      assert.deepStrictEqual(after, { slotsTaken: 0, writersTaken: 0, running: 0, writing: 0, reserved: 0, violations: [] })
    }))
})

describe("take size", () => {
  /** Drains a backlog of `jobs` no-op jobs with a worker of `concurrency`; the `max` of each take, in order. */
  const takesOf = (concurrency: number, jobs: number) =>
    Effect.gen(function*() {
      const asked: Array<number> = []
      const recording = Layer.effect(
        JobQueue,
        Effect.map(JobQueue, (queue) =>
          JobQueue.of({
            ...queue,
            dequeueMany: (options) => {
              asked.push(options.max)
              return queue.dequeueMany(options)
            }
          }))
      )
      const live = Layer.provideMerge(recording, Bananas.layerMemory())
      yield* Effect.scoped(Effect.gen(function*() {
        const ids: Array<string> = []
        for (let i = 0; i < jobs; i++) ids.push((yield* Tasks.submit("ok", {})).id)
        yield* Worker.make({ handlers: Handlers.empty.pipe(Handlers.addRaw("ok", () => Effect.void)), concurrency, reaper: false, scheduler: false })
        for (const id of ids) yield* Tasks.waitForResult(id, { timeout: "10 seconds" })
      })).pipe(Effect.provide(live), Effect.provideService(References.MinimumLogLevel, "None"))
      return asked
    })

  it.effect("under backlog a take asks for at most half the slots, and never more than 64: two takes' jobs are in the pipeline", () =>
    Effect.gen(function*() {
      for (const [concurrency, most] of [[1, 1], [2, 1], [50, 25], [51, 26], [200, 64]] as const) {
        const asked = yield* takesOf(concurrency, 300)
        assert.strictEqual(Math.max(...asked), most, `concurrency ${concurrency}: asked ${asked.join(",")}`)
      }
    }))
})
