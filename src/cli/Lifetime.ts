/**
 * Whether this invocation is a service (`worker`, `scheduler`, `reaper`,
 * `serve`): one that runs until SIGINT / SIGTERM and then stops
 * gracefully, which is its normal end (exit code 0). Any other command
 * stopped by a signal was cut short (exit code 130).
 *
 * @since 0.2.0
 */

import * as Effect from "effect/Effect"

let service = false

/**
 * Marks the invocation as a service (called by the long-running commands).
 *
 * @category lifecycle
 * @since 0.2.0
 */
export const runsUntilStopped: Effect.Effect<void> = Effect.sync(() => {
  service = true
})

/**
 * Whether a signal is this invocation's normal end.
 *
 * @category lifecycle
 * @since 0.2.0
 */
export const isService = (): boolean => service
