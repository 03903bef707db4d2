/**
 * The in-memory backend: `Queue` and `ResultBackend` with the Redis
 * layer's semantics, deterministic under TestClock.
 *
 * @since 0.1.0
 */

/**
 * The memory layers (`layer`, `layerWithStore`) and their options.
 *
 * @since 0.1.0
 */
export * as BananasMemory from "./BananasMemory.ts"

/**
 * Raw access to a memory instance's keyspace (inspect, plant data).
 *
 * @since 0.1.0
 */
export * as MemoryStore from "./MemoryStore.ts"
