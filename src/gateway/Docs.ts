/**
 * The gateway's documentation routes, `GET /docs` (the interactive Scalar
 * page: the API's document and a link to Scalar's 3.2 MB script, served
 * apart at `GET /docs/scalar.js` and cached for good) and
 * `GET /openapi.json`, as cached assets: each is rendered and compressed
 * (brotli and gzip, off the event loop) once, on its first request, then
 * served as the same bytes —
 * compressed when the client accepts it, `304 Not Modified` when it
 * already holds them (`ETag` / `If-None-Match`), with `Cache-Control` — so
 * a crowd fetching the docs costs the gateway little beside the API.
 * `docs: "authenticated"` asks for an API key (not for Scalar's script,
 * which says nothing about the API); `"off"` serves none.
 *
 * @since 0.2.0
 */

import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { HttpRouter, HttpServer, HttpServerRequest, HttpServerResponse } from "effect/http"
import { HttpApiScalar, OpenApi } from "effect/http-api"
import { Api } from "../http/Api.ts"
import type { AuthFailures } from "./AuthFailures.ts"
import type { Resolved } from "./GatewayOptions.ts"
import { behindKey, makeKeyCheck } from "./Middleware.ts"
import { createHash } from "node:crypto"
import { promisify } from "node:util"
import { brotliCompress, constants as zlib, gzip } from "node:zlib"

/**
 * A response body kept ready: its bytes, compressed forms and entity tag.
 *
 * @category models
 * @since 0.2.0
 */
export interface Asset {
  readonly contentType: string
  readonly identity: Uint8Array
  readonly br: Uint8Array
  readonly gzip: Uint8Array
  readonly etag: string
}

/**
 * An asset from its bytes: compressed in the thread pool, tagged by digest.
 *
 * @category constructors
 * @since 0.2.0
 */
export const makeAsset = (contentType: string, body: string): Effect.Effect<Asset> =>
  Effect.promise(async () => {
    const identity = Buffer.from(body, "utf8")
    const [br, gz] = await Promise.all([
      promisify(brotliCompress)(identity, { params: { [zlib.BROTLI_PARAM_QUALITY]: 6, [zlib.BROTLI_PARAM_SIZE_HINT]: identity.length } }),
      promisify(gzip)(identity, { level: 9 })
    ])
    return { contentType, identity, br, gzip: gz, etag: `"${createHash("sha256").update(identity).digest("base64url").slice(0, 27)}"` }
  })

/**
 * The response of `asset` to `request`: 304 when its `If-None-Match`
 * names the asset, else the body in the best encoding it accepts.
 *
 * @category constructors
 * @since 0.2.0
 */
export const respond = (asset: Asset, request: HttpServerRequest.HttpServerRequest, cacheControl: string): HttpServerResponse.HttpServerResponse => {
  const common = { etag: asset.etag, "cache-control": cacheControl, vary: "accept-encoding" }
  const ifNoneMatch = request.headers["if-none-match"]
  if (ifNoneMatch !== undefined && ifNoneMatch.split(",").some((tag) => tag.trim() === asset.etag || tag.trim() === "*")) {
    return HttpServerResponse.empty({ status: 304, headers: common })
  }
  const accepted = acceptedEncodings(request.headers["accept-encoding"] ?? "")
  const [encoding, body] = accepted.has("br") ? ["br", asset.br] : accepted.has("gzip") ? ["gzip", asset.gzip] : [undefined, asset.identity]
  return HttpServerResponse.uint8Array(body, {
    contentType: asset.contentType,
    headers: encoding === undefined ? common : { ...common, "content-encoding": encoding }
  })
}

/**
 * `GET /docs` and `GET /openapi.json` as the options say (none when `docs`
 * is `"off"`).
 *
 * @category layers
 * @since 0.2.0
 */
export const layer = (options: Resolved): Layer.Layer<never, never, HttpRouter.HttpRouter | AuthFailures> => {
  if (options.docs === "off") return Layer.empty
  return Layer.unwrap(Effect.gen(function*() {
    const check = yield* makeKeyCheck(options)
    const open = options.docs === "public"
    const cacheControl = open ? "public, max-age=300" : "private, max-age=300"
    const assets = yield* Effect.cached(Effect.flatMap(renderPage, (html) => {
      const { page, script } = splitScript(html)
      return Effect.all({
        page: makeAsset("text/html; charset=utf-8", page),
        script: script === undefined ? Effect.succeed(undefined) : makeAsset("text/javascript; charset=utf-8", script)
      }, { concurrency: 2 })
    }))
    const spec = yield* Effect.cached(makeAsset("application/json", JSON.stringify(OpenApi.fromApi(Api))))
    const serve = (asset: Effect.Effect<Asset | undefined>, guarded: boolean, cache: string) => {
      const answer = Effect.flatMap(Effect.all([asset, HttpServerRequest.HttpServerRequest]), ([a, request]) =>
        Effect.succeed(a === undefined ? HttpServerResponse.empty({ status: 404 }) : respond(a, request, cache)))
      return guarded ? behindKey(check, () => answer) : answer
    }
    return Layer.mergeAll(
      HttpRouter.add("GET", "/docs", serve(Effect.map(assets, (a) => a.page), !open, cacheControl)),
      // Scalar's own script, the same for every API: public, and named by its digest in the page, so cached for good.
      HttpRouter.add("GET", scriptPath, serve(Effect.map(assets, (a) => a.script), false, "public, max-age=31536000, immutable")),
      HttpRouter.add("GET", "/openapi.json", serve(spec, !open, cacheControl))
    )
  }))
}

// Internal

/** The Scalar page as `HttpApiScalar` writes it, rendered once in memory. */
const renderPage: Effect.Effect<string> = Effect.promise(async () => {
  const { handler, dispose } = HttpRouter.toWebHandler(HttpApiScalar.layer(Api, { path: "/docs" }).pipe(Layer.provide(HttpServer.layerServices)), {
    disableLogger: true
  })
  try {
    return await (await handler(new Request("http://gateway.local/docs"))).text()
  } finally {
    await dispose()
  }
})

/** Where the page loads Scalar's script from. */
const scriptPath = "/docs/scalar.js"

/**
 * The page with its inline script (Scalar's bundle, `<script>...</script>`
 * without attributes, 3.2 MB) moved out to `scriptPath`, versioned by its
 * digest; the page whole when it has no such script.
 */
const splitScript = (html: string): { readonly page: string; readonly script: string | undefined } => {
  const start = html.indexOf("<script>")
  const end = start < 0 ? -1 : html.indexOf("</script>", start)
  if (end < 0 || end - start < 100_000) return { page: html, script: undefined }
  const script = html.slice(start + "<script>".length, end)
  const version = createHash("sha256").update(script).digest("base64url").slice(0, 16)
  return { page: `${html.slice(0, start)}<script src="${scriptPath}?v=${version}"></script>${html.slice(end + "</script>".length)}`, script }
}

/** The encodings an `Accept-Encoding` header accepts (those with a non-zero weight). */
const acceptedEncodings = (header: string): ReadonlySet<string> =>
  new Set(header.split(",").flatMap((part) => {
    const [name, ...params] = part.trim().toLowerCase().split(";")
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="))
    return name === undefined || name === "" || (q !== undefined && Number(q.slice(2)) === 0) ? [] : [name]
  }))
