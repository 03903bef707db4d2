/**
 * The ioredis adapter: the `RedisPort` on an ioredis client, and the only
 * module of the SDK that imports ioredis. One command connection (single
 * commands auto-pipelined, script calls written at once), opened when the
 * layer is built and closed (`QUIT`) when its scope ends; pub/sub
 * connections duplicate its settings.
 *
 * Topologies (`Topology`): a single server (`url`), a Redis Cluster
 * (`cluster`: an ioredis `Cluster`; `SCAN` goes to the node that owns the
 * slot of its pattern's hash tag, pub/sub uses the cluster-wide broadcast of
 * `PUBLISH`) or a Sentinel-managed master (`sentinel`: the client asks the
 * sentinels for the master, again after a failover, and reconnects when a
 * write meets `READONLY`, i.e. it reached a demoted master).
 *
 * ioredis reconnects on its own and, by default, resends a command whose
 * reply was lost: every plan the SDK sends is idempotent (a resend finds it
 * `alreadyApplied`), so that is safe. The command connection has no
 * offline queue (`enableOfflineQueue: false` unless the driver options say
 * otherwise): a command issued while disconnected fails at once with a
 * `ConnectionError` whose `outcome` is `not-written`, instead of waiting in
 * a queue and being sent after its caller gave up. Closing is bounded
 * (`Teardown`): a Redis that is gone cannot hang it.
 *
 * @stability unstable
 * @since 0.2.0
 */

import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import { Cluster, type ClusterOptions, Redis, type RedisOptions as DriverRedisOptions } from "ioredis"
import { type ConnectionError, ValidationError } from "../../domain/Errors.ts"
import * as ConnectFailure from "./ConnectFailure.ts"
import * as DriverTopology from "./DriverTopology.ts"
import { type Arg, type PubSubConnection, RedisFailure, RedisPort } from "./RedisPort.ts"
import type { Call } from "./Script.ts"
import * as Topology from "./Topology.ts"
import * as Teardown from "./Teardown.ts"

/**
 * How to reach Redis: a URL (`redis://`, `rediss://` for TLS) and/or
 * options (the options win where both say something).
 *
 * @category models
 * @since 0.2.0
 */
export interface ConnectionOptions {
  /** e.g. `redis://user:pass@host:6379/0`. Default: `redis://127.0.0.1:6379`. */
  readonly url?: string | undefined
  /**
   * `CLIENT SETNAME` of every connection this client opens (the pub/sub
   * connection gets `<name>:sub`), so they can be found in `CLIENT LIST`.
   */
  readonly connectionName?: string | undefined
  /**
   * Options passed to the driver (ioredis) as they are: TLS details,
   * timeouts, ... (on a cluster: ioredis `Cluster` options). Untyped here so
   * that no driver type is part of this API.
   */
  readonly driverOptions?: Readonly<Record<string, unknown>> | undefined
  /**
   * The name `url` is reported under when it is invalid (default `url`;
   * `REDIS_URL` when read from the environment by `layerConfig`).
   */
  readonly urlField?: string | undefined
  /**
   * A Redis Cluster instead of one server (exclusive with `url` and
   * `sentinel`). The key prefix must then carry a hash tag (default
   * `{bananas}:`). `driverOptions` are then ioredis `Cluster` options.
   */
  readonly cluster?: Topology.ClusterOptions | undefined
  /** A Sentinel-managed master instead of one server (exclusive with `url` and `cluster`). */
  readonly sentinel?: Topology.SentinelOptions | undefined
}

/**
 * Opens the command connection (scoped: `QUIT` on release, bounded) and
 * returns the port on it.
 *
 * **Gotchas**
 *
 * The connection is made with `lazyConnect` and awaited, so a Redis that is
 * down fails the layer with a `ConnectionError` (operation `connect`) naming
 * where it tried, instead of queueing commands forever. A URL that is not
 * `redis://` or `rediss://` is a `ValidationError` naming `url`.
 *
 * @category constructors
 * @since 0.2.0
 */
export const make = Effect.fnUntraced(function*(options: ConnectionOptions = {}) {
  const url = yield* Effect.fromResult(parseUrl(options.url, options.urlField))
  const topology = yield* Effect.fromResult(Topology.resolve(options))
  const target = topology._tag !== "Standalone"
    ? Topology.describe(topology)
    : url === undefined ? "127.0.0.1:6379" : `${url.hostname || "127.0.0.1"}:${url.port || "6379"}`
  const runSync = Effect.runSyncWith(yield* Effect.context<never>())

  /** Set once the command connection is up: until then, unreachable sentinels fail the layer instead of being retried forever. */
  let connected = false
  /**
   * Logs a connection's errors without flooding: ioredis emits "error" on
   * every failed (re)connection attempt. Before the command connection is
   * first up its failure is the layer's `ConnectionError`, so attempts are
   * debug lines; later, the first failure is one warning (the driver keeps
   * retrying), the attempts after it debug lines, and the recovery one
   * info line.
   */
  const watchErrors = (which: string, client: Client) => {
    let down = false
    let attempts = 0
    client.on("error", (cause: unknown) => {
      attempts++
      if (!connected || down) return runSync(Effect.logDebug(`bananas redis ${which} connection error (${target})`, cause))
      down = true
      const reason = cause instanceof Error ? cause.message : String(cause)
      runSync(Effect.logWarning(`bananas redis ${which} connection to ${target} lost (${reason}); reconnecting, logged again when it is back`))
    })
    client.on("ready", () => {
      if (down) runSync(Effect.logInfo(`bananas redis ${which} connection to ${target} is back after ${attempts} failed attempt(s)`))
      down = false
      attempts = 0
    })
  }
  // Connected while Redis loads its dataset (just restarted): ask again every 100 ms, not after its ETA (≥ 1 s).
  const nodeDefaults: RedisOptions = { maxLoadingRetryTime: 100 }
  const create = (nameSuffix: string, extra: RedisOptions, defaults: RedisOptions = {}): Client => {
    const name = options.connectionName === undefined ? undefined : options.connectionName + nameSuffix
    const named = name === undefined ? {} : { connectionName: name }
    const client = topology._tag === "Cluster"
      ? createCluster(topology, options.driverOptions, extra, named, { ...nodeDefaults, ...defaults })
      : createServer(url, {
        ...nodeDefaults,
        ...defaults,
        ...(topology._tag === "Sentinel" ? DriverTopology.sentinelSettings(topology, () => connected) : {}),
        ...(options.driverOptions as RedisOptions | undefined),
        ...extra,
        lazyConnect: true,
        ...named
      })
    // ioredis emits "error" on every failed (re)connection; an unhandled one
    // would crash the process.
    watchErrors(nameSuffix === "" ? "command" : nameSuffix.replace(/^:/, ""), client)
    return client
  }

  const client = yield* Effect.acquireRelease(
    Effect.sync(() => create("", pipelining, { enableOfflineQueue: false })).pipe(
      Effect.tap((c) =>
        Effect.flatMap(Effect.promise(() => connectChecked(c, url)), (failed) => {
          if (failed === undefined) return Effect.sync(() => void (connected = true))
          c.disconnect()
          return Effect.fail(ConnectFailure.toConnectionError(target, url?.protocol === "rediss:", failed.errors, failed.rejection))
        })
      )
    ),
    (c) =>
      Teardown.close({
        isReady: () => c.status === "ready",
        isClosed: () => c.status === "end",
        quit: () => c.quit(),
        disconnect: () => c.disconnect()
      })
  )

  const send = (command: string, args: ReadonlyArray<Arg>): Promise<unknown> =>
    (client instanceof Cluster ? DriverTopology.sendToCluster(client, command, args) : client.call(command, ...args)).catch(reject)

  const evalScript = <A>(call: Call<A>): Promise<A> => {
    const { script, keys, args } = call
    // One array, not a spread into the call: a spread of a big batch overflows the stack.
    const argv: Array<Arg> = [script.sha, keys.length]
    for (const key of keys) argv.push(key)
    for (const arg of args) argv.push(arg)
    return client.call("EVALSHA", argv).catch((error: unknown) => {
      if (!(error instanceof Error && error.message.startsWith("NOSCRIPT"))) return Promise.reject(error)
      argv[0] = script.lua
      return client.call("EVAL", argv)
    }).then((reply) => {
      const decoded = call.decode(reply)
      return Result.isSuccess(decoded)
        ? decoded.success
        : Promise.reject(new RedisFailure("reply", `ERR script ${script.name}: unexpected reply: ${decoded.failure}`, undefined, reply))
    }, reject)
  }

  const pubsub = (): PubSubConnection => {
    const c = create(":sub", { autoResubscribe: false })
    return {
      isReady: () => c.status === "ready",
      subscribe: (channels) => c.subscribe(...channels).then(() => undefined, reject),
      unsubscribe: (channels) => c.unsubscribe(...channels).then(() => undefined, reject),
      onMessage: (listener) => void c.on("message", (channel: string, message: string) => listener(channel, message)),
      psubscribe: (patterns) => c.psubscribe(...patterns).then(() => undefined, reject),
      onPatternMessage: (listener) => void c.on("pmessage", (_pattern: string, channel: string) => listener(channel)),
      onReady: (listener) => void c.on("ready", listener),
      onError: (listener) => void c.on("error", listener),
      connect: () => void c.connect().catch(() => {}), // reported through "error"; ioredis keeps reconnecting
      close: () => c.disconnect()
    }
  }

  return RedisPort.of({ target, isCluster: topology._tag === "Cluster", send, evalScript, pubsub })
})

/**
 * The port on ioredis, as a layer.
 *
 * @category layers
 * @since 0.2.0
 */
export const layer = (options: ConnectionOptions = {}): Layer.Layer<RedisPort, ConnectionError | ValidationError> =>
  Layer.effect(RedisPort, make(options))

/**
 * Checks a Redis URL: `redis://` or `rediss://`, with a host. `undefined`
 * stays undefined (the default address). `field` names the option (or
 * environment variable) in the error.
 *
 * @category constructors
 * @since 0.2.0
 */
export const parseUrl = (text: string | undefined, field = "url"): Result.Result<URL | undefined, ValidationError> => {
  const fail = (message: string) => Result.fail(new ValidationError({ field, message: `${field} ${message}` }))
  if (text === undefined) return Result.succeed(undefined)
  if (text.trim() === "") return fail("is empty: give redis://host:port (or leave it unset for redis://127.0.0.1:6379)")
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return fail(`is not a URL: ${JSON.stringify(text)} (expected redis://host:port or rediss://host:port)`)
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    return fail(`must start with redis:// or rediss://, got ${JSON.stringify(url.protocol + "//")} in ${JSON.stringify(text)}`)
  }
  if (url.hostname === "") return fail(`has no host: ${JSON.stringify(text)}`)
  return Result.succeed(url)
}

// Internal

/**
 * The command client's pipelining: ioredis joins the commands of one turn
 * of the event loop into one write, after a `setImmediate`. Script calls
 * are left out: the store already joins the steps of a turn into one call
 * (a microtask), and waiting for the next `setImmediate` added a turn to
 * every submit and put a worker's outcome behind whatever else ran in that
 * turn (BENCHMARKS.md).
 */
const pipelining = { enableAutoPipelining: true, autoPipeliningIgnoredCommands: ["EVALSHA", "EVAL"] }

/**
 * ioredis options as this module passes them. ioredis 6 declares
 * `replyMapping?: ReplyMappingMode | undefined` in its options but not
 * `undefined` in its constructors (a mismatch under
 * `exactOptionalPropertyTypes`); the SDK never sets it (the default,
 * `"legacy"`, gives the replies of ioredis 5), so it is left out. The same
 * type on ioredis 5, which has no such option.
 */
type RedisOptions = Omit<DriverRedisOptions, "replyMapping">

/** A command or pub/sub client: one server (also through Sentinel) or a cluster. */
type Client = Redis | Cluster

const createCluster = (
  topology: Extract<Topology.Topology, { readonly _tag: "Cluster" }>,
  driverOptions: Readonly<Record<string, unknown>> | undefined,
  extra: RedisOptions,
  named: { readonly connectionName?: string },
  defaults: RedisOptions
): Cluster => {
  const { username, password, tls } = topology.options
  const given = driverOptions as (Omit<ClusterOptions, "redisOptions"> & { readonly redisOptions?: RedisOptions }) | undefined
  const { enableAutoPipelining, autoPipeliningIgnoredCommands, ...perNode } = extra
  // The defaults that are cluster-level options (the offline queue) apply to the cluster client.
  const { enableOfflineQueue, ...perNodeDefaults } = defaults
  return new Cluster([...topology.nodes], {
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...given,
    ...(enableAutoPipelining === undefined ? {} : { enableAutoPipelining }),
    ...(autoPipeliningIgnoredCommands === undefined ? {} : { autoPipeliningIgnoredCommands }),
    lazyConnect: true,
    redisOptions: {
      ...perNodeDefaults,
      ...(username === undefined ? {} : { username }),
      ...(password === undefined ? {} : { password }),
      ...(tls === true ? { tls: {} } : {}),
      ...given?.redisOptions,
      ...perNode,
      ...named
    }
  })
}

const createServer = (url: URL | undefined, settings: RedisOptions): Redis =>
  url === undefined ? new Redis(settings) : new Redis(url.href, settings)

interface ConnectAttempt {
  readonly errors: ReadonlyArray<unknown>
  readonly rejection: unknown
}

/**
 * Connects, keeping the error events of the attempt (ioredis rejects with
 * a bare "Connection is closed." after them), and checks the database
 * index of the URL (ioredis only reports a failed `SELECT` as an event,
 * and then works on database 0). Resolves to the failed attempt, if it
 * failed; never rejects.
 */
const connectChecked = async (client: Client, url: URL | undefined): Promise<ConnectAttempt | undefined> => {
  const errors: Array<unknown> = []
  const collect = (error: unknown) => void errors.push(error)
  // A cluster reports each node's failure as "node error" and then a bare
  // "Failed to refresh slots cache.": the node's says why.
  const nodeErrors: Array<unknown> = []
  const collectNode = (error: unknown) => void nodeErrors.push(error)
  client.on("error", collect)
  client.on("node error", collectNode)
  try {
    await client.connect()
    const db = url === undefined ? "" : url.pathname.slice(1)
    if (db !== "" && db !== "0") await client.call("SELECT", db)
    return undefined
  } catch (rejection) {
    return { errors: [...errors, ...nodeErrors], rejection }
  } finally {
    client.off("error", collect)
    client.off("node error", collectNode)
  }
}

const normalize = (cause: unknown): RedisFailure => {
  if (cause instanceof RedisFailure) return cause
  const error = cause instanceof Error ? cause : new Error(String(cause))
  const code = (error as { readonly code?: unknown }).code
  const kind = error.name === "ReplyError" ? "reply" : "transport"
  return new RedisFailure(kind, error.message, typeof code === "string" ? code : undefined, cause, kind === "transport" && error.message.endsWith(notSentMessage))
}

/**
 * How ioredis rejects a command it did not send (no offline queue, and the
 * connection not writable, or a Cluster not ready).
 */
const notSentMessage = "enableOfflineQueue options is false"

const reject = (cause: unknown): Promise<never> => Promise.reject(normalize(cause))
