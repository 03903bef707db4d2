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
import { HttpIncomingMessage, HttpServerRequest } from "effect/http"
import type { HttpApiError } from "effect/http-api"
import { HttpApiMiddleware } from "effect/http-api"
import { RateLimiter } from "effect/persistence"
import { AuthenticationError, RateLimitError, ValidationError } from "../domain/Errors.ts"
import { Authentication, PayloadTooLargeError, RequestBody, UnsupportedMediaTypeError, Validation } from "../http/Api.ts"
import * as ApiKeys from "./ApiKeys.ts"
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
 * `Authentication`: the bearer token must be one of the keys (any request
 * in insecure mode without keys), then the key's rate limit applies. A rate
 * limiter store that fails lets the request through (logged): availability
 * over strictness.
 *
 * @category layers
 * @since 0.2.0
 */
export const layerAuthentication = (options: Resolved): Layer.Layer<Authentication> =>
  Layer.effect(Authentication, Effect.gen(function*() {
    const keys = ApiKeys.prepare(options.keys)
    const limiter = yield* Effect.serviceOption(RateLimiter.RateLimiter)
    const limit = options.rateLimit
    const open = options.insecure && keys.length === 0
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
          const keyId = open ? "anonymous" : ApiKeys.match(keys, Redacted.value(credential))
          if (keyId === undefined) {
            return yield* new AuthenticationError({
              message: Redacted.value(credential) === ""
                ? "missing API key: send Authorization: Bearer <key>"
                : "invalid API key"
            })
          }
          const info = yield* Effect.serviceOption(RequestInfo)
          if (Option.isSome(info)) info.value.keyId = keyId
          yield* consume(keyId)
          return yield* httpEffect
        })
    })
  }))

/**
 * `RequestBody`: a body of another content type than `application/json`
 * is a 415, one larger than `maxBodyBytes` a 413 (checked on
 * `Content-Length` first, then while reading a chunked body).
 *
 * @category layers
 * @since 0.2.0
 */
export const layerRequestBody = (options: Resolved): Layer.Layer<RequestBody> =>
  Layer.succeed(RequestBody, (httpEffect) =>
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const type = request.headers["content-type"]
      if (type !== undefined && !isJson(type)) {
        return yield* new UnsupportedMediaTypeError({ message: `the body must be application/json, got ${JSON.stringify(type.slice(0, 100))}` })
      }
      if (Number(request.headers["content-length"] ?? "0") > options.maxBodyBytes) return yield* tooLarge(options)
      yield* request.arrayBuffer.pipe(
        Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(options.maxBodyBytes)),
        Effect.catchTag("HttpServerError", (e): Effect.Effect<never, PayloadTooLargeError | ValidationError> =>
          e.reason._tag === "RequestParseError" && e.reason.reason === "BodyTooLarge"
            ? Effect.fail(tooLarge(options))
            : Effect.fail(new ValidationError({ field: "body", message: "the request body could not be read" })))
      )
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

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

/** `a.b[2].c` from `["a", "b", 2, "c"]`. */
const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>((out, p) => (typeof p === "number" ? `${out}[${p}]` : out === "" ? String(p) : `${out}.${String(p)}`), "")

/** Made only when a body is refused: an error costs a stack trace and a validation. */
const tooLarge = (options: Resolved) =>
  new PayloadTooLargeError({ limitBytes: options.maxBodyBytes, message: `the request body is larger than ${options.maxBodyBytes} bytes` })

const isJson = (contentType: string): boolean => contentType.split(";")[0]!.trim().toLowerCase() === "application/json"
