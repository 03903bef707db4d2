/**
 * Queues a worker cannot take from because their key holds another type
 * (`SET bananas:queue:low oops`, by a person or another program). A take
 * checks every source's type before moving anything (see `Take`), so one
 * broken key fails the whole take; the worker then takes from the other
 * priorities, in their order, and tries the broken one again every
 * `recheckMillis` (a repaired key is served again within that). Each
 * broken key is reported by a warning naming it, at most once per
 * `warnEveryMillis`.
 *
 * @since 0.2.0
 */

import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type { StorageError } from "../domain/Errors.ts"
import type { JobPriority } from "../domain/JobPriority.ts"

/**
 * The broken queues of one worker.
 *
 * @category models
 * @since 0.2.0
 */
export interface BrokenQueues {
  /** The priorities to take from now: all of them but those found broken less than `recheckMillis` ago (all, when every one is). */
  readonly usable: (now: number) => ReadonlyArray<JobPriority>
  /**
   * When `error` is a take refused because the key of one of `priorities`
   * holds another type: marks that priority broken (warning, rate-limited)
   * and succeeds with true; else false.
   */
  readonly refused: (error: unknown, priorities: ReadonlyArray<JobPriority>) => Effect.Effect<boolean>
}

/**
 * How long a broken queue is left out before it is tried again.
 *
 * @category constants
 * @since 0.2.0
 */
export const recheckMillis = 5_000

/**
 * The least time between two warnings about one broken key.
 *
 * @category constants
 * @since 0.2.0
 */
export const warnEveryMillis = 60_000

/**
 * Broken-queue bookkeeping over the worker's priorities, in order.
 *
 * @category constructors
 * @since 0.2.0
 */
export const make = (priorities: ReadonlyArray<JobPriority>): BrokenQueues => {
  const brokenAt = new Map<JobPriority, number>()
  const warnedAt = new Map<string, number>()
  return {
    usable: (now) => {
      if (brokenAt.size === 0) return priorities
      const usable = priorities.filter((p) => {
        const at = brokenAt.get(p)
        return at === undefined || now - at >= recheckMillis
      })
      return usable.length === 0 ? priorities : usable
    },
    refused: (error, tried) =>
      Effect.gen(function*() {
        const key = wrongTypeKey(error)
        // A source key ends with `queue:{priority}` (`queue:processing` is no priority).
        const priority = key === undefined ? undefined : tried.find((p) => key.endsWith(`queue:${p}`))
        if (key === undefined || priority === undefined || tried.length < 2) return false
        const now = yield* Clock.currentTimeMillis
        brokenAt.set(priority, now)
        const last = warnedAt.get(key)
        if (last === undefined || now - last >= warnEveryMillis) {
          warnedAt.set(key, now)
          yield* Effect.logWarning(
            `queue key ${key} holds the wrong type: its ${priority} jobs cannot be taken until it is repaired ` +
              `(the other priorities are served meanwhile; it is tried again every ${recheckMillis / 1000} s)`
          ).pipe(Effect.annotateLogs({ key }))
        }
        return true
      })
  }
}

// Internal

const wrongTypeKey = (error: unknown): string | undefined => {
  const e = error as Partial<StorageError> | undefined
  return e?._tag === "StorageError" && e.reason === "WrongType" && typeof e.key === "string" ? e.key : undefined
}
