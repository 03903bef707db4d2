/**
 * The HTTP Task API contract: one `HttpApi` from which the gateway's
 * server, the HTTP `TaskApi` client and the OpenAPI document are all
 * derived, so they cannot drift. Imports only `effect` and the domain: no
 * server code, no platform.
 *
 * Every error has a status and a typed JSON body (`{"_tag": ..., ...}`, the
 * SDK's tagged errors): 400 `ValidationError` (the failing field paths),
 * 401 `AuthenticationError`, 404 `JobNotFoundError` / `ResultNotFoundError` /
 * `ScheduleNotFoundError`,
 * 409 `JobConflictError`, 413 `PayloadTooLargeError`, 415
 * `UnsupportedMediaTypeError`, 422 `JobFailedError` (a call whose job
 * failed for good), 429 `RateLimitError` (with `Retry-After`), 500
 * `SerializationError` (stored data unreadable), 503 `ConnectionError` /
 * `StorageError` (Redis unavailable) / `GatewayUnavailableError` (shutting
 * down), 504 `TimeoutError` (a wait timed out).
 *
 * @since 0.2.0
 */

import * as Schema from "effect/Schema"
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiMiddleware, HttpApiSchema, HttpApiSecurity, OpenApi } from "effect/http-api"
import {
  AuthenticationError,
  ConnectionError,
  JobConflictError,
  JobFailedError,
  JobNotFoundError,
  RateLimitError,
  ScheduleNotFoundError,
  SerializationError,
  StorageError,
  TimeoutError,
  ValidationError
} from "../domain/Errors.ts"
import { JobPriority } from "../domain/JobPriority.ts"
import { QueueRef } from "../domain/QueueRef.ts"
import { JobStatus } from "../domain/JobStatus.ts"
import * as Schedule from "../domain/Schedule.ts"
import * as Timestamp from "../domain/Timestamp.ts"
import { Lease, WorkerList } from "../domain/WorkerInfo.ts"
import { Latency, RedisInfo, Throughput } from "../domain/QueueHealth.ts"
import * as S from "./Schemas.ts"
import { version } from "../domain/Version.ts"

// --- errors --------------------------------------------------------------------------

/**
 * No result is stored for the job (yet, or any more).
 *
 * @category errors
 * @since 0.2.0
 */
export class ResultNotFoundError extends Schema.TaggedError<ResultNotFoundError>()("ResultNotFoundError", {
  jobId: Schema.String,
  message: Schema.String
}, { httpApiStatus: 404 }) {}

/**
 * The request body is larger than the gateway accepts.
 *
 * @category errors
 * @since 0.2.0
 */
export class PayloadTooLargeError extends Schema.TaggedError<PayloadTooLargeError>()("PayloadTooLargeError", {
  limitBytes: Schema.Number,
  message: Schema.String
}, { httpApiStatus: 413 }) {}

/**
 * The request body is not `application/json`.
 *
 * @category errors
 * @since 0.2.0
 */
export class UnsupportedMediaTypeError extends Schema.TaggedError<UnsupportedMediaTypeError>()("UnsupportedMediaTypeError", {
  message: Schema.String
}, { httpApiStatus: 415 }) {}

/**
 * The gateway cannot serve the request right now (it is shutting down):
 * try again, another replica will answer.
 *
 * @category errors
 * @since 0.2.0
 */
export class GatewayUnavailableError extends Schema.TaggedError<GatewayUnavailableError>()("GatewayUnavailableError", {
  message: Schema.String
}, { httpApiStatus: 503 }) {}

/**
 * The route does not exist.
 *
 * @category errors
 * @since 0.2.0
 */
export class RouteNotFoundError extends Schema.TaggedError<RouteNotFoundError>()("RouteNotFoundError", {
  message: Schema.String
}, { httpApiStatus: 404 }) {}

/** 429 with the wait in the `Retry-After` header (whole seconds) and in the body (milliseconds). */
const RateLimited = RateLimitError.pipe(HttpApiSchema.encodeToWithHeaders({
  body: Schema.Struct({ _tag: Schema.tag("RateLimitError"), retryAfterMillis: Schema.Number, message: Schema.String }).pipe(HttpApiSchema.status(429)),
  headers: { "retry-after": Schema.String }
}, {
  decode: ({ body }) => new RateLimitError({ retryAfterMillis: body.retryAfterMillis, message: body.message }),
  encode: (e) => ({
    body: { _tag: "RateLimitError" as const, retryAfterMillis: e.retryAfterMillis, message: e.message },
    headers: { "retry-after": String(Math.max(1, Math.ceil(e.retryAfterMillis / 1000))) }
  })
}))

/**
 * The error schemas with their statuses, by tag.
 *
 * @category errors
 * @since 0.2.0
 */
export const Errors = {
  ValidationError: ValidationError.pipe(HttpApiSchema.status(400)),
  AuthenticationError: AuthenticationError.pipe(HttpApiSchema.status(401)),
  JobNotFoundError: JobNotFoundError.pipe(HttpApiSchema.status(404)),
  ScheduleNotFoundError: ScheduleNotFoundError.pipe(HttpApiSchema.status(404)),
  ResultNotFoundError,
  JobConflictError: JobConflictError.pipe(HttpApiSchema.status(409)),
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  JobFailedError: JobFailedError.pipe(HttpApiSchema.status(422)),
  RateLimitError: RateLimited,
  SerializationError: SerializationError.pipe(HttpApiSchema.status(500)),
  ConnectionError: ConnectionError.pipe(HttpApiSchema.status(503)),
  StorageError: StorageError.pipe(HttpApiSchema.status(503)),
  GatewayUnavailableError,
  TimeoutError: TimeoutError.pipe(HttpApiSchema.status(504))
} as const

/** What every call that reaches Redis can fail with (its deadline included). */
const backend = [
  Errors.ConnectionError,
  Errors.StorageError,
  Errors.SerializationError,
  Errors.GatewayUnavailableError,
  Errors.TimeoutError
] as const

// --- middleware (declared here, implemented by the gateway) ---------------------------

/**
 * Bearer API keys (constant-time compared) and the per-key rate limit.
 *
 * @category middleware
 * @since 0.2.0
 */
export class Authentication extends HttpApiMiddleware.Service<Authentication>()("@bananas/effect/http/Authentication", {
  security: { bearer: HttpApiSecurity.bearer },
  error: [Errors.AuthenticationError, Errors.RateLimitError]
}) {}

/**
 * The body of a request: `application/json` in UTF-8, within the size and
 * work limits (413 too large, 415 another type or charset, 400 invalid
 * UTF-8 or too many keys and values).
 *
 * @category middleware
 * @since 0.2.0
 */
export class RequestBody extends HttpApiMiddleware.Service<RequestBody>()("@bananas/effect/http/RequestBody", {
  error: [Errors.PayloadTooLargeError, Errors.UnsupportedMediaTypeError, Errors.ValidationError]
}) {}

/**
 * Every decoding failure of a request (params, query, body) as a 400
 * `ValidationError` naming the field.
 *
 * @category middleware
 * @since 0.2.0
 */
export class Validation extends HttpApiMiddleware.Service<Validation>()("@bananas/effect/http/Validation", {
  error: Errors.ValidationError
}) {}

// --- endpoints -----------------------------------------------------------------------

const id = { id: Schema.String }
const wait = { wait: Schema.optional(S.GoDuration) }
const page = { cursor: Schema.optional(Schema.String), limit: Schema.optional(Schema.Int) }

/**
 * Jobs: submit (now or scheduled), batches, calls, reads, long-polls,
 * listings, cancellation.
 *
 * @category groups
 * @since 0.2.0
 */
export class Jobs extends HttpApiGroup.make("jobs").add(
  HttpApiEndpoint.post("submit", "/", {
    payload: S.SubmitBody,
    success: [S.Receipt.pipe(HttpApiSchema.status(201)), S.Receipt],
    error: [Errors.ValidationError, Errors.JobConflictError, ...backend]
  }).middleware(RequestBody).annotate(OpenApi.Description, "Submit a job (scheduled with scheduledFor or delayMillis): 201 created, 200 when the id existed (duplicate)."),
  HttpApiEndpoint.post("submitBatch", "/batch", {
    payload: S.BatchBody,
    success: S.Receipts,
    error: [Errors.ValidationError, Errors.JobConflictError, ...backend]
  }).middleware(RequestBody).annotate(OpenApi.Description, "Submit many jobs: all validated first (nothing written on bad input), each atomic."),
  HttpApiEndpoint.post("call", "/call", {
    query: wait,
    payload: S.SubmitBody,
    success: S.ResultJson,
    error: [Errors.ValidationError, Errors.JobConflictError, Errors.JobFailedError, ...backend]
  }).middleware(RequestBody).annotate(OpenApi.Description, "Submit and wait (bounded by the gateway's longest wait): the completed result, 422 when it failed for good, 504 on timeout."),
  HttpApiEndpoint.get("list", "/", {
    query: {
      status: Schema.optional(JobStatus),
      priority: Schema.optional(JobPriority),
      name: Schema.optional(Schema.String),
      from: Schema.optional(Timestamp.FromString),
      to: Schema.optional(Timestamp.FromString),
      ...page
    },
    success: S.PageJson,
    error: [Errors.ValidationError, ...backend]
  }).annotate(OpenApi.Description, "List jobs by status, priority, name and creation time (from inclusive, to exclusive), paginated by cursor."),
  HttpApiEndpoint.get("get", "/:id", {
    params: id,
    success: S.JobJson,
    error: [Errors.JobNotFoundError, Errors.JobFailedError, ...backend]
  }).annotate(OpenApi.Description, "The job, as Go's job JSON (422 for Go's record of a job dead-lettered without its data)."),
  HttpApiEndpoint.get("result", "/:id/result", {
    params: id,
    query: wait,
    success: S.ResultJson,
    error: [Errors.ResultNotFoundError, ...backend]
  }).annotate(OpenApi.Description, "The stored result; with ?wait=30s, long-polls for the final result (504 on timeout)."),
  HttpApiEndpoint.get("lease", "/:id/lease", { params: id, success: Lease, error: [GatewayUnavailableError, ...backend] })
    .annotate(OpenApi.Description, "Whether a worker holds the job, and its lease: owner and expiry (none for a job a Go worker holds)."),
  HttpApiEndpoint.delete("cancel", "/:id", {
    params: id,
    success: S.JobJson,
    error: [Errors.JobNotFoundError, Errors.JobConflictError, ...backend]
  }).annotate(OpenApi.Description, "Cancel a queued or scheduled job (409 when it is running or finished).")
).middleware(Authentication).prefix("/v1/jobs") {}

/**
 * A page of the processing jobs, each with its lease and job (none when its
 * data is gone), and how many are processing.
 *
 * @category schemas
 * @since 0.2.0
 */
export const ProcessingJson = Schema.Struct({
  /** How many ids `queue:processing` holds. */
  total: Schema.Int,
  /** The offset of the first entry. */
  offset: Schema.Int,
  /** The entries, in list order (the most recently taken first). */
  entries: Schema.Array(Schema.Struct({ lease: Lease, job: Schema.NullOr(S.JobJson) }))
}).annotate({ identifier: "Processing" })

/**
 * Queue-wide reads and actions: depths, the dead letters, pausing and
 * resuming a queue, the workers, throughput, latency, the Redis server.
 *
 * @category groups
 * @since 0.2.0
 */
export class Queue extends HttpApiGroup.make("queue").add(
  HttpApiEndpoint.get("stats", "/stats", { success: S.StatsJson, error: backend }),
  HttpApiEndpoint.get("deadLetters", "/dead", { query: page, success: S.PageJson, error: [Errors.ValidationError, ...backend] }),
  HttpApiEndpoint.post("requeue", "/dead/:id/requeue", {
    params: id,
    success: S.JobJson,
    error: [Errors.JobNotFoundError, Errors.JobConflictError, ...backend]
  }).annotate(OpenApi.Description, "Requeue a dead-lettered job (409 when it is not dead)."),
  HttpApiEndpoint.delete("purgeDead", "/dead", { success: S.PurgedJson, error: backend })
    .annotate(OpenApi.Description, "Delete every dead-lettered job (ids, data and results): how many were removed."),
  HttpApiEndpoint.post("pause", "/queues/:priority/pause", {
    params: { priority: JobPriority },
    query: { routingKey: Schema.optional(Schema.String) },
    success: QueueRef,
    error: [Errors.ValidationError, ...backend]
  }).annotate(
    OpenApi.Description,
    "Pause a queue (a priority; with ?routingKey= of that route's queue): our workers take nothing from it, submissions still land. Go workers do not know pause."
  ),
  HttpApiEndpoint.post("resume", "/queues/:priority/resume", {
    params: { priority: JobPriority },
    query: { routingKey: Schema.optional(Schema.String) },
    success: QueueRef,
    error: [Errors.ValidationError, ...backend]
  }).annotate(OpenApi.Description, "Resume a paused queue: workers take its jobs at once."),
  HttpApiEndpoint.get("paused", "/queues/paused", { success: S.PausedJson, error: backend })
    .annotate(OpenApi.Description, "The paused queues."),
  HttpApiEndpoint.get("deliveries", "/webhooks/deliveries", {
    query: { limit: Schema.optional(Schema.Int) },
    success: S.DeliveriesJson,
    error: [Errors.ValidationError, ...backend]
  }).annotate(OpenApi.Description, "The webhook delivery log (bounded), newest first."),
  HttpApiEndpoint.get("workers", "/workers", { success: WorkerList, error: [GatewayUnavailableError, ...backend] })
    .annotate(OpenApi.Description, "The registered workers (renewed every 10 s), and the holders of processing jobs that did not register (unknown: older SDKs, Go workers)."),
  HttpApiEndpoint.get("processing", "/processing", {
    query: { offset: Schema.optional(Schema.Int), limit: Schema.optional(Schema.Int) },
    success: ProcessingJson,
    error: [Errors.ValidationError, GatewayUnavailableError, ...backend]
  }).annotate(OpenApi.Description, "The jobs workers hold (queue:processing from offset, limit 1 to 500, default 50), each with its lease and its job JSON."),
  HttpApiEndpoint.get("throughput", "/throughput", { success: Throughput })
    .annotate(OpenApi.Description, "Jobs completed and failed attempts per minute over the last hour, sampled by this gateway from the registered workers' counters."),
  HttpApiEndpoint.get("latency", "/latency", { success: Latency, error: [GatewayUnavailableError, ...backend] })
    .annotate(OpenApi.Description, "The oldest waiting job of each default queue, and its age."),
  HttpApiEndpoint.get("redis", "/redis", { success: RedisInfo, error: backend })
    .annotate(OpenApi.Description, "The Redis server's version, memory, clients and eviction policy (INFO); available false on the memory backend.")
).middleware(Authentication).prefix("/v1") {}

/**
 * A schedule as `PUT /v1/schedules/:id` takes it: `Schedule.ScheduleInput`
 * without the id (the path's).
 *
 * @category schemas
 * @since 0.2.0
 */
export const ScheduleBody = Schedule.ScheduleInput.mapFields(({ id: _, ...rest }) => rest)

/**
 * Schedules: store (create or replace), read, list, remove, pause, resume,
 * run now, preview the next slots.
 *
 * @category groups
 * @since 0.2.0
 */
export class ScheduleEndpoints extends HttpApiGroup.make("schedules").add(
  HttpApiEndpoint.put("upsert", "/:id", {
    params: id,
    payload: ScheduleBody,
    success: Schedule.View,
    error: [Errors.ValidationError, ...backend]
  }).middleware(RequestBody).annotate(OpenApi.Description, "Create or replace a schedule (cron or every; payload as JSON text); its next slot counts from now."),
  HttpApiEndpoint.get("list", "/", { success: Schema.Struct({ schedules: Schema.Array(Schedule.View) }), error: backend }),
  HttpApiEndpoint.get("get", "/:id", { params: id, success: Schedule.View, error: [Errors.ScheduleNotFoundError, ...backend] }),
  HttpApiEndpoint.delete("remove", "/:id", {
    params: id,
    success: Schema.Struct({ removed: Schema.String }),
    error: [Errors.ScheduleNotFoundError, ...backend]
  }).annotate(OpenApi.Description, "Remove a schedule and its state (the jobs it enqueued stay)."),
  HttpApiEndpoint.post("pause", "/:id/pause", { params: id, success: Schedule.View, error: [Errors.ScheduleNotFoundError, ...backend] }),
  HttpApiEndpoint.post("resume", "/:id/resume", { params: id, success: Schedule.View, error: [Errors.ScheduleNotFoundError, ...backend] })
    .annotate(OpenApi.Description, "Resume from the next slot after now (slots missed while paused are skipped)."),
  HttpApiEndpoint.post("run", "/:id/run", { params: id, success: S.JobJson, error: [Errors.ScheduleNotFoundError, ...backend] })
    .annotate(OpenApi.Description, "Enqueue the schedule's job now (for the current second's slot); its slots are unchanged."),
  HttpApiEndpoint.get("next", "/:id/next", {
    params: id,
    query: { count: Schema.optional(Schema.NumberFromString) },
    success: Schema.Struct({ slots: Schema.Array(Schema.Number) }),
    error: [Errors.ValidationError, Errors.ScheduleNotFoundError, ...backend]
  }).annotate(OpenApi.Description, "The next slots (unix seconds; count 1 to 1000, default 5).")
).middleware(Authentication).prefix("/v1/schedules") {}

/**
 * Probes, without authentication.
 *
 * @category groups
 * @since 0.2.0
 */
export class System extends HttpApiGroup.make("system", { topLevel: true }).add(
  HttpApiEndpoint.get("healthz", "/healthz", { success: Schema.Struct({ status: Schema.Literal("ok") }) })
    .annotate(OpenApi.Description, "The process is up."),
  HttpApiEndpoint.get("readyz", "/readyz", { success: Schema.Struct({ status: Schema.Literal("ready") }), error: backend })
    .annotate(OpenApi.Description, "Redis answers: ready to serve.")
) {}

/**
 * The whole API.
 *
 * @category api
 * @since 0.2.0
 */
export class Api extends HttpApi.make("bananas").add(Jobs).add(Queue).add(ScheduleEndpoints).add(System)
  .annotate(HttpApi.PayloadParseOptions, { onExcessProperty: "error", errors: "all" })
  .annotate(HttpApi.QueryParseOptions, { onExcessProperty: "error", errors: "all" })
  .middleware(Validation)
  .annotateMerge(OpenApi.annotations({
    title: "Bananas Task API",
    version,
    description: "Submit Bananas jobs and read their results over HTTP. Payloads and results are carried byte for byte."
  }))
{}
