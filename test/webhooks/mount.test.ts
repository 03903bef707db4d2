/**
 * `WebhookHandler` mounted into an existing app: as a group of the app's
 * own `HttpApi` (`WebhookApi`; left out of its OpenAPI document) and as a
 * route of an `HttpRouter` app next to the app's routes. Served in-process
 * (`HttpRouter.toWebHandler`).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { HttpRouter, HttpServer, HttpServerResponse } from "effect/http"
import { HttpApi, HttpApiBuilder, HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import * as JobModel from "../../src/domain/Job.ts"
import type { RawJson } from "../../src/domain/RawJson.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import * as Events from "../../src/protocol/Events.ts"
import * as Signature from "../../src/webhooks/Signature.ts"
import * as WebhookApi from "../../src/webhooks/WebhookApi.ts"
import * as WebhookHandler from "../../src/webhooks/WebhookHandler.ts"

const secret = "mount-secret"
const now = Timestamp.fromMillis(Date.now())
const job = { ...JobModel.make({ id: "m-1", name: "resize", payload: `{"w":1}` as RawJson, priority: "normal", now, maxRetries: 3 }), status: "failed" as const, error: "kaput" }
const event = Events.make("job.dead", job, { jobId: "m-1", status: "failed", error: "kaput", completedAt: now, durationMs: 3 })
const body = Events.encode(event)

const signed = (url: string) => {
  const timestamp = String(Math.floor(Date.now() / 1000))
  return new Request(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      [Signature.headers.id]: event.id,
      [Signature.headers.timestamp]: timestamp,
      [Signature.headers.signature]: Signature.sign(secret, timestamp, body)
    },
    body
  })
}

class Users extends HttpApiGroup.make("users").add(HttpApiEndpoint.get("me", "/me", { success: Schema.Struct({ name: Schema.String }) })) {}
class MyApi extends HttpApi.make("my-app").add(Users).add(WebhookApi.WebhookGroup) {}

describe("mounting the receiver", () => {
  it.effect("as a group of the app's own HttpApi, next to its other groups, hidden from its OpenAPI", () =>
    Effect.gen(function*() {
      const dead: Array<string> = []
      const UsersLive = HttpApiBuilder.group(MyApi, "users", (h) => h.handle("me", () => Effect.succeed({ name: "ada" })))
      const HooksLive = WebhookApi.layerGroup(MyApi, { secret, onJobDead: (e) => Effect.sync(() => dead.push(`${e.jobId}: ${e.result.error}`)) })
      const app = HttpApiBuilder.layer(MyApi).pipe(Layer.provide([UsersLive, HooksLive]), Layer.provide(HttpServer.layerServices))
      const { handler, dispose } = HttpRouter.toWebHandler(app, { disableLogger: true })
      try {
        const me = yield* Effect.promise(() => handler(new Request("http://app.test/me")).then((r) => r.json()))
        assert.deepStrictEqual(me, { name: "ada" })
        const answer = yield* Effect.promise(() => handler(signed("http://app.test/webhooks/bananas")))
        assert.strictEqual(answer.status, 200)
        assert.deepStrictEqual(dead, ["m-1: kaput"])
        const forged = yield* Effect.promise(() => handler(new Request("http://app.test/webhooks/bananas", { method: "POST", headers: { "content-type": "application/json" }, body })))
        assert.strictEqual(forged.status, 400)
      } finally {
        yield* Effect.promise(dispose)
      }
      assert.notProperty(OpenApi.fromApi(MyApi).paths, "/webhooks/bananas")
      assert.property(OpenApi.fromApi(MyApi).paths, "/me")
    }))

  it.effect("as a route of an HttpRouter app, next to its other routes", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const routes = Layer.mergeAll(
        HttpRouter.add("GET", "/ping", HttpServerResponse.text("pong")),
        WebhookHandler.route("/hooks/bananas", { secret, onJobDead: (e) => Effect.sync(() => seen.push(e.id)) })
      )
      const { handler, dispose } = HttpRouter.toWebHandler(routes.pipe(Layer.provide(HttpServer.layerServices)), { disableLogger: true })
      try {
        assert.strictEqual(yield* Effect.promise(() => handler(new Request("http://app.test/ping")).then((r) => r.text())), "pong")
        assert.strictEqual((yield* Effect.promise(() => handler(signed("http://app.test/hooks/bananas")))).status, 200)
        assert.deepStrictEqual(seen, [event.id])
      } finally {
        yield* Effect.promise(dispose)
      }
    }))
})
