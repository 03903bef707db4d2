/**
 * The dashboard's live feed: while at least one tab listens, it hears the
 * notifications the queue already publishes (`queue:wake` on every write
 * that makes work available, `result:notify:{id}` on every outcome): on
 * Redis over one pub/sub connection per gateway, on memory in-process
 * (`QueueNotifications`). A notification only marks the queue as changed;
 * once a second at most, the tabs are told so, and each reloads what it
 * shows through `/v1`. A tab costs the backend nothing while the queue is
 * quiet, and no more than one read a second while it is busy. A backend
 * with neither (a remote `TaskApi`) has no feed (the page says so).
 *
 * @since 0.2.0
 */

import * as Context from "effect/Context"
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
 * The feed: whether it can say anything (`available`), and the changes, one
 * element per interval in which the queue changed, for as long as the
 * stream is consumed.
 *
 * @category services
 * @since 0.2.0
 */
export class LiveFeed extends Context.Service<LiveFeed, {
  /** Whether the backend publishes notifications the feed can hear (Redis, memory). */
  readonly available: boolean
  /** One element per `interval` in which the queue changed, while consumed (empty when not `available`). */
  readonly changes: Stream.Stream<void>
}>()("@bananas/effect/gateway/LiveFeed") {}

/**
 * How often, at most, the tabs hear of a change.
 *
 * @category constants
 * @since 0.2.0
 */
export const interval: Duration.Duration = Duration.seconds(1)

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
  if (open === undefined) return LiveFeed.of({ available: false, changes: Stream.empty })
  const start = open
  const hub = yield* PubSub.sliding<void>(1)
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
    return PubSub.publish(hub, undefined)
  })))))
  return LiveFeed.of({
    available: true,
    changes: Stream.unwrap(Effect.acquireRelease(listen, () => leave).pipe(Effect.as(Stream.fromPubSub(hub))))
  })
}))
