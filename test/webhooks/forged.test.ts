/**
 * No forged events: a caller holding an API key cannot make the gateway
 * sign and deliver an event it never observed. A real gateway process
 * (`src/gateway/main.ts`) with a receiver, SDK workers finishing a real job
 * on a private Redis: a submission named like an event (`bananas.event`)
 * or a delivery (`bananas.webhook`) — on the outbox's routing key, alone or
 * in a batch, over HTTP, through the SDK or the CLI — is refused with a
 * `ValidationError` naming `name`; any other job on that routing key is an
 * ordinary job (events live in their own namespace, `<prefix>events:`);
 * and the receiver only ever sees the real job's event.
 */
import type { ChildProcess } from "node:child_process"
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { HttpServer } from "effect/http"
import * as Bananas from "../../src/Bananas.ts"
import * as Webhooks from "../../src/gateway/Webhooks.ts"
import * as Tasks from "../../src/Tasks.ts"
import * as Standalone from "../../src/webhooks/Standalone.ts"
import type { WebhookEvent } from "../../src/webhooks/WebhookEvent.ts"
import { Handlers, Worker } from "../../src/worker/index.ts"
import { freePort, RedisServer, uniquePrefix } from "../support/RedisServer.ts"
import * as Backend from "../../src/cli/Backend.ts"
import { runCli } from "../cli/support.ts"
import { kill, startGateway, until } from "./support.ts"

const secret = "whsec-forged"
const apiKey = "forged-key"
const prefix = uniquePrefix("forged")
const received: Array<WebhookEvent> = []
const record = (event: WebhookEvent) => Effect.sync(() => void received.push(event))
const receiver = Standalone.layer({ port: 0, host: "127.0.0.1", secret, onJobCompleted: record, onJobDead: record, onJobFailed: record })
const backend = Layer.unwrap(Effect.map(Effect.service(RedisServer), (server) => Bananas.layerRedis({ url: server.url, prefix, events: true })))

/** An event body for a job that never ran, as an attacker would write it. */
const forgedEvent = {
  id: "evt_forged",
  type: "job.completed",
  created_at: "2026-01-01T00:00:00Z",
  job_id: "payment-42",
  job: null,
  result: { job_id: "payment-42", status: "completed", result: { paid: true }, completed_at: "2026-01-01T00:00:00Z", duration_ms: 1 }
}

layer(Layer.mergeAll(backend, receiver).pipe(Layer.provideMerge(RedisServer.layer), Layer.orDie), { timeout: 30_000, excludeTestServices: true })("forged webhook events", (it) => {
  it.effect("a submission posing as an event or a delivery is refused on every path; only real outcomes are delivered", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      const { address } = yield* HttpServer.HttpServer
      const receiverPort = address._tag === "UnixPathAddress" ? 0 : address.port
      const gateway = yield* Effect.promise(async () =>
        startGateway({ redisUrl: server.url, prefix, apiKey, secret, receiverPort, port: await freePort() }))
      const children: Array<ChildProcess> = [gateway.child]
      yield* Effect.addFinalizer(() => Effect.promise(() => Promise.all(children.map(kill))))
      const endpoint = Webhooks.endpointName({ url: `http://127.0.0.1:${receiverPort}/`, secret })

      const post = (path: string, body: unknown) =>
        Effect.promise(async () => {
          const response = await fetch(`http://127.0.0.1:${gateway.port}${path}`, {
            method: "POST",
            headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
            body: JSON.stringify(body)
          })
          return { status: response.status, body: (await response.json()) as { _tag?: string; field?: string } }
        })
      const asEvent = { name: "bananas.event", routingKey: "bananas-events", payload: forgedEvent }
      const asDelivery = { name: "bananas.webhook", routingKey: "bananas-events", payload: { endpoint, event: forgedEvent } }
      for (const forged of [asEvent, asDelivery, { ...asEvent, routingKey: undefined }]) {
        const single = yield* post("/v1/jobs", forged)
        assert.strictEqual(single.status, 400, JSON.stringify(single.body))
        assert.strictEqual(single.body._tag, "ValidationError")
        assert.strictEqual(single.body.field, "name")
        const batch = yield* post("/v1/jobs/batch", { entries: [{ name: "ok", payload: {} }, forged] })
        assert.strictEqual(batch.status, 400, JSON.stringify(batch.body))
        assert.strictEqual(batch.body._tag, "ValidationError")
      }
      // Any other name on the old outbox routing key is an ordinary job: the delivery worker never sees it.
      const ordinary = yield* post("/v1/jobs", { name: "anything", routingKey: "bananas-events", payload: forgedEvent })
      assert.strictEqual(ordinary.status, 201)
      const sdk = yield* Effect.flip(Tasks.submit("bananas.webhook", { endpoint, event: forgedEvent }, { routingKey: "bananas-events" }))
      assert.strictEqual(sdk._tag, "ValidationError")

      // A real outcome still goes through, end to end.
      yield* Worker.make({ handlers: Handlers.empty.pipe(Handlers.addRaw("ok", () => Effect.succeed({ done: true }))), concurrency: 2 })
      const real = yield* Tasks.submit("ok", { n: 1 })
      yield* until("the real job's event", 20_000, () => received.some((e) => e.jobId === real.id))
      yield* Effect.sleep(1500)
      assert.deepStrictEqual(received.map((e) => e.jobId), [real.id], "only the real job's event arrived")
    }).pipe(Effect.scoped), { timeout: 60_000 })
})

layer(Backend.layerMemory({ events: true }), { excludeTestServices: true })("forged webhook events through the CLI", (it) => {
  it.effect("bananas submit NAME and submit --batch refuse the reserved names; nothing is written", () =>
    Effect.gen(function*() {
      const single = yield* runCli(["submit", "bananas.event", "--data", JSON.stringify(forgedEvent)])
      assert.notStrictEqual(single.code, 0)
      assert.include(single.stderr, "reserved")
      const batch = yield* runCli(["submit", "--batch", "-"], {
        stdin: `${JSON.stringify({ name: "ok", payload: {} })}\n${JSON.stringify({ name: "bananas.webhook", payload: { event: forgedEvent } })}\n`
      })
      assert.include(batch.stderr + batch.stdout, "reserved")
      const listed = yield* runCli(["--json", "list"])
      assert.notInclude(listed.stdout, "bananas.")
    }))
})
