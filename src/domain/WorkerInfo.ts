/**
 * What a worker says of itself in the worker registry (`worker_info:{id}`,
 * renewed every few seconds while it runs), and the registry as listed:
 * the workers that registered, and the holders of processing jobs that did
 * not (an SDK without the registry, or Go workers, which keep no lease).
 *
 * @since 0.2.0
 */

import * as Schema from "effect/Schema"
import { JobPriority } from "./JobPriority.ts"

/**
 * A registered worker, as its last heartbeat wrote it.
 *
 * @category schemas
 * @since 0.2.0
 */
export const WorkerInfo = Schema.Struct({
  /** The worker's id: the owner name of its leases. */
  id: Schema.String,
  /** The host name of its machine. */
  host: Schema.String,
  /** Its process id. */
  pid: Schema.Int,
  /** How many jobs it runs at once. */
  concurrency: Schema.Int,
  /** The priorities it takes from, in order. */
  priorities: Schema.Array(JobPriority),
  /** The routing key it serves; none for the default (unrouted) queues. */
  routingKey: Schema.optional(Schema.String),
  /** When it started (RFC 3339, UTC). */
  startedAt: Schema.String,
  /** When it last wrote this (RFC 3339, UTC). */
  beatAt: Schema.String,
  /** Jobs running at its last heartbeat. */
  inFlight: Schema.Int,
  /** Jobs completed by its process since it started (the process's counter: shared by workers of one process). */
  processed: Schema.Int,
  /** Failed attempts in its process since it started (the process's counter, as `processed`). */
  failed: Schema.Int,
  /** The SDK version it runs. */
  version: Schema.String
}).annotate({ identifier: "WorkerInfo" })

/**
 * A registered worker.
 *
 * @category models
 * @since 0.2.0
 */
export interface WorkerInfo extends Schema.Schema.Type<typeof WorkerInfo> {}

/**
 * The workers as `GET /v1/workers` lists them.
 *
 * @category schemas
 * @since 0.2.0
 */
export const WorkerList = Schema.Struct({
  /** The registered workers whose registration has not expired, by id. */
  workers: Schema.Array(WorkerInfo),
  /** Lease owners holding processing jobs without a registration (an SDK without the registry): unknown workers. */
  unknown: Schema.Array(Schema.Struct({
    /** The owner name of the leases. */
    owner: Schema.String,
    /** How many of the processing jobs read it holds. */
    jobs: Schema.Int
  })),
  /** Processing jobs with no lease at all: taken by workers that keep none (Go workers), unknown. */
  unleased: Schema.Int,
  /** How many processing ids were read for `unknown` and `unleased` (at most the first 1000). */
  processingRead: Schema.Int
}).annotate({ identifier: "WorkerList" })

/**
 * The workers as listed.
 *
 * @category models
 * @since 0.2.0
 */
export interface WorkerList extends Schema.Schema.Type<typeof WorkerList> {}

/**
 * A processing job's lease as the registry reads it: who holds the job
 * and until when.
 *
 * @category schemas
 * @since 0.2.0
 */
export const Lease = Schema.Struct({
  /** The job's id. */
  id: Schema.String,
  /** Whether the id is in `queue:processing` (a worker holds it). */
  processing: Schema.Boolean,
  /** The owner of its lease (`lease:tokens`); none when it has no lease (taken by a Go worker) or is not processing. */
  owner: Schema.optional(Schema.String),
  /** When its lease expires unless renewed (RFC 3339); none without a lease. */
  expiresAt: Schema.optional(Schema.String)
}).annotate({ identifier: "Lease" })

/**
 * A processing job's lease.
 *
 * @category models
 * @since 0.2.0
 */
export interface Lease extends Schema.Schema.Type<typeof Lease> {}
