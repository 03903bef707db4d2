/**
 * The storage-level queue: the hot path of producers and workers (enqueue,
 * take, end an attempt) and the worker runtime's background steps (leases,
 * recovery, promotion). Every state change is one atomic step decided by
 * the protocol core (`protocol/Transitions`); the Redis and memory layers
 * only carry it out, and pass the same contract suite.
 *
 * Admin operations (stats, listings, dead letters, cancel) are in
 * `QueueAdmin`; what users call is `TaskApi` (and the `Tasks` helpers).
 *
 * @since 0.2.0
 */

import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type { JobFailedError, LeaseLostError, SerializationError } from "../domain/Errors.ts"
import type { Job } from "../domain/Job.ts"
import type { Progress } from "../domain/WriteOutcome.ts"
import type { JobId } from "../domain/JobId.ts"
import type { JobPriority } from "../domain/JobPriority.ts"
import type { RawJson } from "../domain/RawJson.ts"
import type * as Timestamp from "../domain/Timestamp.ts"
import type { FailOutcome } from "../protocol/Transitions.ts"
import type { Protocol } from "../protocol/Wire.ts"
import type { StoreFailure } from "../store/JobStore.ts"

export type { FailOutcome } from "../protocol/Transitions.ts"

/**
 * What a worker asks `dequeue` for.
 *
 * @category models
 * @since 0.1.0
 */
export interface DequeueOptions {
  /** Priorities to drain, in order (strict: a lower one only when the higher are empty). */
  readonly priorities: ReadonlyArray<JobPriority>
  /** Read `route:{key}:queue:{p}` instead of `queue:{p}` (`default` = unrouted). */
  readonly routingKey?: string | undefined
  /** How long to wait when every list is empty; 0 returns at once. */
  readonly block: Duration.Duration
  /**
   * Hold each job under a lease of `owner` for `duration` (renewed with
   * `renewLeases`), so the reaper recovers it if the worker dies, and only
   * this delivery can end it (fencing). The owner's heartbeat (the TTL of
   * `worker:{owner}`) is `heartbeat`, by default `duration`.
   */
  readonly lease?: {
    /** The worker taking the jobs (its lease tokens are `<owner>:<n>`). */
    readonly owner: string
    /** How long each lease lasts without renewal. */
    readonly duration: Duration.Duration
    /** The TTL of the owner's held set, `worker:{owner}` (default `duration`). */
    readonly heartbeat?: Duration.Duration | undefined
  } | undefined
}

/**
 * What a worker asks `dequeueMany` for: `dequeue`'s options plus a bound.
 *
 * @category models
 * @since 0.1.0
 */
export interface DequeueManyOptions extends DequeueOptions {
  /** The most jobs taken by one call (at least 1; fractions are floored). */
  readonly max: number
}

/**
 * A job handed to a worker: in `queue:processing`, held by this delivery.
 *
 * @category models
 * @since 0.2.0
 */
export interface JobDelivery {
  /** A job to run. */
  readonly _tag: "Job"
  /** The job as read when it was taken. */
  readonly job: Job
  /** The delivery's lease token; only it can end the job. None when taken without a lease. */
  readonly token: string | undefined
}

/**
 * What `dequeue` hands out: a job, or an id whose data was missing or
 * corrupted, which `dequeue` already dead-lettered (reported so the worker
 * can log and count it).
 *
 * @category models
 * @since 0.1.0
 */
export type Delivery =
  | JobDelivery
  | {
    /** An id whose data was missing or unreadable: dead-lettered at once, nothing to run. */
    readonly _tag: "DeadLettered"
    /** The id taken. */
    readonly id: JobId
    /** The error recorded (Go's text). */
    readonly reason: string
  }

/**
 * What a submission did: created the job, or found one with its id
 * (nothing written).
 *
 * @category models
 * @since 0.2.0
 */
export type EnqueueOutcome = "created" | "duplicate"

/**
 * How an attempt ended, for `complete` and `fail`.
 *
 * @category models
 * @since 0.2.0
 */
export interface AttemptEnd {
  /** How long the run took (whole milliseconds are stored). */
  readonly durationMs: number
  /** When it ended (written as `updated_at` and `completed_at`). */
  readonly now: Timestamp.Timestamp
}

/**
 * The storage-level queue service.
 *
 * @category services
 * @since 0.2.0
 */
export class JobQueue extends Context.Service<JobQueue, {
  /** The key layout and TTLs in use. */
  readonly protocol: Protocol

  /** A new job: `SET job:{id}`, `LPUSH` its queue, one atomic step. An existing id is left alone (`duplicate`). */
  readonly enqueue: (job: Job) => Effect.Effect<EnqueueOutcome, StoreFailure>
  /**
   * Many new jobs: each atomic, batched into few round trips; outcomes in
   * order. With a `progress`, records what became of each job's write
   * (sent, answered, lost), also when the batch fails.
   */
  readonly enqueueBatch: (jobs: ReadonlyArray<Job>, progress?: Progress) => Effect.Effect<ReadonlyArray<EnqueueOutcome>, StoreFailure>
  /** A new job due at its `scheduledFor`: `SET job:{id}` and `ZADD queue:scheduled <unix s>`, one atomic step. */
  readonly schedule: (job: Job) => Effect.Effect<EnqueueOutcome, StoreFailure>
  /**
   * The job, or none. Go's dead-letter record under the id (the job's data
   * was missing or unreadable when a worker took it) fails with
   * `JobFailedError` carrying the error recorded; other corrupted data with
   * a `SerializationError` naming the key.
   */
  readonly get: (id: JobId) => Effect.Effect<Option.Option<Job>, StoreFailure | SerializationError | JobFailedError>

  /**
   * Takes the next job (strict priority order) into `queue:processing`,
   * with its lease when asked, and reads its data; waits up to `block` when
   * every list is empty. Missing or corrupted data is dead-lettered here, as
   * Go does, and reported as `DeadLettered`.
   *
   * Interruption: the wait for work is interruptible even inside an
   * uninterruptible region; taking a job is not. A caller that must never
   * lose a delivery (the worker) runs `dequeue` uninterruptibly: it can
   * still stop it while it waits, and a job already taken is always
   * returned to it.
   */
  readonly dequeue: (options: DequeueOptions) => Effect.Effect<Option.Option<Delivery>, StoreFailure>
  /**
   * `dequeue` for up to `max` jobs in one atomic step: taken oldest first
   * from the first priority until it is empty, then from the next, exactly
   * as `max` successive `dequeue`s would take them. At least one unless
   * every list stayed empty for `block`; never waits to fill up to `max`.
   * Interruption as `dequeue`.
   */
  readonly dequeueMany: (options: DequeueManyOptions) => Effect.Effect<ReadonlyArray<Delivery>, StoreFailure>
  /**
   * Completes a held job: status `completed` (TTL 24 h), out of processing
   * and its lease, result hash (+ TTL), `PUBLISH ready`: one atomic step.
   * `LeaseLostError` when the delivery no longer holds the job (nothing
   * written).
   */
  readonly complete: (delivery: JobDelivery, outcome: AttemptEnd & {
    /** The handler's result JSON, if any. */
    readonly result?: RawJson | undefined
  }) => Effect.Effect<Job, StoreFailure | LeaseLostError>
  /**
   * Fails an attempt of a held job: attempts + 1; retried (status
   * `pending`, due in 2^attempts s, no result published) while Go's rule
   * allows and the failure is `retryable` (default), else dead-lettered
   * (status `failed`, TTL 7 d) with a failed result published. One atomic
   * step; `LeaseLostError` as `complete`.
   */
  readonly fail: (delivery: JobDelivery, error: string, outcome: AttemptEnd & {
    /** `false`: no retry can fix this failure (a payload that does not match its schema): dead-lettered now. */
    readonly retryable?: boolean | undefined
  }) => Effect.Effect<FailOutcome, StoreFailure | LeaseLostError>
  /** Gives a held job back to the head of its queue (graceful shutdown): no attempt counted. Nothing when no longer held. */
  readonly release: (delivery: JobDelivery) => Effect.Effect<void, StoreFailure>
  /**
   * The lease upkeep of a worker `owner`: its heartbeat (the TTL of its
   * held set, `heartbeat`, by default `duration`) and the leases of the
   * deliveries it runs, extended to now + `duration`. Returns the ids it no
   * longer holds (recovered elsewhere).
   * The heartbeat is written on its own, so Redis accepts it even when out
   * of memory: the reaper leaves a live worker's jobs alone.
   */
  readonly renewLeases: (
    owner: string,
    deliveries: ReadonlyArray<JobDelivery>,
    duration: Duration.Duration,
    heartbeat?: Duration.Duration | undefined
  ) => Effect.Effect<ReadonlyArray<JobId>, StoreFailure>
  /**
   * Gives back the jobs Redis says `owner` holds but that it is not
   * running (`running`): taken by a dequeue whose reply was lost. No
   * attempt counted. `running.has` is asked after the held set was read:
   * it must answer true for any id a dequeue of `owner` under way may be
   * delivering (the worker's reclaimer answers true for every id then).
   * Returns the ids released.
   */
  readonly reclaim: (owner: string, running: {
    /** True when `owner` is running this job (or a dequeue under way may be delivering it). */
    readonly has: (id: JobId) => boolean
  }) => Effect.Effect<ReadonlyArray<JobId>, StoreFailure>
  /**
   * Recovers jobs whose lease expired and whose worker stopped
   * heartbeating: back to their queue counting the attempt, or dead-lettered
   * when no retries remain. With `maxAge`, processing entries without a
   * lease (Go workers') are given one expiring `maxAge` from now and
   * recovered once it passes (`maxAge` 0: in this pass). Returns the ids
   * recovered.
   */
  readonly reapExpired: (options?: {
    /** Also recover unleased processing entries (Go workers' ones) older than this. */
    readonly maxAge?: Duration.Duration | undefined
  }) => Effect.Effect<ReadonlyArray<JobId>, StoreFailure>
  /**
   * Moves due jobs (score <= now, unix seconds) from `queue:scheduled` to
   * their queue, dropping `scheduled_for`. Safe with many promoters: a job
   * is pushed once. Missing or unreadable data is left where it is (as Go
   * does) and reported in `skipped`. Returns how many moved.
   */
  readonly promoteDue: (now: Timestamp.Timestamp) => Effect.Effect<{
    readonly promoted: number
    readonly skipped: ReadonlyArray<{ readonly id: JobId; readonly reason: string }>
  }, StoreFailure>
}>()("@bananas/effect/JobQueue") {}

/**
 * The queue of the webhook outbox: a `JobQueue` over the events' own
 * namespace (`Events.deliveryProtocol`, keys under `<prefix>events:`), where
 * event jobs wait and the gateway's delivery worker runs them and their
 * deliveries. Every backend that gives `JobQueue` gives it too.
 *
 * @category services
 * @since 0.2.0
 */
export class EventQueue extends Context.Service<EventQueue, JobQueue["Service"]>()("@bananas/effect/EventQueue") {}
