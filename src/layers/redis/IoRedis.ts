/**
 * The ioredis adapter: the `RedisPort` on an ioredis client, and the only
 * module of the SDK that imports ioredis. One command connection with
 * auto-pipelining, opened when the layer is built and closed (`QUIT`) when
 * its scope ends; pub/sub connections duplicate its settings.
 *
 * ioredis reconnects on its own and, by default, resends a command whose
 * reply was lost: every plan the SDK sends is idempotent (a resend finds it
 * `alreadyApplied`), so that is safe.
 *
 * @stability unstable
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import { Redis, type RedisOptions } from "ioredis"
import { type ConnectionError, ValidationError } from "../../domain/Errors.ts"
import * as ConnectFailure from "./ConnectFailure.ts"
import { type Arg, type PubSubConnection, RedisFailure, RedisPort } from "./RedisPort.ts"

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
   * timeouts, Sentinel (`sentinels`, `name`), ... Untyped here so that no
   * driver type is part of this API.
   */
  readonly driverOptions?: Readonly<Record<string, unknown>> | undefined
  /**
   * The name `url` is reported under when it is invalid (default `url`;
   * `REDIS_URL` when read from the environment by `layerConfig`).
   */
  readonly urlField?: string | undefined
}

/**
 * Opens the command connection (scoped: `QUIT` on release) and returns the
 * port on it.
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
  const target = url === undefined ? "127.0.0.1:6379" : `${url.hostname || "127.0.0.1"}:${url.port || "6379"}`
  const runSync = Effect.runSyncWith(yield* Effect.context<never>())
  const logError = (which: string) => (cause: unknown) => {
    runSync(Effect.logWarning(`bananas redis ${which} connection error (${target})`, cause))
  }

  const create = (nameSuffix: string, extra: RedisOptions): Redis => {
    const name = options.connectionName === undefined ? undefined : options.connectionName + nameSuffix
    const settings: RedisOptions = {
      // Connected while Redis loads its dataset (just restarted): ask again every 100 ms, not after its ETA (≥ 1 s).
      maxLoadingRetryTime: 100,
      ...(options.driverOptions as RedisOptions | undefined),
      ...extra,
      lazyConnect: true,
      ...(name === undefined ? {} : { connectionName: name })
    }
    const client = url === undefined ? new Redis(settings) : new Redis(url.href, settings)
    // ioredis emits "error" on every failed (re)connection; an unhandled one
    // would crash the process.
    client.on("error", logError(nameSuffix === "" ? "command" : nameSuffix.replace(/^:/, "")))
    return client
  }

  const client = yield* Effect.acquireRelease(
    Effect.sync(() => create("", { enableAutoPipelining: true })).pipe(
      Effect.tap((c) =>
        Effect.flatMap(Effect.promise(() => connectChecked(c, url)), (failed) => {
          if (failed === undefined) return Effect.void
          c.disconnect()
          return Effect.fail(ConnectFailure.toConnectionError(target, url?.protocol === "rediss:", failed.errors, failed.rejection))
        })
      )
    ),
    (c) =>
      Effect.promise(() => (c.status === "end" ? Promise.resolve() : c.quit().then(() => undefined, () => c.disconnect()))).pipe(
        Effect.ignoreCause
      )
  )

  const send = (command: string, args: ReadonlyArray<Arg>): Promise<unknown> =>
    client.call(command, ...args).catch(reject)

  const evalScript = (script: { readonly sha: string; readonly lua: string }, keys: ReadonlyArray<string>, args: ReadonlyArray<Arg>) =>
    client.evalsha(script.sha, keys.length, ...keys, ...args).catch((error: unknown) =>
      error instanceof Error && error.message.startsWith("NOSCRIPT")
        ? client.eval(script.lua, keys.length, ...keys, ...args)
        : Promise.reject(error)
    ).catch(reject)

  const pubsub = (): PubSubConnection => {
    const c = create(":sub", { autoResubscribe: false })
    return {
      isReady: () => c.status === "ready",
      subscribe: (channels) => c.subscribe(...channels).then(() => undefined, reject),
      unsubscribe: (channels) => c.unsubscribe(...channels).then(() => undefined, reject),
      onMessage: (listener) => void c.on("message", (channel: string) => listener(channel)),
      psubscribe: (patterns) => c.psubscribe(...patterns).then(() => undefined, reject),
      onPatternMessage: (listener) => void c.on("pmessage", (_pattern: string, channel: string) => listener(channel)),
      onReady: (listener) => void c.on("ready", listener),
      onError: (listener) => void c.on("error", listener),
      connect: () => void c.connect().catch(() => {}), // reported through "error"; ioredis keeps reconnecting
      close: () => c.disconnect()
    }
  }

  return RedisPort.of({ target, isCluster: false, send, evalScript, pubsub })
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
const connectChecked = async (client: Redis, url: URL | undefined): Promise<ConnectAttempt | undefined> => {
  const errors: Array<unknown> = []
  const collect = (error: unknown) => void errors.push(error)
  client.on("error", collect)
  try {
    await client.connect()
    const db = url === undefined ? "" : url.pathname.slice(1)
    if (db !== "" && db !== "0") await client.call("SELECT", db)
    return undefined
  } catch (rejection) {
    return { errors, rejection }
  } finally {
    client.off("error", collect)
  }
}

const normalize = (cause: unknown): RedisFailure => {
  if (cause instanceof RedisFailure) return cause
  const error = cause instanceof Error ? cause : new Error(String(cause))
  const code = (error as { readonly code?: unknown }).code
  return new RedisFailure(error.name === "ReplyError" ? "reply" : "transport", error.message, typeof code === "string" ? code : undefined, cause)
}

const reject = (cause: unknown): Promise<never> => Promise.reject(normalize(cause))
