/**
 * The public entry of the Redis backend: one layer giving `JobQueue`,
 * `QueueAdmin`, `ResultBackend` and the `RedisPort`, wire-compatible with
 * the Go reference (docs/PROTOCOL.md).
 *
 * A client opens one command connection when the layer is
 * built, and one pub/sub connection on its first wait (result wait or idle
 * dequeue), shared by every concurrent wait. Both close with the layer.
 *
 * @example
 * ```ts
 * const live = BananasRedis.layer({ url: "redis://localhost:6379" })
 * const program = Effect.gen(function*() {
 *   const admin = yield* QueueAdmin
 *   return yield* admin.stats
 * }).pipe(Effect.provide(live))
 * ```
 *
 * @stability unstable
 * @since 0.1.0
 */

import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type { ConnectionError, StorageError, ValidationError } from "../../domain/Errors.ts"
import type { EventQueue, JobQueue } from "../../services/JobQueue.ts"
import type { QueueAdmin } from "../../services/QueueAdmin.ts"
import type { ResultBackend } from "../../services/ResultBackend.ts"
import * as StoreAdmin from "../StoreAdmin.ts"
import * as StoreSchedules from "../StoreSchedules.ts"
import type { Schedules } from "../../services/Schedules.ts"
import type { WorkerRegistry } from "../../services/WorkerRegistry.ts"
import * as StoreWorkers from "../StoreWorkers.ts"
import type { QueueLatency } from "../../services/QueueLatency.ts"
import * as StoreLatency from "../StoreLatency.ts"
import * as StoreQueue from "../StoreQueue.ts"
import * as IoRedis from "./IoRedis.ts"
import * as RedisJobStore from "./RedisJobStore.ts"
import { RedisPort } from "./RedisPort.ts"
import * as RedisResultBackend from "./RedisResultBackend.ts"
import * as ServerSettings from "./ServerSettings.ts"
import * as Settings from "./Settings.ts"
import * as Subscriber from "./Subscriber.ts"
import * as Topology from "./Topology.ts"

/**
 * The port this layer provides (`RedisPort.RedisPort`, and `RedisPort.run`
 * to call it as an Effect): the public face through which modules above the
 * layers (the gateway's rate limiter, delivery log, ready watcher and queue
 * gauges) reach Redis. They import nothing else of `layers/redis`
 * (`test/structure/floors.test.ts`).
 *
 * @category ports
 * @since 0.2.0
 */
export * as RedisPort from "./RedisPort.ts"

/**
 * How a failed connection is described (its driver error code, the advice
 * for it): what the CLI prints when Redis cannot be reached.
 *
 * @category errors
 * @since 0.2.0
 */
export * as ConnectFailure from "./ConnectFailure.ts"

/**
 * The typed topology options: a Redis Cluster (`cluster`), a Sentinel
 * master (`sentinel`), and their nodes.
 *
 * @category models
 * @since 0.2.0
 */
export type { ClusterOptions, HostPort, SentinelOptions } from "./Topology.ts"

/**
 * Options of the Redis backend: where Redis is (`url` and/or driver
 * options), the key prefix, TTLs, and tunables.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options extends IoRedis.ConnectionOptions, Settings.SettingsOptions, ServerSettings.PolicyOptions {
  /**
   * The name `prefix` is reported under when it cannot work (default
   * `prefix`; `BANANAS_PREFIX` when read from the environment by `layerConfig`).
   */
  readonly prefixField?: string | undefined
}

/**
 * What the Redis backend provides.
 *
 * @category models
 * @since 0.2.0
 */
export type Services = JobQueue | EventQueue | QueueAdmin | ResultBackend | Schedules | WorkerRegistry | QueueLatency | RedisPort

/**
 * How building the backend can fail: Redis unreachable, a command refused
 * at start, or options that cannot work (e.g. a malformed URL).
 *
 * @category models
 * @since 0.2.0
 */
export type LayerError = ConnectionError | StorageError | ValidationError

/**
 * The services on one Redis client. Fails with a `ConnectionError` when
 * Redis cannot be reached. On a Redis Cluster (`cluster`) the prefix
 * defaults to `{bananas}:`, and a prefix without a hash tag fails with a
 * `ValidationError` naming `prefix`. On connect it reads
 * `maxmemory-policy`: not `noeviction` logs a warning, or with `strict`
 * fails with a `ValidationError` (`ServerSettings`).
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: Options = {}): Layer.Layer<Services, LayerError> =>
  Layer.unwrap(Effect.map(
    Effect.fromResult(Topology.prefixFor(options.prefix, options.cluster !== undefined, options.prefixField)),
    (prefix) => layerWithPrefix(options, prefix)
  ))

/** `layer` once the prefix is settled. */
const layerWithPrefix = (options: Options, prefix: string): Layer.Layer<Services, LayerError> =>
  Layer.unwrap(Effect.map(Effect.fromResult(Settings.make({ ...options, prefix })), (settings) => layerWithSettings(options, settings)))

/** `layer` once the options are resolved. */
const layerWithSettings = (options: Options, settings: Settings.Settings): Layer.Layer<Services, LayerError> => {
  const store = RedisJobStore.layer(settings)
  // Fresh: the shared layers are constants, and a memoized one would be
  // the instance of another backend built earlier in the same program (a
  // nested `Effect.provide` reuses the outer build's memo map).
  return Layer.mergeAll(
    Layer.fresh(StoreQueue.layer),
    Layer.fresh(StoreQueue.layerEvents),
    Layer.fresh(StoreAdmin.layer),
    Layer.fresh(StoreSchedules.layer),
    Layer.fresh(StoreWorkers.layer),
    Layer.fresh(StoreLatency.layer),
    RedisResultBackend.layer(settings),
    Layer.effectDiscard(Effect.flatMap(RedisPort, (port) => ServerSettings.check(port, options)))
  ).pipe(
    Layer.provideMerge(store),
    Layer.provideMerge(Layer.fresh(Subscriber.layer)),
    Layer.provideMerge(IoRedis.layer(options))
  )
}

/** An optional variable, as `undefined` when unset. */
const optional = <A>(config: Config.Config<A>): Config.Config<A | undefined> =>
  config.pipe(Config.option, Config.map(Option.getOrUndefined))

/** A comma-separated list. */
const list = (text: string): ReadonlyArray<string> => text.split(",").map((s) => s.trim()).filter((s) => s !== "")

/**
 * The options read from the environment: `REDIS_URL` (default
 * `redis://127.0.0.1:6379`), or `BANANAS_REDIS_CLUSTER` (a Redis Cluster:
 * comma-separated `host:port` of some nodes), or `BANANAS_REDIS_SENTINELS`
 * (comma-separated `host:port` of the sentinels) with
 * `BANANAS_REDIS_SENTINEL_NAME` (the master's name, default `mymaster`);
 * `BANANAS_PREFIX` (default `bananas:`, `{bananas}:` on a cluster),
 * `BANANAS_RESULT_SUCCESS_TTL` / `BANANAS_RESULT_FAILURE_TTL` (durations,
 * default 1 hour / 24 hours), `BANANAS_CONNECTION_NAME` (optional) and
 * `BANANAS_REDIS_STRICT` (`true`: refuse a Redis that may evict keys). A
 * `REDIS_URL` that is not a `redis://` / `rediss://` URL fails the layer
 * with a `ValidationError` naming `REDIS_URL`, as does setting more than one
 * of `REDIS_URL`, `BANANAS_REDIS_CLUSTER` and `BANANAS_REDIS_SENTINELS`.
 * (Effect's config providers read an empty variable as unset, so
 * `REDIS_URL=` means the default address, unless the provider keeps empty
 * strings: then it is refused.)
 *
 * @category config
 * @since 0.1.0
 */
export const config: Config.Config<Options> = Config.all({
  url: optional(Config.String("REDIS_URL")),
  urlField: Config.succeed("REDIS_URL"),
  cluster: Config.map(optional(Config.String("BANANAS_REDIS_CLUSTER")), (nodes) => nodes === undefined ? undefined : { nodes: list(nodes) }),
  sentinel: Config.map(
    Config.all({
      sentinels: optional(Config.String("BANANAS_REDIS_SENTINELS")),
      name: Config.String("BANANAS_REDIS_SENTINEL_NAME").pipe(Config.withDefault("mymaster"))
    }),
    ({ name, sentinels }) => sentinels === undefined ? undefined : { sentinels: list(sentinels), name }
  ),
  prefix: optional(Config.String("BANANAS_PREFIX")),
  prefixField: Config.succeed("BANANAS_PREFIX"),
  successTtl: optional(Config.Duration("BANANAS_RESULT_SUCCESS_TTL")),
  failureTtl: optional(Config.Duration("BANANAS_RESULT_FAILURE_TTL")),
  connectionName: optional(Config.String("BANANAS_CONNECTION_NAME")),
  strict: Config.Boolean("BANANAS_REDIS_STRICT").pipe(Config.withDefault(false))
})

/**
 * `layer` with options from `Config` (by default `config`: `REDIS_URL`, ...).
 *
 * @category layers
 * @since 0.1.0
 */
export const layerConfig = (
  options: Config.Wrap<Options> = config
): Layer.Layer<Services, LayerError | Config.ConfigError> =>
  Layer.unwrap(Effect.map(Config.unwrap(options), layer))
