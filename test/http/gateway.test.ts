/**
 * The gateway as a server: the per-key rate limit is shared by two replicas
 * on one Redis (429 with Retry-After, which the HTTP TaskApi waits out);
 * `/metrics` (behind a key) exposes queue depths and request latency; access logs name
 * the key id but never a key or a payload; a shutdown ends long-polls at
 * once with a retryable 503; `/readyz` says 503 when Redis is gone; no key
 * means no start, unless insecure.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as References from "effect/References"
import * as Scope from "effect/Scope"
import * as Gateway from "../../src/gateway/Gateway.ts"
import * as DirectTaskApi from "../../src/layers/DirectTaskApi.ts"
import * as HttpTaskApi from "../../src/http/HttpTaskApi.ts"
import * as BananasMemory from "../../src/layers/memory/BananasMemory.ts"
import * as BananasRedis from "../../src/layers/redis/BananasRedis.ts"
import * as Tasks from "../../src/Tasks.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"
import { startTcpProxy } from "../support/TcpProxy.ts"
import { apiKey, gatewayOptions } from "./Fixtures.ts"

const otherKey = "other-secret-key"
const prefix = uniquePrefix("gw")

/** A gateway replica: its own Redis connection, the shared prefix, a tight rate limit. */
const replica = Layer.unwrap(Effect.map(Effect.service(RedisServer), (server) =>
  Gateway.layer(gatewayOptions({ apiKeys: [`test:${apiKey}`, `other:${otherKey}`], rateLimit: { limit: 3, window: "2 seconds" } })).pipe(
    Layer.provide(DirectTaskApi.layer),
    Layer.provide(BananasRedis.layer({ url: server.url, prefix })),
    Layer.orDie
  )))

/** Builds a replica in the current scope; its base URL. */
const startReplica = Effect.gen(function*() {
  const context = yield* Layer.build(replica)
  return yield* Effect.provide(Gateway.localUrl, context)
})

const get = (url: string, key: string | undefined = apiKey) =>
  Effect.promise(async () => {
    const response = await fetch(url, key === undefined ? {} : { headers: { authorization: `Bearer ${key}` } })
    return { status: response.status, headers: response.headers, text: await response.text() }
  })

layer(RedisServer.layer, { timeout: 30_000, excludeTestServices: true })("the gateway server", (it) => {
  it.effect("the rate limit of a key is shared by every replica; 429 carries Retry-After; the HTTP TaskApi waits it out", () =>
    Effect.gen(function*() {
      const a = yield* startReplica
      const b = yield* startReplica
      const statuses: Array<number> = []
      for (const base of [a, b, a]) statuses.push((yield* get(`${base}/v1/stats`)).status)
      const limited = yield* get(`${b}/v1/stats`)
      assert.deepStrictEqual([...statuses, limited.status], [200, 200, 200, 429], "3 per window across both replicas")
      const retryAfter = Number(limited.headers.get("retry-after"))
      assert.isTrue(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 2, `Retry-After ${limited.headers.get("retry-after")}`)
      const body = JSON.parse(limited.text) as { _tag: string; retryAfterMillis: number }
      assert.strictEqual(body._tag, "RateLimitError")
      assert.isTrue(body.retryAfterMillis > 0 && body.retryAfterMillis <= 2000)
      assert.strictEqual((yield* get(`${a}/v1/stats`, otherKey)).status, 200, "another key has its own limit")

      const start = Date.now()
      const stats = yield* Tasks.stats().pipe(Effect.provide(HttpTaskApi.layerFetch({ url: a, apiKey })))
      assert.strictEqual(stats.dead, 0)
      assert.isAtLeast(Date.now() - start, body.retryAfterMillis - 300, "retried no sooner than Retry-After")
    }).pipe(Effect.scoped))

  it.effect("/metrics (with a key): queue depths, request latency by route and status (no ids in labels)", () =>
    Effect.gen(function*() {
      const base = yield* startReplica
      yield* Effect.promise(() => fetch(`${base}/v1/jobs`, { method: "POST", headers: { authorization: `Bearer ${otherKey}`, "content-type": "application/json" }, body: `{"name":"m"}` }))
      yield* get(`${base}/v1/jobs/some-id`, otherKey)
      const metrics = yield* get(`${base}/metrics`, otherKey)
      assert.strictEqual(metrics.status, 200)
      assert.include(metrics.headers.get("content-type") ?? "", "text/plain")
      assert.match(metrics.text, /bananas_queue_depth\{list="normal"\} [1-9]/)
      assert.match(metrics.text, /bananas_http_request_duration_seconds_bucket\{method="POST",route="\/v1\/jobs",status="201",le="[^"]+"\} 1/)
      assert.include(metrics.text, `route="/v1/jobs/:id",status="404"`)
      assert.notInclude(metrics.text, "some-id")
      assert.match(metrics.text, /bananas_queue_lag_seconds\{priority="normal"\} /)
    }).pipe(Effect.scoped))

  it.effect("access logs: method, route, status, duration and key id; never a key, a query or a payload", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const capture = Logger.make(({ message, fiber }) => void lines.push(JSON.stringify({ message, annotations: fiber.getRef(References.CurrentLogAnnotations) })))
      const server = yield* RedisServer
      const context = yield* Layer.build(Gateway.layer(gatewayOptions({ accessLog: true })).pipe(
        Layer.provide(DirectTaskApi.layer),
        Layer.provide(BananasRedis.layer({ url: server.url, prefix })),
        Layer.provide(Logger.layer([capture])),
        Layer.orDie
      ))
      const base = yield* Effect.provide(Gateway.localUrl, context)
      yield* Effect.promise(() => fetch(`${base}/v1/jobs?token=hidden-query`, { method: "POST", headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" }, body: `{"name":"secret_job","payload":{"card":"4111-1111"}}` }))
      yield* get(`${base}/v1/stats`, "wrong-key-value")
      const http = lines.filter((l) => l.includes(`"http"`))
      assert.strictEqual(http.length, 2, lines.join("\n"))
      assert.include(http[0]!, `"route":"/v1/jobs"`)
      assert.include(http[0]!, `"status":201`)
      assert.include(http[0]!, `"keyId":"test"`)
      assert.include(http[1]!, `"status":401`)
      for (const secret of [apiKey, "wrong-key-value", "hidden-query", "4111-1111", "secret_job"]) assert.notInclude(lines.join("\n"), secret)
    }).pipe(Effect.scoped))

  it.effect("shutdown: an in-flight long-poll ends at once with a retryable 503, not after its wait", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(replica, scope)
      const base = yield* Effect.provide(Gateway.localUrl, context)
      const started = Date.now()
      const poll = fetch(`${base}/v1/jobs/nobody/result?wait=30s`, { headers: { authorization: `Bearer ${otherKey}` } }).then(async (r) => ({
        status: r.status,
        body: JSON.parse(await r.text()) as { _tag: string }
      }))
      yield* Effect.sleep(300)
      yield* Scope.close(scope, Exit.void)
      const answer = yield* Effect.promise(() => poll)
      assert.strictEqual(answer.status, 503)
      assert.strictEqual(answer.body._tag, "GatewayUnavailableError")
      assert.isBelow(Date.now() - started, 10_000, "ended long before its 30 s wait")
    }))

  it.effect("/readyz: 200 while Redis answers, 503 ConnectionError while it does not; /healthz stays 200", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      // A frozen network between the gateway and Redis (resumed before teardown).
      const proxy = yield* Effect.acquireRelease(Effect.promise(() => startTcpProxy({ targetPort: server.port })), (p) => Effect.promise(p.close))
      const context = yield* Layer.build(Gateway.layer(gatewayOptions()).pipe(
        Layer.provide(DirectTaskApi.layer),
        Layer.provide(BananasRedis.layer({ url: proxy.url, prefix: uniquePrefix("ready") })),
        Layer.orDie
      ))
      const base = yield* Effect.provide(Gateway.localUrl, context)
      assert.strictEqual((yield* get(`${base}/readyz`, undefined)).status, 200)
      proxy.pause()
      const started = Date.now()
      const down = yield* get(`${base}/readyz`, undefined)
      assert.strictEqual(down.status, 503, down.text)
      assert.strictEqual((JSON.parse(down.text) as { _tag: string })._tag, "ConnectionError")
      assert.isBelow(Date.now() - started, 5_000, "a probe answers fast")
      assert.strictEqual((yield* get(`${base}/healthz`, undefined)).status, 200)
      proxy.resume()
      assert.strictEqual((yield* get(`${base}/readyz`, undefined)).status, 200, "ready again")
    }).pipe(Effect.scoped))

  it.effect("no API key: the gateway refuses to start; --insecure serves without one", () =>
    Effect.gen(function*() {
      const refused = yield* Effect.flip(Layer.build(Gateway.layer({ port: 0, host: "127.0.0.1" }).pipe(Layer.provide(DirectTaskApi.layer), Layer.provide(BananasMemory.layer()))))
      assert.strictEqual(refused._tag, "ValidationError")
      assert.include(refused.message, "BANANAS_API_KEYS")
      const context = yield* Layer.build(Gateway.layer({ port: 0, host: "127.0.0.1", insecure: true, accessLog: false }).pipe(
        Layer.provide(DirectTaskApi.layer),
        Layer.provide(BananasMemory.layer()),
        Layer.orDie
      ))
      const base = yield* Effect.provide(Gateway.localUrl, context)
      assert.strictEqual((yield* get(`${base}/v1/stats`, undefined)).status, 200)
    }).pipe(Effect.scoped))
})
