/**
 * Pausing a queue over HTTP: `POST /v1/queues/{priority}/pause|resume`
 * (`?routingKey=` for a route's queue) and `GET /v1/queues/paused`, behind
 * a key; a read-only key is refused the actions (nothing paused); a bad
 * priority or routing key is a 400 naming it; stats carries `paused`; the
 * access log names the route template and the key id, like the other
 * admin actions.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as References from "effect/References"
import * as Gateway from "../../src/gateway/Gateway.ts"
import { routeOf } from "../../src/gateway/Observability.ts"
import * as DirectTaskApi from "../../src/layers/DirectTaskApi.ts"
import * as BananasMemory from "../../src/layers/memory/BananasMemory.ts"
import { gatewayOptions } from "./Fixtures.ts"

const send = (base: string, method: string, path: string, key: string) =>
  Effect.promise(async () => {
    const response = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${key}` } })
    return { status: response.status, body: JSON.parse(await response.text()) as Record<string, unknown> }
  })

describe("pausing a queue over HTTP", () => {
  it.live("pause, resume and the paused list; a read-only key is refused the actions; bad input is a 400; the access log names them", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const capture = Logger.make(({ message, fiber }) => void lines.push(JSON.stringify({ message, annotations: fiber.getRef(References.CurrentLogAnnotations) })))
      const context = yield* Layer.build(Gateway.layer(gatewayOptions({ apiKeys: ["ops:ops-key", "viewer/read:view-key"], accessLog: true })).pipe(
        Layer.provide(DirectTaskApi.layer),
        Layer.provide(BananasMemory.layer()),
        Layer.provide(Logger.layer([capture])),
        Layer.orDie
      ))
      const base = yield* Effect.provide(Gateway.localUrl, context)

      const refused = yield* send(base, "POST", "/v1/queues/normal/pause", "view-key")
      assert.strictEqual(refused.status, 401)
      assert.strictEqual(refused.body._tag, "AuthenticationError")
      assert.match(String(refused.body.message), /read-only/)
      assert.deepStrictEqual(yield* send(base, "GET", "/v1/queues/paused", "view-key"), { status: 200, body: { paused: [] } }, "a read-only key reads, and paused nothing")

      assert.deepStrictEqual(yield* send(base, "POST", "/v1/queues/normal/pause", "ops-key"), { status: 200, body: { priority: "normal" } })
      assert.deepStrictEqual(yield* send(base, "POST", "/v1/queues/high/pause?routingKey=gpu", "ops-key"), {
        status: 200,
        body: { priority: "high", routingKey: "gpu" }
      })
      const stats = yield* send(base, "GET", "/v1/stats", "view-key")
      assert.deepStrictEqual(stats.body.paused, [{ priority: "normal" }, { priority: "high", routingKey: "gpu" }])

      const badPriority = yield* send(base, "POST", "/v1/queues/urgent/pause", "ops-key")
      assert.strictEqual(badPriority.status, 400)
      assert.strictEqual(badPriority.body._tag, "ValidationError")
      assert.match(String(badPriority.body.field), /priority/)
      const badRoute = yield* send(base, "POST", "/v1/queues/high/resume?routingKey=no%20spaces", "ops-key")
      assert.strictEqual(badRoute.status, 400)
      assert.deepStrictEqual([badRoute.body._tag, badRoute.body.field], ["ValidationError", "routingKey"])

      assert.deepStrictEqual(yield* send(base, "POST", "/v1/queues/normal/resume", "ops-key"), { status: 200, body: { priority: "normal" } })
      assert.deepStrictEqual((yield* send(base, "GET", "/v1/queues/paused", "ops-key")).body, { paused: [{ priority: "high", routingKey: "gpu" }] })

      const http = lines.filter((l) => l.includes(`"http"`))
      const paused = http.filter((l) => l.includes(`"route":"/v1/queues/:priority/pause"`))
      assert.isTrue(paused.some((l) => l.includes(`"keyId":"viewer"`) && l.includes(`"status":401`)), http.join("\n"))
      assert.isTrue(paused.some((l) => l.includes(`"keyId":"ops"`) && l.includes(`"status":200`)), http.join("\n"))
      assert.isTrue(http.some((l) => l.includes(`"route":"/v1/queues/:priority/resume"`)), http.join("\n"))
      assert.notInclude(lines.join("\n"), "gpu", "no query string in the log")
    }).pipe(Effect.scoped))

  it("route templates of the pause endpoints (metrics and access log labels carry no priority)", () => {
    assert.strictEqual(routeOf("/v1/queues/high/pause"), "/v1/queues/:priority/pause")
    assert.strictEqual(routeOf("/v1/queues/low/resume"), "/v1/queues/:priority/resume")
    assert.strictEqual(routeOf("/v1/queues/paused"), "/v1/queues/paused")
  })
})
