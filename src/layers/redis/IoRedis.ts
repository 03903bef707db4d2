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
import { ConnectionError, ValidationError } from "../../domain/Errors.ts"
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
  const url = yield* Effect.fromResult(parseUrl(options.url))
  const target = url === undefined ? "127.0.0.1:6379" : `${url.hostname || "127.0.0.1"}:${url.port || "6379"}`
  const runSync = Effect.runSyncWith(yield* Effect.context<never>())
  const logError = (which: string) => (cause: unknown) => {
    runSync(Effect.logWarning(`bananas redis ${which} connection error (${target})`, cause))
  }

  const create = (nameSuffix: string, extra: RedisOptions): Redis => {
    const name = options.connectionName === undefined ? undefined : options.connectionName + nameSuffix
    const settings: RedisOptions = {
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
        Effect.tryPromise({
          try: () => c.connect(),
          catch: (cause) => {
            c.disconnect()
            const failure = normalize(cause)
            const code = failure.code === undefined ? "" : ` (${failure.code})`
            return new ConnectionError({ operation: "connect", message: `cannot connect to Redis at ${target}${code}: ${failure.message}`, cause })
          }
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
 * stays undefined (the default address).
 *
 * @category constructors
 * @since 0.2.0
 */
export const parseUrl = (text: string | undefined): Result.Result<URL | undefined, ValidationError> => {
  const fail = (message: string) => Result.fail(new ValidationError({ field: "url", message }))
  if (text === undefined) return Result.succeed(undefined)
  if (text.trim() === "") return fail("the Redis URL is empty: give redis://host:port (or leave it unset for redis://127.0.0.1:6379)")
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return fail(`not a URL: ${JSON.stringify(text)} (expected redis://host:port or rediss://host:port)`)
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    return fail(`a Redis URL starts with redis:// or rediss://, got ${JSON.stringify(url.protocol + "//")} in ${JSON.stringify(text)}`)
  }
  if (url.hostname === "") return fail(`the Redis URL has no host: ${JSON.stringify(text)}`)
  return Result.succeed(url)
}

// Internal

const normalize = (cause: unknown): RedisFailure => {
  if (cause instanceof RedisFailure) return cause
  const error = cause instanceof Error ? cause : new Error(String(cause))
  const code = (error as { readonly code?: unknown }).code
  return new RedisFailure(error.name === "ReplyError" ? "reply" : "transport", error.message, typeof code === "string" ? code : undefined, cause)
}

const reject = (cause: unknown): Promise<never> => Promise.reject(normalize(cause))
