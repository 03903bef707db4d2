/**
 * The scope a job runs in: its span (when tracing is on) and its log
 * annotations.
 *
 * @since 0.2.0
 */

import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as References from "effect/References"
import * as Tracer from "effect/Tracer"
import type { Job } from "../domain/Job.ts"
import * as TraceContext from "../domain/TraceContext.ts"

/**
 * Runs a job's effect with its log annotations (`jobId`, `jobName`,
 * `attempt`) and, when tracing is on (`TraceContext.isTracing`), in its span
 * (`bananas.worker.execute`, kind consumer, with the job's id, name,
 * attempt and priority, a child of the producer's span when the job
 * carries its trace context, ended when the effect exits): what
 * `Effect.withSpan` plus `Effect.annotateLogs` do, with one context change
 * instead of three (each copies the fiber's context). Without a tracer
 * that exports, no span is made: Effect's built-in tracer records nothing,
 * and a span per job cost as much as the rest of a no-op job.
 *
 * @category combinators
 * @since 0.2.0
 */
export const inJobScope = <A, E, R>(effect: Effect.Effect<A, E, R>, job: Job): Effect.Effect<A, E, R> =>
  Effect.withFiber((fiber) => (TraceContext.isTracing(fiber) ? inSpan(effect, job) : Effect.updateContext<A, E, R, R>(effect, (context) => annotated(context, job))))


// Internal

const annotated = <R>(context: Context.Context<R>, job: Job): Context.Context<R> =>
  Context.add(context, References.CurrentLogAnnotations, {
    ...Context.get(context, References.CurrentLogAnnotations),
    jobId: job.id,
    jobName: job.name,
    attempt: job.attempts + 1
  }) as Context.Context<R>

const inSpan = <A, E, R>(effect: Effect.Effect<A, E, R>, job: Job): Effect.Effect<A, E, R> =>
  Effect.flatMap(
    Effect.makeSpan("bananas.worker.execute", {
      kind: "consumer",
      // A child of the producer's submit span, when the job carries its trace context.
      parent: Option.getOrUndefined(TraceContext.parse(job.traceContext)),
      attributes: { "job.id": job.id, "job.name": job.name, "job.attempt": job.attempts + 1, "job.priority": job.priority }
    }),
    (span) =>
      Effect.updateContext<A, E, R, R>(
        Effect.onExit(effect, (exit) => Effect.flatMap(Clock.currentTimeNanos, (now) => Effect.sync(() => span.end(now, exit)))),
        (context) => annotated(Context.add(context, Tracer.ParentSpan, span), job)
      )
  )
