/**
 * The public entry of the Redis backend: one layer giving `Queue`,
 * `ResultBackend` and the `RedisConnection`, wire-compatible with the Go
 * reference (PROTOCOL.md).
 *
 * A client opens one command connection (auto-pipelined) when the layer is
 * built, and one pub/sub connection on its first wait (result wait or idle
 * dequeue), shared by every concurrent wait. Both close with the layer.
 *
 * @example
 * ```ts
 * const live = BananasRedis.layer({ url: "redis://localhost:6379" })
 * const program = Effect.gen(function*() {
 *   const queue = yield* Queue
 *   return yield* queue.stats
 * }).pipe(Effect.provide(live))
 * ```
 *
 * @stability unstable
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type { ConnectionError } from "../../domain/Errors.ts"
import * as Keys from "../../domain/Keys.ts"
import type { Queue } from "../../services/Queue.ts"
import type { ResultBackend } from "../../services/ResultBackend.ts"
import * as RedisConnection from "./RedisConnection.ts"
import * as RedisQueue from "./RedisQueue.ts"
import * as RedisResultBackend from "./RedisResultBackend.ts"
import type * as Settings from "./Settings.ts"
import * as Subscriber from "./Subscriber.ts"

/**
 * Options of the Redis backend: where Redis is (`url` and/or ioredis
 * options), the key prefix, result TTLs, and tunables.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options extends RedisConnection.ConnectionOptions, Settings.SettingsOptions {}

/**
 * `Queue`, `ResultBackend` and `RedisConnection` on one Redis client. Fails
 * with a `ConnectionError` when Redis cannot be reached.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (
  options: Options = {}
): Layer.Layer<Queue | ResultBackend | RedisConnection.RedisConnection, ConnectionError> =>
  Layer.mergeAll(RedisQueue.layer(options), RedisResultBackend.layer(options)).pipe(
    Layer.provide(Subscriber.layer),
    Layer.provideMerge(RedisConnection.layer(options))
  )

/**
 * The options read from the environment: `REDIS_URL` (default
 * `redis://localhost:6379`), `BANANAS_PREFIX` (default `bananas:`),
 * `BANANAS_RESULT_SUCCESS_TTL` / `BANANAS_RESULT_FAILURE_TTL` (durations,
 * default 1 hour / 24 hours) and `BANANAS_CONNECTION_NAME` (optional).
 *
 * @category config
 * @since 0.1.0
 */
export const config: Config.Config<Options> = Config.all({
  url: Config.String("REDIS_URL").pipe(Config.withDefault("redis://localhost:6379")),
  prefix: Config.String("BANANAS_PREFIX").pipe(Config.withDefault(Keys.defaultPrefix)),
  successTtl: Config.Duration("BANANAS_RESULT_SUCCESS_TTL").pipe(Config.withDefault(Duration.hours(1))),
  failureTtl: Config.Duration("BANANAS_RESULT_FAILURE_TTL").pipe(Config.withDefault(Duration.hours(24))),
  connectionName: Config.String("BANANAS_CONNECTION_NAME").pipe(Config.option, Config.map(Option.getOrUndefined))
})

/**
 * `layer` with options from `Config` (by default `config`: `REDIS_URL`, ...).
 *
 * @category layers
 * @since 0.1.0
 */
export const layerConfig = (
  options: Config.Wrap<Options> = config
): Layer.Layer<Queue | ResultBackend | RedisConnection.RedisConnection, ConnectionError | Config.ConfigError> =>
  Layer.unwrap(Effect.map(Config.unwrap(options), layer))
