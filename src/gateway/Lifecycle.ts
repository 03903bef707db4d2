/**
 * The gateway's shutdown signal: fired when the gateway starts to stop,
 * before the HTTP server waits for its in-flight requests, so long-polls end
 * at once (with a 503 clients retry elsewhere) instead of holding the
 * shutdown for their whole wait.
 *
 * A plain listener set, not a `Deferred`: each long-poll registers and
 * removes one listener (O(1) each), where racing thousands of polls
 * against one `Deferred` cost each of them a fiber and a waiter-list scan.
 *
 * @since 0.2.0
 */

import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/**
 * The shutdown signal: `register` a listener (called once, when the gateway
 * starts to stop, or at once if it has) and get the function that removes it.
 *
 * @category services
 * @since 0.2.0
 */
export class ShuttingDown extends Context.Service<ShuttingDown, {
  /** Adds `listener`; returns its removal. */
  readonly register: (listener: () => void) => () => void
  /** Fires the signal (once): every listener is called. */
  readonly fire: () => void
}>()("@bananas/effect/gateway/ShuttingDown") {}

/**
 * A fresh signal, not fired.
 *
 * @category layers
 * @since 0.2.0
 */
export const layer: Layer.Layer<ShuttingDown> = Layer.sync(ShuttingDown, () => {
  const listeners = new Set<() => void>()
  let fired = false
  return ShuttingDown.of({
    register: (listener) => {
      if (fired) {
        listener()
        return () => {}
      }
      // A wrapper per registration: the same function registered twice is two listeners.
      const entry = () => listener()
      listeners.add(entry)
      return () => void listeners.delete(entry)
    },
    fire: () => {
      if (fired) return
      fired = true
      const all = [...listeners]
      listeners.clear()
      for (const listener of all) listener()
    }
  })
})

/**
 * Fires the signal when released: build it after (above) the server, so it
 * is released first.
 *
 * @category layers
 * @since 0.2.0
 */
export const trigger: Layer.Layer<never, never, ShuttingDown> = Layer.effectDiscard(Effect.gen(function*() {
  const signal = yield* ShuttingDown
  yield* Effect.addFinalizer(() => Effect.sync(signal.fire))
}))
