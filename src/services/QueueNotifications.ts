/**
 * The notifications a backend publishes as the queue changes (`queue:wake`
 * when work becomes available, `result:notify:{id}` on an outcome), heard
 * in-process: what the gateway's live feed listens to on the memory
 * backend (on Redis it holds a pub/sub connection instead, `LiveFeed`).
 *
 * @since 0.2.0
 */

import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"

/**
 * The notifications service.
 *
 * @category services
 * @since 0.2.0
 */
export class QueueNotifications extends Context.Service<QueueNotifications, {
  /** Calls `listener` with the channel of every notification published, until the scope closes. */
  readonly listen: (listener: (channel: string) => void) => Effect.Effect<void, never, Scope.Scope>
}>()("@bananas/effect/QueueNotifications") {}
