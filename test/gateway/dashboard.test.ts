/**
 * The dashboard's files as the gateway serves them (no browser): `/ui`
 * redirects relatively to `ui/`; the page, script and style carry a strict
 * CSP, an ETag (304 on a match) and compression; the script and style are
 * named by digest and cached for good; the whole weighs far below the
 * 250 kB budget gzipped; `dashboard: false` serves none of it.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { HttpRouter, HttpServer } from "effect/http"
import * as Dashboard from "../../src/gateway/Dashboard.ts"
import * as Gateway from "../../src/gateway/Gateway.ts"
import * as DirectTaskApi from "../../src/layers/DirectTaskApi.ts"
import * as BananasMemory from "../../src/layers/memory/BananasMemory.ts"
import { gatewayOptions } from "../http/Fixtures.ts"

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

const get = (handler: (r: Request) => Promise<Response>, path: string, headers: Record<string, string> = {}) =>
  Effect.promise(async () => {
    const response = await handler(new Request(`http://gateway.test${path}`, { headers }))
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

  it.effect("dashboard: false serves no page", () =>
    Effect.gen(function*() {
      const { handler, dispose } = handlerOf({ dashboard: false })
      yield* Effect.addFinalizer(() => Effect.promise(dispose))
      assert.strictEqual((yield* get(handler, "/ui/")).status, 404)
      assert.strictEqual((yield* get(handler, "/ui/app.js")).status, 404)
    }).pipe(Effect.scoped))
})
