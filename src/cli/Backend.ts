/**
 * Where the CLI's commands find the queue: the TaskApi for client commands
 * (over HTTP with `--api-url`, else on Redis) and the queue services for
 * the processes that run jobs (`worker`, `scheduler`, `reaper`, `serve`),
 * which always talk to Redis. Swappable: tests and the demo provide the
 * in-memory backend instead.
 *
 * @since 0.2.0
 */

import * as Context from "effect/Context"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as References from "effect/References"
import type * as Scope from "effect/Scope"
import type * as Bananas from "../Bananas.ts"
import type { ValidationError } from "../domain/Errors.ts"
import type * as BananasMemory from "../layers/memory/BananasMemory.ts"
import type { EventQueue, JobQueue } from "../services/JobQueue.ts"
import type { QueueAdmin } from "../services/QueueAdmin.ts"
import type { ResultBackend } from "../services/ResultBackend.ts"
import type { TaskApi } from "../services/TaskApi.ts"
import { type CliFailure, fromError, type Transport, usage } from "./Failures.ts"
import * as Logging from "./Logging.ts"
import { redisTarget, type Settings } from "./Settings.ts"

/**
 * The services of the processes that run jobs.
 *
 * @category models
 * @since 0.2.0
 */
export type QueueServices = TaskApi | JobQueue | EventQueue | QueueAdmin | ResultBackend

/**
 * How to reach the queue for given settings.
 *
 * @category services
 * @since 0.2.0
 */
export class Backend extends Context.Service<Backend, {
  /** The TaskApi of client commands, and which way it goes. */
  readonly client: (settings: Settings) => { readonly transport: Transport; readonly layer: Layer.Layer<TaskApi, unknown> }
  /** The queue services of job-running commands (never over HTTP); `events` writes job events (for webhooks). */
  readonly queue: (settings: Settings, options?: { readonly events?: boolean }) => Layer.Layer<QueueServices, unknown>
  /** Where the queue is, for log lines (`Redis at 127.0.0.1:6379`). */
  readonly describe: (settings: Settings) => string
}>()("@bananas/effect/cli/Backend") {}

/**
 * Redis (`--redis-url`, `--prefix`), and the HTTP gateway for client
 * commands when `--api-url` is given.
 *
 * @category layers
 * @since 0.2.0
 */
export const layerLive: Layer.Layer<Backend> = Layer.succeed(Backend, {
  client: (settings) => {
    if (Option.isNone(settings.apiUrl)) return { transport: "redis", layer: redisLayer(settings) }
    const http = { url: settings.apiUrl.value, apiKey: Option.getOrUndefined(settings.apiKey) }
    return { transport: "http", layer: Layer.unwrap(Effect.map(loadBananas, (b) => b.layerHttp(http))) }
  },
  queue: (settings, options) => redisLayer(settings, options?.events),
  describe: (settings) =>
    Option.isSome(settings.apiUrl) ? `the gateway at ${settings.apiUrl.value}` : `Redis at ${redisTarget(settings.redisUrl)} (prefix ${settings.prefix})`
})

/**
 * The queue services given (e.g. an in-memory queue a test also uses):
 * every command runs on them, and the flags that point at Redis or a
 * gateway are ignored.
 *
 * @category layers
 * @since 0.2.0
 */
export const layerServices = (services: Context.Context<QueueServices>): Layer.Layer<Backend> =>
  Layer.succeed(Backend, {
    client: () => ({ transport: "redis", layer: Layer.succeedContext(services) }),
    queue: () => Layer.succeedContext(services),
    describe: () => "the in-memory queue"
  })

/**
 * One fresh in-memory queue shared by every command run with this layer
 * (tests, trying the CLI out). A duration option it cannot take fails the
 * layer with the `ValidationError` naming it.
 *
 * @category layers
 * @since 0.2.0
 */
export const layerMemory = (options?: BananasMemory.Options): Layer.Layer<Backend, ValidationError> =>
  Layer.unwrap(Effect.flatMap(loadBananas, (b) => Effect.map(Layer.build(b.layerMemory(options)), layerServices)))

/**
 * Runs a client command: its TaskApi provided, every error turned into a
 * `CliFailure` with advice.
 *
 * @category combinators
 * @since 0.2.0
 */
export const withClient = <A, E, R>(
  settings: Settings,
  effect: Effect.Effect<A, E, R | TaskApi>
): Effect.Effect<A, CliFailure, Exclude<R, TaskApi> | Backend> =>
  Effect.gen(function*() {
    const { layer, transport } = (yield* Backend).client(settings)
    return yield* effect.pipe(
      Effect.provide(layer),
      Effect.mapError((e) => fromError(e, settings, transport)),
      Effect.tapError((failure) => explain(settings, failure)),
      // A client command reports its failure itself: driver logs only with --verbose.
      Effect.provideService(References.MinimumLogLevel, settings.verbose ? "Debug" : "Error"),
      Logging.withLogger(Option.getOrElse(settings.logFormat, () => "text"), settings.verbose)
    )
  })

/**
 * Refuses `--api-url` (or `BANANAS_API_URL`) for a command that runs on
 * Redis (`worker`, `scheduler`, `reaper`, `serve`): it would not go through
 * the gateway, and silently using the default Redis instead misleads.
 *
 * @category combinators
 * @since 0.2.0
 */
export const requireRedis = (settings: Settings, command: string): Effect.Effect<void, CliFailure> =>
  Option.isSome(settings.apiUrl)
    ? Effect.fail(usage(
      `${command} runs on Redis, not through the gateway: drop --api-url (or unset BANANAS_API_URL, set to ${settings.apiUrl.value}) and give --redis-url (env REDIS_URL)`
    ))
    : Effect.void

/**
 * Runs a job-running command: the queue services provided (scoped to the
 * command; `events` writes job events), every error turned into a `CliFailure`.
 *
 * @category combinators
 * @since 0.2.0
 */
export const withQueue = <A, E, R>(
  settings: Settings,
  effect: Effect.Effect<A, E, R>,
  options?: { readonly events?: boolean }
): Effect.Effect<A, CliFailure, Exclude<Exclude<R, Scope.Scope>, QueueServices> | Backend> =>
  Effect.gen(function*() {
    const layer = (yield* Backend).queue(settings, options)
    return yield* effect.pipe(
      Effect.scoped,
      Effect.provide(layer),
      Effect.mapError((e) => fromError(e, settings, "redis")),
      Effect.tapError((failure) => explain(settings, failure)),
      (e) => settings.verbose ? Effect.provideService(e, References.MinimumLogLevel, "Debug") : e,
      Logging.withLogger(Option.getOrElse(settings.logFormat, () => "text"), settings.verbose)
    )
  })

// Internal

const explain = (settings: Settings, failure: CliFailure) =>
  settings.verbose && failure.detail !== undefined ? Console.error(failure.detail) : Effect.void

/**
 * The SDK's layers, loaded when a command first needs one: `--version`,
 * `--help` and usage errors never load the Redis driver or the HTTP client.
 */
const loadBananas: Effect.Effect<typeof Bananas> = Effect.promise(() => import("../Bananas.ts"))

const redisLayer = (settings: Settings, events?: boolean) =>
  Layer.unwrap(Effect.map(loadBananas, (b) =>
    b.layerRedis({ url: settings.redisUrl, urlField: "--redis-url", prefix: settings.prefix, connectionName: "bananas-cli", events })))
