/**
 * The worker runtime of @bananas/effect (`@bananas/effect/worker`): the
 * handler registry, the worker pool, the promoter (promotion of due jobs),
 * the reaper (crash recovery) and their metrics.
 *
 * @module @bananas/effect/worker
 * @since 0.1.0
 */

/**
 * How handler failures become job error messages (Go's wording).
 *
 * @since 0.1.0
 */
export * as Failure from "./Failure.ts"

/**
 * The handler registry: typed handlers from a `JobDefinition`, raw handlers by name.
 *
 * @since 0.1.0
 */
export * as Handlers from "./HandlerRegistry.ts"

/**
 * Worker metrics (Effect `Metric`).
 *
 * @since 0.1.0
 */
export * as Metrics from "./Metrics.ts"

/**
 * The cron scheduler loop: fires the due slots of stored schedules.
 *
 * @since 0.2.0
 */
export * as CronScheduler from "./CronScheduler.ts"

/**
 * Crash recovery: returns jobs of dead workers (expired leases) to their queue.
 *
 * @since 0.1.0
 */
export * as Reaper from "./Reaper.ts"

/**
 * Promotion of due scheduled jobs (retries, jobs submitted for later).
 *
 * @since 0.1.0
 */
export * as Promoter from "./Promoter.ts"

/**
 * The worker: concurrency, priorities, timeouts, leases, graceful drain.
 *
 * @since 0.1.0
 */
export * as Worker from "./Worker.ts"

/**
 * The worker's registration in the worker registry (who it is, what it
 * serves, its counters), renewed every few seconds.
 *
 * @since 0.2.0
 */
export * as Registry from "./Registry.ts"

/**
 * The worker registry service: registrations and their listing, with the
 * unknown holders of processing jobs.
 *
 * @since 0.2.0
 */
export { WorkerRegistry } from "../services/WorkerRegistry.ts"
