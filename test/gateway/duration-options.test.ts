/**
 * Duration options of the gateway, its webhook delivery, the webhook
 * receiver and the HTTP client: one that cannot work ("abc", NaN, zero,
 * negative) is a `ValidationError` (or, for the gateway's options, the
 * reason it cannot run) naming the option, never a thrown defect.
 */
import { assert, describe, it } from "@effect/vitest"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import { HttpRouter } from "effect/http"
import * as GatewayOptions from "../../src/gateway/GatewayOptions.ts"
import * as HttpTaskApi from "../../src/http/HttpTaskApi.ts"
import * as WebhookHandler from "../../src/webhooks/WebhookHandler.ts"

const bad = "abc" as Duration.Input

describe("gateway duration options", () => {
  const cases: ReadonlyArray<readonly [string, GatewayOptions.Options]> = [
    ["maxWait", { maxWait: bad }],
    ["callWait", { callWait: Number.NaN }],
    ["requestTimeout", { requestTimeout: -5 }],
    ["shutdownTimeout", { shutdownTimeout: "-1 seconds" as Duration.Input }],
    ["rateLimit.window", { rateLimit: { limit: 10, window: bad } }],
    ["webhooks.timeout", { webhooks: { endpoints: [], timeout: 0 } }],
    ["webhooks.leaseDuration", { webhooks: { endpoints: [], leaseDuration: bad } }]
  ]
  for (const [field, options] of cases) {
    it(`a bad ${field} is the reason the gateway cannot run`, () => {
      const r = GatewayOptions.resolve({ insecure: true, ...options })
      assert.isTrue("invalid" in r)
      assert.include("invalid" in r ? r.invalid : "", field)
    })
  }

  it("the defaults and good durations resolve", () => {
    const r = GatewayOptions.resolve({ insecure: true, maxWait: "5 seconds", rateLimit: { limit: 5, window: 2000 } })
    assert.isTrue("resolved" in r)
  })
})

describe("webhook receiver duration options", () => {
  const cases: ReadonlyArray<readonly [string, Partial<WebhookHandler.Options<never>>]> = [
    ["tolerance", { tolerance: bad }],
    ["processedFor", { processedFor: -1 }],
    ["claimFor", { claimFor: Number.NaN }],
    ["maxBodyBytes", { maxBodyBytes: 0 }]
  ]
  for (const [field, options] of cases) {
    it(`a bad ${field} is a ValidationError naming it`, () => {
      const made = WebhookHandler.make({ secret: "s", ...options })
      assert.isTrue(Result.isFailure(made))
      if (Result.isFailure(made)) assert.strictEqual(made.failure.field, field)
    })

    it.effect(`a route with a bad ${field} fails its build, typed`, () =>
      Effect.gen(function*() {
        const error = yield* Layer.build(WebhookHandler.route("/hooks", { secret: "s", ...options }).pipe(Layer.provide(HttpRouter.layer))).pipe(
          Effect.scoped,
          Effect.flip
        )
        assert.strictEqual(error._tag, "ValidationError")
      }))

    it.effect(`a fetch handler with a bad ${field} answers 500 naming it`, () =>
      Effect.promise(async () => {
        const response = await WebhookHandler.toWebHandler({ secret: "s", ...options })(new Request("http://localhost/hooks", { method: "POST", body: "{}" }))
        assert.strictEqual(response.status, 500)
        const body = await response.json() as { _tag: string; field: string }
        assert.strictEqual(body._tag, "ValidationError")
        assert.strictEqual(body.field, field)
      }))
  }
})

describe("HTTP client duration options", () => {
  for (const [field, options] of [["requestTimeout", { requestTimeout: bad }], ["maxPoll", { maxPoll: 0 }]] as const) {
    it.effect(`a bad ${field} fails the layer with a ValidationError naming it`, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(Layer.build(HttpTaskApi.layerFetch({ url: "http://127.0.0.1:1", ...options })).pipe(Effect.scoped))
        assert.strictEqual(error._tag, "ValidationError")
        assert.strictEqual(error.field, field)
      }))
  }
})
