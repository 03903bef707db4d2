/**
 * The worker's background loops outlive a failed pass, defects included:
 * a bug surfacing in one dequeue, promotion or reaper pass is logged, and
 * the loop goes on (the worker keeps running). Stub queues, TestClock.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/testing/TestClock"
import * as Job from "../../src/domain/Job.ts"
import type { RawJson } from "../../src/domain/RawJson.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import { type Delivery, Queue } from "../../src/services/Queue.ts"
import * as Handlers from "../../src/worker/Handlers.ts"
import * as Reaper from "../../src/worker/Reaper.ts"
import * as Scheduler from "../../src/worker/Scheduler.ts"
import * as Worker from "../../src/worker/Worker.ts"

const boom = () => Effect.die(new Error("boom: a bug in one pass"))

describe("worker loops survive a defect", () => {
  it.effect("the scheduler: a pass that dies is logged, the next pass runs", () =>
    Effect.gen(function*() {
      let calls = 0
      const queue = { promoteDue: () => Effect.suspend(() => (++calls === 1 ? boom() : Effect.succeed(0))) } as unknown as Queue["Service"]
      const fiber = yield* Scheduler.run({ interval: "1 second" }).pipe(Effect.provideService(Queue, queue), Effect.forkChild)
      yield* TestClock.adjust("2500 millis")
      assert.strictEqual(calls, 3)
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("the reaper: a pass that dies is logged, the next pass runs", () =>
    Effect.gen(function*() {
      let calls = 0
      const queue = { reapExpired: () => Effect.suspend(() => (++calls === 1 ? boom() : Effect.succeed([]))) } as unknown as Queue["Service"]
      const fiber = yield* Reaper.run({ interval: "1 second" }).pipe(Effect.provideService(Queue, queue), Effect.forkChild)
      yield* TestClock.adjust("2500 millis")
      assert.strictEqual(calls, 3)
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("the dispatcher: a dequeue that dies gives its slots back and the worker goes on taking jobs", () =>
    Effect.gen(function*() {
      const job = Job.make({ id: "j1", name: "echo", payload: "{}" as RawJson, priority: "normal", now: Timestamp.zero })
      let dequeues = 0
      const ran: Array<string> = []
      const completed: Array<string> = []
      const queue = {
        dequeueMany: () =>
          Effect.suspend((): Effect.Effect<ReadonlyArray<Delivery>> => {
            dequeues++
            if (dequeues === 1) return boom()
            if (dequeues === 2) return Effect.succeed([{ _tag: "Job", job }])
            return Effect.interruptible(Effect.never) // as the contract says: only the wait for work is interruptible
          }),
        complete: (j: Job.Job) => Effect.sync(() => { completed.push(j.id) }).pipe(Effect.as(j)),
        renewLeases: () => Effect.void,
        release: () => Effect.void
      } as unknown as Queue["Service"]
      const handlers = Handlers.empty.pipe(Handlers.addRaw("echo", (input) => Effect.sync(() => { ran.push(input.job.id) })))
      yield* Effect.scoped(Effect.gen(function*() {
        yield* Worker.make({ handlers, concurrency: 2, scheduler: false, reaper: false })
        yield* TestClock.adjust("1 second") // past the dispatcher's back-off after the failed pass
        assert.deepStrictEqual(ran, ["j1"])
        assert.deepStrictEqual(completed, ["j1"])
        assert.isAtLeast(dequeues, 3)
      })).pipe(Effect.provideService(Queue, queue))
    }))
})
