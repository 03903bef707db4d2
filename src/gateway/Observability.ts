/**
 * What the gateway tells operators: one structured access-log line per
 * request (method, route, status, duration, key id — never a key, a query
 * string or a body), a request-latency histogram, a typed JSON 404 for
 * routes that do not exist, and `GET /metrics` in Prometheus text format
 * from the Effect metrics (queue depths and lag read at scrape time, job
 * outcomes from the job events, the worker counters of any worker in this
 * process, request latency), behind a key.
 *
 * @since 0.2.0
 */

import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import { HttpRouter, HttpServerError, HttpServerRequest, HttpServerResponse } from "effect/http"
import { PrometheusMetrics } from "effect/observability"
import * as JobPriority from "../domain/JobPriority.ts"
import * as Timestamp from "../domain/Timestamp.ts"
import { RedisPort } from "../layers/redis/BananasRedis.ts"
import { JobQueue } from "../services/JobQueue.ts"
import { TaskApi } from "../services/TaskApi.ts"
import type { Resolved } from "./GatewayOptions.ts"
import { behindKey, makeKeyCheck, RequestInfo } from "./Middleware.ts"

/**
 * Request latency, by method, route and status.
 *
 * @category metrics
 * @since 0.2.0
 */
export const requestDuration = Metric.histogram("bananas_http_request_duration_seconds", {
  description: "HTTP request latency of the gateway",
  boundaries: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
})

/**
 * Queue depths by list (`high`, `normal`, `low`, `processing`, `scheduled`, `dead`), read at scrape time.
 *
 * @category metrics
 * @since 0.2.0
 */
export const queueDepth = Metric.gauge("bananas_queue_depth", { description: "Jobs in each list of the default queues" })

/**
 * How long the oldest job of each priority has waited, in seconds (Redis only), read at scrape time.
 *
 * @category metrics
 * @since 0.2.0
 */
export const queueLag = Metric.gauge("bananas_queue_lag_seconds", { description: "Age of the oldest queued job, per priority" })

/**
 * Job outcomes seen through the job events (`type`: completed, failed, dead, cancelled), counted where the events fan out.
 *
 * @category metrics
 * @since 0.2.0
 */
export const jobEvents = Metric.counter("bananas_job_events_total", { description: "Job outcomes (from job events)", incremental: true })

/**
 * The access log and latency histogram around every request; unknown
 * routes answered with a typed `RouteNotFoundError`.
 *
 * @category layers
 * @since 0.2.0
 */
export const layerAccessLog = (enabled: boolean) =>
  HttpRouter.middleware<{ provides: RequestInfo }>()((httpEffect) =>
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const info: RequestInfo["Service"] = { keyId: undefined }
      const start = Date.now()
      const exit = yield* Effect.exit(Effect.provideService(httpEffect, RequestInfo, info))
      const response = Exit.isSuccess(exit)
        ? exit.value
        : isRouteNotFound(exit.cause)
        ? notFound(request)
        : (yield* HttpServerError.causeResponse(exit.cause))[0]
      const path = request.url.split("?")[0] ?? request.url
      const route = routeOf(path)
      const millis = Date.now() - start
      yield* Metric.update(latencyOf(request.method, route, response.status), millis / 1000)
      if (enabled) {
        yield* Effect.logInfo("http").pipe(Effect.annotateLogs({
          method: request.method,
          route,
          status: response.status,
          durationMs: millis,
          keyId: info.keyId ?? "-"
        }))
      }
      return Exit.isSuccess(exit) || isRouteNotFound(exit.cause) ? response : yield* exit
    }), { global: true })

/**
 * `GET /metrics`: refreshes the queue gauges, then every Effect metric in
 * Prometheus text format. Behind an API key or the `metricsKey` (open only
 * when the gateway is insecure without keys).
 *
 * @category layers
 * @since 0.2.0
 */
export const layerMetrics = (options: Resolved) =>
  Layer.unwrap(Effect.gen(function*() {
    const context = yield* Effect.context<TaskApi | JobQueue>()
    const check = yield* makeKeyCheck(options, options.metricsKey === undefined ? [] : [{ id: "metrics", secret: options.metricsKey }])
    return HttpRouter.add("GET", "/metrics", behindKey(check, () => Effect.gen(function*() {
      yield* refreshQueueGauges.pipe(
        Effect.provide(context),
        Effect.catchCause((cause) => Effect.logWarning("metrics: could not read queue depths", cause))
      )
      const text = yield* PrometheusMetrics.format()
      return HttpServerResponse.text(text, { contentType: "text/plain; version=0.0.4; charset=utf-8" })
    })))
  }))

/**
 * The route template of a path (ids replaced), for metrics and logs.
 *
 * @category accessors
 * @since 0.2.0
 */
export const routeOf = (path: string): string => {
  const known = ["/v1/jobs", "/v1/jobs/batch", "/v1/jobs/call", "/v1/stats", "/v1/dead", "/v1/queues/paused", "/v1/webhooks/deliveries", "/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/docs/scalar.js"]
  if (known.includes(path)) return path
  if (/^\/v1\/jobs\/[^/]+\/result$/.test(path)) return "/v1/jobs/:id/result"
  if (/^\/v1\/dead\/[^/]+\/requeue$/.test(path)) return "/v1/dead/:id/requeue"
  if (/^\/v1\/queues\/[^/]+\/(?:pause|resume)$/.test(path)) return path.replace(/^\/v1\/queues\/[^/]+/, "/v1/queues/:priority")
  if (/^\/v1\/jobs\/[^/]+$/.test(path)) return "/v1/jobs/:id"
  return "other"
}

// Internal

/** The latency histogram of each method, route and status, made once (a request only looks it up). */
const latencies = new Map<string, Metric.Metric<number, unknown>>()
const latencyOf = (method: string, route: string, status: number) => {
  const key = `${method} ${route} ${status}`
  let metric = latencies.get(key)
  if (metric === undefined) {
    metric = Metric.withAttributes(requestDuration, { method, route, status: String(status) })
    latencies.set(key, metric)
  }
  return metric
}

const isRouteNotFound = (cause: Cause.Cause<unknown>): boolean => {
  const error = Cause.findErrorOption(cause)
  return Option.isSome(error) && HttpServerError.isHttpServerError(error.value) && error.value.reason._tag === "RouteNotFound"
}

const notFound = (request: HttpServerRequest.HttpServerRequest) =>
  HttpServerResponse.jsonUnsafe({
    _tag: "RouteNotFoundError",
    message: `no route ${request.method} ${(request.url.split("?")[0] ?? "").slice(0, 200)}`
  }, { status: 404 })

const refreshQueueGauges = Effect.gen(function*() {
  const api = yield* TaskApi
  const stats = yield* api.stats
  const depth = (list: string, n: number) => Metric.update(Metric.withAttributes(queueDepth, { list }), n)
  yield* depth("high", stats.queued.high)
  yield* depth("normal", stats.queued.normal)
  yield* depth("low", stats.queued.low)
  yield* depth("processing", stats.processing)
  yield* depth("scheduled", stats.scheduled)
  yield* depth("dead", stats.dead)
  const port = yield* Effect.serviceOption(RedisPort.RedisPort)
  if (Option.isNone(port)) return
  const queue = yield* JobQueue
  const now = Date.now()
  for (const priority of JobPriority.all) {
    const oldest = yield* RedisPort.run(port.value, "metrics", (redis) => redis.send("LINDEX", [queue.protocol.keys.queue(priority), -1]))
    const job = typeof oldest === "string" ? yield* queue.get(oldest) : Option.none()
    const age = Option.match(job, {
      onNone: () => 0,
      onSome: (j) => (Timestamp.isZero(j.createdAt) ? 0 : Math.max(0, (now - Timestamp.toMillis(j.createdAt)) / 1000))
    })
    yield* Metric.update(Metric.withAttributes(queueLag, { priority }), age)
  }
})
