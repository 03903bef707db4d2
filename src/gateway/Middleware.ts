/**
 * The gateway's implementations of the contract's middleware:
 * `Authentication` (bearer keys matched in constant time, then the per-key
 * rate limit, shared by every replica through the rate limiter's store),
 * `RequestBody` (`application/json` only, at most `maxBodyBytes`, read
 * once and cached for the decoder) and `Validation` (every decoding
 * failure as a 400 `ValidationError` naming the field).
 *
 * @since 0.2.0
 */

import * as ByteSize from "effect/ByteSize"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as SchemaIssue from "effect/SchemaIssue"
import { HttpIncomingMessage, HttpServerRequest, HttpServerResponse } from "effect/http"
import type { HttpApiError } from "effect/http-api"
import { HttpApiMiddleware } from "effect/http-api"
import { RateLimiter } from "effect/persistence"
import { AuthenticationError, RateLimitError, ValidationError } from "../domain/Errors.ts"
import { Authentication, PayloadTooLargeError, RequestBody, UnsupportedMediaTypeError, Validation } from "../http/Api.ts"
import * as Bodies from "../http/Bodies.ts"
import * as ApiKeys from "./ApiKeys.ts"
import { AuthFailures } from "./AuthFailures.ts"
import type { Resolved } from "./GatewayOptions.ts"

/**
 * What the access log learns about a request while it runs: the id of the
 * key that made it (never the key).
 *
 * @category models
 * @since 0.2.0
 */
export class RequestInfo extends Context.Service<RequestInfo, { keyId: string | undefined }>()("@bananas/effect/gateway/RequestInfo") {}

/**
 * Who a request's key is: its id (for logs and rate limits) and whether it
 * may only read.
 *
 * @category models
 * @since 0.2.0
 */
export interface KeyIdentity {
  /** The key's id (`anonymous` when the gateway is insecure without keys). */
  readonly id: string
  /** Whether it may only read. */
  readonly readOnly: boolean
}

/**
 * `Authentication`: the bearer token must be one of the keys (any request
 * in insecure mode without keys; a read-only key only on `GET` and
 * `HEAD`), then the key's rate limit applies. A rate
 * limiter store that fails lets the request through (logged): availability
 * over strictness. An address with too many failed authentications gets
 * 429 whatever it presents (`AuthFailures`).
 *
 * @category layers
 * @since 0.2.0
 */
export const layerAuthentication = (options: Resolved): Layer.Layer<Authentication, never, AuthFailures> =>
  Layer.effect(Authentication, Effect.gen(function*() {
    const check = yield* makeKeyCheck(options)
    const limiter = yield* Effect.serviceOption(RateLimiter.RateLimiter)
    const limit = options.rateLimit
    const consume = (keyId: string): Effect.Effect<void, RateLimitError> =>
      Option.isNone(limiter) || limit === undefined
        ? Effect.void
        : limiter.value.consume({ key: keyId, limit: limit.limit, window: limit.window }).pipe(
          Effect.asVoid,
          Effect.catchTag("RateLimiterError", (e) =>
            e.reason._tag === "RateLimitExceeded"
              ? Effect.fail(new RateLimitError({
                retryAfterMillis: Math.max(1, Math.ceil(Duration.toMillis(e.reason.retryAfter))),
                message: `rate limit of ${limit.limit} requests per ${Duration.format(limit.window)} reached for key ${keyId}`
              }))
              : Effect.logWarning("rate limiter store failed: request let through", e.reason.message))
        )
    return Authentication.of({
      bearer: (httpEffect, { credential }) =>
        Effect.gen(function*() {
          const keyId = (yield* check(Redacted.value(credential))).id
          yield* consume(keyId)
          return yield* httpEffect
        })
    })
  }))

/**
 * The key check of a request (the API's, and routes outside the contract:
 * `/metrics`, `/docs`, `/ui/session`): the key a bearer token (the
 * `Authorization` header's, or `token`) is, one of `extra` keys included;
 * an `AuthenticationError` for a wrong or missing one, counted against the
 * client's address, or for a read-only key on a request that is not a
 * `GET` or `HEAD`; a `RateLimitError` while that address has failed too
 * often.
 *
 * @category layers
 * @since 0.2.0
 */
export const makeKeyCheck = (options: Resolved, extra: ReadonlyArray<ApiKeys.ApiKey> = []) =>
  Effect.gen(function*() {
    const keys = ApiKeys.prepare([...options.keys, ...extra])
    const failures = yield* AuthFailures
    const open = options.insecure && options.keys.length === 0
    return (token: string): Effect.Effect<KeyIdentity, AuthenticationError | RateLimitError, HttpServerRequest.HttpServerRequest> =>
      open ? Effect.as(named(anonymous.id), anonymous) : Effect.gen(function*() {
        const request = yield* HttpServerRequest.HttpServerRequest
        const address = Option.getOrElse(request.remoteAddress, () => "unknown")
        const wait = failures.blockedFor(address)
        if (wait > 0) {
          return yield* new RateLimitError({
            retryAfterMillis: wait,
            message: `too many failed authentications from this address: wait ${Math.ceil(wait / 1000)} s`
          })
        }
        const key = ApiKeys.match(keys, token)
        if (key !== undefined) {
          yield* named(key.id) // a refused write of a read-only key included
          if (key.readOnly && request.method !== "GET" && request.method !== "HEAD") {
            return yield* new AuthenticationError({ message: `API key ${key.id} is read-only: ${request.method} needs a key without /read` })
          }
          return { id: key.id, readOnly: key.readOnly }
        }
        failures.record(address)
        return yield* new AuthenticationError({
          message: token === "" ? "missing API key: send Authorization: Bearer <key>" : "invalid API key"
        })
      })
  })

/**
 * A route outside the contract behind `check`: its refusals answered as
 * the API answers them (401 `AuthenticationError`, 429 `RateLimitError`
 * with `Retry-After`); `handler` is given the key the check accepted.
 *
 * @category layers
 * @since 0.2.0
 */
export const behindKey = <K, E, R>(
  check: (token: string) => Effect.Effect<K, AuthenticationError | RateLimitError, HttpServerRequest.HttpServerRequest>,
  handler: (key: K) => Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> =>
  HttpServerRequest.HttpServerRequest.pipe(
    Effect.flatMap((request) => check(bearerOf(request))),
    Effect.matchEffect({
      onSuccess: handler,
      onFailure: (e) =>
        Effect.succeed(
          e._tag === "AuthenticationError"
            ? HttpServerResponse.jsonUnsafe({ _tag: e._tag, message: e.message }, { status: 401, headers: { "www-authenticate": "Bearer" } })
            : HttpServerResponse.jsonUnsafe({ _tag: e._tag, retryAfterMillis: e.retryAfterMillis, message: e.message }, {
              status: 429,
              headers: { "retry-after": String(Math.max(1, Math.ceil(e.retryAfterMillis / 1000))) }
            })
        )
    })
  )

/**
 * The bearer token of a request's `Authorization` header ("" when none).
 *
 * @category accessors
 * @since 0.2.0
 */
export const bearerOf = (request: HttpServerRequest.HttpServerRequest): string => {
  const header = request.headers["authorization"] ?? ""
  return /^bearer /i.test(header) ? header.slice(7).trim() : ""
}

/**
 * `RequestBody`: a body of another content type than `application/json`
 * (or a charset other than UTF-8) is a 415, one larger than
 * `maxBodyBytes` a 413 (checked on `Content-Length` first, then while
 * reading a chunked body); one that is not valid UTF-8, or holds more JSON
 * than `maxBodyTokens` / `maxObjectKeys` allow, a 400 — before anything
 * parses it.
 *
 * @category layers
 * @since 0.2.0
 */
export const layerRequestBody = (options: Resolved): Layer.Layer<RequestBody> =>
  Layer.succeed(RequestBody, (httpEffect) =>
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const type = request.headers["content-type"]
      if (type !== undefined) {
        const unsupported = unsupportedType(type)
        if (unsupported !== undefined) return yield* new UnsupportedMediaTypeError({ message: unsupported })
      }
      if (Number(request.headers["content-length"] ?? "0") > options.maxBodyBytes) return yield* tooLarge(options)
      const bytes = yield* request.arrayBuffer.pipe(
        Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(options.maxBodyBytes)),
        Effect.catchTag("HttpServerError", (e): Effect.Effect<never, PayloadTooLargeError | ValidationError> =>
          e.reason._tag === "RequestParseError" && e.reason.reason === "BodyTooLarge"
            ? Effect.fail(tooLarge(options))
            : Effect.fail(new ValidationError({ field: "body", message: "the request body could not be read" })))
      )
      let text: string
      try {
        text = utf8.decode(bytes)
      } catch {
        return yield* new ValidationError({ field: "body", message: "the body is not valid UTF-8: send JSON encoded as UTF-8" })
      }
      const exceeded = Bodies.bodyWorkExceeded(text, { maxTokens: options.maxBodyTokens, maxObjectKeys: options.maxObjectKeys })
      if (exceeded !== undefined) return yield* exceeded
      return yield* httpEffect
    }))

/**
 * `Validation`: a request that does not decode is a 400 `ValidationError`
 * whose `field` is the first failing path (`name`, `entries[2].priority`,
 * `limit`, `body` for JSON that does not parse) and whose message lists
 * every issue.
 *
 * @category layers
 * @since 0.2.0
 */
export const layerValidation: Layer.Layer<Validation> = HttpApiMiddleware.layerSchemaErrorTransform(Validation, (error) =>
  Effect.fail(toValidationError(error)))

/**
 * A decoding failure as the `ValidationError` the API answers with.
 *
 * @category errors
 * @since 0.2.0
 */
export const toValidationError = (error: HttpApiError.HttpApiSchemaError): ValidationError => {
  const issues = formatter(error.cause.issue).issues.map((issue) => ({
    path: (issue.path ?? []).map((p) => (typeof p === "object" && p !== null && "key" in p ? p.key : p) as PropertyKey),
    message: issue.message
  }))
  const where = (path: ReadonlyArray<PropertyKey>) => formatPath(path) || (error.kind === "Payload" || error.kind === "Body" ? "body" : error.kind.toLowerCase())
  const first = issues[0]
  return new ValidationError({
    field: first === undefined ? where([]) : where(first.path),
    message: issues.length === 0 ? `invalid ${error.kind.toLowerCase()}` : issues.map((i) => `${where(i.path)}: ${i.message}`).join("; ")
  })
}

// Internal

/** Tells the access log which key made the request. */
const named = (keyId: string) =>
  Effect.map(Effect.serviceOption(RequestInfo), (info) => {
    if (Option.isSome(info)) info.value.keyId = keyId
  })

/** Every request, when the gateway is insecure without keys. */
const anonymous: KeyIdentity = { id: "anonymous", readOnly: false }

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

/** `a.b[2].c` from `["a", "b", 2, "c"]`. */
const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>((out, p) => (typeof p === "number" ? `${out}[${p}]` : out === "" ? String(p) : `${out}.${String(p)}`), "")

/** Made only when a body is refused: an error costs a stack trace and a validation. */
const tooLarge = (options: Resolved) =>
  new PayloadTooLargeError({ limitBytes: options.maxBodyBytes, message: `the request body is larger than ${options.maxBodyBytes} bytes` })

/** Why a `Content-Type` is refused (not JSON, or a charset other than UTF-8), if it is. */
const unsupportedType = (contentType: string): string | undefined => {
  const [mediaType, ...parameters] = contentType.split(";")
  if (mediaType!.trim().toLowerCase() !== "application/json") {
    return `the body must be application/json, got ${JSON.stringify(contentType.slice(0, 100))}`
  }
  for (const parameter of parameters) {
    const [name, value = ""] = parameter.split("=")
    if (name!.trim().toLowerCase() !== "charset") continue
    const charset = value.trim().replace(/^"(.*)"$/, "$1").toLowerCase()
    if (charset !== "utf-8" && charset !== "utf8") {
      return `the body must be UTF-8 JSON, got charset ${JSON.stringify(charset.slice(0, 40))}: send it as UTF-8 (or without a charset)`
    }
  }
  return undefined
}

/** Refuses bytes that are not UTF-8 (the default decoder would replace them with U+FFFD). */
const utf8 = new TextDecoder("utf-8", { fatal: true })
