/**
 * The gateway's throughput sampler: every `sampleInterval`, whether or not
 * a tab is open, it reads the registered workers (`WorkerRegistry`) and
 * adds what their counters grew by since the last sample into per-minute
 * buckets, kept in the gateway's memory for an hour. A worker's counters
 * are its process's, so they are counted once per process (host and pid).
 * A process first seen after the sampler started counts from zero; one
 * seen at the sampler's start counts from then. Jobs finished by workers
 * that do not register (Go's) are not counted. A sample costs one read of
 * `worker_registry` and one of each registration: nothing per tab.
 *
 * @since 0.2.0
 */

import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type { Throughput as ThroughputJson } from "../domain/QueueHealth.ts"
import type { WorkerInfo } from "../domain/WorkerInfo.ts"
import { WorkerRegistry } from "../services/WorkerRegistry.ts"
import { surviving } from "../worker/BackgroundLoops.ts"

/**
 * The sampler: the last hour, per minute.
 *
 * @category services
 * @since 0.2.0
 */
export class Throughput extends Context.Service<Throughput, {
  /** The buckets so far (`available` false without a worker registry). */
  readonly recent: Effect.Effect<ThroughputJson>
}>()("@bananas/effect/gateway/Throughput") {}

/**
 * How often the sampler reads the workers' counters.
 *
 * @category constants
 * @since 0.2.0
 */
export const sampleInterval: Duration.Duration = Duration.seconds(10)

/**
 * The sampler's interval as read when its layer is built (default
 * `sampleInterval`): a `Context.Reference` a test may set shorter.
 *
 * @category references
 * @since 0.2.0
 */
export const SampleInterval = Context.Reference<Duration.Duration>("@bananas/effect/gateway/Throughput/SampleInterval", {
  defaultValue: () => sampleInterval
})

/**
 * The width of a bucket.
 *
 * @category constants
 * @since 0.2.0
 */
export const bucketMillis = 60_000

/**
 * How many buckets are kept (an hour).
 *
 * @category constants
 * @since 0.2.0
 */
export const bucketCount = 60

/**
 * The counters of one sample, per process.
 *
 * @category models
 * @since 0.2.0
 */
export type Sample = ReadonlyMap<string, { readonly processed: number; readonly failed: number; readonly startedAt: number }>

/**
 * The counters of the workers read, per process (host and pid): the
 * highest each (workers of one process report the same counters, maybe
 * a heartbeat apart), and the earliest start.
 *
 * @category constructors
 * @since 0.2.0
 */
export const sampleOf = (workers: ReadonlyArray<WorkerInfo>): Sample => {
  const out = new Map<string, { processed: number; failed: number; startedAt: number }>()
  for (const w of workers) {
    const key = `${w.host}\u0000${w.pid}`
    const startedAt = Date.parse(w.startedAt)
    const seen = out.get(key)
    out.set(key, seen === undefined
      ? { processed: w.processed, failed: w.failed, startedAt }
      : { processed: Math.max(seen.processed, w.processed), failed: Math.max(seen.failed, w.failed), startedAt: Math.min(seen.startedAt, startedAt) })
  }
  return out
}

/**
 * What the counters grew by between two samples (`previous` taken at
 * `previousAt`): a process in both counts its growth (a counter that went
 * down, a restarted process, counts from zero); one new since, started
 * after `previousAt`, counts all; one new since that started earlier (it
 * registered late, or the sampler just started) counts nothing yet.
 *
 * @category constructors
 * @since 0.2.0
 */
export const growth = (previous: Sample, previousAt: number, current: Sample): { readonly processed: number; readonly failed: number } => {
  let processed = 0
  let failed = 0
  for (const [key, now] of current) {
    const before = previous.get(key)
    if (before !== undefined) {
      processed += now.processed >= before.processed ? now.processed - before.processed : now.processed
      failed += now.failed >= before.failed ? now.failed - before.failed : now.failed
    } else if (now.startedAt >= previousAt) {
      processed += now.processed
      failed += now.failed
    }
  }
  return { processed, failed }
}

/**
 * The sampler, on the `WorkerRegistry` in context when there is one.
 *
 * @category layers
 * @since 0.2.0
 */
export const layer: Layer.Layer<Throughput> = Layer.effect(Throughput, Effect.gen(function*() {
  const found = yield* Effect.serviceOption(WorkerRegistry)
  const every = yield* SampleInterval
  const since = new Date(yield* Clock.currentTimeMillis).toISOString()
  const empty = { bucketSeconds: bucketMillis / 1000, sampleSeconds: Duration.toSeconds(every), since, buckets: [] }
  if (Option.isNone(found)) return Throughput.of({ recent: Effect.succeed({ available: false, ...empty }) })
  const registry = found.value
  /** Minute (epoch ms of its start) -> growth in it. */
  const buckets = new Map<number, { processed: number; failed: number }>()
  let previous: { readonly sample: Sample; readonly at: number } | undefined
  const sample = Effect.gen(function*() {
    const workers = yield* registry.registered
    const at = yield* Clock.currentTimeMillis
    const current = sampleOf(workers)
    if (previous !== undefined) {
      const grown = growth(previous.sample, previous.at, current)
      const minute = at - (at % bucketMillis)
      const bucket = buckets.get(minute) ?? { processed: 0, failed: 0 }
      buckets.set(minute, { processed: bucket.processed + grown.processed, failed: bucket.failed + grown.failed })
      for (const start of buckets.keys()) if (start <= minute - bucketCount * bucketMillis) buckets.delete(start)
    }
    previous = { sample: current, at }
  })
  yield* Effect.forkScoped(sample.pipe(
    // A failed read (Redis away) skips a sample: the next one counts the growth since the last that worked.
    surviving("throughput sample failed; trying again on the next", undefined),
    Effect.andThen(Effect.sleep(every)),
    Effect.forever,
    Effect.annotateLogs({ module: "bananas/gateway", fiber: "throughput" })
  ))
  return Throughput.of({
    recent: Effect.sync(() => ({
      available: true,
      ...empty,
      buckets: Array.from(buckets, ([start, b]) => ({ at: new Date(start).toISOString(), ...b })).sort((a, b) => a.at < b.at ? -1 : 1)
    }))
  })
}))
