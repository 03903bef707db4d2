/**
 * One pub/sub connection per client, shared by every concurrent wait.
 *
 * Each wait registers a listener on a channel (`listen`, scoped). The first
 * listener of a channel makes it `SUBSCRIBE`d, the last one leaving makes it
 * `UNSUBSCRIBE`d. Registrations are batched: channels touched within one
 * macrotask go out as one `SUBSCRIBE c1 c2 ...` (and one `UNSUBSCRIBE ...`),
 * so 10,000 concurrent waits cost a handful of commands, not 20,000.
 * `listen` resolves only once Redis has confirmed the subscription, which is
 * what makes subscribe-then-check free of lost wake-ups.
 *
 * Any message is a wake-up (Go publishes `ready`, other SDKs the status): the
 * listener re-checks the state itself. After a reconnect every channel with
 * listeners is subscribed again and, once Redis confirms, every listener is
 * woken to re-check, since messages published while the socket was down are
 * gone.
 *
 * While the connection is down, a `listen` that is not yet confirmed fails
 * with a (retryable) `ConnectionError` rather than hanging until the wait's
 * timeout.
 *
 * The connection is opened on the first `listen`, so a client that never
 * waits keeps a single (command) connection. It is closed with the layer.
 *
 * @stability unstable
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type { Redis } from "ioredis"
import { ConnectionError } from "../../domain/Errors.ts"
import { RedisConnection } from "./RedisConnection.ts"

/**
 * The shared subscriber service.
 *
 * @category services
 * @since 0.1.0
 */
export class Subscriber extends Context.Service<Subscriber, {
  /**
   * Calls `onMessage` for every message on `channel` until the scope
   * closes; resolves once the subscription is confirmed by Redis. Closing
   * the scope (including by interruption or timeout) removes the listener
   * and, if it was the last one, unsubscribes the channel.
   */
  readonly listen: (channel: string, onMessage: () => void) => Effect.Effect<void, ConnectionError, Scope.Scope>
  /** Channels with at least one listener (for tests and metrics). */
  readonly listenedChannels: Effect.Effect<number>
}>()("@bananas/effect/redis/Subscriber") {}

/**
 * Builds the subscriber on the `RedisConnection` in context. The pub/sub
 * connection itself opens lazily, on the first `listen`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.gen(function*() {
  const connection = yield* RedisConnection
  const runSync = Effect.runSyncWith(yield* Effect.context<never>())
  const warn = (message: string, cause: unknown) => runSync(Effect.logWarning(message, cause))

  const listeners = new Map<string, Set<Listener>>()
  const waiters = new Map<string, Set<Waiter>>()
  /** Channels Redis confirmed and that we have not asked to unsubscribe since. */
  const confirmed = new Set<string>()
  /** Channels whose SUBSCRIBE is on its way. */
  const inflight = new Set<string>()
  /** Channels whose listener set changed since the last flush. */
  const dirty = new Set<string>()
  let flushScheduled = false
  let closed = false
  /** Bumped on reconnect: replies to commands of an older connection are ignored. */
  let generation = 0
  let conn: Redis | undefined

  const connectionFor = (): Redis => {
    if (conn !== undefined) return conn
    const c = connection.duplicateUnsafe({ nameSuffix: ":sub", redis: { autoResubscribe: false } })
    let everReady = false
    c.on("message", (channel: string) => {
      const set = listeners.get(channel)
      if (set !== undefined) for (const l of set) wake(l)
    })
    c.on("ready", () => {
      if (!everReady) {
        everReady = true
        scheduleFlush()
        return
      }
      resubscribeAll(c)
    })
    // While the connection is down, a wait cannot be confirmed: fail the
    // unconfirmed ones (retryable) instead of letting them run into their
    // timeouts. Confirmed listeners stay; they are re-subscribed on reconnect.
    c.on("error", (cause: unknown) => {
      if (c.status === "ready") return
      const error = new ConnectionError({
        operation: "subscribe",
        message: `Redis pub/sub connection unavailable: ${cause instanceof Error ? cause.message : String(cause)}`,
        cause
      })
      for (const channel of [...waiters.keys()]) settle(channel, error)
    })
    c.connect().catch(() => {}) // reported through "error"; ioredis keeps reconnecting
    conn = c
    return c
  }

  const wake = (l: Listener) => {
    try {
      l.onMessage()
    } catch (cause) {
      warn("bananas redis subscriber: listener failed", cause)
    }
  }

  const settle = (channel: string, error: ConnectionError | undefined) => {
    const set = waiters.get(channel)
    if (set === undefined) return
    waiters.delete(channel)
    for (const w of set) w(error)
  }

  const scheduleFlush = () => {
    if (flushScheduled || closed) return
    flushScheduled = true
    // A macrotask, not a microtask: the fibers of many concurrent waits are
    // run across several microtask turns; one flush per macrotask batches them.
    setImmediate(flush)
  }

  const touch = (channel: string) => {
    dirty.add(channel)
    scheduleFlush()
  }

  const flush = () => {
    flushScheduled = false
    if (closed) return
    const c = connectionFor()
    // Only on a ready connection: ioredis writes SUBSCRIBE during the
    // handshake (before its INFO ready check, which then fails in subscriber
    // mode). The "ready" handler flushes what accumulated meanwhile.
    if (c.status !== "ready") return
    const toSubscribe: Array<string> = []
    const toUnsubscribe: Array<string> = []
    for (const channel of dirty) {
      const wanted = listeners.has(channel)
      if (wanted && !confirmed.has(channel) && !inflight.has(channel)) toSubscribe.push(channel)
      else if (!wanted && confirmed.has(channel)) toUnsubscribe.push(channel)
      // not wanted but in flight: handled when its confirmation arrives
    }
    dirty.clear()
    if (toUnsubscribe.length > 0) {
      for (const channel of toUnsubscribe) confirmed.delete(channel)
      c.unsubscribe(...toUnsubscribe).catch((cause: unknown) => warn("bananas redis subscriber: UNSUBSCRIBE failed", cause))
    }
    if (toSubscribe.length > 0) subscribe(c, toSubscribe, false)
  }

  const subscribe = (c: Redis, channels: Array<string>, wakeAll: boolean) => {
    const gen = generation
    for (const channel of channels) inflight.add(channel)
    c.subscribe(...channels).then(
      () => {
        if (gen !== generation) return
        for (const channel of channels) {
          inflight.delete(channel)
          confirmed.add(channel)
          settle(channel, undefined)
          if (!listeners.has(channel)) touch(channel) // everyone left meanwhile
        }
        if (wakeAll) for (const set of listeners.values()) for (const l of set) wake(l)
      },
      (cause: unknown) => {
        if (gen !== generation) return
        const error = new ConnectionError({
          operation: "subscribe",
          message: `Redis SUBSCRIBE failed: ${cause instanceof Error ? cause.message : String(cause)}`,
          cause
        })
        for (const channel of channels) {
          inflight.delete(channel)
          settle(channel, error)
        }
      }
    )
  }

  const resubscribeAll = (c: Redis) => {
    generation++
    confirmed.clear()
    inflight.clear()
    dirty.clear()
    const channels = [...listeners.keys()]
    if (channels.length > 0) subscribe(c, channels, true)
  }

  const awaitConfirmed = (channel: string) =>
    Effect.callback<void, ConnectionError>((resume) => {
      if (confirmed.has(channel)) {
        resume(Effect.void)
        return
      }
      const waiter: Waiter = (error) => resume(error === undefined ? Effect.void : Effect.fail(error))
      let set = waiters.get(channel)
      if (set === undefined) waiters.set(channel, (set = new Set()))
      set.add(waiter)
      return Effect.sync(() => {
        const current = waiters.get(channel)
        if (current === undefined) return
        current.delete(waiter)
        if (current.size === 0) waiters.delete(channel)
      })
    })

  const addListener = (channel: string, onMessage: () => void): Listener => {
    const listener: Listener = { onMessage }
    let set = listeners.get(channel)
    if (set === undefined) {
      listeners.set(channel, (set = new Set()))
      touch(channel)
    }
    set.add(listener)
    return listener
  }

  const removeListener = (channel: string, listener: Listener) => {
    const set = listeners.get(channel)
    if (set === undefined) return
    set.delete(listener)
    if (set.size === 0) {
      listeners.delete(channel)
      touch(channel)
    }
  }

  yield* Effect.addFinalizer(() =>
    Effect.sync(() => {
      closed = true
      const error = new ConnectionError({ operation: "subscribe", message: "the Redis client was closed" })
      for (const channel of [...waiters.keys()]) settle(channel, error)
      if (conn !== undefined) conn.disconnect()
    })
  )

  const listen = (channel: string, onMessage: () => void): Effect.Effect<void, ConnectionError, Scope.Scope> =>
    Effect.acquireRelease(
      Effect.suspend(() =>
        closed
          ? Effect.fail(new ConnectionError({ operation: "subscribe", message: "the Redis client was closed" }))
          : Effect.sync(() => addListener(channel, onMessage))
      ),
      (listener) => Effect.sync(() => removeListener(channel, listener))
    ).pipe(Effect.andThen(awaitConfirmed(channel)))

  return Subscriber.of({
    listen,
    listenedChannels: Effect.sync(() => listeners.size)
  })
})

/**
 * The subscriber as a layer (needs the `RedisConnection`).
 *
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<Subscriber, never, RedisConnection> = Layer.effect(Subscriber, make)

// Internal

interface Listener {
  readonly onMessage: () => void
}

type Waiter = (error: ConnectionError | undefined) => void
