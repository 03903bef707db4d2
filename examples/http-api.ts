/**
 * The HTTP Task API: the same `Tasks` program over HTTP (`Bananas.layerHttp`)
 * and the Promise `Client` with `apiUrl` / `apiKey`, through a gateway.
 *
 *   node examples/http-api.ts                          # in memory
 *   REDIS_URL=redis://localhost:6379 node examples/http-api.ts
 *
 * To stay self-contained it starts a gateway and a worker in this process
 * (on a free port, over the example backend); in production the gateway is
 * `npm run gateway` (or `node src/gateway/main.ts`) and the workers are any
 * Bananas workers on its Redis. The README shows the two client parts.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Schema from "effect/Schema"
import { Bananas, Client, JobDefinition, JobFailedError, Tasks } from "../src/index.ts"
import { Gateway } from "../src/gateway/index.ts"
import { Failure, Handlers, Worker } from "../src/worker/index.ts"
import { backendName, makeBackend } from "./backend.ts"

const Add = JobDefinition.make({
  name: "add",
  payload: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
  result: Schema.Struct({ sum: Schema.Number })
})

// --- set-up: a gateway and a worker in this process -------------------------------
const handlers = Handlers.empty.pipe(
  Handlers.add(Add, ({ a, b }) => Effect.succeed({ sum: a + b })),
  Handlers.addRaw("send_email", () => Effect.void),
  Handlers.addRaw("charge_card", () => Effect.fail(new Failure.JobError({ message: "card declined" })))
)
const server = Gateway.layer({ apiKeys: ["example:s3cr3t"], port: 0, host: "127.0.0.1", accessLog: false }).pipe(
  Layer.provideMerge(Worker.layer({ handlers })),
  Layer.provideMerge(makeBackend())
)
const gateway = ManagedRuntime.make(server)
const url = await gateway.runPromise(Gateway.localUrl)
const apiKey = "s3cr3t"

try {
  // readme:effect:start
  const program = Effect.gen(function*() {
    const { id } = yield* Tasks.submit("send_email", { to: "ada@example.com", order: 12345678901234567890n.toString() }, { priority: "high" })
    const job = yield* Tasks.getJob(id)
    yield* Console.log(`submitted ${job.name} over HTTP: priority=${job.priority} payload=${job.payload}`)

    const { sum } = yield* Tasks.call(Add, { a: 2, b: 3 }) // typed RPC through the gateway
    yield* Console.log(`add over HTTP: ${sum}`)

    // The same typed errors as on Redis.
    const missing = yield* Effect.flip(Tasks.getJob("no-such-job"))
    yield* Console.log(`getJob("no-such-job") failed with ${missing._tag}`)
  })

  await Effect.runPromise(program.pipe(Effect.provide(Bananas.layerHttp({ url, apiKey }))))
  // readme:effect:end

  // readme:promise:start
  const client = new Client({ apiUrl: url, apiKey })
  try {
    const id = await client.submitJob("send_email", { to: "grace@example.com" }, "low")
    console.log(`Promise client submitted ${(await client.getJob(id))?.name} with priority ${(await client.getJob(id))?.priority}`)
    const result = await client.submitAndWait("add", { a: 40, b: 2 }, "normal", 10_000)
    console.log(`Promise client add: ${result.rawResult}`)
    await client.submitAndWait({ name: "charge_card", payload: {}, maxRetries: 1, timeout: 10_000 }).catch((e: unknown) => {
      if (e instanceof JobFailedError) console.log(`charge_card rejected with JobFailedError: ${e.error}`)
      else throw e
    })
  } finally {
    await client.close()
  }
  // readme:promise:end
  console.log(`done (${backendName})`)
} finally {
  await gateway.dispose()
}
