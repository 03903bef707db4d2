/**
 * The producer's trace context, carried with the job: a W3C `traceparent`
 * (`00-<trace id>-<span id>-<flags>`) in the job JSON's `trace_context`
 * field, written after Go's fields. The worker's `bananas.worker.execute`
 * span is then a child of the span that submitted the job, in the same
 * trace, across processes.
 *
 * **Gotchas**
 *
 * - Go's `encoding/json` ignores the field, and drops it whenever Go
 *   rewrites the job (complete, fail, promote): a job retried by a Go
 *   worker loses its trace context.
 * - It is written only when there is somewhere to send traces: a tracer
 *   other than Effect's built-in one is installed (e.g. `effect/observability`
 *   OTLP), the span is sampled, and `Tracer.DisablePropagation` is off.
 *   Otherwise the job JSON is byte for byte Go's.
 *
 * @since 0.2.0
 */

import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as References from "effect/References"
import * as Tracer from "effect/Tracer"

/**
 * True for a W3C `traceparent` of version 00 with non-zero ids.
 *
 * @category guards
 * @since 0.2.0
 */
export const isTraceparent = (text: string): boolean => {
  const m = pattern.exec(text)
  return m !== null && !/^0+$/.test(m[1]!) && !/^0+$/.test(m[2]!)
}

/**
 * The `traceparent` of a span.
 *
 * @category constructors
 * @since 0.2.0
 */
export const format = (span: Pick<Tracer.Span, "traceId" | "spanId" | "sampled">): string =>
  `00-${span.traceId.padStart(32, "0")}-${span.spanId.padStart(16, "0")}-${span.sampled ? "01" : "00"}`

/**
 * The span a `traceparent` names, as a parent for spans of this process;
 * none when the text is not a valid `traceparent`.
 *
 * @category constructors
 * @since 0.2.0
 */
export const parse = (text: string | undefined): Option.Option<Tracer.ExternalSpan> => {
  if (text === undefined || !isTraceparent(text)) return Option.none()
  const [, traceId, spanId, flags] = pattern.exec(text)!
  return Option.some(Tracer.externalSpan({ traceId: traceId!, spanId: spanId!, sampled: (parseInt(flags!, 16) & 1) === 1 }))
}

/**
 * The `traceparent` to carry with a job submitted now: the current span's,
 * when a tracer that exports is installed, the span is sampled and
 * propagation is not disabled; none otherwise.
 *
 * @category constructors
 * @since 0.2.0
 */
export const current: Effect.Effect<string | undefined> = Effect.flatMap(Effect.context<never>(), (context) => {
  if (Context.get(context, Tracer.Tracer) === Tracer.nativeTracer || Context.get(context, Tracer.DisablePropagation)) {
    return Effect.succeed(undefined)
  }
  return Effect.match(Effect.currentSpan, {
    onFailure: () => undefined,
    onSuccess: (span) => (span.sampled ? format(span) : undefined)
  })
})

/**
 * Whether a fiber traces: a tracer other than Effect's built-in one is
 * installed and tracing is enabled. The built-in tracer exports nothing
 * (and a submission made under it carries no trace context), so a span
 * would go nowhere: the worker's job spans and `Tasks`' call spans are made
 * only when this holds.
 *
 * @category predicates
 * @since 0.2.0
 */
export const isTracing = (fiber: Fiber.Fiber<unknown, unknown>): boolean =>
  fiber.getRef(Tracer.Tracer) !== Tracer.nativeTracer && fiber.getRef(References.TracerEnabled)

// Internal

const pattern = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/
