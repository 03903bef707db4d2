/**
 * The quick start: a typed job, a worker that runs it, and a program that
 * submits jobs and calls one RPC-style. In memory; swap
 * `Bananas.layerMemory()` for
 * `Bananas.layerRedis({ url: "redis://localhost:6379" })` to run on Redis.
 *
 *   node examples/quick-start.ts
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { Bananas, JobDefinition, Tasks } from "../src/index.ts"
import { Handlers, Worker } from "../src/worker/index.ts"

// A typed job: shared by producers and workers.
const Greet = JobDefinition.make({
  name: "greet",
  payload: Schema.Struct({ name: Schema.String }),
  result: Schema.Struct({ greeting: Schema.String })
})

// The worker side: a typed handler per job name.
const handlers = Handlers.empty.pipe(
  Handlers.add(Greet, ({ name }) => Effect.succeed({ greeting: `Hello, ${name}!` }))
)

// The producer side: the `Tasks` functions, whatever the backend.
const program = Effect.gen(function*() {
  // Fire and forget (typed payload, validated before anything is written)...
  const { id } = yield* Tasks.submitTyped(Greet, { name: "Grace" }, { priority: "high" })
  // ...and later, the stored result (raw JSON, exactly as the worker wrote it).
  const stored = yield* Tasks.waitForResult(id, { timeout: "5 seconds" })
  yield* Console.log(`job ${stored.status}: ${stored.result}`)

  // RPC: submit + wait + decode, a typed result (or a typed JobFailedError).
  const { greeting } = yield* Tasks.call(Greet, { name: "Ada" })
  yield* Console.log(greeting)
})

const backend = Bananas.layerMemory()
const app = Worker.layer({ handlers }).pipe(Layer.provideMerge(backend))

Effect.runPromise(program.pipe(Effect.provide(app)))
