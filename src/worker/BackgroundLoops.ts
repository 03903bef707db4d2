/**
 * Background loops of the worker (dispatch, promotion, reaping) must outlive
 * any single failed pass: a connection error, or a defect such as a bug in
 * a handler-independent step, is logged and the loop goes on. Only
 * interruption ends them.
 *
 * @since 0.1.0
 */

import * as Cause from "effect/Cause"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

/**
 * Runs one pass; any failure or defect is logged as a warning with its
 * cause and becomes `orElse`. Interruption still interrupts.
 *
 * @category combinators
 * @since 0.1.0
 */
export const surviving = <B>(message: string, orElse: B) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A | B, never, R> =>
  Effect.catchCause(self, (cause) =>
    Cause.hasInterruptsOnly(cause)
      ? Effect.interrupt
      : Effect.as(Effect.logWarning(message, cause), orElse))

/**
 * Runs `pass` every `interval`, forever (until interrupted), each pass
 * `surviving`; logs are annotated with `module`.
 *
 * @category combinators
 * @since 0.1.0
 */
export const every = <A, E, R>(
  pass: Effect.Effect<A, E, R>,
  options: { readonly interval: Duration.Input; readonly failure: string; readonly module: string }
): Effect.Effect<never, never, R> =>
  pass.pipe(
    surviving(options.failure, undefined),
    Effect.andThen(Effect.sleep(options.interval)),
    Effect.forever,
    Effect.annotateLogs({ module: options.module })
  )
