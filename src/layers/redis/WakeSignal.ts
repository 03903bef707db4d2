/**
 * A one-slot wake-up signal between an event emitter callback (a pub/sub
 * message) and a waiting fiber. A `notify` that arrives while nobody awaits
 * is remembered, so a wake-up that lands while the fiber is busy re-checking
 * is never lost: the next `await` returns at once.
 *
 * Internal to the Redis layers.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

/**
 * The signal.
 *
 * @category models
 * @since 0.1.0
 */
export interface WakeSignal {
  /** Wakes the waiter, or marks the signal pending when nobody waits. Safe from any callback. */
  readonly notify: () => void
  /** Resumes on the next (or a pending) notification. Interruptible. */
  readonly await: Effect.Effect<void>
  /** `await`, giving up after `duration`: true when woken, false on time out. */
  readonly awaitFor: (duration: Duration.Input) => Effect.Effect<boolean>
}

/**
 * A fresh, non-pending signal.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (): WakeSignal => {
  let pending = false
  let waiter: (() => void) | undefined
  const notify = () => {
    if (waiter !== undefined) {
      const wake = waiter
      waiter = undefined
      wake()
    } else {
      pending = true
    }
  }
  const await_ = Effect.callback<void>((resume) => {
    if (pending) {
      pending = false
      resume(Effect.void)
      return
    }
    waiter = () => resume(Effect.void)
    return Effect.sync(() => {
      waiter = undefined
    })
  })
  return {
    notify,
    await: await_,
    awaitFor: (duration) => Effect.map(Effect.timeoutOption(await_, duration), Option.isSome)
  }
}
