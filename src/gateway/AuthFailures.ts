/**
 * The gateway's limit on failed authentications per client address: after
 * `limit` wrong or missing keys within a minute, the address gets 429
 * (`Retry-After`) until that minute is over, whatever key it presents, so
 * keys cannot be guessed at request speed. The table holds at most 10,000
 * addresses (the oldest windows give way first): its memory is bounded
 * whatever the number of addresses. Each gateway process keeps its own.
 *
 * @since 0.2.0
 */

import * as Context from "effect/Context"
import * as Layer from "effect/Layer"

/**
 * The failed authentications seen, per address.
 *
 * @category services
 * @since 0.2.0
 */
export class AuthFailures extends Context.Service<AuthFailures, {
  /** How long `address` must wait before it may authenticate again, in milliseconds (0: it may now). */
  readonly blockedFor: (address: string) => number
  /** Counts one failed authentication of `address`. */
  readonly record: (address: string) => void
}>()("@bananas/effect/gateway/AuthFailures") {}

/**
 * The table: `limit` failures per `windowMillis` per address, at most
 * `maxAddresses` addresses remembered; `limit` undefined: no limit.
 *
 * @category constructors
 * @since 0.2.0
 */
export const make = (
  limit: number | undefined,
  options: { readonly windowMillis?: number; readonly maxAddresses?: number; readonly now?: () => number } = {}
): AuthFailures["Service"] => {
  if (limit === undefined) return { blockedFor: () => 0, record: () => undefined }
  const windowMillis = options.windowMillis ?? 60_000
  const maxAddresses = options.maxAddresses ?? 10_000
  const now = options.now ?? Date.now
  // Insertion order is window order (an entry is re-inserted when its window restarts): the first is the oldest.
  const table = new Map<string, { readonly start: number; count: number }>()
  const live = (address: string, at: number) => {
    const entry = table.get(address)
    if (entry === undefined || at - entry.start < windowMillis) return entry
    table.delete(address)
    return undefined
  }
  return {
    blockedFor: (address) => {
      const at = now()
      const entry = live(address, at)
      return entry !== undefined && entry.count >= limit ? Math.max(1, entry.start + windowMillis - at) : 0
    },
    record: (address) => {
      const at = now()
      const entry = live(address, at)
      if (entry !== undefined) {
        entry.count++
        return
      }
      for (const [oldest, e] of table) {
        if (table.size < maxAddresses && at - e.start < windowMillis) break
        table.delete(oldest)
      }
      table.set(address, { start: at, count: 1 })
    }
  }
}

/**
 * The table as a layer (one per gateway).
 *
 * @category layers
 * @since 0.2.0
 */
export const layer = (limit: number | undefined): Layer.Layer<AuthFailures> => Layer.sync(AuthFailures, () => make(limit))
