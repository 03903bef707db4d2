/**
 * The HTTP Task API server (the gateway): the contract (`http/Api`) served
 * on Node over the direct `TaskApi` (Redis, or memory), with API keys, a
 * per-key rate limit shared by every replica, body limits, request
 * deadlines, a limit on failed authentications per address, bounded body
 * work, graceful shutdown (long-polls end at once with a retryable 503),
 * structured access logs, `GET /metrics` (behind a key), `GET
 * /openapi.json` and the interactive docs at `GET /docs` (cached,
 * compressed), the dashboard at `GET /ui/`, and webhook delivery of job
 * events.
 *
 * @example
 * ```ts
 * const main = Layer.launch(Gateway.layerRedis({ apiKeys: ["ci:s3cr3t"], port: 8080, redis: { url } }))
 * NodeRuntime.runMain(main)
 * ```
 *
 * @since 0.2.0
 */

import { createServer } from "node:http"
import { NodeHttpServer } from "@effect/platform-node"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { FetchHttpClient, HttpRouter, HttpServer } from "effect/http"
import type { HttpServerError } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { RateLimiter, Redis } from "effect/persistence"
import * as Bananas from "../Bananas.ts"
import { ValidationError } from "../domain/Errors.ts"
import { Api } from "../http/Api.ts"
import * as BananasRedis from "../layers/redis/BananasRedis.ts"
import { EventQueue, JobQueue } from "../services/JobQueue.ts"
import type { ResultBackend } from "../services/ResultBackend.ts"
import type { TaskApi } from "../services/TaskApi.ts"
import * as AuthFailures from "./AuthFailures.ts"
import * as Dashboard from "./Dashboard.ts"
import * as LiveFeed from "./LiveFeed.ts"
import * as DeliveryLog from "./DeliveryLog.ts"
import * as Docs from "./Docs.ts"
import * as GatewayOptions from "./GatewayOptions.ts"
import * as Routes from "./Routes.ts"
import * as Throughput from "./Throughput.ts"
import * as Lifecycle from "./Lifecycle.ts"
import * as Middleware from "./Middleware.ts"
import * as Observability from "./Observability.ts"
import * as ReadyWatcher from "./ReadyWatcher.ts"
import * as Webhooks from "./Webhooks.ts"

export type { Options } from "./GatewayOptions.ts"

/**
 * What the gateway needs from the backend.
 *
 * @category models
 * @since 0.2.0
 */
export type Backend = TaskApi | JobQueue | EventQueue | ResultBackend

/**
 * The gateway's routes (API, docs, metrics, access log) on the backend in
 * context, without a server: for `HttpRouter.serve`, or in-process with
 * `HttpRouter.toWebHandler` (add `HttpServer.layerServices`).
 *
 * @category layers
 * @since 0.2.0
 */
export const routes = (options: GatewayOptions.Options) =>
  Layer.unwrap(Effect.map(resolved(options), (o) => routesWith(o).pipe(Layer.provide(support(o)))))

/**
 * The gateway serving on `port`, with webhook delivery when endpoints are
 * configured. Provides the `HttpServer` (its `address` tells the port
 * bound). Fails to build with a `ValidationError` when no API key is
 * configured (unless `insecure`) or an option cannot work.
 *
 * @category layers
 * @since 0.2.0
 */
export const layer = (options: GatewayOptions.Options): Layer.Layer<HttpServer.HttpServer, ValidationError | HttpServerError.ServeError, Backend> =>
  Layer.unwrap(Effect.map(resolved(options), (o) => {
    const server = HttpRouter.serve(routesWith(o), { disableLogger: true, disableListenLog: true }).pipe(
      Layer.provideMerge(NodeHttpServer.layer(() => createServer(nodeTimeouts(o)), {
        port: o.port,
        host: o.host,
        backlog: listenBacklog,
        gracefulShutdownTimeout: o.shutdownTimeout
      }))
    )
    const deliveries = o.webhooks === undefined || o.webhooks.endpoints.length === 0
      ? Layer.empty
      : Layer.mergeAll(
        Webhooks.layer(o.webhooks).pipe(Layer.provide(FetchHttpClient.layer)),
        o.webhooks.watchReady === false ? Layer.empty : ReadyWatcher.layer
      )
    // Built in this order, released in the reverse: the shutdown signal
    // first (long-polls end), then the server (in-flight requests finish),
    // then the delivery worker (drained), then the backend.
    const served = listening(o).pipe(Layer.provideMerge(server.pipe(Layer.provideMerge(deliveries))))
    return Lifecycle.trigger.pipe(Layer.provideMerge(served), Layer.provide(support(o)))
  }))

/**
 * The gateway on its own Redis backend (`Bananas.layerRedis`); job events
 * are written by the backend when webhooks are configured (unless
 * `redis.events` says otherwise).
 *
 * @category layers
 * @since 0.2.0
 */
export const layerRedis = (
  options: GatewayOptions.Options & { readonly redis?: BananasRedis.Options | undefined }
): Layer.Layer<HttpServer.HttpServer, ValidationError | HttpServerError.ServeError | BananasRedis.LayerError> =>
  layer(options).pipe(Layer.provide(Bananas.layerRedis({
    events: options.webhooks !== undefined && options.webhooks.endpoints.length > 0,
    ...options.redis
  })))

/**
 * `layerRedis` configured from the environment: the gateway's variables
 * (`GatewayOptions.config`: `BANANAS_API_KEYS`, `BANANAS_PORT`, ...) and the
 * Redis backend's (`REDIS_URL`, `BANANAS_PREFIX`, ...); `overrides` win
 * (e.g. `{ insecure: true }` for `--insecure`).
 *
 * @category layers
 * @since 0.2.0
 */
export const layerConfig = (
  overrides: Partial<GatewayOptions.Options> = {}
): Layer.Layer<HttpServer.HttpServer, ValidationError | HttpServerError.ServeError | BananasRedis.LayerError | Config.ConfigError> =>
  Layer.unwrap(Effect.gen(function*() {
    const options = yield* GatewayOptions.config
    const redis = yield* BananasRedis.config
    return layerRedis({ ...options, ...overrides, redis })
  }))

/**
 * The gateway's base URL on the loopback (`http://127.0.0.1:<port>`), for
 * clients in the same process (tests, examples).
 *
 * @category accessors
 * @since 0.2.0
 */
export const localUrl: Effect.Effect<string, never, HttpServer.HttpServer> = Effect.gen(function*() {
  const { address } = yield* HttpServer.HttpServer
  return address._tag === "UnixPathAddress" ? address.path : `http://127.0.0.1:${address.port}`
})

// Internal

const resolved = (options: GatewayOptions.Options): Effect.Effect<GatewayOptions.Resolved, ValidationError> => {
  const r = GatewayOptions.resolve(options)
  return "invalid" in r ? Effect.fail(new ValidationError({ field: "gateway", message: r.invalid })) : Effect.succeed(r.resolved)
}

const routesWith = (o: GatewayOptions.Resolved) => {
  const api = HttpApiBuilder.layer(Api).pipe(Layer.provide(Routes.layer(o)))
  return Layer.mergeAll(api, Docs.layer(o), Dashboard.layer(o), Observability.layerMetrics(o), Observability.layerAccessLog(o.accessLog)).pipe(
    Layer.provide([Middleware.layerAuthentication(o), Middleware.layerRequestBody(o), Middleware.layerValidation]),
    // One feed for the dashboard's event streams and the reads its tabs share (`Routes`).
    Layer.provide(o.dashboard ? LiveFeed.layer : LiveFeed.layerOff)
  )
}

/**
 * Node's own limits on a connection (slow or stuck clients): headers within
 * 10 s, a whole request within its longest wait plus its deadline plus 10 s;
 * idle keep-alive connections closed after 5 s.
 */
const nodeTimeouts = (o: GatewayOptions.Resolved) => ({
  keepAliveTimeout: 5_000,
  headersTimeout: 10_000,
  requestTimeout: Duration.toMillis(o.maxWait) + Duration.toMillis(o.requestTimeout) + 10_000
})

/** What the routes use besides the backend: the shutdown signal, the delivery log, the rate limiter, the failed-authentication table. */
const support = (o: GatewayOptions.Resolved) =>
  Layer.mergeAll(Lifecycle.layer, DeliveryLog.layer(o.webhooks?.logSize ?? 1000), rateLimiter(o), AuthFailures.layer(o.authFailureLimit), Throughput.layer)

/**
 * The rate limiter on Redis (shared by every replica) when the backend is
 * Redis, else in memory; none when disabled. It may provide nothing, so its
 * type promises nothing: the authentication middleware looks the limiter
 * up with `Effect.serviceOption`.
 */
const rateLimiter = (o: GatewayOptions.Resolved): Layer.Layer<never, never, JobQueue> =>
  o.rateLimit === undefined ? Layer.empty : Layer.unwrap(Effect.gen(function*() {
    const port = yield* Effect.serviceOption(BananasRedis.RedisPort.RedisPort)
    const prefix = (yield* JobQueue).protocol.keys.prefix
    if (Option.isNone(port)) return RateLimiter.layer.pipe(Layer.provide(RateLimiter.layerStoreMemory))
    const unused = Effect.fail(new Redis.RedisError({ cause: new Error("not used by the rate limiter") }))
    const redis = Layer.effect(Redis.Redis, Redis.make({
      send: <A>(command: string, ...args: ReadonlyArray<string>) =>
        Effect.tryPromise({ try: () => port.value.send(command, args) as Promise<A>, catch: (cause) => new Redis.RedisError({ cause }) }),
      subscribe: () => unused,
      connect: unused
    }))
    return RateLimiter.layer.pipe(Layer.provide(RateLimiter.layerStoreRedis({ prefix: `${prefix}ratelimit:` })), Layer.provide(redis))
  }))

/**
 * The pending-connection queue of the listening socket (the kernel caps it
 * at `net.core.somaxconn`). Node's default, 511, made a burst of 1,000
 * clients connecting at once wait out SYN retransmits (1 s, then 3 s).
 */
const listenBacklog = 4096

const listening = (o: GatewayOptions.Resolved) =>
  Layer.effectDiscard(Effect.gen(function*() {
    const { address } = yield* HttpServer.HttpServer
    const where = address._tag === "UnixPathAddress" ? address.path : `${o.host}:${address.port}`
    const open = o.insecure && o.keys.length === 0
    yield* Effect.logInfo(`bananas gateway listening on ${where}${open ? " (insecure: no API key required)" : ""}`)
    if (open && !isLoopback(o.host)) {
      yield* Effect.logWarning(`insecure and listening on ${o.host}, not only the loopback: anyone who can reach this address can use the queue without a key`)
    }
    yield* Effect.addFinalizer(() => Effect.logInfo(`bananas gateway stopping (in-flight requests get ${Duration.format(o.shutdownTimeout)})`))
  }))

/** Whether an address is on the loopback only (`127.0.0.0/8`, `::1`, `localhost`). */
const isLoopback = (host: string): boolean => host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host)
