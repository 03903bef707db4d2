/**
 * The worker's registration (`WorkerRegistry`): who it is (id, host, pid,
 * concurrency, priorities and routing key served, start time, SDK
 * version), its jobs in flight and its process's counters, written every
 * `interval` with a registration that lapses after `ttl` unless renewed,
 * and removed when the worker stops. Never per job: a job adds no command.
 * A backend without a registry (a custom `JobQueue` alone) registers
 * nothing. A failed heartbeat is logged and tried on the next tick.
 *
 * @since 0.2.0
 */

import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type { JobPriority } from "../domain/JobPriority.ts"
import { version } from "../domain/Version.ts"
import { WorkerRegistry } from "../services/WorkerRegistry.ts"
import { surviving } from "./BackgroundLoops.ts"
import * as Metrics from "./Metrics.ts"
// node: imports last: a first import the declarations drop would take the module header with it
import { hostname } from "node:os"

/**
 * What a worker registers.
 *
 * @category models
 * @since 0.2.0
 */
export interface Registration {
  /** The worker's id (its leases' owner). */
  readonly id: string
  /** Jobs run at once. */
  readonly concurrency: number
  /** The priorities taken from, in order. */
  readonly priorities: ReadonlyArray<JobPriority>
  /** The routing key served; none for the default queues. */
  readonly routingKey: string | undefined
  /** The jobs running now (read at each heartbeat). */
  readonly inFlight: () => number
}

/**
 * Time between two heartbeats of the registration.
 *
 * @category constants
 * @since 0.2.0
 */
export const interval: Duration.Duration = Duration.seconds(10)

/**
 * How long a registration lasts without a heartbeat (three missed ones).
 *
 * @category constants
 * @since 0.2.0
 */
export const ttl: Duration.Duration = Duration.seconds(30)

/**
 * Registers the worker now and every `interval` in the scope's lifetime,
 * and removes the registration when the scope closes (best effort: a
 * registration left behind lapses after `ttl`). Does nothing without a
 * `WorkerRegistry` in context.
 *
 * @category constructors
 * @since 0.2.0
 */
export const start = (registration: Registration): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function*() {
    const found = yield* Effect.serviceOption(WorkerRegistry)
    if (Option.isNone(found)) return
    const registry = found.value
    const startedAt = new Date(yield* Clock.currentTimeMillis).toISOString()
    const host = hostname()
    const beat = Effect.gen(function*() {
      const counts = yield* Metrics.counts
      const beatAt = new Date(yield* Clock.currentTimeMillis).toISOString()
      yield* registry.beat({
        id: registration.id,
        host,
        pid: process.pid,
        concurrency: registration.concurrency,
        priorities: registration.priorities,
        ...(registration.routingKey === undefined ? {} : { routingKey: registration.routingKey }),
        startedAt,
        beatAt,
        inFlight: registration.inFlight(),
        processed: counts.processed,
        failed: counts.failed,
        version
      }, ttl)
    })
    yield* Effect.addFinalizer(() => registry.leave(registration.id).pipe(Effect.timeout(Duration.seconds(2)), Effect.ignore))
    yield* Effect.forkScoped(beat.pipe(
      surviving("worker registration failed; trying again on the next heartbeat", undefined),
      Effect.andThen(Effect.sleep(interval)),
      Effect.forever,
      Effect.annotateLogs({ module: "bananas/Worker", fiber: "registration" })
    ))
  })
