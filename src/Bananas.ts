/**
 * One-line set-ups: the whole client (TaskApi over the queue services) on
 * Redis or in memory, or the TaskApi over HTTP. A program written against
 * the `Tasks` helpers runs unchanged on any of them; only the provided
 * layer differs.
 *
 * @since 0.1.0
 */

import type * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { ValidationError } from "./domain/Errors.ts"
import * as DirectTaskApi from "./layers/DirectTaskApi.ts"
import type * as HttpTaskApi from "./http/HttpTaskApi.ts"
import type { Options as HttpOptions } from "./http/HttpTaskApi.ts"
import * as BananasMemory from "./layers/memory/BananasMemory.ts"
import * as BananasRedis from "./layers/redis/BananasRedis.ts"
import type { Schedules } from "./services/Schedules.ts"
import type { TaskApi } from "./services/TaskApi.ts"

/**
 * Options of `layerHttp` (the gateway's URL, the API key, timeouts, ...).
 *
 * @category models
 * @since 0.2.0
 */
export type { Options as HttpOptions } from "./http/HttpTaskApi.ts"

/**
 * Options of `layerRedis`: where Redis is (`url`, `cluster` or
 * `sentinel`, driver options), the key prefix, TTLs, job events, tunables.
 *
 * @category models
 * @since 0.2.0
 */
export type RedisOptions = BananasRedis.Options

/**
 * Options of `layerMemory` (TTLs, job events, as on Redis).
 *
 * @category models
 * @since 0.2.0
 */
export type MemoryOptions = BananasMemory.Options

/**
 * How building the Redis layer can fail: Redis unreachable, a command
 * refused at start, or options that cannot work (a malformed URL, a prefix
 * without a hash tag on a cluster).
 *
 * @category models
 * @since 0.2.0
 */
export type RedisLayerError = BananasRedis.LayerError

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
  options?: RedisOptions
): Layer.Layer<TaskApi | BananasRedis.Services, RedisLayerError> =>
  DirectTaskApi.layer.pipe(Layer.provideMerge(BananasRedis.layer(options)))

/**
 * `layerRedis` with its options read from `Config` (by default the
 * environment: `REDIS_URL` or `BANANAS_REDIS_CLUSTER` or
 * `BANANAS_REDIS_SENTINELS`, `BANANAS_PREFIX`, the result TTLs, ...; see
 * the README's table).
 *
 * @category layers
 * @since 0.2.0
 */
export const layerRedisConfig = (
  options: Config.Wrap<RedisOptions> = BananasRedis.config
): Layer.Layer<TaskApi | BananasRedis.Services, RedisLayerError | Config.ConfigError> =>
  DirectTaskApi.layer.pipe(Layer.provideMerge(BananasRedis.layerConfig(options)))

/**
 * The same in memory: for tests and demos (deterministic under TestClock).
 * A duration option it cannot take fails the build with a
 * `ValidationError` naming it.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerMemory = (options?: MemoryOptions): Layer.Layer<TaskApi | BananasMemory.Services, ValidationError> =>
  DirectTaskApi.layer.pipe(Layer.provideMerge(BananasMemory.layer(options)))

/**
 * TaskApi and Schedules over HTTP, through a Bananas gateway (`fetch`,
 * keep-alive pooling; no platform package): the same program, the same
 * typed errors (`Schedules.fireDue` excepted: slots are fired next to the
 * storage).
 * A bad `requestTimeout` or `maxPoll` fails the build with a
 * `ValidationError` naming it. The HTTP client is loaded when the layer is built, so programs that
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
export const layerHttp = (options: HttpOptions): Layer.Layer<TaskApi | Schedules, ValidationError> =>
  Layer.unwrap(Effect.map(loadHttp, (http) => http.layerFetch(options)))

// Internal

/**
 * The HTTP client and its contract, loaded on first use: a program that
 * talks to Redis does not carry them (about 12 MB of a process's memory).
 */
const loadHttp: Effect.Effect<typeof HttpTaskApi> = Effect.promise(() => import("./http/HttpTaskApi.ts"))
