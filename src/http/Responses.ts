/**
 * How the HTTP TaskApi reads the gateway's answers: a success body through
 * our exact-JSON codecs, anything else back into the tagged error the
 * Redis layer would have given (decoded by the contract's own error
 * schemas, `HttpApiClient.decodeResponse`), and what the contract does not
 * describe — a proxy's 502, an unreachable gateway — into `ApiError` or
 * `ConnectionError`.
 *
 * @stability internal
 * @since 0.2.0
 */

import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import type { HttpClientResponse } from "effect/http"
import { HttpClientError } from "effect/http"
import { HttpApiClient } from "effect/http-api"
import {
  ApiError,
  type AuthenticationError,
  ConnectionError,
  type JobConflictError,
  type JobFailedError,
  type JobNotFoundError,
  type RateLimitError,
  type ScheduleNotFoundError,
  type SerializationError,
  type StorageError,
  type TimeoutError,
  type ValidationError
} from "../domain/Errors.ts"
import { Api } from "./Api.ts"

/**
 * Every error an answer of the gateway can become.
 *
 * @category errors
 * @since 0.2.0
 */
export type AnswerError =
  | ValidationError
  | AuthenticationError
  | JobNotFoundError
  | JobConflictError
  | JobFailedError
  | ScheduleNotFoundError
  | RateLimitError
  | SerializationError
  | ConnectionError
  | StorageError
  | TimeoutError
  | ApiError

/**
 * What any call can fail with over HTTP (see `TaskApi.TransportError`).
 *
 * @category errors
 * @since 0.2.0
 */
export type Transport = ConnectionError | StorageError | TimeoutError | AuthenticationError | RateLimitError | ApiError

/**
 * Keeps the transport errors and the tags an operation can fail with; any
 * other (a gateway that answers what this operation never does) becomes an
 * `ApiError`.
 *
 * @category errors
 * @since 0.2.0
 */
export const only = <T extends AnswerError["_tag"] | NoResult["_tag"]>(tags: ReadonlyArray<T>) =>
(error: AnswerError | NoResult): Extract<AnswerError | NoResult, { readonly _tag: T }> | Transport => {
  const tag = error._tag
  if (transportTags.has(tag) || (tags as ReadonlyArray<string>).includes(tag)) return error as Extract<AnswerError | NoResult, { readonly _tag: T }>
  const message = "message" in error ? error.message : "no result"
  return new ApiError({ status: 0, message: `the gateway answered ${tag}, which this operation never fails with: ${message}` })
}

/**
 * The endpoints, as `group.endpoint`.
 *
 * @category models
 * @since 0.2.0
 */
export type Endpoint =
  | readonly ["jobs", "submit" | "submitBatch" | "call" | "list" | "get" | "result" | "cancel"]
  | readonly ["queue", "stats" | "deadLetters" | "requeue" | "purgeDead" | "deliveries" | "pause" | "resume" | "paused"]
  | readonly ["schedules", "upsert" | "list" | "get" | "remove" | "pause" | "resume" | "run" | "next"]

/**
 * Reads an answer: a 2xx body through `decode`, any other status as the
 * error it carries. A `ResultNotFoundError` is handed to `onNoResult`.
 *
 * @category decoding
 * @since 0.2.0
 */
export const read = <A>(
  endpoint: Endpoint,
  response: HttpClientResponse.HttpClientResponse,
  decode: (text: string) => Result.Result<A, SerializationError>
): Effect.Effect<A, AnswerError | NoResult> =>
  response.status >= 200 && response.status < 300
    ? Effect.flatMap(readText(response), (text) => Effect.fromResult(decode(text)))
    : failure(endpoint, response)

/**
 * The gateway said the job has no result (`ResultNotFoundError`, 404).
 *
 * @category models
 * @since 0.2.0
 */
export interface NoResult {
  readonly _tag: "ResultNotFoundError"
}

/**
 * A transport failure (no answer) as a `ConnectionError` naming the
 * gateway: `not-written` when no connection could be opened (refused, or
 * the host not found), so the request was never sent; else `unknown`.
 *
 * @category errors
 * @since 0.2.0
 */
export const unreachable = (operation: string, url: string) => (error: HttpClientError.HttpClientError): ConnectionError =>
  new ConnectionError({
    operation,
    message: `cannot reach the Bananas gateway at ${url}: ${error.reason.description ?? error.reason._tag}`,
    cause: error,
    outcome: neverConnected(error) ? "not-written" : "unknown"
  })

/** True when a cause in the chain says no connection was opened. */
const neverConnected = (error: unknown): boolean => {
  let cause: unknown = error
  for (let depth = 0; depth < 8 && typeof cause === "object" && cause !== null; depth++) {
    const code = (cause as { readonly code?: unknown }).code
    if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN") return true
    cause = (cause as { readonly reason?: unknown; readonly cause?: unknown }).reason ?? (cause as { readonly cause?: unknown }).cause
  }
  return false
}

// Internal

const readText = (response: HttpClientResponse.HttpClientResponse) =>
  Effect.mapError(response.text, (cause) => new ConnectionError({ operation: "read", message: "the gateway's answer was cut off", cause }))

type Decoder = (response: HttpClientResponse.HttpClientResponse) => Effect.Effect<unknown, unknown>

/** The contract's decoder of each endpoint's answers (its declared statuses, errors included). */
const decoders: Readonly<Record<`${Endpoint[0]}.${Endpoint[1]}`, Decoder>> = {
  "jobs.submit": HttpApiClient.decodeResponse(Api, { group: "jobs", endpoint: "submit" }),
  "jobs.submitBatch": HttpApiClient.decodeResponse(Api, { group: "jobs", endpoint: "submitBatch" }),
  "jobs.call": HttpApiClient.decodeResponse(Api, { group: "jobs", endpoint: "call" }),
  "jobs.list": HttpApiClient.decodeResponse(Api, { group: "jobs", endpoint: "list" }),
  "jobs.get": HttpApiClient.decodeResponse(Api, { group: "jobs", endpoint: "get" }),
  "jobs.result": HttpApiClient.decodeResponse(Api, { group: "jobs", endpoint: "result" }),
  "jobs.cancel": HttpApiClient.decodeResponse(Api, { group: "jobs", endpoint: "cancel" }),
  "queue.stats": HttpApiClient.decodeResponse(Api, { group: "queue", endpoint: "stats" }),
  "queue.deadLetters": HttpApiClient.decodeResponse(Api, { group: "queue", endpoint: "deadLetters" }),
  "queue.requeue": HttpApiClient.decodeResponse(Api, { group: "queue", endpoint: "requeue" }),
  "queue.purgeDead": HttpApiClient.decodeResponse(Api, { group: "queue", endpoint: "purgeDead" }),
  "queue.deliveries": HttpApiClient.decodeResponse(Api, { group: "queue", endpoint: "deliveries" }),
  "schedules.upsert": HttpApiClient.decodeResponse(Api, { group: "schedules", endpoint: "upsert" }),
  "schedules.list": HttpApiClient.decodeResponse(Api, { group: "schedules", endpoint: "list" }),
  "schedules.get": HttpApiClient.decodeResponse(Api, { group: "schedules", endpoint: "get" }),
  "schedules.remove": HttpApiClient.decodeResponse(Api, { group: "schedules", endpoint: "remove" }),
  "schedules.pause": HttpApiClient.decodeResponse(Api, { group: "schedules", endpoint: "pause" }),
  "schedules.resume": HttpApiClient.decodeResponse(Api, { group: "schedules", endpoint: "resume" }),
  "schedules.run": HttpApiClient.decodeResponse(Api, { group: "schedules", endpoint: "run" }),
  "schedules.next": HttpApiClient.decodeResponse(Api, { group: "schedules", endpoint: "next" }),
  "queue.pause": HttpApiClient.decodeResponse(Api, { group: "queue", endpoint: "pause" }),
  "queue.resume": HttpApiClient.decodeResponse(Api, { group: "queue", endpoint: "resume" }),
  "queue.paused": HttpApiClient.decodeResponse(Api, { group: "queue", endpoint: "paused" })
} as Readonly<Record<string, Decoder>>

const decoderOf = (endpoint: Endpoint): Decoder => decoders[`${endpoint[0]}.${endpoint[1]}` as const]

const failure = (endpoint: Endpoint, response: HttpClientResponse.HttpClientResponse): Effect.Effect<never, AnswerError | NoResult> =>
  decoderOf(endpoint)(response).pipe(
    Effect.matchEffect({
      onSuccess: () => Effect.fail(new ApiError({ status: response.status, message: `unexpected answer ${response.status}` })),
      onFailure: (error) => Effect.fail(toError(error, response.status))
    })
  )

const transportTags = new Set(["ConnectionError", "StorageError", "TimeoutError", "AuthenticationError", "RateLimitError", "ApiError"])

const domainTags = new Set([
  "ValidationError",
  "AuthenticationError",
  "JobNotFoundError",
  "JobConflictError",
  "JobFailedError",
  "ScheduleNotFoundError",
  "RateLimitError",
  "SerializationError",
  "ConnectionError",
  "StorageError",
  "TimeoutError"
])

const toError = (error: unknown, status: number): AnswerError | NoResult => {
  const tag = typeof error === "object" && error !== null && "_tag" in error ? String((error as { _tag: unknown })._tag) : ""
  if (domainTags.has(tag)) return error as AnswerError
  if (tag === "ResultNotFoundError") return { _tag: "ResultNotFoundError" }
  const message = typeof error === "object" && error !== null && "message" in error ? String((error as { message: unknown }).message) : ""
  if (HttpClientError.isHttpClientError(error)) {
    return new ApiError({ status, message: `the gateway answered ${status} without a Bananas error (${error.reason._tag})` })
  }
  return new ApiError({ status, message: message === "" ? `the gateway answered ${status}` : message })
}
