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
 * timeout. A `SUBSCRIBE` that Redis neither confirms nor refuses is sent
 * again after 2 s (then 4, 8, ... up to 30 s): a driver can lose one
 * without a reconnect (ioredis 5's Cluster sends it to a subscriber node it
 * is replacing).
 *
 * `listenUnsafe` is the same registration for callback-driven callers (the
 * result backend's waits, which run no fiber of their own): it registers at
 * once and reports the confirmation through a callback.
 *
 * The connection is opened on the first `listen`, so a client that never
 * waits keeps a single (command) connection. It is closed with the layer.
 *
 * @stability unstable
 * @since 0.1.0
 */

import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { ConnectionError } from "../../domain/Errors.ts"
import { type PubSubConnection, RedisPort } from "./RedisPort.ts"

/**
 * The shared subscriber service.
 *
 * @category services
 * @since 0.1.0
 */
export class Subscriber extends Context.Service<Subscriber, {
  /**
   * Calls `onMessage` for every message on `channel` (with its payload;
   * none after a reconnect, when messages may have been lost) until the scope
   * closes; resolves once the subscription is confirmed by Redis. Closing
   * the scope (including by interruption or timeout) removes the listener
   * and, if it was the last one, unsubscribes the channel.
   */
  readonly listen: (channel: string, onMessage: (message?: string) => void) => Effect.Effect<void, ConnectionError, Scope.Scope>
  /**
   * `listen` for callers that run outside a fiber: registers `onMessage` on
   * `channel` at once and returns the function that removes it (idempotent).
   * `onConfirmed` runs once: with no error when Redis confirmed the
   * subscription (synchronously, before this returns, when the channel is
   * confirmed already), or with a `ConnectionError` when it cannot be (the
   * connection is down or the client closed); the registration then stays
   * until removed. Callbacks must not throw.
   */
  readonly listenUnsafe: (
    channel: string,
    onMessage: (message?: string) => void,
    onConfirmed: (error: ConnectionError | undefined) => void
  ) => () => void
  /** Channels with at least one listener (for tests and metrics). */
  readonly listenedChannels: Effect.Effect<number>
}>()("@bananas/effect/redis/Subscriber") {}

/**
 * Builds the subscriber on the `RedisPort` in context. The pub/sub
 * connection itself opens lazily, on the first `listen`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.gen(function*() {
  const port = yield* RedisPort
  const context = yield* Effect.context<never>()
  const runSync = Effect.runSyncWith(context)
  const runFork = Effect.runForkWith(context)
  const warn = (message: string, cause: unknown) => runSync(Effect.logWarning(message, cause))

  /** Listeners by channel (an array: nearly always one). */
  const listeners = new Map<string, Array<Registration>>()
  /** Listeners still waiting for their channel's confirmation. */
  const unconfirmed = new Set<Registration>()
  /** Channels Redis confirmed and that we have not asked to unsubscribe since. */
  const confirmed = new Set<string>()
  /** Channels whose SUBSCRIBE is on its way. */
  const inflight = new Set<string>()
  /** Channels whose listener set changed since the last flush. */
  const dirty = new Set<string>()
  let flushScheduled = false
  let closed = false
  /** Timers of SUBSCRIBEs not yet answered (`subscribe`), stopped with the layer. */
  const resends = new Set<Fiber.Fiber<void>>()
  /** Bumped on reconnect: replies to commands of an older connection are ignored. */
  let generation = 0
  let conn: PubSubConnection | undefined

  const connectionFor = (): PubSubConnection => {
    if (conn !== undefined) return conn
    const c = port.pubsub()
    let everReady = false
    c.onMessage((channel, message) => {
      const list = listeners.get(channel)
      if (list === undefined) return
      if (list.length === 1) wake(list[0]!, message)
      else for (const l of [...list]) wake(l, message)
    })
    c.onReady(() => {
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
    c.onError((cause) => {
      if (c.isReady()) return
      failUnconfirmed(new ConnectionError({
        operation: "subscribe",
        message: `Redis pub/sub connection to ${port.target} unavailable: ${cause instanceof Error ? cause.message : String(cause)}`,
        cause
      }))
    })
    c.connect()
    conn = c
    return c
  }

  /** Calls a listener: with the message's payload, or none for a wake-up after a reconnect. */
  const wake = (l: Registration, message?: string) => {
    if (l.removed) return
    try {
      l.onMessage(message)
    } catch (cause) {
      warn("bananas redis subscriber: listener failed", cause)
    }
  }

  const confirm = (l: Registration, error: ConnectionError | undefined) => {
    unconfirmed.delete(l)
    l.pending = false
    try {
      l.onConfirmed(error)
    } catch (cause) {
      warn("bananas redis subscriber: listener failed", cause)
    }
  }

  const confirmChannel = (channel: string, error: ConnectionError | undefined) => {
    const list = listeners.get(channel)
    if (list === undefined) return
    for (const l of list.length === 1 ? list : [...list]) if (l.pending) confirm(l, error)
  }

  const failUnconfirmed = (error: ConnectionError) => {
    for (const l of [...unconfirmed]) confirm(l, error)
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
    if (!c.isReady()) return
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
      c.unsubscribe(toUnsubscribe).catch((cause: unknown) => warn("bananas redis subscriber: UNSUBSCRIBE failed", cause))
    }
    if (toSubscribe.length > 0) subscribe(c, toSubscribe, false)
  }

  const subscribe = (c: PubSubConnection, channels: Array<string>, wakeAll: boolean, resendMillis = firstResendMillis) => {
    const gen = generation
    for (const channel of channels) inflight.add(channel)
    // Unanswered after `resendMillis`: the channels still waiting go out again.
    const resend: Fiber.Fiber<void> = runFork(Effect.andThen(
      Effect.sleep(resendMillis),
      Effect.sync(() => {
        if (gen !== generation || closed || conn !== c) return
        const waiting: Array<string> = []
        for (const channel of channels) {
          if (!inflight.has(channel) || confirmed.has(channel)) continue
          // Everyone left: not asked again (a late confirmation unsubscribes it).
          if (listeners.has(channel)) waiting.push(channel)
          else inflight.delete(channel)
        }
        if (waiting.length === 0) return
        runSync(Effect.logWarning(`bananas redis subscriber: SUBSCRIBE of ${waiting.length} channel(s) unanswered after ${resendMillis} ms; sending it again`))
        subscribe(c, waiting, wakeAll, Math.min(resendMillis * 2, maxResendMillis))
      })
    ))
    resends.add(resend)
    resend.addObserver(() => resends.delete(resend))
    c.subscribe(channels).then(
      () => {
        resend.interruptUnsafe()
        if (gen !== generation) return
        for (const channel of channels) {
          inflight.delete(channel)
          confirmed.add(channel)
          if (listeners.has(channel)) confirmChannel(channel, undefined)
          else touch(channel) // everyone left meanwhile
        }
        if (wakeAll) for (const list of [...listeners.values()]) for (const l of [...list]) wake(l)
      },
      (cause: unknown) => {
        resend.interruptUnsafe()
        if (gen !== generation) return
        const error = new ConnectionError({
          operation: "subscribe",
          message: `Redis SUBSCRIBE failed: ${cause instanceof Error ? cause.message : String(cause)}`,
          cause
        })
        for (const channel of channels) {
          inflight.delete(channel)
          confirmChannel(channel, error)
        }
      }
    )
  }

  const resubscribeAll = (c: PubSubConnection) => {
    generation++
    confirmed.clear()
    inflight.clear()
    dirty.clear()
    const channels = [...listeners.keys()]
    if (channels.length > 0) subscribe(c, channels, true)
  }

  const remove = (l: Registration) => {
    if (l.removed) return
    l.removed = true
    unconfirmed.delete(l)
    const list = listeners.get(l.channel)
    if (list === undefined) return
    const i = list.indexOf(l)
    if (i >= 0) list.splice(i, 1)
    if (list.length === 0) {
      listeners.delete(l.channel)
      touch(l.channel)
    }
  }

  const listenUnsafe = (
    channel: string,
    onMessage: (message?: string) => void,
    onConfirmed: (error: ConnectionError | undefined) => void
  ): () => void => {
    const l: Registration = { channel, onMessage, onConfirmed, pending: true, removed: false }
    if (closed) {
      l.removed = true
      confirm(l, closedError())
      return noop
    }
    const list = listeners.get(channel)
    if (list === undefined) {
      listeners.set(channel, [l])
      touch(channel)
    } else {
      list.push(l)
    }
    if (confirmed.has(channel)) confirm(l, undefined)
    else unconfirmed.add(l)
    return () => remove(l)
  }

  yield* Effect.addFinalizer(() =>
    Effect.sync(() => {
      closed = true
      for (const resend of resends) resend.interruptUnsafe()
      failUnconfirmed(closedError())
      if (conn !== undefined) conn.close()
    })
  )

  const listen = (channel: string, onMessage: (message?: string) => void): Effect.Effect<void, ConnectionError, Scope.Scope> =>
    Effect.acquireRelease(
      Effect.sync(() => {
        const state: ListenState = { remove: noop, outcome: undefined, resume: undefined }
        state.remove = listenUnsafe(channel, onMessage, (error) => {
          state.outcome = error === undefined ? Effect.void : Effect.fail(error)
          state.resume?.(state.outcome)
        })
        return state
      }),
      (state) => Effect.sync(state.remove)
    ).pipe(Effect.flatMap((state) =>
      state.outcome ?? Effect.callback<void, ConnectionError>((resume) => {
        if (state.outcome !== undefined) return resume(state.outcome)
        state.resume = resume
        return Effect.sync(() => {
          state.resume = undefined
        })
      })
    ))

  return Subscriber.of({
    listen,
    listenUnsafe,
    listenedChannels: Effect.sync(() => listeners.size)
  })
})

/**
 * The subscriber as a layer (needs the `RedisPort`).
 *
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<Subscriber, never, RedisPort> = Layer.effect(Subscriber, make)

// Internal

/** How long a SUBSCRIBE may go unanswered before it is sent again (doubling each time, up to `maxResendMillis`). */
const firstResendMillis = 2_000
const maxResendMillis = 30_000

interface Registration {
  readonly channel: string
  readonly onMessage: (message?: string) => void
  readonly onConfirmed: (error: ConnectionError | undefined) => void
  /** Waiting for the channel's confirmation. */
  pending: boolean
  removed: boolean
}

interface ListenState {
  remove: () => void
  outcome: Effect.Effect<void, ConnectionError> | undefined
  resume: ((effect: Effect.Effect<void, ConnectionError>) => void) | undefined
}

const noop = () => {}

const closedError = () => new ConnectionError({ operation: "subscribe", message: "the Redis client was closed" })
