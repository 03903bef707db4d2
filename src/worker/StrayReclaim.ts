/**
 * Giving back jobs a worker holds but never received: a dequeue whose
 * reply was lost on the wire moved them into processing under this
 * worker's lease (Redis's held set `worker:{owner}` names them) while the
 * worker never saw them. Without this they would sit there, leased to a
 * live worker, until it stops; here they go back to the head of their
 * queue as they were (attempts unchanged: they never ran), one guarded
 * plan each (`Transitions.release`), so memory and Redis behave the same.
 *
 * It runs between two dequeues of the dispatcher and, on its own timer,
 * while the dispatcher waits for a free slot (every slot busy with long
 * jobs), so a stray is back within `reclaimInterval`. A stray is an id the
 * held set names that is not running and that no take in flight may be
 * handing over: while a take runs, or when one started during the read,
 * a new candidate is not given back in that round. A candidate seen in the
 * round before, still held and not running once the take that was in
 * flight then has ended, is a stray for sure and goes back even while
 * another take runs: under a steady backlog some take is nearly always in
 * flight, and strays would otherwise wait for a quiet moment. A round that
 * leaves candidates is followed by another within 250 ms, so a stray is
 * back within about one `reclaimInterval`. A round is skipped (nothing
 * read) when, since a round that found no candidate, every take came back
 * empty.
 *
 * @since 0.2.0
 */

import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import type { JobId } from "../domain/JobId.ts"
import type { JobDelivery, JobQueue } from "../services/JobQueue.ts"
import * as Metrics from "./Metrics.ts"
import { surviving } from "./BackgroundLoops.ts"
import type { Takes } from "./Slots.ts"
import type { Config } from "./WorkerConfig.ts"

/**
 * The reclaimer of one worker: `between` (called by the dispatcher between
 * two dequeues, at most once per `reclaimInterval`) and `tick` (a loop for
 * its own fiber, doing the same while no take is in flight).
 *
 * @category constructors
 * @since 0.2.0
 */
export const make = (queue: JobQueue["Service"], config: Config, running: ReadonlyMap<JobId, JobDelivery>, takes: Takes) =>
  Effect.gen(function*() {
    const interval = Duration.toMillis(config.reclaimInterval)
    let last = yield* Clock.currentTimeMillis

    /** Candidates of the previous round, and the takes as they were when it read. */
    let suspects: ReadonlySet<JobId> = new Set()
    let previous = { started: -1, inFlight: true }
    /** False after a clean round with no take in flight, until a take delivers ids or fails. */
    let dirty = true

    const once = Effect.gen(function*() {
      last = yield* Clock.currentTimeMillis
      const started = takes.started
      const inFlight = takes.inFlight
      // Only a take that delivered ids, or failed (its reply maybe lost),
      // puts ids in the held set: after a round that found no candidate with
      // no take in flight, and no such take since, nothing can be a stray
      // (an idle worker leaves Redis alone).
      if (!dirty) return
      const before = previous
      const seen = new Set<JobId>()
      // Read live: an id counts as running if the take that delivered it
      // registered it meanwhile, and as maybe-running while any take could be
      // handing it over, unless it was a candidate already in the previous
      // round and the take in flight then has ended (takes run one at a time).
      const previousTakeEnded = () => !before.inFlight || !takes.inFlight || takes.started > before.started
      const busy = {
        has: (id: JobId) => {
          if (running.has(id)) return true
          seen.add(id)
          if (suspects.has(id) && previousTakeEnded()) return false
          return takes.inFlight || takes.started !== started
        }
      }
      const ids = yield* queue.reclaim(config.workerId, busy)
      for (const id of ids) seen.delete(id)
      suspects = seen
      previous = { started, inFlight }
      if (seen.size === 0 && !inFlight && takes.started === started) dirty = false
      if (ids.length > 0) {
        yield* Metric.update(Metrics.reclaimed, ids.length)
        yield* Effect.logWarning(`gave back ${ids.length} job(s) this worker held but never received (a lost dequeue reply)`).pipe(
          Effect.annotateLogs({ jobIds: ids.join(",") })
        )
      }
    }).pipe(surviving("reclaiming jobs never received failed; retrying", undefined))

    /** With candidates pending, the next round comes sooner: a stray is back within about one interval. */
    const wait = () => (suspects.size > 0 ? Math.min(interval, recheckMillis) : interval)
    const due = Effect.map(Clock.currentTimeMillis, (now) => now - last >= wait())

    /**
     * Between two dequeues (no take in flight), given what the last one
     * delivered (undefined: it failed): at most once per interval (sooner
     * with candidates pending).
     */
    const between = (delivered: ReadonlyArray<unknown> | undefined) =>
      Effect.suspend(() => {
        if (delivered === undefined || delivered.length > 0) dirty = true
        return Effect.flatMap(due, (yes) => (yes ? once : Effect.void))
      })

    /** Forever: every interval (sooner with candidates pending), unless a take is in flight (the dispatcher then reclaims after it). */
    const tick: Effect.Effect<never> = Effect.suspend(() => Effect.sleep(wait())).pipe(
      Effect.andThen(Effect.flatMap(due, (yes) => (yes && !takes.inFlight ? once : Effect.void))),
      Effect.forever,
      Effect.annotateLogs({ module: "bananas/Worker", fiber: "reclaim" })
    )

    return { between, tick }
  })

// Internal

/** How soon a round follows one that left candidates (ms). */
const recheckMillis = 250
