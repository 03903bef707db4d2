/**
 * The HTTP stack under test: the real gateway (`Gateway.layer`) on an
 * ephemeral loopback port over a private redis-server, or the gateway's
 * routes in-process (`HttpRouter.toWebHandler`, no socket) over a memory
 * instance; and the HTTP TaskApi pointed at it. The backend's own services
 * (JobQueue, QueueAdmin, ResultBackend) and `Raw` are those of the same
 * Redis prefix / memory keyspace, so the contract suite's responders and
 * raw checks see what the gateway wrote.
 */
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { FetchHttpClient, HttpRouter, HttpServer } from "effect/http"
import * as Gateway from "../../src/gateway/Gateway.ts"
import * as DirectTaskApi from "../../src/layers/DirectTaskApi.ts"
import * as HttpTaskApi from "../../src/http/HttpTaskApi.ts"
import * as BananasMemory from "../../src/layers/memory/BananasMemory.ts"
import * as BananasRedis from "../../src/layers/redis/BananasRedis.ts"
import type { JobQueue } from "../../src/services/JobQueue.ts"
import type { QueueAdmin } from "../../src/services/QueueAdmin.ts"
import type { ResultBackend } from "../../src/services/ResultBackend.ts"
import * as MemoryRaw from "../memory/MemoryRaw.ts"
import * as RedisRaw from "../redis/RedisRaw.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"

/** The key the test gateways accept. */
export const apiKey = "test-secret-key"

/** The gateway options of the tests: one key, an ephemeral loopback port, no access log. */
export const gatewayOptions = (overrides: Partial<Gateway.Options> = {}): Gateway.Options => ({
  apiKeys: [`test:${apiKey}`],
  port: 0,
  host: "127.0.0.1",
  accessLog: false,
  ...overrides
})

/** The Redis backend of a test, on the file's redis-server, under a fresh prefix. */
export const redisBackend = (options: BananasRedis.Options = {}) =>
  Layer.unwrap(Effect.map(Effect.service(RedisServer), (server) => BananasRedis.layer({ url: server.url, prefix: uniquePrefix("http"), ...options })))

/** The gateway serving the backend in context (the direct TaskApi over it). */
export const gateway = (overrides: Partial<Gateway.Options> = {}) =>
  Gateway.layer(gatewayOptions(overrides)).pipe(Layer.provide(DirectTaskApi.layer))

/** The HTTP TaskApi pointed at the gateway in context. */
export const client = (options: Partial<HttpTaskApi.Options> = {}) =>
  Layer.unwrap(Effect.map(Gateway.localUrl, (url) => HttpTaskApi.layerFetch({ url, apiKey, ...options })))

/**
 * The contract services over HTTP on Redis: the HTTP TaskApi, the real
 * gateway on a socket, the backend's services and `Raw` on the same prefix.
 */
export const overRedis = (overrides: Partial<Gateway.Options> = {}, backend: BananasRedis.Options = {}) =>
  Layer.mergeAll(client(), RedisRaw.layer).pipe(
    Layer.provideMerge(gateway(overrides)),
    Layer.provideMerge(redisBackend(backend)),
    Layer.provideMerge(RedisServer.layer),
    Layer.orDie
  )

/**
 * The gateway's routes in-process over the backend services of `backend`:
 * a fetch that hands each web `Request` to `HttpRouter.toWebHandler` (no
 * socket), disposed with the scope.
 */
export const inProcessFetch = (backend: Context.Context<JobQueue | QueueAdmin | ResultBackend>, overrides: Partial<Gateway.Options> = {}) =>
  Effect.gen(function*() {
    const routes = Gateway.routes(gatewayOptions(overrides)).pipe(
      Layer.provide(DirectTaskApi.layer),
      Layer.provide(Layer.succeedContext(backend)),
      Layer.provide(HttpServer.layerServices),
      Layer.orDie
    )
    const { handler, dispose } = HttpRouter.toWebHandler(routes, { disableLogger: true })
    yield* Effect.addFinalizer(() => Effect.promise(dispose))
    return (input: string | URL | Request, init?: RequestInit) => handler(new Request(input, init))
  })

/** The HTTP TaskApi (and `Schedules`) over `fetch`, with API key `key`. */
export const clientOver = (fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>, key: string = apiKey) =>
  HttpTaskApi.layer({ url: "http://gateway.test", apiKey: key }).pipe(
    Layer.provide(FetchHttpClient.layer),
    Layer.provide(Layer.succeed(FetchHttpClient.Fetch, fetch as typeof globalThis.fetch))
  )

/** The HTTP TaskApi over the gateway's routes in-process (`inProcessFetch`) on the backend in context. */
export const inProcessClient = (overrides: Partial<Gateway.Options> = {}) =>
  Layer.unwrap(Effect.gen(function*() {
    const backend = yield* Effect.context<JobQueue | QueueAdmin | ResultBackend>()
    return clientOver(yield* inProcessFetch(backend, overrides))
  }))

/** The contract services over HTTP in-process on a memory instance. */
export const inMemory = (overrides: Partial<Gateway.Options> = {}) =>
  Layer.mergeAll(inProcessClient(overrides), MemoryRaw.layer).pipe(Layer.provideMerge(BananasMemory.layerWithStore()))
