/**
 * A property test against the real gateway over a private Redis:
 * arbitrary JSON (and non-JSON) bodies, arbitrary path segments and query
 * strings, arbitrary content types, with and without the key, to every
 * endpoint. Never a 5xx (the backend is healthy) except the documented 504
 * `TimeoutError` of a wait that ran out (a call no worker serves), never a
 * hang, every answer JSON with a tagged error or a success.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import fc from "fast-check"
import * as Gateway from "../../src/gateway/Gateway.ts"
import { apiKey, overRedis } from "./Fixtures.ts"

const routes: ReadonlyArray<readonly [string, (id: string) => string]> = [
  ["POST", () => "/v1/jobs"],
  ["POST", () => "/v1/jobs/batch"],
  ["POST", () => "/v1/jobs/call"],
  ["GET", () => "/v1/jobs"],
  ["GET", (id) => `/v1/jobs/${id}`],
  ["GET", (id) => `/v1/jobs/${id}/result`],
  ["DELETE", (id) => `/v1/jobs/${id}`],
  ["GET", () => "/v1/stats"],
  ["GET", () => "/v1/dead"],
  ["POST", (id) => `/v1/dead/${id}/requeue`],
  ["GET", () => "/v1/webhooks/deliveries"],
  ["GET", () => "/v1/workers"],
  ["GET", () => "/healthz"],
  ["GET", () => "/readyz"],
  ["GET", (id) => `/${id}`],
  ["PUT", (id) => `/v1/jobs/${id}`]
]

const segment = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom("", ".", "..", "%", "%2F", "a/b", "\u0000", "🍌", "x".repeat(2000))
).map(encodeURIComponent)

const query = fc.array(
  fc.tuple(fc.constantFrom("wait", "limit", "cursor", "status", "priority", "name", "from", "to", "x", "", "wait[]"), fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.constantFrom("30s", "0s", "1ms", "-1", "abc", "1e400", "9999999999999999999999", "pending", "high", "2025-01-01T00:00:00Z", "100")
  )),
  { maxLength: 4 }
).map((pairs) => (pairs.length === 0 ? "" : `?${new URLSearchParams(pairs).toString()}`))

const submission = fc.record({
  name: fc.oneof(fc.string({ maxLength: 10 }), fc.integer()),
  payload: fc.jsonValue({ maxDepth: 3 }),
  priority: fc.constantFrom("high", "normal", "low", "urgent", 1),
  maxRetries: fc.oneof(fc.integer({ min: -2, max: 5 }), fc.double()),
  scheduledFor: fc.constantFrom("2999-01-01T00:00:00Z", "2000-01-01T00:00:00Z", "soon"),
  delayMillis: fc.oneof(fc.integer({ min: -10, max: 100 }), fc.constant(1e300)),
  unique: fc.boolean(),
  extra: fc.jsonValue({ maxDepth: 1 })
}, { requiredKeys: [] })

const body = fc.oneof(
  submission.map((s) => JSON.stringify(s)),
  fc.array(submission, { maxLength: 3 }).map((entries) => JSON.stringify({ entries })),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  fc.constantFrom("", "{", "null", "[]", `{"name":"x","payload":12345678901234567890}`, `{"entries":[]}`, `{"name":"x","name":1}`)
)

const request = fc.record({
  route: fc.constantFrom(...routes),
  id: segment,
  query,
  body,
  contentType: fc.constantFrom("application/json", "application/json; charset=utf-8", "text/plain", undefined, "application/vnd.api+json"),
  key: fc.constantFrom(apiKey, apiKey, apiKey, "wrong", undefined)
})

layer(overRedis({ callWait: "200 millis", maxWait: "500 millis", rateLimit: false }), { timeout: 30_000, excludeTestServices: true })("gateway properties", (it) => {
  it.effect("any request to any endpoint: an answer within 5 s, no 5xx but a wait's 504, always a JSON body", () =>
    Effect.gen(function*() {
      const base = yield* Gateway.localUrl
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(request, async (r) => {
            const [method, path] = r.route
            const headers: Record<string, string> = {}
            if (r.contentType !== undefined) headers["content-type"] = r.contentType
            if (r.key !== undefined) headers.authorization = `Bearer ${r.key}`
            const url = `${base}${path(r.id)}${r.query}`
            const response = await fetch(url, {
              method,
              headers,
              ...(method === "GET" || method === "DELETE" ? {} : { body: r.body }),
              signal: AbortSignal.timeout(5_000)
            })
            const text = await response.text()
            const where = `${method} ${url.slice(base.length, base.length + 120)} -> ${response.status} ${text.slice(0, 200)}`
            assert.include(response.headers.get("content-type") ?? "", "application/json", where)
            const parsed = JSON.parse(text) as Record<string, unknown>
            const waits = path(r.id).startsWith("/v1/jobs/call") || path(r.id).endsWith("/result")
            if (response.status === 504 && waits) assert.strictEqual(parsed._tag, "TimeoutError", where)
            else assert.isBelow(response.status, 500, where)
            if (response.status >= 400) {
              assert.isString(parsed._tag, where)
              assert.isString(parsed.message, where)
            }
          }),
          { numRuns: 400 }
        )
      )
      const health = yield* Effect.promise(() => fetch(`${base}/healthz`).then((res) => res.status))
      assert.strictEqual(health, 200, "still serving")
    }), { timeout: 120_000 })
})
