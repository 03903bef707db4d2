/**
 * Pausing a queue: pause a priority (of the default queue, or of a route's
 * queue) while a worker runs, see its jobs stay queued while the other
 * priorities flow and `stats` list it as paused, then resume it and watch
 * the worker take its jobs at once.
 *
 *   node examples/pause-queue.ts
 *   REDIS_URL=redis://localhost:6379 node examples/pause-queue.ts
 */
import { NodeRuntime } from "@effect/platform-node"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { RawJson, Tasks } from "../src/index.ts"
import { Handlers, Worker } from "../src/worker/index.ts"
import { backendName, makeBackend } from "./backend.ts"

const program = Effect.gen(function*() {
  const handlers = Handlers.empty.pipe(Handlers.addRaw("resize", ({ payload }) => Effect.succeed(new RawJson.Raw(payload))))
  yield* Effect.scoped(Effect.gen(function*() {
    yield* Worker.make({ handlers, concurrency: 4 })

    yield* Tasks.pauseQueue("low")                                   // queue:low
    yield* Tasks.pauseQueue({ priority: "high", routingKey: "gpu" }) // route:gpu:queue:high
    const waiting = yield* Tasks.submit("resize", { width: 128 }, { priority: "low" })
    // Other priorities keep flowing while low is paused.
    const urgent = yield* Tasks.submitAndWait("resize", { width: 64 }, { priority: "high", timeout: "10 seconds" })
    yield* Console.log(`high ran while low is paused: ${urgent.result}`)

    const { queued, paused } = yield* Tasks.stats()
    const names = (paused ?? []).map((q) => (q.routingKey === undefined ? q.priority : `${q.priority} of route ${q.routingKey}`))
    yield* Console.log(`queued low=${queued.low}; paused: ${names.join(", ")}`)
    yield* Console.log(`the low job is still ${(yield* Tasks.getJob(waiting.id)).status}`)

    yield* Tasks.resumeQueue("low")
    const result = yield* Tasks.waitForResult(waiting.id, { timeout: "10 seconds" })
    yield* Console.log(`resumed: the low job ${result.status} with ${result.result}`)
    yield* Tasks.resumeQueue({ priority: "high", routingKey: "gpu" })
    yield* Console.log(`paused queues left: ${(yield* Tasks.pausedQueues()).length}`)
  }))
  yield* Console.log(`done (${backendName})`)
})

program.pipe(Effect.provide(makeBackend()), NodeRuntime.runMain)
