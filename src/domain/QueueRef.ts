/**
 * Which queue: a priority of the default (unrouted) queue, or of a routing
 * key's queue (`route:{key}:queue:{p}`). What pausing and resuming take,
 * and what `stats` lists as paused.
 *
 * @since 0.2.0
 */

import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { ValidationError } from "./Errors.ts"
import { isJobPriority, JobPriority, unknownMessage as unknownPriority } from "./JobPriority.ts"
import { invalidMessage as invalidRoutingKey, isRoutingKey, isUnrouted } from "./RoutingKey.ts"

/**
 * The schema of a queue reference.
 *
 * @category schemas
 * @since 0.2.0
 */
export const QueueRef = Schema.Struct({
  /** `high`, `normal` or `low`. */
  priority: JobPriority,
  /** The routing key (`[A-Za-z0-9_-]{1,64}`); none, empty or `default` is the default queue. */
  routingKey: Schema.optional(Schema.String)
})

/**
 * A queue: a priority, of the default queue or of a routing key.
 *
 * @category models
 * @since 0.2.0
 */
export interface QueueRef extends Schema.Schema.Type<typeof QueueRef> {}

/**
 * The queue reference, checked and normalized (an empty or `default`
 * routing key is the default queue: no `routingKey`); a
 * `ValidationError` naming `priority` or `routingKey` otherwise.
 *
 * @category constructors
 * @since 0.2.0
 */
export const validate = (queue: { readonly priority: unknown; readonly routingKey?: unknown }): Result.Result<QueueRef, ValidationError> => {
  if (!isJobPriority(queue.priority)) return Result.fail(new ValidationError({ field: "priority", message: unknownPriority(queue.priority) }))
  const key = queue.routingKey
  if (key === undefined || (typeof key === "string" && isUnrouted(key))) return Result.succeed({ priority: queue.priority })
  if (typeof key !== "string" || !isRoutingKey(key)) return Result.fail(new ValidationError({ field: "routingKey", message: invalidRoutingKey(key) }))
  return Result.succeed({ priority: queue.priority, routingKey: key })
}

/**
 * The queue for people: `high`, or `high (route gpu)`.
 *
 * @category accessors
 * @since 0.2.0
 */
export const format = (queue: QueueRef): string =>
  isUnrouted(queue.routingKey) ? queue.priority : `${queue.priority} (route ${queue.routingKey})`
