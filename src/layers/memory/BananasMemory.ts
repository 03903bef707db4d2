/**
 * The in-memory Bananas backend: `Queue` and `ResultBackend` over one
 * private keyspace that holds what Redis would hold, with the Redis layer's
 * semantics (Go's wire format, TTLs, backoff, dead-letter records). For
 * tests of code written against the services, demos, and single-process
 * tools; deterministic under TestClock.
 *
 * Each `layer` call builds a fresh, empty instance. Nothing is shared across
 * processes, and nothing survives the layer.
 *
 * @example
 * ```ts
 * const program = Effect.gen(function*() {
 *   const queue = yield* Queue
 *   return yield* queue.stats
 * }).pipe(Effect.provide(BananasMemory.layer()))
 * ```
 *
 * @stability stable
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Layer from "effect/Layer"
import * as Keys from "../../domain/Keys.ts"
import { Queue } from "../../services/Queue.ts"
import { ResultBackend } from "../../services/ResultBackend.ts"
import type { Shared } from "./internal/Shared.ts"
import { Store } from "./internal/Store.ts"
import * as MemoryQueue from "./internal/MemoryQueue.ts"
import * as MemoryResultBackend from "./internal/MemoryResultBackend.ts"
import * as MemoryStoreLive from "./internal/MemoryStoreLive.ts"
import * as MemoryStore from "./MemoryStore.ts"

/**
 * Options of a memory instance.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /** Key prefix (default `bananas:`, Go's). */
  readonly prefix?: string | undefined
  /** TTL of a completed result (default 1 hour, Go's). */
  readonly successTtl?: Duration.Input | undefined
  /** TTL of a failed result (default 24 hours, Go's). */
  readonly failureTtl?: Duration.Input | undefined
}

/**
 * A fresh memory instance providing `Queue` and `ResultBackend`.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options?: Options): Layer.Layer<Queue | ResultBackend> => layerWithStore(options)

/**
 * A fresh memory instance providing `Queue`, `ResultBackend` and the raw
 * `MemoryStore` of the same keyspace (to inspect or plant data in tests).
 *
 * @category layers
 * @since 0.1.0
 */
export const layerWithStore = (options?: Options): Layer.Layer<Queue | ResultBackend | MemoryStore.MemoryStore> =>
  Layer.syncContext(() => {
    const shared = makeShared(options)
    return Context.make(Queue, MemoryQueue.make(shared)).pipe(
      Context.add(ResultBackend, MemoryResultBackend.make(shared)),
      Context.add(MemoryStore.MemoryStore, MemoryStoreLive.make(shared))
    )
  })

// Internal

const makeShared = (options: Options | undefined): Shared => ({
  store: new Store(),
  keys: Keys.make(options?.prefix ?? Keys.defaultPrefix),
  successTtlMillis: Duration.toMillis(Duration.fromInputUnsafe(options?.successTtl ?? "1 hour")),
  failureTtlMillis: Duration.toMillis(Duration.fromInputUnsafe(options?.failureTtl ?? "24 hours"))
})
