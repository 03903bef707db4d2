/**
 * Webhook delivery: a `Worker` on the events' own namespace (`EventQueue`,
 * keys under `<prefix>events:`, see `protocol/Events`), so every delivery
 * has a lease, fencing, retries with Go's backoff and crash recovery — a
 * gateway killed mid-delivery loses nothing: the reaper of any replica
 * hands its deliveries on. Nothing a caller submits lands there.
 *
 * Two job kinds run there:
 *
 * - `bananas.event` (written by the outbox in the same step as a job's
 *   outcome): fans the event out as one `bananas.webhook` job per endpoint
 *   subscribed to its type, with deterministic ids (`<event id>.<endpoint>`),
 *   so a fan-out run twice creates each delivery once;
 * - `bananas.webhook`: POSTs the event body (exact bytes) to the endpoint,
 *   signed (`webhooks/Signature`); a 2xx completes it, anything else fails
 *   the attempt (retried after 2, 4, 8, ... s, dead-lettered after
 *   `maxAttempts`; kept 7 days under `<prefix>events:`). Every attempt is
 *   recorded in the bounded delivery log. Delivered records expire after
 *   `Events.deliveredTtlSeconds`.
 *
 * Delivery is at least once: receivers dedupe by event id (`WebhookHandler`
 * does).
 *
 * @since 0.2.0
 */

import { createHash } from "node:crypto"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Redacted from "effect/Redacted"
import { HttpClient, HttpClientRequest } from "effect/http"
import * as DurationInput from "../domain/DurationInput.ts"
import type { ValidationError } from "../domain/Errors.ts"
import * as JobModel from "../domain/Job.ts"
import { memberOf, scanObject } from "../domain/JsonScanner.ts"
import { quote, type RawJson } from "../domain/RawJson.ts"
import * as Timestamp from "../domain/Timestamp.ts"
import * as Events from "../protocol/Events.ts"
import { EventQueue, JobQueue } from "../services/JobQueue.ts"
import * as Signature from "../webhooks/Signature.ts"
import { JobError } from "../worker/Failure.ts"
import * as Handlers from "../worker/HandlerRegistry.ts"
import * as Worker from "../worker/Worker.ts"
import { DeliveryLog } from "./DeliveryLog.ts"
import { jobEvents } from "./Observability.ts"

/**
 * One receiver of job events.
 *
 * @category models
 * @since 0.2.0
 */
export interface Endpoint {
  /** Where events are POSTed. */
  readonly url: string
  /** The shared secret events are signed with. */
  readonly secret: string | Redacted.Redacted<string>
  /** A stable name (delivery ids and logs use it; default `hook-` + 8 hex digits of the URL's SHA-256). */
  readonly name?: string | undefined
  /** The event types it receives (default all). */
  readonly events?: ReadonlyArray<Events.EventType> | undefined
}

/**
 * Webhook options of a gateway.
 *
 * @category models
 * @since 0.2.0
 */
export interface Options {
  /** The receivers. */
  readonly endpoints: ReadonlyArray<Endpoint>
  /** Runs allowed to one delivery (default 12: about 68 minutes of Go's backoff). */
  readonly maxAttempts?: number | undefined
  /** Deadline of one POST (default 10 seconds). */
  readonly timeout?: Duration.Input | undefined
  /** Deliveries at once (default 32). */
  readonly concurrency?: number | undefined
  /** Records kept in the delivery log (default 1000). */
  readonly logSize?: number | undefined
  /** Lease of a delivery: how long a dead gateway's delivery waits before another takes it (default 30 seconds). */
  readonly leaseDuration?: Duration.Input | undefined
  /** Turn `ready` notifications of jobs finished without an outbox entry (Go workers) into events, best effort (default true; Redis only). */
  readonly watchReady?: boolean | undefined
}

/**
 * The job name of a delivery (`Job.deliveryJobName`).
 *
 * @category constants
 * @since 0.2.0
 */
export const deliveryJobName = JobModel.deliveryJobName

/**
 * The name of an endpoint (its own, or derived from its URL).
 *
 * @category accessors
 * @since 0.2.0
 */
export const endpointName = (endpoint: Endpoint): string =>
  endpoint.name ?? `hook-${createHash("sha256").update(endpoint.url).digest("hex").slice(0, 8)}`

/**
 * The delivery worker, running while the layer lives (drained on release).
 *
 * @category layers
 * @since 0.2.0
 */
export const layer = (options: Options): Layer.Layer<never, ValidationError, EventQueue | HttpClient.HttpClient | DeliveryLog> =>
  Layer.effectDiscard(Effect.gen(function*() {
    const queue = yield* EventQueue
    const http = yield* HttpClient.HttpClient
    const log = yield* DeliveryLog
    const timeout = yield* Effect.fromResult(DurationInput.decode("webhooks.timeout", options.timeout, "positive", "10 seconds"))
    const leaseDuration = yield* Effect.fromResult(DurationInput.decode("webhooks.leaseDuration", options.leaseDuration, "positive", "30 seconds"))
    const maxAttempts = options.maxAttempts ?? 12
    const endpoints = new Map(options.endpoints.map((e) => [endpointName(e), e] as const))

    const fanOut = ({ job, payload }: Handlers.RawInput) =>
      Effect.gen(function*() {
        const type = fieldOf(payload, "type")
        if (!Events.isEventType(type)) return yield* new JobError({ message: `not a job event: type ${JSON.stringify(type)}` })
        yield* Metric.update(Metric.withAttributes(jobEvents, { type }), 1)
        const now = Timestamp.fromMillis(Date.now())
        const deliveries = [...endpoints].filter(([, e]) => e.events === undefined || e.events.includes(type)).map(([name]) =>
          JobModel.make({
            id: `${job.id}.${name}`,
            name: deliveryJobName,
            payload: `{"endpoint":${quote(name)},"event":${payload}}` as RawJson,
            priority: "normal",
            now,
            maxRetries: maxAttempts
          }))
        if (deliveries.length > 0) yield* queue.enqueueBatch(deliveries)
        return { deliveries: deliveries.length }
      })

    const deliver = ({ attempt, job, payload }: Handlers.RawInput) =>
      Effect.gen(function*() {
        const name = fieldOf(payload, "endpoint")
        const body = rawMember(payload, "event")
        const endpoint = typeof name === "string" ? endpoints.get(name) : undefined
        if (endpoint === undefined || body === undefined) {
          return yield* new JobError({ message: `endpoint ${JSON.stringify(name)} is not configured on this gateway` })
        }
        const eventId = String(fieldOf(body, "id"))
        const type = fieldOf(body, "type")
        const timestamp = String(Math.floor(Date.now() / 1000))
        const secret = typeof endpoint.secret === "string" ? endpoint.secret : Redacted.value(endpoint.secret)
        const request = HttpClientRequest.post(endpoint.url).pipe(
          HttpClientRequest.setHeaders({
            [Signature.headers.id]: eventId,
            [Signature.headers.type]: String(type),
            [Signature.headers.timestamp]: timestamp,
            [Signature.headers.signature]: Signature.sign(secret, timestamp, body),
            "user-agent": "bananas-gateway"
          }),
          HttpClientRequest.bodyText(body, "application/json")
        )
        const start = Date.now()
        const outcome = yield* http.execute(request).pipe(
          Effect.flatMap((response) => Effect.as(Effect.ignore(response.text), { status: response.status, error: undefined as string | undefined })),
          Effect.timeoutOrElse({ duration: timeout, orElse: () => Effect.succeed({ status: 0, error: `no answer within ${Duration.format(timeout)}` }) }),
          Effect.catch((e) => Effect.succeed({ status: 0, error: e.message })),
          Effect.scoped
        )
        const ok = outcome.status >= 200 && outcome.status < 300
        const error = ok ? undefined : (outcome.error ?? `HTTP ${outcome.status}`)
        yield* log.record({
          eventId,
          type: Events.isEventType(type) ? type : "job.completed",
          jobId: String(fieldOf(body, "job_id")),
          endpoint: endpointName(endpoint),
          attempt,
          ok,
          status: outcome.status,
          ...(error === undefined ? {} : { error }),
          durationMs: Date.now() - start,
          at: new Date().toISOString()
        })
        if (!ok) return yield* new JobError({ message: `webhook ${endpointName(endpoint)} (${job.id}): ${error}` })
        return { status: outcome.status }
      })

    const handlers = Handlers.empty.pipe(
      Handlers.addRaw(JobModel.eventJobName, fanOut),
      Handlers.addRaw(deliveryJobName, deliver, { timeout: Duration.sum(timeout, Duration.seconds(5)) })
    )
    yield* Worker.make({
      handlers,
      priorities: ["normal"],
      concurrency: options.concurrency ?? 32,
      leaseDuration,
      shutdownTimeout: Duration.sum(timeout, Duration.seconds(1)),
      // Delivers events only: schedules are fired by the job workers and `bananas scheduler`.
      cron: false
    }).pipe(Effect.provideService(JobQueue, queue))
  }).pipe(Effect.annotateLogs({ module: "bananas/gateway/Webhooks" })))

// Internal

/** A top-level field of a JSON object (parsed; for names and ids only, never for payload bytes). */
const fieldOf = (json: string, key: string): unknown => {
  const raw = rawMember(json, key)
  try {
    return raw === undefined ? undefined : JSON.parse(raw)
  } catch {
    return undefined
  }
}

/** The exact text of a top-level member of a JSON object. */
const rawMember = (json: string, key: string): string | undefined => {
  const scanned = scanObject(json)
  return "members" in scanned ? memberOf(scanned.members, key)?.raw : undefined
}
