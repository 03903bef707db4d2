/**
 * What the dashboard's overview reads of a queue's health besides its
 * depths: throughput and failures per minute over the last hour (sampled
 * by the gateway from the worker registry's counters), the age of the
 * oldest waiting job of each queue, and the Redis server's vital signs.
 *
 * @since 0.2.0
 */

import * as Schema from "effect/Schema"
import { JobPriority } from "./JobPriority.ts"

/**
 * Jobs finished per minute, as `GET /v1/throughput` answers.
 *
 * @category schemas
 * @since 0.2.0
 */
export const Throughput = Schema.Struct({
  /** Whether the gateway samples (its backend has a worker registry). */
  available: Schema.Boolean,
  /** The width of a bucket, in seconds (60). */
  bucketSeconds: Schema.Int,
  /** How often the gateway reads the workers' counters, in seconds. */
  sampleSeconds: Schema.Number,
  /** When the gateway started sampling (RFC 3339): nothing before is known. */
  since: Schema.String,
  /** The last hour's buckets that saw a sample, oldest first. */
  buckets: Schema.Array(Schema.Struct({
    /** The start of the minute (RFC 3339). */
    at: Schema.String,
    /** Jobs completed in it, by all registered workers. */
    processed: Schema.Int,
    /** Failed attempts in it, by all registered workers. */
    failed: Schema.Int
  }))
}).annotate({ identifier: "Throughput" })

/**
 * Jobs finished per minute.
 *
 * @category models
 * @since 0.2.0
 */
export interface Throughput extends Schema.Schema.Type<typeof Throughput> {}

/**
 * The oldest waiting job of each default queue, as `GET /v1/latency`
 * answers (a queue's latency is that job's age).
 *
 * @category schemas
 * @since 0.2.0
 */
export const Latency = Schema.Struct({
  /** One entry per priority. */
  queues: Schema.Array(Schema.Struct({
    /** The queue's priority. */
    priority: JobPriority,
    /** The id next to be taken (the list's tail); none when the queue is empty. */
    oldestId: Schema.optional(Schema.String),
    /** When that job was created (RFC 3339); none when unknown (its data gone). */
    oldestCreatedAt: Schema.optional(Schema.String),
    /** Its age in milliseconds when read; none when unknown. */
    ageMillis: Schema.optional(Schema.Number)
  }))
}).annotate({ identifier: "Latency" })

/**
 * The oldest waiting job of each queue.
 *
 * @category models
 * @since 0.2.0
 */
export interface Latency extends Schema.Schema.Type<typeof Latency> {}

/**
 * The Redis server's vital signs, as `GET /v1/redis` answers (from `INFO`;
 * `available` false on the memory backend).
 *
 * @category schemas
 * @since 0.2.0
 */
export const RedisInfo = Schema.Struct({
  /** Whether the backend is Redis. */
  available: Schema.Boolean,
  /** `redis_version`. */
  version: Schema.optional(Schema.String),
  /** `used_memory`, bytes. */
  usedMemory: Schema.optional(Schema.Number),
  /** `maxmemory`, bytes (0: no limit). */
  maxMemory: Schema.optional(Schema.Number),
  /** `maxmemory_policy` (`noeviction` is the one a queue needs). */
  maxMemoryPolicy: Schema.optional(Schema.String),
  /** `connected_clients`. */
  connectedClients: Schema.optional(Schema.Number),
  /** `uptime_in_seconds`. */
  uptimeSeconds: Schema.optional(Schema.Number)
}).annotate({ identifier: "RedisInfo" })

/**
 * The Redis server's vital signs.
 *
 * @category models
 * @since 0.2.0
 */
export interface RedisInfo extends Schema.Schema.Type<typeof RedisInfo> {}
