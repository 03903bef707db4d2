/**
 * A broadcast wake-up between a pub/sub callback and any number of waiting
 * fibers, counted in generations: `notify` starts a new generation and
 * wakes every waiter; a waiter that remembers the generation it last looked
 * at (`current`) returns at once from `awaitAfter` when a wake-up arrived
 * since, so a wake-up that lands while it was busy looking is never lost.
 *
 * Internal to the Redis layers (the wake-ups of idle takes).
 *
 * @stability internal
 * @since 0.1.0
 */

import * as Effect from "effect/Effect"

/**
 * The signal.
 *
 * @category models
 * @since 0.1.0
 */
export interface WakeSignal {
  /** Starts a new generation and wakes every waiter. Safe from any callback. */
  readonly notify: () => void
  /** The current generation. */
  readonly current: () => number
  /**
   * Resumes once the generation is past `seen` (at once if it is already):
   * true; or after `millis` of real time (a timer, not the Effect Clock:
   * these waits only pace re-checks): false. Interruptible.
   */
  readonly awaitAfter: (seen: number, millis: number) => Effect.Effect<boolean>
}

/**
 * A fresh signal at generation 0.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (): WakeSignal => {
  let generation = 0
  const waiters = new Set<() => void>()
  const notify = () => {
    generation++
    for (const wake of waiters) wake()
    waiters.clear()
  }
  const awaitAfter = (seen: number, millis: number) =>
    Effect.callback<boolean>((resume) => {
      if (generation !== seen) return resume(Effect.succeed(true))
      const wake = () => {
        clearTimeout(timer)
        resume(Effect.succeed(true))
      }
      const timer = setTimeout(() => {
        waiters.delete(wake)
        resume(Effect.succeed(false))
      }, millis)
      waiters.add(wake)
      return Effect.sync(() => {
        clearTimeout(timer)
        waiters.delete(wake)
      })
    })
  return { notify, current: () => generation, awaitAfter }
}
