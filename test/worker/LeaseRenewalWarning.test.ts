/**
 * The lease-renewal warning ("lost the lease of N running job(s): another
 * worker owns them now") is for jobs still running under a lease another
 * worker took — not for jobs whose own outcome is being written: the
 * completion removes the lease, so a renewal sent right after it is refused.
 * Found by the soak (one worker, no other to take anything, yet a few such
 * warnings a minute). A stub queue whose `renewLeases` refuses the job
 * while its completion is in flight, then while its handler still runs.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as Job from "../../src/domain/Job.ts"
import type { RawJson } from "../../src/domain/RawJson.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import { type Delivery, type JobDelivery, JobQueue } from "../../src/services/JobQueue.ts"
import * as Handlers from "../../src/worker/HandlerRegistry.ts"
import * as Worker from "../../src/worker/Worker.ts"

const job = Job.make({ id: "j1", name: "echo", payload: "{}" as RawJson, priority: "normal", now: Timestamp.zero, maxRetries: Job.defaultMaxRetries })

const run = (phase: "completing" | "running") =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    const logger = Logger.make(({ message }) => void lines.push(String(Array.isArray(message) ? message.join(" ") : message)))
    const handlerDone = yield* Deferred.make<void>()
    const completeDone = yield* Deferred.make<void>()
    const completing = yield* Deferred.make<void>()
    let dequeues = 0
    let refusedRenewals = 0
    const queue = {
      dequeueMany: () =>
        Effect.suspend((): Effect.Effect<ReadonlyArray<Delivery>> =>
          dequeues++ === 0 ? Effect.succeed([{ _tag: "Job", job, token: "w:1" }]) : Effect.interruptible(Effect.never)),
      // The completion was applied (the lease is gone) but its reply is slow.
      complete: (_: JobDelivery) => Effect.andThen(Deferred.succeed(completing, undefined), Effect.as(Deferred.await(completeDone), job)),
      renewLeases: (_owner: string, deliveries: ReadonlyArray<JobDelivery>) =>
        Effect.sync(() => {
          const lost = deliveries.filter((d) => d.job.id === "j1").map((d) => d.job.id)
          refusedRenewals += lost.length
          return lost
        }),
      reclaim: () => Effect.succeed([]),
      release: () => Effect.void
    } as unknown as JobQueue["Service"]
    const handlers = Handlers.empty.pipe(Handlers.addRaw("echo", () => Deferred.await(handlerDone)))
    yield* Effect.scoped(Effect.gen(function*() {
      yield* Worker.make({ handlers, leaseRenewInterval: "5 millis", reaper: false, scheduler: false, workerId: "w" })
      if (phase === "completing") {
        yield* Deferred.succeed(handlerDone, undefined)
        yield* Deferred.await(completing)
        yield* Effect.sleep("60 millis") // a dozen renewals while the completion is in flight
        yield* Deferred.succeed(completeDone, undefined)
      } else {
        yield* Effect.sleep("60 millis") // renewals refused while the handler runs
        yield* Deferred.succeed(handlerDone, undefined)
        yield* Deferred.succeed(completeDone, undefined)
      }
      yield* Effect.sleep("20 millis")
    })).pipe(Effect.provideService(JobQueue, queue), Effect.provide(Logger.layer([logger])))
    assert.isAbove(refusedRenewals, 3, "renewals were refused meanwhile")
    return lines.filter((l) => l.includes("lost the lease"))
  })

describe("lease renewal warnings", () => {
  it.live("no 'lost the lease' warning for a job whose completion is being written", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* run("completing"), [])
    }))

  it.live("a lease refused while the handler still runs is warned about", () =>
    Effect.gen(function*() {
      assert.isAbove((yield* run("running")).length, 0)
    }))
})
