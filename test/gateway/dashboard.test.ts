/**
 * The dashboard's files as the gateway serves them (no browser): `/ui`
 * redirects relatively to `ui/`; the page, script and style carry a strict
 * CSP, an ETag (304 on a match) and compression; the script and style are
 * named by digest and cached for good; the whole weighs far below the
 * 250 kB budget gzipped; `dashboard: false` serves none of it. A key
 * written `id/read:secret` is read-only: `/ui/session` says so, and the
 * API refuses it anything but reads.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as References from "effect/References"
import { HttpRouter, HttpServer } from "effect/http"
import * as Redacted from "effect/Redacted"
import * as ApiKeys from "../../src/gateway/ApiKeys.ts"
import * as Dashboard from "../../src/gateway/Dashboard.ts"
import * as Gateway from "../../src/gateway/Gateway.ts"
import * as GatewayOptions from "../../src/gateway/GatewayOptions.ts"
import * as DirectTaskApi from "../../src/layers/DirectTaskApi.ts"
import * as BananasMemory from "../../src/layers/memory/BananasMemory.ts"
import { apiKey, gatewayOptions } from "../http/Fixtures.ts"

/** The gateway's routes in-process on memory: a fetch to them. */
const handlerOf = (overrides: Partial<Gateway.Options> = {}) => {
  const routes = Gateway.routes(gatewayOptions(overrides)).pipe(
    Layer.provide(DirectTaskApi.layer),
    Layer.provide(BananasMemory.layer()),
    Layer.provide(HttpServer.layerServices),
    Layer.orDie
  )
  return HttpRouter.toWebHandler(routes, { disableLogger: true })
}

const get = (handler: (r: Request) => Promise<Response>, path: string, headers: Record<string, string> = {}, method = "GET") =>
  Effect.promise(async () => {
    const response = await handler(new Request(`http://gateway.test${path}`, { headers, method }))
    return { status: response.status, headers: response.headers, body: new Uint8Array(await response.arrayBuffer()) }
  })

describe("the dashboard's files", () => {
  it.effect("/ui redirects to ui/; page, script and style: CSP, ETag and 304, compressed, digests in the page", () =>
    Effect.gen(function*() {
      const { handler, dispose } = handlerOf()
      yield* Effect.addFinalizer(() => Effect.promise(dispose))
      const redirect = yield* get(handler, "/ui")
      assert.strictEqual(redirect.status, 308)
      assert.strictEqual(redirect.headers.get("location"), "ui/", "relative: works under any base path")

      const page = yield* get(handler, "/ui/")
      assert.strictEqual(page.status, 200)
      assert.strictEqual(page.headers.get("content-security-policy"), Dashboard.contentSecurityPolicy)
      assert.include(Dashboard.contentSecurityPolicy, "default-src 'self'")
      assert.include(Dashboard.contentSecurityPolicy, "connect-src 'self'")
      assert.notInclude(Dashboard.contentSecurityPolicy, "unsafe-inline")
      assert.strictEqual(page.headers.get("cache-control"), "no-cache")
      const html = new TextDecoder().decode(page.body)
      assert.notMatch(html, /<script>|<style|style=|https?:\/\//, "no inline script or style, no other origin")
      const script = /src="(app\.js\?v=[\w-]+)"/.exec(html)?.[1]
      const style = /href="(app\.css\?v=[\w-]+)"/.exec(html)?.[1]
      assert.isDefined(script)
      assert.isDefined(style)

      for (const [path, type] of [[`/ui/${script}`, "text/javascript"], [`/ui/${style}`, "text/css"]] as const) {
        const asset = yield* get(handler, path, { "accept-encoding": "gzip" })
        assert.strictEqual(asset.status, 200)
        assert.include(asset.headers.get("content-type") ?? "", type)
        assert.strictEqual(asset.headers.get("content-encoding"), "gzip")
        assert.strictEqual(asset.headers.get("cache-control"), "public, max-age=31536000, immutable")
        assert.strictEqual(asset.headers.get("content-security-policy"), Dashboard.contentSecurityPolicy)
        const again = yield* get(handler, path, { "if-none-match": asset.headers.get("etag")! })
        assert.strictEqual(again.status, 304)
      }
    }).pipe(Effect.scoped))

  it.effect("page, script and style weigh under 30 kB gzipped (budget 250 kB)", () =>
    Effect.gen(function*() {
      const assets = yield* Dashboard.loadAssets
      const gzipped = assets.page.gzip.length + assets.script.gzip.length + assets.style.gzip.length
      assert.isBelow(gzipped, 30_000, `${gzipped} bytes`)
      assert.isAbove(gzipped, 1_000)
    }))

  it.effect("/ui/events behind a key; on memory it says live updates are on (in-process notifications), then streams", () =>
    Effect.gen(function*() {
      const { handler, dispose } = handlerOf()
      yield* Effect.addFinalizer(() => Effect.promise(dispose))
      assert.strictEqual((yield* get(handler, "/ui/events")).status, 401)
      const first = yield* Effect.promise(async () => {
        const response = await handler(new Request("http://gateway.test/ui/events", { headers: { authorization: "Bearer test-secret-key" } }))
        const reader = response.body!.getReader()
        const chunk = await reader.read()
        await reader.cancel()
        return { status: response.status, type: response.headers.get("content-type"), text: new TextDecoder().decode(chunk.value) }
      })
      assert.strictEqual(first.status, 200)
      assert.include(first.type ?? "", "text/event-stream")
      assert.strictEqual(first.text, "event: live\ndata: on\n\n")
    }).pipe(Effect.scoped))

  it.effect("the access log names a read-only key refused a write", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const capture = Logger.make(({ message, fiber }) => void lines.push(JSON.stringify({ message, annotations: fiber.getRef(References.CurrentLogAnnotations) })))
      const context = yield* Layer.build(Gateway.layer(gatewayOptions({ apiKeys: ["viewer/read:view-key"], accessLog: true })).pipe(
        Layer.provide(DirectTaskApi.layer),
        Layer.provide(BananasMemory.layer()),
        Layer.provide(Logger.layer([capture])),
        Layer.orDie
      ))
      const base = yield* Effect.provide(Gateway.localUrl, context)
      const status = yield* Effect.promise(() => fetch(`${base}/v1/dead`, { method: "DELETE", headers: { authorization: "Bearer view-key" } }).then((r) => r.status))
      assert.strictEqual(status, 401)
      const line = lines.find((l) => l.includes(`"http"`))
      assert.include(line ?? "", `"keyId":"viewer"`, lines.join("\n"))
      assert.notInclude(lines.join("\n"), "view-key")
    }).pipe(Effect.scoped))

  it.effect("dashboard: false serves no page", () =>
    Effect.gen(function*() {
      const { handler, dispose } = handlerOf({ dashboard: false })
      yield* Effect.addFinalizer(() => Effect.promise(dispose))
      assert.strictEqual((yield* get(handler, "/ui/")).status, 404)
      assert.strictEqual((yield* get(handler, "/ui/app.js")).status, 404)
    }).pipe(Effect.scoped))

  it("keys: `id/read:secret` is read-only, `id:secret` and bare secrets are not", () => {
    const viewer = ApiKeys.parse("viewer/read:s3cr3t")
    assert.deepStrictEqual([viewer?.id, viewer?.readOnly, viewer && Redacted.value(viewer.secret)], ["viewer", true, "s3cr3t"])
    const ops = ApiKeys.parse("ops:a/read:b")
    assert.deepStrictEqual([ops?.id, ops?.readOnly, ops && Redacted.value(ops.secret)], ["ops", undefined, "a/read:b"])
    assert.strictEqual(ApiKeys.parse("bare-secret")?.readOnly, undefined)
    const prepared = ApiKeys.prepare(ApiKeys.parseList("ops:one,viewer/read:two"))
    assert.deepStrictEqual([ApiKeys.match(prepared, "one")?.readOnly, ApiKeys.match(prepared, "two")?.readOnly], [false, true])
  })

  it.effect("/ui/session names the key and its scope; a read-only key may read the API but not write", () =>
    Effect.gen(function*() {
      const { handler, dispose } = handlerOf({ apiKeys: ["ops:full-key", "viewer/read:view-key"] })
      yield* Effect.addFinalizer(() => Effect.promise(dispose))
      const session = (key: string) => Effect.map(get(handler, "/ui/session", { authorization: `Bearer ${key}` }), (r) => [r.status, new TextDecoder().decode(r.body)])
      assert.deepStrictEqual(yield* session("full-key"), [200, `{"keyId":"ops","readOnly":false,"traceLink":null}`])
      assert.deepStrictEqual(yield* session("view-key"), [200, `{"keyId":"viewer","readOnly":true,"traceLink":null}`])
      assert.strictEqual((yield* session("wrong"))[0], 401)
      assert.strictEqual((yield* get(handler, "/v1/stats", { authorization: "Bearer view-key" })).status, 200)
      const purge = yield* get(handler, "/v1/dead", { authorization: "Bearer view-key" }, "DELETE")
      assert.strictEqual(purge.status, 401)
      assert.include(new TextDecoder().decode(purge.body), "API key viewer is read-only: DELETE needs a key without /read")
      assert.strictEqual((yield* get(handler, "/v1/dead", { authorization: "Bearer full-key" }, "DELETE")).status, 200)
    }).pipe(Effect.scoped))

  it.effect("traceLink: an http(s) URL with {traceId} in it, handed to the page by /ui/session; anything else keeps the gateway from starting", () =>
    Effect.gen(function*() {
      for (const bad of ["ftp://x/{traceId}", "https://traces.example/", "javascript:alert(1)//{traceId}"]) {
        const r = GatewayOptions.resolve({ insecure: true, traceLink: bad })
        assert.include("invalid" in r ? r.invalid : "", "traceLink must be an http(s) URL with {traceId} in it", bad)
      }
      const link = "https://traces.example/t/{traceId}"
      const { handler, dispose } = handlerOf({ traceLink: link })
      yield* Effect.addFinalizer(() => Effect.promise(dispose))
      const session = yield* get(handler, "/ui/session", { authorization: `Bearer ${apiKey}` })
      assert.strictEqual(JSON.parse(new TextDecoder().decode(session.body)).traceLink, link)
    }).pipe(Effect.scoped))
})
