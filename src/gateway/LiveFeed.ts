/**
 * The dashboard's live feed: one pub/sub connection per gateway, open only
 * while at least one tab listens, to the notifications the queue already
 * publishes (`queue:wake` on every write that makes work available,
 * `result:notify:{id}` on every outcome). A notification only marks the
 * queue as changed; once a second at most, the tabs are told so, and each
 * reloads what it shows through `/v1`. A tab costs Redis nothing while the
 * queue is quiet, and no more than one read a second while it is busy.
 * Redis only: on memory the feed is unavailable (the page says so).
 *
 * @since 0.2.0
 */

import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as PubSub from "effect/PubSub"
import * as Stream from "effect/Stream"
import { RedisPort } from "../layers/redis/BananasRedis.ts"
import * as Keys from "../protocol/Keys.ts"
import { JobQueue } from "../services/JobQueue.ts"

/**
 * The feed: whether it can say anything (`available`), and the changes, one
 * element per interval in which the queue changed, for as long as the
 * stream is consumed.
 *
 * @category services
 * @since 0.2.0
 */
export class LiveFeed extends Context.Service<LiveFeed, {
  /** Whether the backend publishes notifications the feed can hear (Redis). */
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
 * The feed on the backend in context (unavailable without a `RedisPort`).
 *
 * @category layers
 * @since 0.2.0
 */
export const layer: Layer.Layer<LiveFeed, never, JobQueue> = Layer.effect(LiveFeed, Effect.gen(function*() {
  const port = yield* Effect.serviceOption(RedisPort.RedisPort)
  if (Option.isNone(port)) return LiveFeed.of({ available: false, changes: Stream.empty })
  const keys = (yield* JobQueue).protocol.keys
  const hub = yield* PubSub.sliding<void>(1)
  let listeners = 0
  let changed = false
  let connection: RedisPort.PubSubConnection | undefined

  const listen = Effect.sync(() => {
    listeners++
    if (connection !== undefined) return
    const c = port.value.pubsub()
    const mark = () => {
      changed = true
    }
    c.onMessage(mark)
    c.onPatternMessage?.(mark)
    c.onReady(() => {
      void c.subscribe([keys.wake]).catch(() => undefined)
      void c.psubscribe?.([`${Keys.escapeGlob(keys.notify(""))}*`]).catch(() => undefined)
    })
    c.onError(() => undefined) // the driver logs and reconnects
    c.connect()
    connection = c
  })
  const leave = Effect.sync(() => {
    listeners--
    if (listeners === 0 && connection !== undefined) {
      connection.close()
      connection = undefined
    }
  })
  yield* Effect.addFinalizer(() => Effect.sync(() => connection?.close()))
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
