/**
 * The errors only the HTTP Task API can fail with (re-exported by
 * `Errors`): a refused API key, the gateway's rate limit, and a status no
 * other error describes. Like every SDK error, each says whether a retry
 * may help (`isRetryable`).
 *
 * @since 0.2.0
 */

import * as Schema from "effect/Schema"

/**
 * The HTTP gateway refused the request's credentials: no API key, or one it
 * does not know (HTTP 401). Not retryable: the key must be fixed.
 *
 * @category errors
 * @since 0.2.0
 */
export class AuthenticationError extends Schema.TaggedError<AuthenticationError>()("AuthenticationError", {
  /** What happened, for a person (never the key itself). */
  message: Schema.String
}) {
  /** Not retryable. */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * The HTTP gateway's rate limit for this API key was reached (HTTP 429).
 * Retryable once `retryAfterMillis` has passed (the `Retry-After` header);
 * the retry policies wait at least that long.
 *
 * @category errors
 * @since 0.2.0
 */
export class RateLimitError extends Schema.TaggedError<RateLimitError>()("RateLimitError", {
  /** How long to wait before trying again, in milliseconds. */
  retryAfterMillis: Schema.Number,
  /** What happened, for a person. */
  message: Schema.String
}) {
  /** Retryable, after `retryAfterMillis`. */
  get isRetryable(): boolean {
    return true
  }
}

/**
 * The HTTP gateway (or a proxy in front of it) answered with a status that
 * no other error describes: a 502/503/504 from a load balancer, a 413 body
 * too large, a 415 wrong content type, ... Retryable for 502, 503 and 504
 * only.
 *
 * @category errors
 * @since 0.2.0
 */
export class ApiError extends Schema.TaggedError<ApiError>()("ApiError", {
  /** The HTTP status. */
  status: Schema.Number,
  /** What happened, for a person. */
  message: Schema.String
}) {
  /** 502, 503 and 504 may heal; anything else needs the request or the server fixed. */
  get isRetryable(): boolean {
    return this.status === 502 || this.status === 503 || this.status === 504
  }
}

/**
 * How long a failure asks to be left alone before a retry (a
 * `RateLimitError`'s `Retry-After`), if it says.
 *
 * @category guards
 * @since 0.2.0
 */
export const retryAfterMillis = (error: unknown): number | undefined =>
  error instanceof RateLimitError && Number.isFinite(error.retryAfterMillis) ? Math.max(0, error.retryAfterMillis) : undefined
