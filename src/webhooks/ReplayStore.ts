/**
 * What a webhook receiver remembers to reject replays: signatures it has
 * seen (an exact resend of a delivery, within the timestamp tolerance) and
 * events it has processed (a redelivery is acknowledged without running
 * the handler again). The default is in memory, bounded; give a shared one
 * (e.g. on Redis) when several receivers serve one endpoint.
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"

/**
 * A store of keys that expire.
 *
 * @category models
 * @since 0.2.0
 */
export interface ReplayStore {
  /** Records `key` for `ttlMillis`: true the first time, false while it is still recorded. */
  readonly remember: (key: string, ttlMillis: number) => Effect.Effect<boolean>
  /** True while `key` is recorded. */
  readonly has: (key: string) => Effect.Effect<boolean>
}

/**
 * An in-memory store holding at most `maxEntries` keys (the oldest are
 * dropped first).
 *
 * @category constructors
 * @since 0.2.0
 */
export const memory = (maxEntries = 100_000): ReplayStore => {
  const expiries = new Map<string, number>()
  const live = (key: string, now: number) => {
    const until = expiries.get(key)
    if (until === undefined) return false
    if (until > now) return true
    expiries.delete(key)
    return false
  }
  return {
    remember: (key, ttlMillis) =>
      Effect.sync(() => {
        const now = Date.now()
        if (live(key, now)) return false
        expiries.set(key, now + ttlMillis)
        // Maps iterate in insertion order: the first keys are the oldest.
        for (const old of expiries.keys()) {
          if (expiries.size <= maxEntries) break
          expiries.delete(old)
        }
        return true
      }),
    has: (key) => Effect.sync(() => live(key, Date.now()))
  }
}
