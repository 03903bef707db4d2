/**
 * The receiving end of the gateway's webhooks: verifies the signature
 * (HMAC-SHA256 over `timestamp + "." + body`, constant-time, any of the
 * configured secrets while they rotate), enforces a timestamp tolerance
 * (default 5 minutes), rejects replayed deliveries, decodes the typed
 * event and dispatches it to `onJobCompleted` / `onJobFailed` /
 * `onJobDead` / `onJobCancelled`.
 *
 * Answers: 200 (handled; `{"ok":true,"duplicate":true}` for an event
 * already processed, which the gateway counts as delivered), 400 missing
 * headers or not an event, 401 bad signature or stale timestamp, 409 an
 * exact replay of a delivery already seen, 500 when the handler failed (the
 * gateway delivers again later).
 *
 * Mount it as a route of any `HttpRouter` app (`route`, next to an
 * `HttpApi`), as a group of your own `HttpApi` (`Group` + `layerGroup`), on
 * any fetch-style runtime (`toWebHandler`), or standalone (`Standalone`).
 *
 * @example
 * ```ts
 * const Hooks = WebhookHandler.route("/hooks/bananas", {
 *   secret: Redacted.make(process.env.BANANAS_WEBHOOK_SECRET!),
 *   onJobCompleted: (event) => Effect.log(`job ${event.jobId} done: ${event.result.result}`)
 * })
 * ```
 *
 * @since 0.2.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { HttpRouter, HttpServerResponse } from "effect/http"
import * as ReplayStore from "./ReplayStore.ts"
import * as Signature from "./Signature.ts"
import * as WebhookEvent from "./WebhookEvent.ts"

/**
 * A delivery refused before any handler ran.
 *
 * @category errors
 * @since 0.2.0
 */
export class WebhookError extends Schema.TaggedError<WebhookError>()("WebhookError", {
  /** Why. */
  reason: Schema.Literals(["MissingHeaders", "BadSignature", "StaleTimestamp", "Replayed", "BadEvent"]),
  /** What happened, for a person. */
  message: Schema.String
}) {
  /** The HTTP status the receiver answers with. */
  get status(): number {
    return this.reason === "BadSignature" || this.reason === "StaleTimestamp" ? 401 : this.reason === "Replayed" ? 409 : 400
  }
}

/**
 * What runs for each event type (a missing one acknowledges the event and
 * does nothing).
 *
 * @category models
 * @since 0.2.0
 */
export interface Handlers<R> {
  readonly onJobCompleted?: ((event: WebhookEvent.WebhookEvent) => Effect.Effect<unknown, unknown, R>) | undefined
  readonly onJobFailed?: ((event: WebhookEvent.WebhookEvent) => Effect.Effect<unknown, unknown, R>) | undefined
  readonly onJobDead?: ((event: WebhookEvent.WebhookEvent) => Effect.Effect<unknown, unknown, R>) | undefined
  readonly onJobCancelled?: ((event: WebhookEvent.WebhookEvent) => Effect.Effect<unknown, unknown, R>) | undefined
}

/**
 * Options of a receiver.
 *
 * @category models
 * @since 0.2.0
 */
export interface Options<R> extends Handlers<R> {
  /** The endpoint's secret (several while rotating: any one may have signed). */
  readonly secret: Secret | ReadonlyArray<Secret>
  /** How far a delivery's timestamp may be from now (default 5 minutes). */
  readonly tolerance?: Duration.Input | undefined
  /** Where seen signatures and processed events are remembered (default in memory). */
  readonly replay?: ReplayStore.ReplayStore | undefined
  /** How long a processed event id is remembered (default 24 hours). */
  readonly processedFor?: Duration.Input | undefined
}

/**
 * A secret, plain or redacted.
 *
 * @category models
 * @since 0.2.0
 */
export type Secret = string | Redacted.Redacted<string>

/**
 * A receiver's answer.
 *
 * @category models
 * @since 0.2.0
 */
export interface Answer {
  readonly status: number
  readonly body: string
}

/**
 * A receiver.
 *
 * @category models
 * @since 0.2.0
 */
export interface WebhookHandler<R> {
  /** Checks headers, timestamp and signature, and decodes the event (no replay check, no dispatch). */
  readonly verify: (headers: Headers, body: string | Uint8Array) => Effect.Effect<WebhookEvent.WebhookEvent, WebhookError>
  /** Verifies, rejects replays, dispatches; never fails: every outcome is an answer. */
  readonly handle: (headers: Headers, body: string | Uint8Array) => Effect.Effect<Answer, never, R>
}

/**
 * Request headers (lower-case names).
 *
 * @category models
 * @since 0.2.0
 */
export type Headers = Readonly<Record<string, string | undefined>>

/**
 * Builds a receiver.
 *
 * @category constructors
 * @since 0.2.0
 */
export const make = <R = never>(options: Options<R>): WebhookHandler<R> => {
  const secrets = (Array.isArray(options.secret) ? options.secret : [options.secret] as ReadonlyArray<Secret>)
    .map((s) => (Redacted.isRedacted(s) ? Redacted.value(s) : s))
  const toleranceMillis = Duration.toMillis(Duration.fromInputUnsafe(options.tolerance ?? "5 minutes"))
  const processedMillis = Duration.toMillis(Duration.fromInputUnsafe(options.processedFor ?? "24 hours"))
  const store = options.replay ?? ReplayStore.memory()
  const fail = (reason: WebhookError["reason"], message: string) => Effect.fail(new WebhookError({ reason, message }))

  const verify = (headers: Headers, body: string | Uint8Array) =>
    Effect.gen(function*() {
      const id = headers[Signature.headers.id]
      const timestamp = headers[Signature.headers.timestamp]
      const signature = headers[Signature.headers.signature]
      if (id === undefined || timestamp === undefined || signature === undefined) {
        return yield* fail("MissingHeaders", `a Bananas webhook carries ${Signature.headers.id}, ${Signature.headers.timestamp} and ${Signature.headers.signature}`)
      }
      const seconds = /^\d{1,12}$/.test(timestamp) ? Number(timestamp) : Number.NaN
      if (!(Math.abs(Date.now() - seconds * 1000) <= toleranceMillis)) {
        return yield* fail("StaleTimestamp", `timestamp ${JSON.stringify(timestamp.slice(0, 20))} is not within ${Duration.format(Duration.millis(toleranceMillis))} of now`)
      }
      if (!Signature.verify(secrets, timestamp, body, signature)) return yield* fail("BadSignature", "the signature does not match the body")
      const decoded = WebhookEvent.decode(typeof body === "string" ? body : new TextDecoder().decode(body))
      if (Result.isFailure(decoded)) return yield* fail("BadEvent", decoded.failure)
      if (decoded.success.id !== id) return yield* fail("BadEvent", `header ${Signature.headers.id} does not name the event in the body`)
      return decoded.success
    })

  const dispatch = (event: WebhookEvent.WebhookEvent): Effect.Effect<unknown, unknown, R> => {
    const run = {
      "job.completed": options.onJobCompleted,
      "job.failed": options.onJobFailed,
      "job.dead": options.onJobDead,
      "job.cancelled": options.onJobCancelled
    }[event.type]
    return run === undefined ? Effect.void : Effect.suspend(() => run(event))
  }

  const handle = (headers: Headers, body: string | Uint8Array): Effect.Effect<Answer, never, R> =>
    Effect.gen(function*() {
      const event = yield* verify(headers, body)
      // An exact resend of one delivery (same timestamp and signature): a replay.
      if (!(yield* store.remember(`sig:${headers[Signature.headers.signature]}`, 2 * toleranceMillis))) {
        return yield* fail("Replayed", `this delivery of ${event.id} was received already`)
      }
      // A new delivery of an event already processed: acknowledged, not run again.
      if (yield* store.has(`evt:${event.id}`)) return answer(200, `{"ok":true,"duplicate":true}`)
      const ran = yield* Effect.exit(dispatch(event))
      if (ran._tag === "Failure") {
        yield* Effect.logWarning(`webhook handler failed for ${event.type} ${event.id}; the gateway will deliver it again`, ran.cause)
        return answer(500, `{"_tag":"WebhookHandlerError","message":"the handler failed; deliver again later"}`)
      }
      yield* store.remember(`evt:${event.id}`, processedMillis)
      return answer(200, `{"ok":true}`)
    }).pipe(Effect.catchTag("WebhookError", (e) => Effect.succeed(answer(e.status, JSON.stringify({ _tag: e._tag, reason: e.reason, message: e.message })))))

  return { verify, handle }
}

/**
 * The receiver as a `POST <path>` route of an `HttpRouter` app.
 *
 * @category layers
 * @since 0.2.0
 */
export const route = <R = never>(path: `/${string}`, options: Options<R>) => {
  const handler = make(options)
  return HttpRouter.add("POST", path, (request) =>
    Effect.gen(function*() {
      const body = new Uint8Array(yield* Effect.orDie(request.arrayBuffer))
      return toResponse(yield* handler.handle(request.headers, body))
    }))
}

/**
 * The receiver as a fetch-style handler (`Request` in, `Response` out), for
 * any runtime: a serverless function, Bun, Deno, a Node adapter.
 *
 * @category constructors
 * @since 0.2.0
 */
export const toWebHandler = (options: Options<never>) => {
  const handler = make(options)
  return async (request: Request): Promise<Response> => {
    const body = new Uint8Array(await request.arrayBuffer())
    const headers: Record<string, string> = {}
    request.headers.forEach((value, key) => {
      headers[key.toLowerCase()] = value
    })
    const { status, body: text } = await Effect.runPromise(handler.handle(headers, body))
    return new Response(text, { status, headers: { "content-type": "application/json" } })
  }
}

/**
 * An answer as a server response.
 *
 * @category conversions
 * @since 0.2.0
 */
export const toResponse = (a: Answer): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.text(a.body, { status: a.status, contentType: "application/json" })

// Internal

const answer = (status: number, body: string): Answer => ({ status, body })
