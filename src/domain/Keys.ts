/**
 * The Redis key layout of the protocol, under a configurable prefix
 * (default `bananas:`, the one Go hard-codes).
 *
 * @since 0.1.0
 */
import type { JobId } from "./JobId.ts"
import type { JobPriority } from "./JobPriority.ts"

/**
 * Every key the SDK reads or writes.
 *
 * @category models
 * @since 0.1.0
 */
export interface Keys {
  readonly prefix: string
  /** `job:{id}`: the job JSON. */
  readonly job: (id: JobId) => string
  /** `queue:{p}`, or `route:{key}:queue:{p}` for a routing key other than `default`. */
  readonly queue: (priority: JobPriority, routingKey?: string | undefined) => string
  /** `queue:processing`: ids a worker holds. */
  readonly processing: string
  /** `queue:dead`: dead-lettered ids. */
  readonly dead: string
  /** `queue:scheduled`: zset of ids scored by unix seconds. */
  readonly scheduled: string
  /** `result:{id}`: the result hash. */
  readonly result: (id: JobId) => string
  /** `result:notify:{id}`: the pub/sub channel announcing a result. */
  readonly notify: (id: JobId) => string
  /** `leases`: zset of in-flight ids scored by lease expiry (ms); ours only, Go has none. */
  readonly leases: string
}

/**
 * The prefix Go uses.
 *
 * @category constants
 * @since 0.1.0
 */
export const defaultPrefix = "bananas:"

/**
 * Routing keys accepted by Route-Go: `[A-Za-z0-9_-]{1,64}`.
 *
 * @category guards
 * @since 0.1.0
 */
export const isRoutingKey = (key: string): boolean => /^[A-Za-z0-9_-]{1,64}$/.test(key)

/**
 * The key layout under `prefix`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (prefix: string = defaultPrefix): Keys => ({
  prefix,
  job: (id) => `${prefix}job:${id}`,
  queue: (priority, routingKey) =>
    routingKey === undefined || routingKey === "" || routingKey === "default"
      ? `${prefix}queue:${priority}`
      : `${prefix}route:${routingKey}:queue:${priority}`,
  processing: `${prefix}queue:processing`,
  dead: `${prefix}queue:dead`,
  scheduled: `${prefix}queue:scheduled`,
  result: (id) => `${prefix}result:${id}`,
  notify: (id) => `${prefix}result:notify:${id}`,
  leases: `${prefix}leases`
})
