/**
 * The worker registry: running workers say who they are (id, host, pid,
 * concurrency, what they serve, their counters) every few seconds, with a
 * registration that expires unless renewed, and anyone may list them —
 * with the holders of processing jobs that never registered (older SDKs,
 * Go workers) as unknown. Written once over the storage port
 * (`layers/StoreWorkers`) for every backend.
 *
 * @since 0.2.0
 */

import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type { Lease, WorkerInfo, WorkerList } from "../domain/WorkerInfo.ts"
import type { StoreFailure } from "../store/JobStore.ts"

/**
 * The registry service.
 *
 * @category services
 * @since 0.2.0
 */
export class WorkerRegistry extends Context.Service<WorkerRegistry, {
  /** Writes (or renews) a worker's registration, expiring after `ttl` unless written again. */
  readonly beat: (info: WorkerInfo, ttl: Duration.Duration) => Effect.Effect<void, StoreFailure>
  /** Removes a worker's registration (it stops). */
  readonly leave: (id: string) => Effect.Effect<void, StoreFailure>
  /** The registered workers whose registration has not lapsed, by id (what a sampler reads). */
  readonly registered: Effect.Effect<ReadonlyArray<WorkerInfo>, StoreFailure>
  /** The registered workers, and the unknown holders of the first 1000 processing jobs. */
  readonly list: Effect.Effect<WorkerList, StoreFailure>
  /** A page of the processing jobs (from `offset`, oldest taken last) with their leases, and how many there are. */
  readonly held: (offset: number, limit: number) => Effect.Effect<{ readonly total: number; readonly leases: ReadonlyArray<Lease> }, StoreFailure>
  /** A job's lease (`processing` false when no worker holds it). */
  readonly lease: (id: string) => Effect.Effect<Lease, StoreFailure>
}>()("@bananas/effect/WorkerRegistry") {}
