/**
 * The Redis command connection of a client: one ioredis connection with
 * auto-pipelining, opened when the layer is built and closed (`QUIT`) when
 * its scope ends.
 *
 * Every command goes through `use`, which turns a rejected promise into a
 * `ConnectionError` naming the operation, so no ioredis exception crosses
 * the public API. The pub/sub side (`Subscriber`) duplicates this
 * connection's options (`connectionOptions`) for its own, lazily opened,
 * connection.
 *
 * Does not retry: retry policies live above (`Policies`), and ioredis itself
 * reconnects and replays queued commands after a dropped socket.
 *
 * @stability unstable
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Redis, type RedisOptions } from "ioredis"
import { ConnectionError } from "../../domain/Errors.ts"

/**
 * How to reach Redis: a URL (`redis://`, `rediss://`) and/or ioredis options
 * (the options win over the URL where both say something).
 *
 * @category models
 * @since 0.1.0
 */
export interface ConnectionOptions {
  /** e.g. `redis://user:pass@host:6379/0`. Default: ioredis's default (localhost:6379). */
  readonly url?: string | undefined
  /** Extra ioredis options (TLS, Sentinel, timeouts, ...). */
  readonly redis?: RedisOptions | undefined
  /**
   * `CLIENT SETNAME` of every connection this client opens (the subscriber
   * connection gets `<name>:sub`), so they can be found in `CLIENT LIST`.
   */
  readonly connectionName?: string | undefined
}

/**
 * The command connection service.
 *
 * @category services
 * @since 0.1.0
 */
export class RedisConnection extends Context.Service<RedisConnection, {
  /** The ioredis client (auto-pipelined). Prefer `use`, which maps failures. */
  readonly client: Redis
  /** Runs a command (or several) on the client; a rejection becomes a `ConnectionError` for `operation`. */
  readonly use: <A>(operation: string, f: (client: Redis) => Promise<A>) => Effect.Effect<A, ConnectionError>
  /** Creates (without connecting) another connection with the same settings; the caller closes it. */
  readonly duplicateUnsafe: (options: {
    readonly nameSuffix: string
    readonly redis?: RedisOptions | undefined
  }) => Redis
}>()("@bananas/effect/RedisConnection") {}

/**
 * Opens the command connection (scoped: `QUIT` on release).
 *
 * **Gotchas**
 *
 * The connection is made with `lazyConnect` and awaited, so a Redis that is
 * down fails the layer with a `ConnectionError` (operation `connect`) instead
 * of queueing commands forever.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function*(options: ConnectionOptions = {}) {
  const runSync = Effect.runSyncWith(yield* Effect.context<never>())
  const logError = (which: string) => (cause: unknown) => {
    runSync(Effect.logWarning(`bananas redis ${which} connection error`, cause))
  }

  const create = (nameSuffix: string, extra?: RedisOptions): Redis => {
    const name = options.connectionName === undefined ? undefined : options.connectionName + nameSuffix
    const settings: RedisOptions = {
      ...options.redis,
      ...extra,
      lazyConnect: true,
      ...(name === undefined ? {} : { connectionName: name })
    }
    const client = options.url === undefined ? new Redis(settings) : new Redis(options.url, settings)
    // ioredis emits "error" on every failed (re)connection; an unhandled one
    // would crash the process.
    client.on("error", logError(nameSuffix === "" ? "command" : nameSuffix.replace(/^:/, "")))
    return client
  }

  const connect = (operation: string, client: Redis) =>
    Effect.tryPromise({
      try: () => client.connect(),
      catch: (cause) => {
        client.disconnect()
        return new ConnectionError({ operation, message: `cannot connect to Redis: ${describe(cause)}`, cause })
      }
    })

  const quit = (client: Redis) =>
    Effect.promise(() =>
      client.status === "end"
        ? Promise.resolve()
        : client.quit().then(() => undefined, () => client.disconnect())
    ).pipe(Effect.ignoreCause)

  const client = yield* Effect.acquireRelease(
    Effect.sync(() => create("", { enableAutoPipelining: true })).pipe(
      Effect.tap((c) => connect("connect", c))
    ),
    quit
  )

  const use = <A>(operation: string, f: (client: Redis) => Promise<A>): Effect.Effect<A, ConnectionError> =>
    Effect.tryPromise({
      try: () => f(client),
      catch: (cause) => new ConnectionError({ operation, message: `Redis ${operation} failed: ${describe(cause)}`, cause })
    })

  const duplicateUnsafe = (o: { readonly nameSuffix: string; readonly redis?: RedisOptions | undefined }) =>
    create(o.nameSuffix, o.redis)

  return RedisConnection.of({ client, use, duplicateUnsafe })
})

/**
 * The command connection as a layer.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: ConnectionOptions = {}): Layer.Layer<RedisConnection, ConnectionError> =>
  Layer.effect(RedisConnection, make(options))

// Internal

const describe = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))
