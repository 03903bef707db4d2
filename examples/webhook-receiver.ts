/**
 * Webhooks: a receiver built on `WebhookHandler` (signature, timestamp
 * tolerance, replay rejection, typed events), and a gateway delivering the
 * job events that a worker's outcomes write (events on in the backend).
 *
 *   node examples/webhook-receiver.ts                          # in memory
 *   REDIS_URL=redis://localhost:6379 node examples/webhook-receiver.ts
 *
 * Everything runs in this process to stay self-contained; in production the
 * gateway is `BANANAS_WEBHOOK_URLS=... BANANAS_WEBHOOK_SECRET=... npm run gateway`
 * and the receiver is your service. The README shows the receiver.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { HttpServer } from "effect/http"
import { Tasks } from "../src/index.ts"
import { Gateway } from "../src/gateway/index.ts"
import { Standalone } from "../src/webhooks/node.ts"
import { Handlers, Worker } from "../src/worker/index.ts"
import { backendName, makeBackend } from "./backend.ts"

const secret = "whsec-example"
const got = Deferred.makeUnsafe<string>()

// readme:receiver:start
const receiver = Standalone.layer({
  port: 0, // or mount WebhookHandler.route("/hooks/bananas", options) into your own HttpRouter app
  secret, // the gateway's BANANAS_WEBHOOK_SECRET
  onJobCompleted: (event) => Deferred.succeed(got, `${event.type} for ${event.job?.name}: ${event.result.result}`),
  onJobDead: (event) => Effect.logError(`job ${event.jobId} failed for good: ${event.result.error}`)
})
// readme:receiver:end

const receiverRuntime = ManagedRuntime.make(receiver)
const { address } = await receiverRuntime.runPromise(Effect.service(HttpServer.HttpServer))
const receiverUrl = `http://127.0.0.1:${address._tag === "UnixPathAddress" ? 0 : address.port}/`

// The backend writes an event with every outcome (events: true); the gateway delivers them.
const handlers = Handlers.empty.pipe(Handlers.addRaw("resize", () => Effect.succeed({ width: 128 })))
const app = Layer.mergeAll(
  Gateway.layer({ apiKeys: ["example:s3cr3t"], port: 0, host: "127.0.0.1", accessLog: false, webhooks: { endpoints: [{ url: receiverUrl, secret }] } }),
  Worker.layer({ handlers })
).pipe(Layer.provideMerge(makeBackend(undefined, { events: true })))
const runtime = ManagedRuntime.make(app)

try {
  await runtime.runPromise(Tasks.submit("resize", { url: "https://example.com/cat.png" }))
  console.log(`receiver got ${await Effect.runPromise(Deferred.await(got).pipe(Effect.timeout("20 seconds")))}`)
  console.log(`done (${backendName})`)
} finally {
  await runtime.dispose()
  await receiverRuntime.dispose()
}
