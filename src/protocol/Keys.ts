/**
 * The Redis key layout of the protocol, under a configurable prefix
 * (default `bananas:`, the one Go hard-codes). Every key the SDK reads or
 * writes is built here, and nowhere else: scripts receive them as `KEYS`.
 *
 * Go's keys: `job:{id}`, `queue:{high,normal,low}`, `queue:processing`,
 * `queue:dead`, `queue:scheduled`, `result:{id}` and the channel
 * `result:notify:{id}` (plus Route-Go's `route:{key}:queue:{p}`). Ours
 * only, which Go never reads: `leases`, `lease:tokens`, `worker:{owner}`,
 * `paused` and the channels `queue:wake` and `result:data:{id}`. Schedules: Go's `schedules:{sid}` (state) and
 * `schedule_lock:{sid}`, and ours `schedule_def:{sid}`, `schedule_ids`,
 * `schedule_due`. The worker registry, ours only: `worker_info:{id}` and
 * `worker_registry`.
 *
 * On Redis Cluster the prefix must carry a hash tag (e.g. `{bananas}:`) so
 * that every key of a queue lives in one slot; Go workers sharing the
 * cluster must use the same prefix.
 *
 * @since 0.1.0
 */

import type { JobId } from "../domain/JobId.ts"
import type { JobPriority } from "../domain/JobPriority.ts"
import { isUnrouted } from "../domain/RoutingKey.ts"

/**
 * Every key and channel of one queue namespace.
 *
 * @category models
 * @since 0.1.0
 */
export interface Keys {
  /** The prefix every key starts with. */
  readonly prefix: string
  /** `job:{id}`: the job JSON. */
  readonly job: (id: JobId) => string
  /** `queue:{p}`, or `route:{key}:queue:{p}` for a routing key other than `default`. */
  readonly queue: (priority: JobPriority, routingKey?: string | undefined) => string
  /**
   * `paused`: set of the paused queues, each named by `queueName` (its
   * list key without the prefix: `queue:high`, `route:gpu:queue:high`).
   * A take skips a paused queue. Ours only: Go never reads it.
   */
  readonly paused: string
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
  /** `result:data:{id}`: the pub/sub channel carrying a final result to our waiters (no read needed). Ours only. */
  readonly resultData: (id: JobId) => string
  /** `leases`: zset of in-flight ids scored by lease expiry (epoch ms). Ours only. */
  readonly leases: string
  /** `lease:tokens`: hash id -> the token of the delivery that holds it (fencing). Ours only. */
  readonly tokens: string
  /** `worker:{owner}`: set of the ids a worker holds; its TTL is the worker's heartbeat. Ours only. */
  readonly held: (owner: string) => string
  /** `queue:wake`: channel published by every write that makes work available. Ours only. */
  readonly wake: string
  /** `schedules:{sid}`: a schedule's state hash, in Go's `CronScheduler` shape (`last_run`, `next_run`, `last_success`, `last_error`, `run_count`). */
  readonly scheduleState: (sid: string) => string
  /** `schedule_lock:{sid}`: Go's `CronScheduler` lock (60 s); we never take it, and fire nothing while it is held. */
  readonly scheduleLock: (sid: string) => string
  /** `schedule_def:{sid}`: a schedule's definition (JSON, `Schedule.encode`). Ours only. */
  readonly scheduleDef: (sid: string) => string
  /** `schedule_ids`: set of every schedule id stored. Ours only. */
  readonly scheduleIds: string
  /** `schedule_due`: zset of enabled schedules scored by their next slot (unix seconds). Ours only. */
  readonly scheduleDue: string
  /** `worker_info:{id}`: a registered worker's hash (`WorkerTransitions.fields`), expiring unless renewed. Ours only. */
  readonly workerInfo: (id: string) => string
  /** `worker_registry`: zset of registered worker ids scored by when their registration expires (epoch ms). Ours only. */
  readonly workerRegistry: string
}

/**
 * The prefix Go uses.
 *
 * @category constants
 * @since 0.1.0
 */
export const defaultPrefix = "bananas:"

/**
 * The default prefix on Redis Cluster: Go's, with a hash tag, so that every
 * key of the namespace hashes to one slot. (Go hard-codes `bananas:`: Go
 * workers sharing a cluster must be built with this prefix too.)
 *
 * @category constants
 * @since 0.2.0
 */
export const clusterDefaultPrefix = "{bananas}:"

/**
 * `text` with the glob characters of Redis patterns (`*?[]\\`) escaped, so
 * that `SCAN MATCH` / `PSUBSCRIBE` take it literally (a prefix may hold any
 * of them).
 *
 * @category keys
 * @since 0.2.0
 */
export const escapeGlob = (text: string): string => text.replace(/[*?[\]\\]/g, "\\$&")

/**
 * Why `prefix` cannot be used on Redis Cluster (undefined when it can): it
 * needs a non-empty hash tag (`{...}`) with no glob character in it (the
 * admin's `SCAN MATCH` is routed by the tag of its pattern).
 *
 * @category guards
 * @since 0.2.0
 */
export const clusterPrefixProblem = (prefix: string): string | undefined => {
  const tag = hashTag(prefix)
  if (tag === undefined) {
    return `${JSON.stringify(prefix)} has no hash tag: on Redis Cluster every key of a queue must hash to one slot, ` +
      `so the prefix needs one, e.g. ${JSON.stringify(`{${prefix.replace(/[{}:]+$/g, "") || "bananas"}}:`)} ` +
      `(or leave it unset for ${JSON.stringify(clusterDefaultPrefix)}); Go workers sharing the cluster must use the same prefix`
  }
  if (escapeGlob(tag) !== tag) return `${JSON.stringify(prefix)} has glob characters (*?[]\\) in its hash tag ${JSON.stringify(tag)}`
  return undefined
}

/**
 * The hash tag of a prefix (`{...}`), as Redis Cluster computes slots: the
 * text between the first `{` and the next `}`, when not empty.
 *
 * @category guards
 * @since 0.1.0
 */
export const hashTag = (prefix: string): string | undefined => {
  const open = prefix.indexOf("{")
  if (open < 0) return undefined
  const close = prefix.indexOf("}", open + 1)
  return close > open + 1 ? prefix.slice(open + 1, close) : undefined
}

/**
 * A queue's name: its list key without the prefix (`queue:{p}`, or
 * `route:{key}:queue:{p}` for a routing key other than `default`), the
 * member naming it in the `paused` set. Unambiguous: a routing key has no
 * `:` (`[A-Za-z0-9_-]{1,64}`).
 *
 * @category keys
 * @since 0.2.0
 */
export const queueName = (priority: JobPriority, routingKey?: string | undefined): string =>
  isUnrouted(routingKey) ? `queue:${priority}` : `route:${routingKey}:queue:${priority}`

/**
 * The queue a `queueName` names (none for any other text).
 *
 * @category keys
 * @since 0.2.0
 */
export const parseQueueName = (name: string): { readonly priority: JobPriority; readonly routingKey?: string } | undefined => {
  const found = /^(?:route:([A-Za-z0-9_-]{1,64}):)?queue:(high|normal|low)$/.exec(name)
  if (found === null) return undefined
  const priority = found[2] as JobPriority
  return found[1] === undefined || isUnrouted(found[1]) ? { priority } : { priority, routingKey: found[1] }
}

/**
 * The key layout under `prefix`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (prefix: string = defaultPrefix): Keys => ({
  prefix,
  job: (id) => `${prefix}job:${id}`,
  queue: (priority, routingKey) => prefix + queueName(priority, routingKey),
  paused: `${prefix}paused`,
  processing: `${prefix}queue:processing`,
  dead: `${prefix}queue:dead`,
  scheduled: `${prefix}queue:scheduled`,
  result: (id) => `${prefix}result:${id}`,
  notify: (id) => `${prefix}result:notify:${id}`,
  resultData: (id) => `${prefix}result:data:${id}`,
  leases: `${prefix}leases`,
  tokens: `${prefix}lease:tokens`,
  held: (owner) => `${prefix}worker:${owner}`,
  wake: `${prefix}queue:wake`,
  scheduleState: (sid) => `${prefix}schedules:${sid}`,
  scheduleLock: (sid) => `${prefix}schedule_lock:${sid}`,
  scheduleDef: (sid) => `${prefix}schedule_def:${sid}`,
  scheduleIds: `${prefix}schedule_ids`,
  scheduleDue: `${prefix}schedule_due`,
  workerInfo: (id) => `${prefix}worker_info:${id}`,
  workerRegistry: `${prefix}worker_registry`
})
