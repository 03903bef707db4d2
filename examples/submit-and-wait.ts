/**
 * Submit and wait (RPC style): submit a job, wait for its final outcome,
 * continue with the result. A worker runs in the same process here (in
 * production it is a separate Effect or Go worker on the same Redis).
 *
 *   node examples/submit-and-wait.ts
 *   REDIS_URL=redis://localhost:6379 node examples/submit-and-wait.ts
 */
import { NodeRuntime } from "@effect/platform-node"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Tasks } from "../src/index.ts"
import { Failure, Handlers, Worker } from "../src/worker/index.ts"
import { backendName, makeBackend } from "./backend.ts"

// Raw handlers: the payload's JSON text in, any JSON-serializable value out.
const handlers = Handlers.empty.pipe(
  Handlers.addRaw("add", ({ decode }) =>
    Effect.map(decode, (payload) => {
      const { a, b } = payload as { a: number; b: number }
      return { sum: a + b }
    })),
  Handlers.addRaw("charge_card", ({ attempt }) =>
    // Fails every attempt: with maxRetries 1 the job is dead-lettered at once.
    Effect.fail(new Failure.JobError({ message: `card declined (attempt ${attempt})` })))
)

const program = Effect.gen(function*() {
  const result = yield* Tasks.submitAndWait("add", { a: 2, b: 3 }, { priority: "high", timeout: "10 seconds" })
  yield* Console.log(`add completed: ${result.result}`)

  // A job that fails for good is a JobFailedError carrying the worker's message.
  const declined = yield* Tasks.submitAndWait("charge_card", { cents: 999 }, { maxRetries: 1, timeout: "10 seconds" }).pipe(
    Effect.catchTag("JobFailedError", (e) => Effect.succeed(`charge_card failed: ${e.error}`))
  )
  yield* Console.log(declined)

  // Or submit now and wait later.
  const { id } = yield* Tasks.submit("add", { a: 40, b: 2 })
  const later = yield* Tasks.waitForResult(id, { timeout: "10 seconds" })
  yield* Console.log(`waited for ${id}: ${later.status} ${later.result}`)

  // A job no handler is registered for fails for good, with Go's message.
  const unknown = yield* Effect.flip(Tasks.submitAndWait("unknown_job", {}, { maxRetries: 1, timeout: "10 seconds" }))
  yield* Console.log(`unknown_job: ${unknown._tag}: ${unknown.message}`)

  // This process's worker takes only high and normal jobs, so a low one
  // waits in its queue and the caller's deadline passes: a TimeoutError.
  const timedOut = yield* Effect.flip(Tasks.submitAndWait("add", { a: 1, b: 1 }, { priority: "low", timeout: "100 millis" }))
  yield* Console.log(`low-priority add: ${timedOut._tag} after ${timedOut._tag === "TimeoutError" ? timedOut.timeoutMillis : "?"} ms`)
  yield* Console.log(`done (${backendName})`)
})

// The worker is a layer over the same backend: started before the program,
// drained when it ends.
const worker = Worker.layer({ handlers, concurrency: 4, priorities: ["high", "normal"] })

program.pipe(
  Effect.provide(worker.pipe(Layer.provideMerge(makeBackend()))),
  NodeRuntime.runMain
)
