/**
 * The `TaskApi` over HTTP: the same operations, the same typed errors and
 * the same guarantees as the direct TaskApi on Redis, through a Bananas
 * gateway. URLs and error decoding come from the contract (`http/Api`:
 * `HttpApiClient.urlBuilder` and `decodeResponse`), bodies are exact JSON
 * (`http/Bodies`), so a 20-digit integer in a payload or a result arrives
 * byte for byte.
 *
 * The `Tasks` helpers run unchanged on it, with their retry and timeout
 * policies: a 429 (after its `Retry-After`), 502/503/504 and connection
 * failures are retryable, nothing else. A submission is safe to retry: its
 * id and `submittedAt` are fixed before the first attempt, so a resend
 * after a lost answer is recognized as the same job. Waits longer than the
 * gateway's longest long-poll are split into several.
 *
 * The layers also provide `Schedules` over the gateway's `/v1/schedules`
 * (every operation but `fireDue`, which runs next to the storage: an
 * `ApiError` here), with the errors the direct service gives
 * (`ScheduleNotFoundError`, `ValidationError` naming the field).
 *
 * Needs only an `HttpClient` (`layerFetch` uses the platform's `fetch`,
 * with its keep-alive connection pool): no `@effect/platform-node`.
 *
 * @example
 * ```ts
 * const live = HttpTaskApi.layerFetch({ url: "http://localhost:8080", apiKey: "s3cr3t" })
 * const { id } = yield* Tasks.submit("send_email", { to: "a@b.c" })  // provided with `live`
 * ```
 *
 * @since 0.2.0
 */

import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { FetchHttpClient, HttpClient, HttpClientRequest } from "effect/http"
import { HttpApiClient } from "effect/http-api"
import * as DurationInput from "../domain/DurationInput.ts"
import { ApiError, ConnectionError, SerializationError, timedOut, ValidationError } from "../domain/Errors.ts"
import type { ListFilter, PageRequest } from "../domain/JobPage.ts"
import type { JobResult } from "../domain/JobResult.ts"
import * as RawJson from "../domain/RawJson.ts"
import type { SubmitRequest } from "../domain/Submission.ts"
import * as Schedule from "../domain/Schedule.ts"
import type { ScheduleInput } from "../domain/Schedule.ts"
import { Schedules } from "../services/Schedules.ts"
import { Api, ScheduleBody } from "./Api.ts"
import * as Bodies from "./Bodies.ts"
import { PausedJson, PurgedJson, StatsJson } from "./Schemas.ts"
import * as QueueRef from "../domain/QueueRef.ts"
import { type ReadError, TaskApi } from "../services/TaskApi.ts"
import { completedOrFail } from "../layers/DirectTaskApi.ts"
import { type AnswerError, type Endpoint, type NoResult, only, read, unreachable } from "./Responses.ts"

/**
 * Options of the HTTP TaskApi.
 *
 * @category models
 * @since 0.2.0
 */
export interface Options {
  /** The gateway's base URL, e.g. `http://localhost:8080`. */
  readonly url: string
  /** The API key, sent as `Authorization: Bearer <key>`. */
  readonly apiKey?: string | Redacted.Redacted<string> | undefined
  /** Deadline of one request beyond its wait (default 10 seconds): then a retryable `ConnectionError`. */
  readonly requestTimeout?: Duration.Input | undefined
  /** The longest one long-poll asks the gateway for (default 50 seconds, under its 60-second cap); longer waits poll again. */
  readonly maxPoll?: Duration.Input | undefined
}

/**
 * Builds the TaskApi on the `HttpClient` in context.
 *
 * @category constructors
 * @since 0.2.0
 */
export const make = Effect.fnUntraced(function*(options: Options) {
  const { call, maxPoll, urls } = yield* connect(options)

  const checkPayloads = (requests: ReadonlyArray<SubmitRequest>, prefixed: boolean) => {
    const bad = requests.findIndex((r) => typeof r.payload !== "string" || !RawJson.isValid(r.payload))
    return bad < 0
      ? Effect.void
      : Effect.fail(new ValidationError({ field: prefixed ? `entries[${bad}].payload` : "payload", message: "payload must be valid JSON text" }))
  }

  const noResultIsNone = <A, E>(effect: Effect.Effect<A, E | NoResult>) =>
    Effect.catchIf(effect, isNoResult, () => Effect.succeed(Option.none<JobResult>())) as Effect.Effect<A | Option.Option<JobResult>, Exclude<E, NoResult>>

  /** Long-polls until the final result, in polls of at most `maxPoll`, for `timeout` in all. */
  const waitForResult = (id: string, timeout: Duration.Duration): Effect.Effect<JobResult, ReadError> =>
    Effect.gen(function*() {
      const end = (yield* Clock.currentTimeMillis) + Duration.toMillis(timeout)
      for (;;) {
        const left = end - (yield* Clock.currentTimeMillis)
        if (left <= 0) return yield* timedOut("waitForResult", timeout, id)
        const wait = Duration.min(Duration.millis(Math.max(1, left)), maxPoll)
        const url = urls.jobs.result({ params: { id }, query: { wait } })
        // A poll that ends without the result (the gateway caps each one) is
        // followed by another until the whole timeout has passed.
        const outcome = yield* call("waitForResult", ["jobs", "result"], readTags, HttpClientRequest.get(url), Bodies.decodeResult, wait).pipe(
          Effect.map(Option.some),
          Effect.catchTag("TimeoutError", () => Effect.succeedNone)
        )
        if (Option.isSome(outcome)) return outcome.value
      }
    })

  const submitAndWait = (request: SubmitRequest, timeout: Duration.Duration) =>
    Effect.gen(function*() {
      yield* checkPayloads([request], false)
      const start = yield* Clock.currentTimeMillis
      const wait = Duration.min(timeout, maxPoll)
      const url = urls.jobs.call({ query: { wait } })
      const body = json(HttpClientRequest.post(url), Bodies.encodeSubmit(request))
      const first = yield* call("submitAndWait", ["jobs", "call"], [...submitTags, "JobFailedError"], body, Bodies.decodeResult, wait).pipe(
        Effect.map(Option.some),
        Effect.catchTag("TimeoutError", (e) => (request.id !== undefined ? Effect.succeedNone : Effect.fail(e)))
      )
      if (Option.isSome(first)) return yield* completedOrFail(first.value)
      // The job exists (its id fixed by the caller): wait for the rest of the time.
      const left = Duration.toMillis(timeout) - ((yield* Clock.currentTimeMillis) - start)
      if (left <= 0) return yield* timedOut("submitAndWait", timeout, request.id)
      return yield* completedOrFail(yield* waitForResult(request.id!, Duration.millis(left)))
    })

  /** Pause or resume: validated here first (nothing sent on bad input), then the gateway's answer. */
  const pausing = (operation: string, endpoint: "pause" | "resume", queue: QueueRef.QueueRef) =>
    Effect.flatMap(Effect.fromResult(QueueRef.validate(queue)), (valid) => {
      const options = { params: { priority: valid.priority }, query: valid.routingKey === undefined ? {} : { routingKey: valid.routingKey } }
      const url = endpoint === "pause" ? urls.queue.pause(options) : urls.queue.resume(options)
      return serializationAsApi(call(operation, ["queue", endpoint], ["ValidationError"], HttpClientRequest.post(url), decodeQueueRef))
    })

  return TaskApi.of({
    submit: (request) =>
      Effect.andThen(
        checkPayloads([request], false),
        call("submit", ["jobs", "submit"], submitTags, json(HttpClientRequest.post(urls.jobs.submit()), Bodies.encodeSubmit(request)), Bodies.decodeSubmitted)
      ),
    submitBatch: (requests) =>
      requests.length === 0 ? Effect.succeed([]) : Effect.andThen(
        checkPayloads(requests, true),
        call("submitBatch", ["jobs", "submitBatch"], submitTags, json(HttpClientRequest.post(urls.jobs.submitBatch()), Bodies.encodeBatch(requests)), Bodies.decodeSubmittedList)
      ),
    getJob: (id) => call("getJob", ["jobs", "get"], jobTags, HttpClientRequest.get(urls.jobs.get({ params: { id } })), Bodies.decodeJob),
    getResult: (id) =>
      noResultIsNone(call("getResult", ["jobs", "result"], [...readTags, "ResultNotFoundError"], HttpClientRequest.get(urls.jobs.result({ params: { id }, query: {} })), (text) =>
        Result.map(Bodies.decodeResult(text), Option.some))),
    waitForResult,
    submitAndWait,
    cancel: (id) => call("cancel", ["jobs", "cancel"], changeTags, HttpClientRequest.delete(urls.jobs.cancel({ params: { id } })), Bodies.decodeJob),
    stats: serializationAsApi(call("stats", ["queue", "stats"], [], HttpClientRequest.get(urls.queue.stats()), decodeStats)),
    list: (filter: ListFilter) =>
      serializationAsApi(call("list", ["jobs", "list"], ["ValidationError"], HttpClientRequest.get(urls.jobs.list({ query: filter })), Bodies.decodePage)),
    deadLetters: (page: PageRequest) =>
      serializationAsApi(call("deadLetters", ["queue", "deadLetters"], ["ValidationError"], HttpClientRequest.get(urls.queue.deadLetters({ query: page })), Bodies.decodePage)),
    requeueDead: (id) => call("requeueDead", ["queue", "requeue"], changeTags, HttpClientRequest.post(urls.queue.requeue({ params: { id } })), Bodies.decodeJob),
    purgeDead: serializationAsApi(call("purgeDead", ["queue", "purgeDead"], [], HttpClientRequest.delete(urls.queue.purgeDead()), decodePurged)),
    pauseQueue: (queue) => pausing("pauseQueue", "pause", queue),
    resumeQueue: (queue) => pausing("resumeQueue", "resume", queue),
    pausedQueues: serializationAsApi(call("pausedQueues", ["queue", "paused"], [], HttpClientRequest.get(urls.queue.paused()), decodePaused))
  })
})

/**
 * Builds `Schedules` on the `HttpClient` in context: every operation
 * through the gateway's `/v1/schedules`, except `fireDue` (an `ApiError`:
 * slots are fired next to the storage, by a worker or `bananas scheduler`).
 *
 * @category constructors
 * @since 0.2.0
 */
export const makeSchedules = Effect.fnUntraced(function*(options: Options) {
  const { call, urls } = yield* connect(options)
  const view = decodeWith(Schedule.View, "schedule")
  const scheduleTags = ["ScheduleNotFoundError", "SerializationError"] as const
  const onView = (operation: string, endpoint: "get" | "pause" | "resume", request: HttpClientRequest.HttpClientRequest) =>
    call(operation, ["schedules", endpoint], scheduleTags, request, view)
  return Schedules.of({
    upsert: (input) =>
      Effect.gen(function*() {
        const { id, ...body } = input
        const text = yield* Effect.fromResult(encodeScheduleBody(body))
        return yield* call("upsertSchedule", ["schedules", "upsert"], ["ValidationError", "SerializationError"], json(HttpClientRequest.put(urls.schedules.upsert({ params: { id } })), text), view)
      }),
    get: (id) => onView("getSchedule", "get", HttpClientRequest.get(urls.schedules.get({ params: { id } }))),
    list: call("listSchedules", ["schedules", "list"], ["SerializationError"], HttpClientRequest.get(urls.schedules.list()), (text) =>
      Result.map(decodeViews(text), (body) => body.schedules)),
    remove: (id) =>
      call("removeSchedule", ["schedules", "remove"], scheduleTags, HttpClientRequest.delete(urls.schedules.remove({ params: { id } })), () => Result.succeed(undefined)),
    pause: (id) => onView("pauseSchedule", "pause", HttpClientRequest.post(urls.schedules.pause({ params: { id } }))),
    resume: (id) => onView("resumeSchedule", "resume", HttpClientRequest.post(urls.schedules.resume({ params: { id } }))),
    runNow: (id) => call("runSchedule", ["schedules", "run"], scheduleTags, HttpClientRequest.post(urls.schedules.run({ params: { id } })), Bodies.decodeJob),
    preview: (id, count) =>
      call("previewSchedule", ["schedules", "next"], [...scheduleTags, "ValidationError"], HttpClientRequest.get(urls.schedules.next({ params: { id }, query: { count } })), (text) =>
        Result.map(decodeSlots(text), (body) => body.slots)),
    fireDue: Effect.fail(new ApiError({
      status: 0,
      message: "fireDue is not served over HTTP: slots are fired next to the storage (bananas worker, bananas scheduler, or CronScheduler on a Redis layer)"
    }))
  })
})

/**
 * The HTTP TaskApi and Schedules on the `HttpClient` in context.
 *
 * @category layers
 * @since 0.2.0
 */
export const layer = (options: Options): Layer.Layer<TaskApi | Schedules, ValidationError, HttpClient.HttpClient> =>
  Layer.merge(Layer.effect(TaskApi, make(options)), Layer.effect(Schedules, makeSchedules(options)))

/**
 * The HTTP TaskApi and Schedules on the platform's `fetch` (keep-alive
 * pooling by its global dispatcher).
 *
 * @category layers
 * @since 0.2.0
 */
export const layerFetch = (options: Options): Layer.Layer<TaskApi | Schedules, ValidationError> => layer(options).pipe(Layer.provide(FetchHttpClient.layer))

// Internal

/**
 * One connection to a gateway: its requests (the key, the deadline), its
 * answers read back into the contract's typed errors.
 */
const connect = Effect.fnUntraced(function*(options: Options) {
  const base = options.url.replace(/\/+$/, "")
  const key = options.apiKey === undefined ? undefined : Redacted.isRedacted(options.apiKey) ? options.apiKey : Redacted.make(options.apiKey)
  const { maxPoll, requestTimeout } = yield* Effect.fromResult(Result.all({
    requestTimeout: DurationInput.decode("requestTimeout", options.requestTimeout, "positive", "10 seconds"),
    maxPoll: DurationInput.decode("maxPoll", options.maxPoll, "positive", "50 seconds")
  }))
  const client = yield* HttpClient.HttpClient

  /** Sends one request (its deadline `wait` + `requestTimeout`) and reads the answer. */
  const call = <A, T extends AnswerError["_tag"] | NoResult["_tag"]>(
    operation: string,
    endpoint: Endpoint,
    tags: ReadonlyArray<T>,
    request: HttpClientRequest.HttpClientRequest,
    decode: (text: string) => Result.Result<A, SerializationError>,
    wait: Duration.Duration = Duration.zero
  ) => {
    const deadline = Duration.sum(wait, requestTimeout)
    const withHeaders = HttpClientRequest.acceptJson(key === undefined ? request : HttpClientRequest.bearerToken(request, key))
    return client.execute(HttpClientRequest.prependUrl(withHeaders, base)).pipe(
      Effect.mapError(unreachable(operation, base)),
      Effect.flatMap((response) => read(endpoint, response, decode)),
      Effect.mapError(only(tags)),
      Effect.timeoutOrElse({
        duration: deadline,
        orElse: () => Effect.fail(new ConnectionError({ operation, message: `the Bananas gateway at ${base} did not answer within ${Duration.format(deadline)}` }))
      })
    )
  }
  return { call, maxPoll, urls: HttpApiClient.urlBuilder(Api) }
})

const json = (request: HttpClientRequest.HttpClientRequest, body: string) => HttpClientRequest.bodyText(request, body, "application/json")

const isNoResult = (e: unknown): e is NoResult => (e as { readonly _tag?: unknown })._tag === "ResultNotFoundError"

const readTags = ["SerializationError"] as const
const jobTags = ["JobNotFoundError", "JobFailedError", "SerializationError"] as const
const changeTags = ["JobNotFoundError", "JobConflictError", "SerializationError"] as const
const submitTags = ["ValidationError", "SerializationError", "JobConflictError"] as const

/** A body that does not decode, for operations whose errors have no `SerializationError`: the gateway answered nonsense. */
const serializationAsApi = <A, E>(effect: Effect.Effect<A, E | SerializationError>): Effect.Effect<A, Exclude<E, SerializationError> | ApiError> =>
  Effect.mapError(effect, (e) =>
    e instanceof SerializationError ? new ApiError({ status: 200, message: e.message }) : (e as Exclude<E, SerializationError>))

const decodeStatsJson = Schema.decodeUnknownResult(Schema.fromJsonString(StatsJson))

/** A JSON body through `schema`; a `SerializationError` naming `what` when it does not decode. */
const decodeWith = <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S, what: string) => {
  const decode = Schema.decodeUnknownResult(Schema.fromJsonString(schema))
  return (text: string): Result.Result<S["Type"], SerializationError> =>
    Result.mapError(decode(text), (e) => new SerializationError({ message: `the gateway's ${what} does not decode: ${e.message}` }))
}

const decodeViews = decodeWith(Schema.Struct({ schedules: Schema.Array(Schedule.View) }), "schedule list")

const decodeSlots = decodeWith(Schema.Struct({ slots: Schema.Array(Schema.Number) }), "slots")

const encodeScheduleBodyJson = Schema.encodeUnknownResult(Schema.fromJsonString(ScheduleBody))

/** The body of `PUT /v1/schedules/:id`; a `ValidationError` for input the contract cannot carry. */
const encodeScheduleBody = (body: Omit<ScheduleInput, "id">) =>
  Result.mapError(encodeScheduleBodyJson(body), (e) => new ValidationError({ field: "schedule", message: `the schedule cannot be sent: ${e.message}` }))

const decodePurgedJson = Schema.decodeUnknownResult(Schema.fromJsonString(PurgedJson))

const decodePurged = (text: string) =>
  Result.mapBoth(decodePurgedJson(text), {
    onFailure: (e) => new SerializationError({ message: `the gateway's purge answer does not decode: ${e.message}` }),
    onSuccess: (body) => body.purged
  })

const decodeQueueRefJson = Schema.decodeUnknownResult(Schema.fromJsonString(QueueRef.QueueRef))

const decodeQueueRef = (text: string) =>
  Result.mapError(decodeQueueRefJson(text), (e) => new SerializationError({ message: `the gateway's queue answer does not decode: ${e.message}` }))

const decodePausedJson = Schema.decodeUnknownResult(Schema.fromJsonString(PausedJson))

const decodePaused = (text: string) =>
  Result.mapBoth(decodePausedJson(text), {
    onFailure: (e) => new SerializationError({ message: `the gateway's paused queues do not decode: ${e.message}` }),
    onSuccess: (body) => body.paused
  })

const decodeStats = (text: string) =>
  Result.mapError(decodeStatsJson(text), (e) => new SerializationError({ message: `the gateway's stats do not decode: ${e.message}` }))
