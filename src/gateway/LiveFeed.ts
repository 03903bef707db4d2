/**
 * The dashboard's live feed: while at least one tab listens, it hears the
 * notifications the queue already publishes (`queue:wake` on every write
 * that makes work available, `result:notify:{id}` on every outcome): on
 * Redis over one pub/sub connection per gateway, on memory in-process
 * (`QueueNotifications`). A notification only marks the queue as changed;
 * every 2 s at most, all tabs are told so at once, with a snapshot token,
 * and each reloads what it shows through `/v1`, naming the token
 * (`snapshotHeader`): the overview's reads (`share`) run once for all the
 * tabs that name the same token, so a busy queue costs one overview read
 * per change, whatever the number of tabs. A tab costs the backend nothing
 * while the queue is quiet. A backend with neither (a remote `TaskApi`)
 * has no feed (the page says so).
 *
 * @since 0.2.0
 */

import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as PubSub from "effect/PubSub"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { RedisPort } from "../layers/redis/BananasRedis.ts"
import * as Keys from "../protocol/Keys.ts"
import { JobQueue } from "../services/JobQueue.ts"
import { QueueNotifications } from "../services/QueueNotifications.ts"

/**
 * The feed: whether it can say anything (`available`), the changes, one
 * snapshot token per interval in which the queue changed, for as long as
 * the stream is consumed, and `share`, which runs a read once for all the
 * requests naming the latest token.
 *
 * @category services
 * @since 0.2.0
 */
export class LiveFeed extends Context.Service<LiveFeed, {
  /** Whether the backend publishes notifications the feed can hear (Redis, memory). */
  readonly available: boolean
  /** One snapshot token per `interval` in which the queue changed, while consumed (empty when not `available`). */
  readonly changes: Stream.Stream<string>
  /**
   * `read` made shareable: called with the token of a request
   * (`snapshotHeader`), it runs `read` once for every request naming the
   * latest token within `interval` of its announcement (the read starts
   * after the change it announces, so it shows it); any other request,
   * with no token, an older one or one the feed never gave, runs `read`
   * itself. A failed read is not kept for later requests.
   */
  readonly share: <A, E>(read: Effect.Effect<A, E>) => (snapshot: string | undefined) => Effect.Effect<A, E>
}>()("@bananas/effect/gateway/LiveFeed") {}

/**
 * How often, at most, the tabs hear of a change (and so reload a view).
 *
 * @category constants
 * @since 0.2.0
 */
export const interval: Duration.Duration = Duration.seconds(2)

/**
 * The request header in which a tab names the snapshot token of the change
 * it reloads for (`share`).
 *
 * @category constants
 * @since 0.2.0
 */
export const snapshotHeader = "bananas-snapshot"

/**
 * No feed: no changes, every read its own (a gateway without the dashboard).
 *
 * @category layers
 * @since 0.2.0
 */
export const layerOff: Layer.Layer<LiveFeed> = Layer.sync(LiveFeed, () => off)

/**
 * The feed on the backend in context: Redis's pub/sub, else the memory
 * backend's `QueueNotifications`, else unavailable.
 *
 * @category layers
 * @since 0.2.0
 */
export const layer: Layer.Layer<LiveFeed, never, JobQueue> = Layer.effect(LiveFeed, Effect.gen(function*() {
  const port = yield* Effect.serviceOption(RedisPort.RedisPort)
  const notifications = yield* Effect.serviceOption(QueueNotifications)
  const keys = (yield* JobQueue).protocol.keys
  /** Starts hearing notifications (each calls `mark`); returns how to stop. */
  let open: ((mark: () => void) => Effect.Effect<() => void>) | undefined
  if (Option.isSome(port)) {
    open = (mark) =>
      Effect.sync(() => {
        const c = port.value.pubsub()
        c.onMessage(mark)
        c.onPatternMessage?.(mark)
        c.onReady(() => {
          void c.subscribe([keys.wake]).catch(() => undefined)
          void c.psubscribe?.([`${Keys.escapeGlob(keys.notify(""))}*`]).catch(() => undefined)
        })
        c.onError(() => undefined) // the driver logs and reconnects
        c.connect()
        return () => c.close()
      })
  } else if (Option.isSome(notifications)) {
    const notifyPrefix = keys.notify("")
    open = (mark) =>
      Effect.gen(function*() {
        const scope = yield* Scope.make()
        yield* Effect.provideService(notifications.value.listen((channel) => {
          if (channel === keys.wake || channel.startsWith(notifyPrefix)) mark()
        }), Scope.Scope, scope)
        return () => Effect.runSync(Scope.close(scope, Exit.void))
      })
  }
  if (open === undefined) return off
  const start = open
  const hub = yield* PubSub.sliding<string>(1)
  // Tokens unique to this gateway: another replica's token never names one of its reads.
  const boot = Math.random().toString(36).slice(2, 10)
  let ticks = 0
  /** The latest token announced, and when. */
  let latest: { readonly token: string; readonly at: number } | undefined
  let listeners = 0
  let changed = false
  let stop: (() => void) | undefined
  const mark = () => {
    changed = true
  }

  const listen = Effect.suspend(() => {
    listeners++
    if (stop !== undefined) return Effect.void
    return Effect.map(start(mark), (close) => {
      stop = close
    })
  })
  const leave = Effect.sync(() => {
    listeners--
    if (listeners === 0 && stop !== undefined) {
      stop()
      stop = undefined
    }
  })
  yield* Effect.addFinalizer(() => Effect.sync(() => stop?.()))
  yield* Effect.forkScoped(Effect.forever(Effect.sleep(interval).pipe(Effect.andThen(Effect.suspend(() => {
    if (!changed) return Effect.void
    changed = false
    return Effect.flatMap(Clock.currentTimeMillis, (at) => {
      latest = { token: `${boot}.${++ticks}`, at }
      return PubSub.publish(hub, latest.token)
    })
  })))))
  const fresh = Duration.toMillis(interval)
  const share = <A, E>(read: Effect.Effect<A, E>) => {
    let last: { readonly token: string; readonly done: Deferred.Deferred<A, E> } | undefined
    return (snapshot: string | undefined): Effect.Effect<A, E> =>
      snapshot === undefined ? read : Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const current = latest
        if (current === undefined || snapshot !== current.token || now - current.at > fresh) return read
        if (last?.token === snapshot) return Deferred.await(last.done)
        const entry = { token: snapshot, done: Deferred.makeUnsafe<A, E>() }
        last = entry
        // Detached: a first requester that goes away leaves the read to the others.
        const run = Effect.flatMap(Effect.exit(read), (exit) => {
          if (exit._tag === "Failure" && last === entry) last = undefined
          return Deferred.done(entry.done, exit)
        })
        return Effect.andThen(Effect.forkDetach(run), Deferred.await(entry.done))
      })
  }
  return LiveFeed.of({
    available: true,
    changes: Stream.unwrap(Effect.acquireRelease(listen, () => leave).pipe(Effect.as(Stream.fromPubSub(hub)))),
    share
  })
}))

// Internal

const off = LiveFeed.of({ available: false, changes: Stream.empty, share: (read) => () => read })
