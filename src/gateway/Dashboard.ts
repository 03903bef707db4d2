/**
 * The dashboard: a small page at `GET /ui/` (its script and style beside
 * it) that operates the queue from a browser as a client of `/v1`, with
 * the same API keys. The files are `dashboard/` in the package, read and
 * compressed once on the first request and served from memory like the
 * docs (`ETag`, `Cache-Control`, brotli / gzip); the script and style are
 * named by digest in the page, so cached for good. Every answer carries a
 * strict Content-Security-Policy (no inline script or style, no network
 * but the gateway itself). All links are relative, so the page works
 * under a base path behind a reverse proxy (`/base/ui/` calls
 * `/base/v1/`). The page holds no data: it is public, and every read or
 * action asks for a key; a read-only key (`id/read:secret`) sees no
 * actions. On Redis and memory the page reloads what it shows when the queue changes
 * (`LiveFeed`, over server-sent events; the open tabs share one read of the overview
 * per change).
 *
 * @since 0.2.0
 */

import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import type { AuthFailures } from "./AuthFailures.ts"
import { type Asset, makeAsset, respond } from "./Docs.ts"
import type { Resolved } from "./GatewayOptions.ts"
import { ShuttingDown } from "./Lifecycle.ts"
import * as LiveFeed from "./LiveFeed.ts"
import { behindKey, makeKeyCheck } from "./Middleware.ts"
// node: imports last: a first import the declarations drop would take the module header with it
import { createHash } from "node:crypto"
import { readFile } from "node:fs/promises"
import * as Duration from "effect/Duration"

/**
 * The Content-Security-Policy of every dashboard answer: the page's own
 * files only, no inline script or style, requests to its own origin only,
 * never framed.
 *
 * @category constants
 * @since 0.2.0
 */
export const contentSecurityPolicy =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"

/**
 * `GET /ui` (a relative redirect to `ui/`), `GET /ui/`, `GET /ui/app.js`,
 * `GET /ui/app.css`, `GET /ui/session` (behind a key: its id and whether
 * it is read-only, so the page hides what the key may not do; and the
 * `traceLink` template) and `GET
 * /ui/events` (behind a key: server-sent events, `live` once, then
 * `change` whenever the queue changed, from `LiveFeed`, with the snapshot
 * token the page names when it reloads (`{"snapshot":"<token>"}`); the
 * stream ends when the gateway shuts down); none when `dashboard` is off.
 *
 * @category layers
 * @since 0.2.0
 */
export const layer = (options: Resolved): Layer.Layer<never, never, HttpRouter.HttpRouter | AuthFailures | ShuttingDown | LiveFeed.LiveFeed> => {
  if (!options.dashboard) return Layer.empty
  return Layer.unwrap(Effect.gen(function*() {
    const check = yield* makeKeyCheck(options)
    const feed = yield* LiveFeed.LiveFeed
    const shuttingDown = yield* ShuttingDown
    const assets = yield* Effect.cached(loadAssets)
    const serve = (pick: (a: Assets) => Asset, cacheControl: string) =>
      Effect.flatMap(Effect.all([assets, HttpServerRequest.HttpServerRequest]), ([a, request]) =>
        Effect.succeed(HttpServerResponse.setHeaders(respond(pick(a), request, cacheControl), securityHeaders)))
    const forever = "public, max-age=31536000, immutable"
    return Layer.mergeAll(
      // The router takes `/ui` and `/ui/` as one route: the page needs the slash, so its relative links resolve under it.
      HttpRouter.add("GET", "/ui", Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
        new URL(request.url, "http://gateway.local").pathname.endsWith("/")
          ? serve((a) => a.page, "no-cache")
          : Effect.succeed(HttpServerResponse.empty({ status: 308, headers: { location: "ui/", ...securityHeaders } })))),
      HttpRouter.add("GET", "/ui/app.js", serve((a) => a.script, forever)),
      HttpRouter.add("GET", "/ui/app.css", serve((a) => a.style, forever)),
      // Who the page's key is: whether to show actions (the gateway refuses them to a read-only key anyway).
      HttpRouter.add("GET", "/ui/session", behindKey(check, (key) =>
        Effect.succeed(HttpServerResponse.jsonUnsafe({ keyId: key.id, readOnly: key.readOnly, traceLink: options.traceLink ?? null }, {
          headers: { "cache-control": "no-store", ...securityHeaders }
        })))),
      HttpRouter.add("GET", "/ui/events", behindKey(check, () =>
        Effect.succeed(HttpServerResponse.stream(Stream.encodeText(events(feed, shuttingDown)), {
          contentType: "text/event-stream",
          headers: { "cache-control": "no-store", ...securityHeaders }
        }))))
    )
  }))
}

/**
 * The dashboard's files as served (page, script, style): their total
 * gzip size is the page's weight on the wire.
 *
 * @category models
 * @since 0.2.0
 */
export interface Assets {
  /** `index.html`, naming the script and style by digest. */
  readonly page: Asset
  /** `app.js`. */
  readonly script: Asset
  /** `app.css`. */
  readonly style: Asset
}

/**
 * Reads and compresses the dashboard's files (the page names the script
 * and style by digest).
 *
 * @category constructors
 * @since 0.2.0
 */
export const loadAssets: Effect.Effect<Assets> = Effect.gen(function*() {
  const [html, js, css] = yield* Effect.promise(() => Promise.all(["index.html", "app.js", "app.css"].map(readDashboardFile)))
  const version = (text: string) => createHash("sha256").update(text).digest("base64url").slice(0, 16)
  const page = html!.replace("app.css", `app.css?v=${version(css!)}`).replace("app.js", `app.js?v=${version(js!)}`)
  return yield* Effect.all({
    page: makeAsset("text/html; charset=utf-8", page),
    script: makeAsset("text/javascript; charset=utf-8", js!),
    style: makeAsset("text/css; charset=utf-8", css!)
  }, { concurrency: 3 })
})

// Internal

/**
 * The event stream of a tab: whether live updates work here, then a
 * `change` (its snapshot token) per interval in which the queue changed, and a comment every
 * 25 s so proxies keep the connection; until the gateway shuts down.
 */
const events = (feed: LiveFeed.LiveFeed["Service"], shuttingDown: ShuttingDown["Service"]): Stream.Stream<string> => {
  if (!feed.available) return Stream.make("event: live\ndata: off\n\n")
  const stop = Effect.callback<void>((resume) => {
    const unregister = shuttingDown.register(() => resume(Effect.void))
    return Effect.sync(unregister)
  })
  return Stream.make("event: live\ndata: on\n\n").pipe(
    Stream.concat(Stream.merge(
      Stream.map(feed.changes, (snapshot) => `event: change\ndata: ${JSON.stringify({ snapshot })}\n\n`),
      Stream.map(Stream.tick(keepAlive), () => ": keep-alive\n\n")
    )),
    Stream.interruptWhen(stop)
  )
}

/** How often an idle event stream sends a comment (proxies close connections silent for a minute). */
const keepAlive = Duration.seconds(25)

const securityHeaders = {
  "content-security-policy": contentSecurityPolicy,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY"
}

/**
 * A file of `src/gateway/dashboard/`: beside this module when it runs from
 * the sources, in the package's `src/` when it runs from `dist/` (the
 * package ships both; the compiler copies no other files).
 */
const readDashboardFile = async (name: string): Promise<string> => {
  const places = ["./dashboard/", "../../src/gateway/dashboard/"]
  for (const place of places) {
    try {
      return await readFile(new URL(place + name, import.meta.url), "utf8")
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT" || place === places[places.length - 1]) throw error
    }
  }
  throw new Error(`dashboard file ${name} not found`)
}
