/**
 * The narrow port between the Redis layers and a Redis driver: send a
 * command, run a script, open a pub/sub connection. The layers use nothing
 * else, so a driver (the ioredis adapter, `IoRedis`; a standalone server,
 * Sentinel or Cluster) is one module, and none of its types reaches the
 * public API.
 *
 * The port is Promise-based on purpose: the hot paths (batched plans,
 * 10,000 concurrent waits) drive it from callbacks, without a fiber per
 * command. `run` is the Effect form. A driver rejects with a
 * `RedisFailure` (a reply error from Redis, or a transport failure), which
 * `toFailure` turns into the SDK's typed errors, once, for every caller.
 *
 * @stability unstable
 * @since 0.2.0
 */

import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { ConnectionError, StorageError, type StorageErrorReason } from "../../domain/Errors.ts"
import type { StoreFailure } from "../../store/JobStore.ts"
import type { Call } from "./Script.ts"

/** A typed call of one script (its keys, its arguments, the decoder of its reply), and the script (name, Lua source, SHA1). */
export type { Call, Script } from "./Script.ts"

/**
 * An argument of a command.
 *
 * @category models
 * @since 0.2.0
 */
export type Arg = string | number

/**
 * Why a driver call failed: Redis answered with an error reply (`reply`,
 * e.g. `WRONGTYPE ...`), or the command could not be delivered or answered
 * (`transport`: connection refused or closed, a timeout).
 *
 * @category errors
 * @since 0.2.0
 */
export class RedisFailure extends Error {
  /** Which kind of failure. */
  readonly kind: "reply" | "transport"
  /** The driver's error code (e.g. `ECONNREFUSED`), for transport failures. */
  readonly code: string | undefined
  /** The driver's original error. */
  override readonly cause: unknown
  /** True when the command was never sent (the connection was not ready): nothing of it reached Redis. */
  readonly unsent: boolean
  constructor(kind: "reply" | "transport", message: string, code: string | undefined, cause: unknown, unsent = false) {
    super(message)
    this.kind = kind
    this.code = code
    this.cause = cause
    this.unsent = unsent
  }
}

/**
 * A dedicated pub/sub connection (the `Subscriber` of a client owns one).
 *
 * @category models
 * @since 0.2.0
 */
export interface PubSubConnection {
  /** True while connected and usable. */
  readonly isReady: () => boolean
  /** `SUBSCRIBE channels...`: resolves once Redis confirmed every channel. */
  readonly subscribe: (channels: ReadonlyArray<string>) => Promise<void>
  /** `UNSUBSCRIBE channels...`. */
  readonly unsubscribe: (channels: ReadonlyArray<string>) => Promise<void>
  /** Called for every message, with its channel and payload. */
  readonly onMessage: (listener: (channel: string, message: string) => void) => void
  /** `PSUBSCRIBE patterns...` (optional: a driver without it disables pattern listeners). */
  readonly psubscribe?: ((patterns: ReadonlyArray<string>) => Promise<void>) | undefined
  /** Called for every message of a pattern subscription, with its channel. */
  readonly onPatternMessage?: ((listener: (channel: string) => void) => void) | undefined
  /** Called each time the connection becomes ready (first connect and every reconnect). */
  readonly onReady: (listener: () => void) => void
  /** Called on every connection error (the driver keeps reconnecting). */
  readonly onError: (listener: (cause: unknown) => void) => void
  /** Starts connecting (errors arrive through `onError`). */
  readonly connect: () => void
  /** Closes the connection at once. */
  readonly close: () => void
}

/**
 * The port.
 *
 * @category services
 * @since 0.2.0
 */
export class RedisPort extends Context.Service<RedisPort, {
  /** Where Redis is, for messages (e.g. `127.0.0.1:6379`, or `cluster 127.0.0.1:7000,...`). */
  readonly target: string
  /** True on Redis Cluster. */
  readonly isCluster: boolean
  /** Sends one command; rejects with a `RedisFailure`. */
  readonly send: (command: string, args: ReadonlyArray<Arg>) => Promise<unknown>
  /**
   * Runs a script call (`EVALSHA`, `EVAL` on `NOSCRIPT`) and decodes its
   * reply with the call's decoder; rejects with a `RedisFailure` (a reply
   * of another shape is a `reply` failure naming the script).
   */
  readonly evalScript: <A>(call: Call<A>) => Promise<A>
  /** A new pub/sub connection with the same settings, not yet connected; the caller closes it. */
  readonly pubsub: () => PubSubConnection
}>()("@bananas/effect/redis/RedisPort") {}

/**
 * Runs driver calls as an Effect: a rejection becomes the typed error of
 * `operation` (`toFailure`).
 *
 * @category combinators
 * @since 0.2.0
 */
export const run = <A>(
  port: RedisPort["Service"],
  operation: string,
  f: (port: RedisPort["Service"]) => Promise<A>
): Effect.Effect<A, StoreFailure> =>
  Effect.tryPromise({ try: () => f(port), catch: (cause) => toFailure(operation, port.target, cause) })

/**
 * The SDK's error for a failed driver call: a reply error becomes a
 * `StorageError` of the matching kind (`OOM` → `OutOfMemory`, `WRONGTYPE`
 * → `WrongType`, `READONLY` → `ReadOnly`, ...), anything else a
 * `ConnectionError` naming `target` and the cause, whose `outcome` is
 * `not-written` when the command was never sent, else `unknown`.
 *
 * @category errors
 * @since 0.2.0
 */
export const toFailure = (operation: string, target: string, cause: unknown): StoreFailure => {
  const failure = cause instanceof RedisFailure ? cause : new RedisFailure("transport", describe(cause), undefined, cause)
  if (failure.kind === "transport") {
    const code = failure.code === undefined ? "" : ` (${failure.code})`
    return new ConnectionError({
      operation,
      message: `Redis ${operation} failed: cannot reach Redis at ${target}${code}: ${failure.message}${failure.unsent ? " (not sent: nothing written)" : ""}`,
      cause: failure.cause,
      outcome: failure.unsent ? "not-written" : "unknown"
    })
  }
  const { reason, key } = classify(failure.message)
  return new StorageError({
    operation,
    reason,
    key,
    message: `Redis ${operation} failed at ${target}: ${failure.message}${advice[reason]}`,
    cause: failure.cause
  })
}

/**
 * The kind of a Redis error reply, from its code (the first word, also
 * inside a script's error).
 *
 * @category errors
 * @since 0.2.0
 */
export const classify = (message: string): { readonly reason: StorageErrorReason; readonly key: string | undefined } => {
  const code = /(?:^|: |\s)(OOM|WRONGTYPE|READONLY|BUSY|LOADING|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|EXECABORT|NOAUTH|WRONGPASS|NOPERM|NOSCRIPT)\b/.exec(message)?.[1]
  const wrongKey = /^WRONGTYPE (\S+) is not a /.exec(message)?.[1]
  switch (code) {
    case "OOM": return { reason: "OutOfMemory", key: undefined }
    case "WRONGTYPE": return { reason: "WrongType", key: wrongKey }
    case "READONLY": return { reason: "ReadOnly", key: undefined }
    case "BUSY": return { reason: "Busy", key: undefined }
    case "LOADING": return { reason: "Loading", key: undefined }
    case "MASTERDOWN":
    case "CLUSTERDOWN":
    case "TRYAGAIN": return { reason: "ClusterDown", key: undefined }
    case "EXECABORT": return { reason: "Aborted", key: undefined }
    case "NOAUTH":
    case "WRONGPASS":
    case "NOPERM": return { reason: "Auth", key: undefined }
    default: return { reason: /Error running script|user_script|ERR .*script/i.test(message) ? "Script" : "Other", key: undefined }
  }
}

// Internal

const describe = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

const advice: Readonly<Record<StorageErrorReason, string>> = {
  OutOfMemory: " — Redis is over maxmemory; free memory or raise maxmemory (the SDK needs maxmemory-policy noeviction)",
  WrongType: " — a key of the Bananas layout holds another type; inspect it with TYPE and repair or delete it",
  ReadOnly: " — the write reached a read-only replica (a failover in progress?)",
  Busy: " — Redis is busy running a script",
  Loading: " — Redis is loading its dataset",
  ClusterDown: " — the cluster cannot serve this slot right now",
  Aborted: "",
  Script: "",
  Limit: "",
  Auth: " — check the password or ACL user in the Redis URL",
  Other: ""
}
