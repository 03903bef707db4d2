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
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

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
  /**
   * `await`, giving up after `duration` of real time (a timer, not the
   * Effect Clock): true when woken, false on time out.
   */
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
  // A plain timer rather than `Effect.timeoutOption`: no extra fiber per
  // wait (10,000 concurrent waits each sleep here). These timeouts only pace
  // re-checks; deadlines that callers see are kept with Effect's Clock.
  const awaitFor = (duration: Duration.Input) =>
    Effect.callback<boolean>((resume) => {
      if (pending) {
        pending = false
        resume(Effect.succeed(true))
        return
      }
      const timer = setTimeout(() => {
        waiter = undefined
        resume(Effect.succeed(false))
      }, Duration.toMillis(duration))
      waiter = () => {
        clearTimeout(timer)
        resume(Effect.succeed(true))
      }
      return Effect.sync(() => {
        clearTimeout(timer)
        waiter = undefined
      })
    })
  return { notify, await: await_, awaitFor }
}
