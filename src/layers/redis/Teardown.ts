/**
 * Closing a driver connection in bounded time. A polite `QUIT` waits for
 * Redis's answer, which never comes from a Redis that is gone (stopped,
 * frozen, behind a cut network): a connection that is not ready is
 * dropped at once, and a `QUIT` that is not answered within
 * `quitTimeoutMillis` is followed by a drop. Driver-independent: the
 * adapter passes its connection's operations in.
 *
 * @stability unstable
 * @since 0.2.0
 */

import * as Effect from "effect/Effect"

/**
 * What closing needs of a connection.
 *
 * @category models
 * @since 0.2.0
 */
export interface Closable {
  /** True when the connection is up and usable (a `QUIT` can be answered). */
  readonly isReady: () => boolean
  /** True when it is closed already. */
  readonly isClosed: () => boolean
  /** Sends `QUIT`; resolves on its answer. */
  readonly quit: () => Promise<unknown>
  /** Drops the connection now (no reconnect). */
  readonly disconnect: () => void
}

/**
 * How long a `QUIT` may wait for its answer before the connection is
 * dropped (1 second).
 *
 * @category constants
 * @since 0.2.0
 */
export const quitTimeoutMillis = 1_000

/**
 * Closes the connection: `QUIT` when ready (bounded by `timeoutMillis`),
 * else a drop. Never fails, never waits longer than `timeoutMillis`.
 *
 * @category combinators
 * @since 0.2.0
 */
export const close = (c: Closable, timeoutMillis: number = quitTimeoutMillis): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    if (c.isClosed()) return resume(Effect.void)
    if (!c.isReady()) {
      c.disconnect()
      return resume(Effect.void)
    }
    let done = false
    const finish = () => {
      if (done) return
      done = true
      clearTimeout(timer)
      resume(Effect.void)
    }
    const timer = setTimeout(() => {
      c.disconnect()
      finish()
    }, timeoutMillis)
    c.quit().then(finish, () => {
      c.disconnect()
      finish()
    })
  })
