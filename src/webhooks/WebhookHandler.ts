/**
 * The receiving end of the gateway's webhooks: verifies the signature
 * (HMAC-SHA256 over `timestamp + "." + body`, constant-time, any of the
 * configured secrets while they rotate), enforces a timestamp tolerance
 * (default 5 minutes) and a body limit (default 4 MiB), decodes the typed
 * event and dispatches it to `onJobCompleted` / `onJobFailed` /
 * `onJobDead` / `onJobCancelled` — one event id at most once at a time,
 * and not again once it succeeded (`ReplayStore`).
 *
 * The headers are checked before any byte of the body is read (presence,
 * signature format, timestamp window, `Content-Length`), and the body is
 * read only up to the limit.
 *
 * Answers: 200 (handled; `{"ok":true,"duplicate":true}` for an event
 * already processed, which the gateway counts as delivered), 400 missing
 * headers or not an event, 401 bad signature or stale timestamp, 409 the
 * event is being handled by another delivery right now, 413 a body over the
 * limit, 500 the handler failed, 503 the replay store is unavailable (the
 * gateway delivers again later after any of the last three).
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
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as ByteSize from "effect/ByteSize"
import { HttpIncomingMessage, HttpRouter, type HttpServerRequest, HttpServerResponse } from "effect/http"
import * as DurationInput from "../domain/DurationInput.ts"
import { ValidationError } from "../domain/Errors.ts"
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
  reason: Schema.Literals(["MissingHeaders", "BadSignature", "StaleTimestamp", "TooLarge", "InProgress", "BadEvent", "Unavailable"]),
  /** What happened, for a person. */
  message: Schema.String
}) {
  /** The HTTP status the receiver answers with. */
  get status(): number {
    return statusOf[this.reason]
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
  /** Where running and processed events are recorded (default in memory; `ReplayStore.redis` for several receivers). */
  readonly replay?: ReplayStore.ReplayStore | undefined
  /** How long a processed event id is remembered (default 24 hours). */
  readonly processedFor?: Duration.Input | undefined
  /** How long a running handler holds its event against other deliveries of it (default 5 minutes). */
  readonly claimFor?: Duration.Input | undefined
  /** The largest body read, in bytes (default 4 MiB): a larger one is answered 413 unread. */
  readonly maxBodyBytes?: number | undefined
}

/**
 * The default body limit of a receiver: 4 MiB.
 *
 * @category constants
 * @since 0.2.0
 */
export const defaultMaxBodyBytes = 4 * 1024 * 1024

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
  /** The body limit in force, in bytes. */
  readonly maxBodyBytes: number
  /** Checks the headers alone (presence, timestamp window, signature format, `Content-Length`): what can be refused before reading a body. */
  readonly checkHeaders: (headers: Headers) => Effect.Effect<void, WebhookError>
  /** Checks headers, size, timestamp and signature, and decodes the event (no replay check, no dispatch). */
  readonly verify: (headers: Headers, body: string | Uint8Array) => Effect.Effect<WebhookEvent.WebhookEvent, WebhookError>
  /** Verifies, claims the event, dispatches; never fails: every outcome is an answer. */
  readonly handle: (headers: Headers, body: string | Uint8Array) => Effect.Effect<Answer, never, R>
  /** Checks the headers, then reads the body through `read` (at most `maxBodyBytes`), then `handle`s it. */
  readonly handleRequest: (headers: Headers, read: (maxBytes: number) => Effect.Effect<Uint8Array, WebhookError>) => Effect.Effect<Answer, never, R>
}

/**
 * Request headers (lower-case names).
 *
 * @category models
 * @since 0.2.0
 */
export type Headers = Readonly<Record<string, string | undefined>>

/**
 * Builds a receiver, or says which option it cannot take (a duration that
 * does not parse or is not positive, a body limit that is not a positive
 * whole number).
 *
 * @category constructors
 * @since 0.2.0
 */
export const make = <R = never>(options: Options<R>): Result.Result<WebhookHandler<R>, ValidationError> => {
  const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1) {
    return Result.fail(new ValidationError({ field: "maxBodyBytes", message: `maxBodyBytes must be a positive whole number of bytes, got ${String(maxBodyBytes)}` }))
  }
  return Result.map(
    Result.all({
      tolerance: DurationInput.decode("tolerance", options.tolerance, "positive", "5 minutes"),
      processedFor: DurationInput.decode("processedFor", options.processedFor, "positive", "24 hours"),
      claimFor: DurationInput.decode("claimFor", options.claimFor, "positive", "5 minutes")
    }),
    (durations) => build(options, maxBodyBytes, durations)
  )
}

const build = <R>(
  options: Options<R>,
  maxBodyBytes: number,
  durations: { readonly tolerance: Duration.Duration; readonly processedFor: Duration.Duration; readonly claimFor: Duration.Duration }
): WebhookHandler<R> => {
  const secrets = (Array.isArray(options.secret) ? options.secret : [options.secret] as ReadonlyArray<Secret>)
    .map((s) => (Redacted.isRedacted(s) ? Redacted.value(s) : s))
  const toleranceMillis = Duration.toMillis(durations.tolerance)
  const processedMillis = Duration.toMillis(durations.processedFor)
  const claimMillis = Duration.toMillis(durations.claimFor)
  const store = options.replay ?? ReplayStore.memory()

  const checkHeaders = (headers: Headers): Effect.Effect<void, WebhookError> => {
    const id = headers[Signature.headers.id]
    const timestamp = headers[Signature.headers.timestamp]
    const signature = headers[Signature.headers.signature]
    if (id === undefined || timestamp === undefined || signature === undefined) {
      return fail("MissingHeaders", `a Bananas webhook carries ${Signature.headers.id}, ${Signature.headers.timestamp} and ${Signature.headers.signature}`)
    }
    if (id.length > maxHeaderLength) return fail("BadEvent", `header ${Signature.headers.id} is longer than ${maxHeaderLength} characters`)
    if (!Signature.isWellFormed(signature)) return fail("BadSignature", "the signature header is not a list of v1=<64 hex digits>")
    const seconds = /^\d{1,12}$/.test(timestamp) ? Number(timestamp) : Number.NaN
    if (!(Math.abs(Date.now() - seconds * 1000) <= toleranceMillis)) {
      return fail("StaleTimestamp", `timestamp ${JSON.stringify(timestamp.slice(0, 20))} is not within ${Duration.format(Duration.millis(toleranceMillis))} of now`)
    }
    const length = headers["content-length"]
    if (length !== undefined && Number(length) > maxBodyBytes) return tooLarge(maxBodyBytes)
    return Effect.void
  }

  const verify = (headers: Headers, body: string | Uint8Array) =>
    Effect.gen(function*() {
      yield* checkHeaders(headers)
      const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body
      if (bytes.byteLength > maxBodyBytes) return yield* tooLarge(maxBodyBytes)
      if (!Signature.verify(secrets, headers[Signature.headers.timestamp]!, bytes, headers[Signature.headers.signature]!)) {
        return yield* fail("BadSignature", "the signature does not match the body")
      }
      const decoded = WebhookEvent.decode(typeof body === "string" ? body : new TextDecoder().decode(body))
      if (Result.isFailure(decoded)) return yield* fail("BadEvent", decoded.failure)
      if (decoded.success.id !== headers[Signature.headers.id]) {
        return yield* fail("BadEvent", `header ${Signature.headers.id} does not name the event in the body`)
      }
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

  /** Runs the handler under the event's claim: completed on success, released on failure or interruption. */
  const runClaimed = (event: WebhookEvent.WebhookEvent, token: string): Effect.Effect<Answer, never, R> =>
    Effect.gen(function*() {
      const ran = yield* Effect.exit(dispatch(event))
      if (ran._tag === "Failure") {
        yield* Effect.logWarning(`webhook handler failed for ${event.type} ${event.id}; the gateway will deliver it again`, ran.cause)
        yield* store.release(event.id, token).pipe(Effect.catch((e) => Effect.logWarning(`could not release ${event.id} (its claim lapses after ${Duration.format(Duration.millis(claimMillis))})`, e.message)))
        return answer(500, `{"_tag":"WebhookHandlerError","message":"the handler failed; deliver again later"}`)
      }
      yield* store.complete(event.id, token, processedMillis).pipe(Effect.catch((e) => Effect.logWarning(`could not record ${event.id} as processed`, e.message)))
      return answer(200, `{"ok":true}`)
    }).pipe(Effect.onInterrupt(() => Effect.ignore(store.release(event.id, token))))

  const handle = (headers: Headers, body: string | Uint8Array): Effect.Effect<Answer, never, R> =>
    Effect.gen(function*() {
      const event = yield* verify(headers, body)
      // One atomic claim per event id, however the delivery is spelled.
      const claim = yield* store.claim(event.id, claimMillis).pipe(
        Effect.catchTag("ReplayStoreError", (e) => fail("Unavailable", `the replay store is unavailable: ${e.message}`))
      )
      switch (claim._tag) {
        case "Done": return answer(200, `{"ok":true,"duplicate":true}`)
        case "Running": return yield* fail("InProgress", `event ${event.id} is being handled by another delivery; deliver again later`)
        case "Claimed": return yield* runClaimed(event, claim.token)
      }
    }).pipe(Effect.catchTag("WebhookError", (e) => Effect.succeed(refusal(e))))

  const handleRequest = (headers: Headers, read: (maxBytes: number) => Effect.Effect<Uint8Array, WebhookError>): Effect.Effect<Answer, never, R> =>
    checkHeaders(headers).pipe(
      Effect.flatMap(() => read(maxBodyBytes)),
      Effect.matchEffect({ onFailure: (e) => Effect.succeed(refusal(e)), onSuccess: (body) => handle(headers, body) })
    )

  return { maxBodyBytes, checkHeaders, verify, handle, handleRequest }
}

/**
 * Reads a server request's body, at most `maxBytes` (a larger one is a
 * `TooLarge` refusal; the rest is drained, not kept).
 *
 * @category conversions
 * @since 0.2.0
 */
export const readBody = (request: HttpServerRequest.HttpServerRequest, maxBytes: number): Effect.Effect<Uint8Array, WebhookError> =>
  request.arrayBuffer.pipe(
    Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(maxBytes)),
    Effect.map((buffer) => new Uint8Array(buffer)),
    Effect.catch((e) =>
      e.reason._tag === "RequestParseError" && e.reason.reason === "BodyTooLarge"
        ? tooLarge(maxBytes)
        : fail("BadEvent", "the request body could not be read"))
  )

/**
 * The receiver as a `POST <path>` route of an `HttpRouter` app.
 *
 * @category layers
 * @since 0.2.0
 */
export const route = <R = never>(path: `/${string}`, options: Options<R>) =>
  Layer.unwrap(Effect.map(Effect.fromResult(make(options)), (handler) =>
    HttpRouter.add("POST", path, (request) =>
      Effect.map(handler.handleRequest(request.headers, (max) => readBody(request, max)), toResponse))))

/**
 * The receiver as a fetch-style handler (`Request` in, `Response` out), for
 * any runtime: a serverless function, Bun, Deno, a Node adapter. The body
 * is read only after the headers pass, and at most `maxBodyBytes` of it.
 * Options it cannot take make every request answer 500 with the
 * `ValidationError` naming the option.
 *
 * @category constructors
 * @since 0.2.0
 */
export const toWebHandler = (options: Options<never>) => {
  const made = make(options)
  if (Result.isFailure(made)) {
    const body = JSON.stringify({ _tag: made.failure._tag, field: made.failure.field, message: made.failure.message })
    return async (_: Request): Promise<Response> => new Response(body, { status: 500, headers: { "content-type": "application/json" } })
  }
  const handler = made.success
  return async (request: Request): Promise<Response> => {
    const headers: Record<string, string> = {}
    request.headers.forEach((value, key) => {
      headers[key.toLowerCase()] = value
    })
    const { status, body: text } = await Effect.runPromise(handler.handleRequest(headers, (max) => readWebBody(request, max)))
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

const fail = (reason: WebhookError["reason"], message: string) => Effect.fail(new WebhookError({ reason, message }))

const tooLarge = (maxBytes: number) => fail("TooLarge", `the body is larger than ${maxBytes} bytes`)

const refusal = (e: WebhookError): Answer => answer(e.status, JSON.stringify({ _tag: e._tag, reason: e.reason, message: e.message }))

const statusOf: Readonly<Record<WebhookError["reason"], number>> = {
  MissingHeaders: 400,
  BadEvent: 400,
  BadSignature: 401,
  StaleTimestamp: 401,
  InProgress: 409,
  TooLarge: 413,
  Unavailable: 503
}

/** The longest event id header accepted (ours are 36 characters). */
const maxHeaderLength = 256

/** A fetch `Request`'s body, read chunk by chunk and abandoned past `maxBytes`. */
const readWebBody = (request: Request, maxBytes: number): Effect.Effect<Uint8Array, WebhookError> =>
  Effect.flatMap(
    Effect.tryPromise({
      try: async () => {
        const chunks: Array<Uint8Array> = []
        let size = 0
        const reader = request.body?.getReader()
        if (reader === undefined) return new Uint8Array(0)
        for (;;) {
          const { done, value } = await reader.read()
          if (done) break
          size += value.byteLength
          if (size > maxBytes) {
            await reader.cancel()
            return undefined
          }
          chunks.push(value)
        }
        return Buffer.concat(chunks)
      },
      catch: () => new WebhookError({ reason: "BadEvent", message: "the request body could not be read" })
    }),
    (body) => (body === undefined ? tooLarge(maxBytes) : Effect.succeed(body))
  )
