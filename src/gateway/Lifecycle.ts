/**
 * The gateway's shutdown signal: completed when the gateway starts to stop,
 * before the HTTP server waits for its in-flight requests, so long-polls end
 * at once (with a 503 clients retry elsewhere) instead of holding the
 * shutdown for their whole wait.
 *
 * @since 0.2.0
 */
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/**
 * Completed once the gateway is shutting down.
 *
 * @category services
 * @since 0.2.0
 */
export class ShuttingDown extends Context.Service<ShuttingDown, Deferred.Deferred<void>>()("@bananas/effect/gateway/ShuttingDown") {}

/**
 * A fresh, open signal.
 *
 * @category layers
 * @since 0.2.0
 */
export const layer: Layer.Layer<ShuttingDown> = Layer.effect(ShuttingDown, Deferred.make<void>())

/**
 * Completes the signal when released: build it after (above) the server, so
 * it is released first.
 *
 * @category layers
 * @since 0.2.0
 */
export const trigger: Layer.Layer<never, never, ShuttingDown> = Layer.effectDiscard(Effect.gen(function*() {
  const signal = yield* ShuttingDown
  yield* Effect.addFinalizer(() => Deferred.succeed(signal, undefined))
}))
