/**
 * The gateway's routes: each endpoint of the contract calls the direct
 * `TaskApi` (Redis or memory) and answers with the exact JSON our codecs
 * write (`Bodies`): the payload of a submission is the body's own text,
 * never a re-encoding, and a job or result is sent as stored. Each request
 * has a deadline (its wait, plus `requestTimeout`); a long-poll still
 * running when the gateway shuts down ends at once with a 503 that clients
 * retry elsewhere.
 *
 * @since 0.2.0
 */

import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { HttpServerRequest, HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import {
  ApiError,
  ConnectionError,
  SerializationError,
  StorageError,
  ValidationError
} from "../domain/Errors.ts"
import { reportingBatch } from "../domain/BatchFailure.ts"
import * as JobId from "../domain/JobId.ts"
import type { SubmitRequest } from "../domain/Submission.ts"
import type { RawJson } from "../domain/RawJson.ts"
import type { Lease, WorkerList } from "../domain/WorkerInfo.ts"
import type { Latency, RedisInfo } from "../domain/QueueHealth.ts"
import * as Timestamp from "../domain/Timestamp.ts"
import { Api, GatewayUnavailableError, ResultNotFoundError } from "../http/Api.ts"
import * as Bodies from "../http/Bodies.ts"
import type { SubmitBody } from "../http/Schemas.ts"
import { withDeadline } from "../layers/Policies.ts"
import { Schedules } from "../services/Schedules.ts"
import { TaskApi } from "../services/TaskApi.ts"
import type { StoreFailure } from "../store/JobStore.ts"
import { WorkerRegistry } from "../services/WorkerRegistry.ts"
import { type Oldest, QueueLatency } from "../services/QueueLatency.ts"
import { RedisPort } from "../layers/redis/BananasRedis.ts"
import { Throughput } from "./Throughput.ts"
import { DeliveryLog } from "./DeliveryLog.ts"
import type { Resolved } from "./GatewayOptions.ts"
import { ShuttingDown } from "./Lifecycle.ts"
import * as LiveFeed from "./LiveFeed.ts"

/**
 * The handlers of every group, on the `TaskApi` in context.
 *
 * @category layers
 * @since 0.2.0
 */
export const layer = (options: Resolved) =>
  Layer.mergeAll(jobs(options), queue(options), schedules(options), system(options))

// Internal

/** A readiness probe answers within this, whatever the request deadline. */
const readinessDeadline = Duration.seconds(2)

/** What a route needing the worker registry answers on a backend without one. */
const noRegistry = new GatewayUnavailableError({ message: "this gateway's backend does not provide a worker registry" })

const json = (body: string, status = 200) => HttpServerResponse.text(body, { status, contentType: "application/json" })

/**
 * The SDK errors as they go on the wire: what failed in words a caller can
 * act on, without internals (a Redis address, a driver's message, a script
 * SHA, a key name) — those stay in the server log (`internal`). An
 * `ApiError` (only from a TaskApi that is itself remote) is passed on as a
 * 503.
 */
const toWire = <E>(error: E): Exclude<E, ApiError> | GatewayUnavailableError => {
  const e = error as unknown
  if (e instanceof ApiError) return new GatewayUnavailableError({ message: `the gateway's upstream answered ${e.status}: retry later` })
  if (e instanceof ConnectionError) {
    return new ConnectionError({
      operation: e.operation,
      message: `the gateway could not reach its storage (${e.operation})${e.outcome === "not-written" ? ": nothing was written" : ""}; retry later`,
      outcome: e.outcome,
      batch: e.batch,
      jobId: e.jobId
    }) as Exclude<E, ApiError>
  }
  if (e instanceof StorageError) {
    return new StorageError({
      operation: e.operation,
      reason: e.reason,
      message: `the gateway's storage refused ${e.operation} (${e.reason})${e.isRetryable ? "; retry later" : "; an operator must look at the storage"}`,
      batch: e.batch
    }) as Exclude<E, ApiError>
  }
  if (e instanceof SerializationError) {
    return new SerializationError({ message: "data stored for this request could not be read; an operator must look at the server log" }) as Exclude<E, ApiError>
  }
  if (e instanceof ValidationError && e.cause !== undefined) return new ValidationError({ field: e.field, message: e.message }) as Exclude<E, ApiError>
  return error as Exclude<E, ApiError>
}

/** Whether an error's details stay in the server log (what `toWire` leaves out). */
const internal = (error: unknown): boolean =>
  error instanceof ConnectionError || error instanceof StorageError || error instanceof SerializationError || error instanceof ApiError

const request = (body: typeof SubmitBody.Type, payload: RawJson): SubmitRequest => {
  const { payload: _, ...rest } = body
  return { ...rest, payload }
}

const withId = (r: SubmitRequest): SubmitRequest => (r.id === undefined ? { ...r, id: JobId.make() } : r)

const jobs = (options: Resolved) =>
  HttpApiBuilder.group(Api, "jobs", Effect.fnUntraced(function*(handlers) {
    const api = yield* TaskApi
    const shuttingDown = yield* ShuttingDown
    const registry = yield* Effect.serviceOption(WorkerRegistry)
    const guard = guarded(options, shuttingDown)
    const waitFor = (wait: Duration.Duration | undefined, fallback: Duration.Duration) =>
      Duration.min(wait ?? fallback, options.maxWait)
    return handlers
      .handle("submit", ({ payload, request: http }) =>
        guard("submit", Duration.zero, Effect.gen(function*() {
          const text = yield* Effect.orDie(http.text)
          const submitted = yield* api.submit(request(payload, yield* Effect.fromResult(Bodies.payloadOf(text))))
          return json(Bodies.encodeSubmitted(submitted), submitted.duplicate ? 200 : 201)
        })))
      .handle("submitBatch", ({ payload, request: http }) =>
        guard("submitBatch", Duration.zero, Effect.gen(function*() {
          const payloads = yield* Effect.fromResult(Bodies.batchPayloadsOf(yield* Effect.orDie(http.text)))
          // Ids fixed here (as the direct TaskApi would), so a failure can report them (`BatchReport`).
          const requests = payload.entries.map((entry, i) => withId(request(entry, payloads[i]!)))
          const submitted = yield* reportingBatch(requests.map((r) => r.id!), api.submitBatch(requests))
          return json(Bodies.encodeSubmittedList(submitted))
        })))
      .handle("call", ({ payload, query, request: http }) => {
        const wait = waitFor(query.wait, options.callWait)
        return guard("call", wait, Effect.gen(function*() {
          const text = yield* Effect.orDie(http.text)
          const result = yield* api.submitAndWait(request(payload, yield* Effect.fromResult(Bodies.payloadOf(text))), wait)
          return json(Bodies.encodeResult(result))
        }), true)
      })
      .handle("list", ({ query }) =>
        guard("list", Duration.zero, Effect.map(api.list(query), (page) => json(Bodies.encodePage(page)))))
      .handle("get", ({ params }) =>
        guard("getJob", Duration.zero, Effect.map(api.getJob(params.id), (job) => json(Bodies.encodeJob(job)))))
      .handle("result", ({ params, query }) => {
        if (query.wait === undefined || !Duration.isPositive(query.wait)) {
          return guard("getResult", Duration.zero, Effect.flatMap(api.getResult(params.id), Option.match({
            onNone: () => Effect.fail(new ResultNotFoundError({ jobId: params.id, message: `no result for job ${params.id}` })),
            onSome: (result) => Effect.succeed(json(Bodies.encodeResult(result)))
          })))
        }
        const wait = waitFor(query.wait, options.maxWait)
        return guard("waitForResult", wait, Effect.map(api.waitForResult(params.id, wait), (r) => json(Bodies.encodeResult(r))), true)
      })
      .handle("lease", ({ params }) =>
        guard<Lease, StoreFailure | GatewayUnavailableError, never>("lease", Duration.zero, Option.isSome(registry)
          ? registry.value.lease(params.id)
          : Effect.fail(noRegistry)))
      .handle("cancel", ({ params }) =>
        guard("cancel", Duration.zero, Effect.map(api.cancel(params.id), (job) => json(Bodies.encodeJob(job)))))
  }))

const queue = (options: Resolved) =>
  HttpApiBuilder.group(Api, "queue", Effect.fnUntraced(function*(handlers) {
    const api = yield* TaskApi
    const log = yield* DeliveryLog
    // Optional, as schedules: a backend built without the registry answers 503 here.
    const registry = yield* Effect.serviceOption(WorkerRegistry)
    const latency = yield* Effect.serviceOption(QueueLatency)
    const port = yield* Effect.serviceOption(RedisPort.RedisPort)
    const throughput = yield* Throughput
    const guard = guarded(options, yield* ShuttingDown)
    // The overview's reads: one for all the dashboard's tabs reloading for the same change.
    const feed = yield* LiveFeed.LiveFeed
    const stats = feed.share(api.stats)
    const oldest = Option.map(latency, (l) => feed.share(l.oldest))
    const redis = feed.share(redisInfo(port))
    return handlers
      .handle("stats", ({ request }) => guard("stats", Duration.zero, stats(snapshotOf(request))))
      .handle("deadLetters", ({ query }) =>
        guard("deadLetters", Duration.zero, Effect.map(api.deadLetters(query), (page) => json(Bodies.encodePage(page)))))
      .handle("requeue", ({ params }) =>
        guard("requeueDead", Duration.zero, Effect.map(api.requeueDead(params.id), (job) => json(Bodies.encodeJob(job)))))
      .handle("purgeDead", () => guard("purgeDead", Duration.zero, Effect.map(api.purgeDead, (purged) => ({ purged }))))
      .handle("pause", ({ params, query }) =>
        guard("pauseQueue", Duration.zero, api.pauseQueue({ priority: params.priority, routingKey: query.routingKey })))
      .handle("resume", ({ params, query }) =>
        guard("resumeQueue", Duration.zero, api.resumeQueue({ priority: params.priority, routingKey: query.routingKey })))
      .handle("paused", () => guard("pausedQueues", Duration.zero, Effect.map(api.pausedQueues, (paused) => ({ paused }))))
      .handle("deliveries", ({ query }) => {
        const limit = query.limit ?? 100
        return limit >= 1 && limit <= 10_000
          ? Effect.map(log.recent(limit), (deliveries) => ({ deliveries }))
          : Effect.fail(new ValidationError({ field: "limit", message: `limit must be an integer from 1 to 10000, got ${limit}` }))
      })
      .handle("workers", () =>
        guard<WorkerList, StoreFailure | GatewayUnavailableError, never>("listWorkers", Duration.zero, Option.isSome(registry)
          ? registry.value.list
          : Effect.fail(noRegistry)))
      .handle("processing", ({ query }) => {
        const offset = query.offset ?? 0
        const limit = query.limit ?? 50
        if (!(offset >= 0)) return Effect.fail(new ValidationError({ field: "offset", message: `offset must be an integer from 0, got ${offset}` }))
        if (!(limit >= 1 && limit <= 500)) return Effect.fail(new ValidationError({ field: "limit", message: `limit must be an integer from 1 to 500, got ${limit}` }))
        if (Option.isNone(registry)) return Effect.fail(noRegistry)
        return guard("processing", Duration.zero, Effect.gen(function*() {
          const { total, leases } = yield* registry.value.held(offset, limit)
          const jobs = yield* Effect.forEach(leases, (lease) =>
            api.getJob(lease.id).pipe(
              Effect.map((job) => Bodies.encodeJob(job)),
              Effect.catchTag(["JobNotFoundError", "JobFailedError"], () => Effect.succeed("null"))
            ), { concurrency: 16 })
          const entries = leases.map((lease, i) => `{"lease":${JSON.stringify(lease)},"job":${jobs[i]}}`)
          return json(`{"total":${total},"offset":${offset},"entries":[${entries.join(",")}]}`)
        }))
      })
      .handle("throughput", () => throughput.recent)
      .handle("latency", ({ request }) =>
        guard<Latency, StoreFailure | GatewayUnavailableError, never>("latency", Duration.zero, Option.isSome(oldest)
          ? Effect.flatMap(oldest.value(snapshotOf(request)), (queues) => Effect.map(Clock.currentTimeMillis, (now) => ({ queues: queues.map((q) => toLatency(q, now)) })))
          : Effect.fail(new GatewayUnavailableError({ message: "this gateway's backend does not report queue latency" }))))
      .handle("redis", ({ request }) => guard("redisInfo", Duration.zero, redis(snapshotOf(request))))
  }))

const schedules = (options: Resolved) =>
  HttpApiBuilder.group(Api, "schedules", Effect.fnUntraced(function*(handlers) {
    // Optional: a backend built without schedules answers 503 on these routes.
    const found = yield* Effect.serviceOption(Schedules)
    const guard = guarded(options, yield* ShuttingDown)
    const on = <A, E>(operation: string, f: (s: Schedules["Service"]) => Effect.Effect<A, E>) =>
      guard<A, E | GatewayUnavailableError, never>(operation, Duration.zero, Option.isSome(found)
        ? f(found.value)
        : Effect.fail(new GatewayUnavailableError({ message: "this gateway's backend does not provide schedules" })))
    return handlers
      .handle("upsert", ({ params, payload }) => on("upsertSchedule", (s) => s.upsert({ ...payload, id: params.id })))
      .handle("list", () => on("listSchedules", (s) => Effect.map(s.list, (schedules) => ({ schedules }))))
      .handle("get", ({ params }) => on("getSchedule", (s) => s.get(params.id)))
      .handle("remove", ({ params }) => on("removeSchedule", (s) => Effect.as(s.remove(params.id), { removed: params.id })))
      .handle("pause", ({ params }) => on("pauseSchedule", (s) => s.pause(params.id)))
      .handle("resume", ({ params }) => on("resumeSchedule", (s) => s.resume(params.id)))
      .handle("run", ({ params }) => on("runSchedule", (s) => Effect.map(s.runNow(params.id), (job) => json(Bodies.encodeJob(job)))))
      .handle("next", ({ params, query }) => on("previewSchedule", (s) => Effect.map(s.preview(params.id, query.count ?? 5), (slots) => ({ slots }))))
  }))

const system = (options: Resolved) =>
  HttpApiBuilder.group(Api, "system", Effect.fnUntraced(function*(handlers) {
    const api = yield* TaskApi
    const guard = guarded(options, yield* ShuttingDown)
    return handlers
      .handle("healthz", () => Effect.succeed({ status: "ok" as const }))
      .handle("readyz", () =>
        guard("readyz", Duration.zero, api.stats.pipe(
          Effect.as({ status: "ready" as const }),
          // Only a remote TaskApi refuses credentials: the backend is not ready then.
          Effect.catchTag(["AuthenticationError", "RateLimitError"], (e) => Effect.fail(new GatewayUnavailableError({ message: e.message })))
        ), false, Duration.min(options.requestTimeout, readinessDeadline)))
  }))

/**
 * A handler's work under its deadline (`wait` + `requestTimeout`), its
 * errors as they go on the wire; a long-poll (`poll`) also ends with a 503
 * the moment the gateway starts shutting down. Past the deadline the
 * backend is taken as unavailable (503 `ConnectionError`, retryable): a
 * wait that ran out is the backend's own 504 `TimeoutError`, within it.
 */
const guarded = (options: Resolved, shuttingDown: ShuttingDown["Service"]) => {
  const shutdown = {
    register: shuttingDown.register,
    onAbort: () => new GatewayUnavailableError({ message: "the gateway is shutting down: retry" })
  }
  return <A, E, R>(operation: string, wait: Duration.Duration, effect: Effect.Effect<A, E, R>, poll = false, limit = options.requestTimeout) => {
    const deadline = Duration.sum(wait, limit)
    const logged = Effect.tapError(effect, (e) => internal(e) ? Effect.logWarning(`${operation} failed`, e) : Effect.void)
    return withDeadline(Effect.mapError(logged, toWire), deadline, () =>
      new ConnectionError({ operation, message: `the gateway's storage did not answer ${operation} within ${Duration.format(deadline)}; retry later` }), poll ? shutdown : undefined)
  }
}

/** The snapshot token a dashboard tab names (`LiveFeed.snapshotHeader`), if any. */
const snapshotOf = (request: HttpServerRequest.HttpServerRequest): string | undefined => request.headers[LiveFeed.snapshotHeader]

/** A queue's oldest waiting job as `GET /v1/latency` answers: its age at `now`. */
const toLatency = (q: Oldest, now: number): Latency["queues"][number] => ({
  priority: q.priority,
  ...(q.id === undefined ? {} : { oldestId: q.id }),
  ...(q.createdAt === undefined
    ? {}
    : { oldestCreatedAt: Timestamp.format(q.createdAt), ageMillis: Math.max(0, now - Timestamp.toMillis(q.createdAt)) })
})

/** The `INFO` fields the overview shows: the answer's name, `INFO`'s name, and its kind. */
const infoFields: ReadonlyArray<readonly [keyof RedisInfo, string, "text" | "number"]> = [
  ["version", "redis_version", "text"],
  ["usedMemory", "used_memory", "number"],
  ["maxMemory", "maxmemory", "number"],
  ["maxMemoryPolicy", "maxmemory_policy", "text"],
  ["connectedClients", "connected_clients", "number"],
  ["uptimeSeconds", "uptime_in_seconds", "number"]
]

/** `INFO` of the Redis in context, the fields the overview shows; `available` false without Redis. */
const redisInfo = (port: Option.Option<RedisPort.RedisPort["Service"]>): Effect.Effect<RedisInfo, ConnectionError> => {
  if (Option.isNone(port)) return Effect.succeed({ available: false })
  return Effect.tryPromise({
    try: () => port.value.send("INFO", []),
    catch: () => new ConnectionError({ operation: "redisInfo", message: "the gateway could not read INFO from Redis; retry later" })
  }).pipe(Effect.map((reply) => {
    const text = typeof reply === "string" ? reply : reply instanceof Uint8Array ? new TextDecoder().decode(reply) : String(reply)
    const fields = new Map<string, string>()
    for (const line of text.split(/\r?\n/)) {
      const colon = line.indexOf(":")
      if (colon > 0 && !line.startsWith("#")) fields.set(line.slice(0, colon), line.slice(colon + 1).trim())
    }
    const out: { -readonly [K in keyof RedisInfo]: RedisInfo[K] } = { available: true }
    const read = (field: string, kind: "text" | "number") => {
      const value = fields.get(field)
      if (value === undefined || kind === "text") return value
      const n = Number(value)
      return Number.isFinite(n) ? n : undefined
    }
    for (const [name, field, kind] of infoFields) {
      const value = read(field, kind)
      if (value !== undefined) (out as Record<string, unknown>)[name] = value
    }
    return out
  }))
}
