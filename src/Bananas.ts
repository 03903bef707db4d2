/**
 * One-line set-ups: the whole client (TaskApi over the queue services) on
 * Redis or in memory, or the TaskApi over HTTP. A program written against
 * the `Tasks` helpers runs unchanged on any of them; only the provided
 * layer differs.
 *
 * @since 0.1.0
 */

import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as DirectTaskApi from "./layers/DirectTaskApi.ts"
import type * as HttpTaskApi from "./http/HttpTaskApi.ts"
import type { Options as HttpOptions } from "./http/HttpTaskApi.ts"
import * as BananasMemory from "./layers/memory/BananasMemory.ts"
import * as BananasRedis from "./layers/redis/BananasRedis.ts"
import type { TaskApi } from "./services/TaskApi.ts"

/**
 * Options of `layerHttp` (the gateway's URL, the API key, timeouts, ...).
 *
 * @category models
 * @since 0.2.0
 */
export type { Options as HttpOptions } from "./http/HttpTaskApi.ts"

/**
 * TaskApi, JobQueue, QueueAdmin and ResultBackend on Redis (one command
 * connection, plus one shared pub/sub connection on the first wait).
 *
 * @example
 * ```ts
 * const program = Tasks.submit("send_email", { to: "a@b.c" }, { priority: "high" })
 * Effect.runPromise(program.pipe(Effect.provide(Bananas.layerRedis({ url: "redis://localhost:6379" }))))
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layerRedis = (
  options?: BananasRedis.Options
): Layer.Layer<TaskApi | BananasRedis.Services, BananasRedis.LayerError> =>
  DirectTaskApi.layer.pipe(Layer.provideMerge(BananasRedis.layer(options)))

/**
 * The same in memory: for tests and demos (deterministic under TestClock).
 *
 * @category layers
 * @since 0.1.0
 */
export const layerMemory = (options?: BananasMemory.Options): Layer.Layer<TaskApi | BananasMemory.Services> =>
  DirectTaskApi.layer.pipe(Layer.provideMerge(BananasMemory.layer(options)))

/**
 * TaskApi over HTTP, through a Bananas gateway (`fetch`, keep-alive
 * pooling; no platform package): the same program, the same typed errors.
 * The HTTP client is loaded when the layer is built, so programs that
 * never use it do not carry it.
 *
 * @example
 * ```ts
 * const program = Tasks.submit("send_email", { to: "a@b.c" })
 * Effect.runPromise(program.pipe(Effect.provide(Bananas.layerHttp({ url: "http://localhost:8080", apiKey: "s3cr3t" }))))
 * ```
 *
 * @category layers
 * @since 0.2.0
 */
export const layerHttp = (options: HttpOptions): Layer.Layer<TaskApi> =>
  Layer.unwrap(Effect.map(loadHttp, (http) => http.layerFetch(options)))

// Internal

/**
 * The HTTP client and its contract, loaded on first use: a program that
 * talks to Redis does not carry them (about 12 MB of a process's memory).
 */
const loadHttp: Effect.Effect<typeof HttpTaskApi> = Effect.promise(() => import("./http/HttpTaskApi.ts"))
