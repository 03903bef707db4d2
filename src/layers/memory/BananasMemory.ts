/**
 * The in-memory Bananas backend: `JobQueue`, `QueueAdmin` and
 * `ResultBackend` over one private keyspace that holds what Redis would
 * hold, carried out by the same protocol core as the Redis layer (Go's
 * wire format, TTLs, backoff, dead-letter records, leases). For tests of
 * code written against the services, demos, and single-process tools;
 * deterministic under TestClock. A differential test runs random
 * operations against it and a real Redis and compares the keyspaces.
 *
 * Each `layer` call builds a fresh, empty instance. Nothing is shared across
 * processes, and nothing survives the layer.
 *
 * @example
 * ```ts
 * const program = Effect.gen(function*() {
 *   const admin = yield* QueueAdmin
 *   return yield* admin.stats
 * }).pipe(Effect.provide(BananasMemory.layer()))
 * ```
 *
 * @stability stable
 * @since 0.1.0
 */

import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { ValidationError } from "../../domain/Errors.ts"
import * as Wire from "../../protocol/Wire.ts"
import { EventQueue, JobQueue } from "../../services/JobQueue.ts"
import { QueueAdmin } from "../../services/QueueAdmin.ts"
import { ResultBackend } from "../../services/ResultBackend.ts"
import { JobStore } from "../../store/JobStore.ts"
import * as StoreAdmin from "../StoreAdmin.ts"
import * as StoreSchedules from "../StoreSchedules.ts"
import { Schedules } from "../../services/Schedules.ts"
import { WorkerRegistry } from "../../services/WorkerRegistry.ts"
import * as StoreWorkers from "../StoreWorkers.ts"
import { QueueLatency } from "../../services/QueueLatency.ts"
import * as StoreLatency from "../StoreLatency.ts"
import { QueueNotifications } from "../../services/QueueNotifications.ts"
import * as StoreQueue from "../StoreQueue.ts"
import * as MemoryJobStore from "./internal/MemoryJobStore.ts"
import * as MemoryResultBackend from "./internal/MemoryResultBackend.ts"
import { Keyspace } from "./internal/Keyspace.ts"
import { make as makeMemoryStore, MemoryStore } from "./MemoryStore.ts"

/**
 * Options of a memory instance: the protocol's (prefix, TTLs), the same as
 * the Redis layer's.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options extends Wire.Options {}

/**
 * What a memory instance provides.
 *
 * @category models
 * @since 0.2.0
 */
export type Services = JobQueue | EventQueue | QueueAdmin | ResultBackend | Schedules | WorkerRegistry | QueueLatency

/**
 * A fresh memory instance providing `JobQueue`, `QueueAdmin` and
 * `ResultBackend`.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options?: Options): Layer.Layer<Services, ValidationError> => layerWithStore(options)

/**
 * A fresh memory instance providing the services and the raw `MemoryStore`
 * of the same keyspace (to inspect or plant data in tests).
 *
 * @category layers
 * @since 0.1.0
 */
export const layerWithStore = (options?: Options): Layer.Layer<Services | MemoryStore, ValidationError> =>
  Layer.effectContext(Effect.gen(function*() {
    const store = new Keyspace()
    // A duration option it cannot take fails the layer before anything exists.
    const protocol = yield* Effect.fromResult(Wire.decode(options))
    const jobStore = MemoryJobStore.make(store, protocol)
    const withStore = Context.make(JobStore, jobStore)
    const queue = yield* Effect.provide(StoreQueue.make, withStore)
    const events = yield* Effect.provide(StoreQueue.makeEvents, withStore)
    const admin = yield* Effect.provide(StoreAdmin.make, withStore)
    const schedules = yield* Effect.provide(StoreSchedules.make, withStore)
    const workers = yield* Effect.provide(StoreWorkers.make, withStore)
    const latency = yield* Effect.provide(StoreLatency.make, withStore)
    return Context.make(JobQueue, queue).pipe(
      Context.add(EventQueue, events),
      Context.add(QueueAdmin, admin),
      Context.add(Schedules, schedules),
      Context.add(WorkerRegistry, workers),
      Context.add(QueueLatency, latency),
      // In context beside `Services` (not in its type, which the Redis layer's mirrors): the gateway's live feed listens to it.
      Context.add(QueueNotifications, QueueNotifications.of({
        listen: (listener) => Effect.asVoid(Effect.acquireRelease(Effect.sync(() => store.onPublish(listener)), (off) => Effect.sync(off)))
      })),
      Context.add(ResultBackend, MemoryResultBackend.make(store, jobStore)),
      Context.add(MemoryStore, makeMemoryStore(store, protocol.keys))
    )
  }))
