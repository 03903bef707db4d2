/**
 * The Redis backend: `BananasRedis.layer` / `layerConfig` (the entry), and
 * the pieces behind it.
 *
 * @since 0.1.0
 */

/** The public entry: `layer`, `layerConfig`, `config`, `Options`. */
export * as BananasRedis from "./BananasRedis.ts"
/** The command connection service. */
export * as RedisConnection from "./RedisConnection.ts"
/** `Queue` on Redis. */
export * as RedisQueue from "./RedisQueue.ts"
/** `ResultBackend` on Redis. */
export * as RedisResultBackend from "./RedisResultBackend.ts"
/** The shared pub/sub connection of a client. */
export * as Subscriber from "./Subscriber.ts"
/** Tunables and defaults. */
export * as Settings from "./Settings.ts"
