/**
 * The storage-level queue: the job states and transitions of the Bananas
 * protocol (PROTOCOL.md §3). Implemented on Redis (`layers/redis`) and in
 * memory (`layers/memory`); both pass the same contract suite.
 *
 * Every operation that changes a job's state is atomic (one MULTI/EXEC or
 * Lua script on Redis), so a crash never leaves a job half-moved.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type { ConnectionError, SerializationError } from "../domain/Errors.ts"
import type { Job } from "../domain/Job.ts"
import type { JobId } from "../domain/JobId.ts"
import type { JobPriority } from "../domain/JobPriority.ts"
import type { JobStatus } from "../domain/JobStatus.ts"
import type { RawJson } from "../domain/RawJson.ts"
import type * as Timestamp from "../domain/Timestamp.ts"

/**
 * Queue depths. `queued` counts the default (unrouted) priority lists.
 *
 * @category models
 * @since 0.1.0
 */
export interface QueueStats {
  readonly queued: { readonly high: number; readonly normal: number; readonly low: number }
  readonly processing: number
  readonly scheduled: number
  readonly dead: number
}

/**
 * Filters for listing jobs. Omitted filters match everything.
 *
 * @category models
 * @since 0.1.0
 */
export interface ListFilter {
  readonly status?: JobStatus | undefined
  readonly priority?: JobPriority | undefined
  readonly name?: string | undefined
  /** created_at >= from */
  readonly from?: Timestamp.Timestamp | undefined
  /** created_at < to */
  readonly to?: Timestamp.Timestamp | undefined
  /** Opaque cursor from a previous page; omit for the first page. */
  readonly cursor?: string | undefined
  /** Most jobs in one page (default 100); a page may hold fewer and still have a cursor. */
  readonly limit?: number | undefined
}

/**
 * One page of jobs; `cursor` is present while more pages may follow.
 *
 * @category models
 * @since 0.1.0
 */
export interface JobPage {
  readonly jobs: ReadonlyArray<Job>
  readonly cursor?: string | undefined
}

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
  /** Record a lease (crash recovery) for the dequeued job, held by `owner`, until now + `duration`. */
  readonly lease?: { readonly owner: string; readonly duration: Duration.Duration } | undefined
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
 * What `dequeue` hands out: a job now in `queue:processing`, or an id whose
 * data was missing or corrupted, which `dequeue` already dead-lettered with
 * Go's error record (reported so the worker can log and count it).
 *
 * @category models
 * @since 0.1.0
 */
export type Delivery =
  | { readonly _tag: "Job"; readonly job: Job }
  | { readonly _tag: "DeadLettered"; readonly id: JobId; readonly reason: string }

/**
 * The outcome of a failed attempt.
 *
 * @category models
 * @since 0.1.0
 */
export type FailOutcome =
  | { readonly _tag: "Retrying"; readonly job: Job }
  | { readonly _tag: "Dead"; readonly job: Job }

/**
 * The storage-level queue service.
 *
 * @category services
 * @since 0.1.0
 */
export class Queue extends Context.Service<Queue, {
  /** The key layout in use (prefix). */
  readonly keys: import("../domain/Keys.ts").Keys

  /** `SET job:{id}` then `LPUSH` its queue, atomically. */
  readonly enqueue: (job: Job) => Effect.Effect<void, ConnectionError>
  /** Many jobs: one round trip per chunk, each job atomic. */
  readonly enqueueBatch: (jobs: ReadonlyArray<Job>) => Effect.Effect<void, ConnectionError>
  /** `SET job:{id}` (status `scheduled`, `scheduled_for` set) and `ZADD queue:scheduled <unix s>`, atomically. */
  readonly schedule: (job: Job) => Effect.Effect<void, ConnectionError>
  /** The job, or none. Corrupted data fails with a `SerializationError` naming the key. */
  readonly get: (id: JobId) => Effect.Effect<Option.Option<Job>, ConnectionError | SerializationError>

  /**
   * Moves the next id (strict priority order) into `queue:processing`
   * (recording a lease when asked) and reads its data; waits up to
   * `block` when every list is empty. Missing or corrupted data is
   * dead-lettered here, as Go does, and reported as `DeadLettered`.
   *
   * Interruption: the wait for work is interruptible even inside an
   * uninterruptible region; taking a job is not. A caller that must never
   * lose a delivery (the worker) runs `dequeue` uninterruptibly: it can still
   * stop it while it waits, and a job already moved to processing is always
   * returned to it.
   */
  readonly dequeue: (options: DequeueOptions) => Effect.Effect<Option.Option<Delivery>, ConnectionError>
  /**
   * `dequeue` for up to `max` jobs in one atomic step (one round trip on
   * Redis): ids are taken oldest first from the first priority until it is
   * empty, then from the next, exactly as `max` successive `dequeue`s with
   * nothing pushed in between would take them (strict priority). Each one
   * is moved into `queue:processing` with its lease before the step ends,
   * so a crash after it loses nothing (the reaper recovers them).
   *
   * Returns the deliveries in the order taken: at least one, unless every
   * list stayed empty for `block` (then none, as `dequeue`'s none). It
   * never waits once a job is available to fill up to `max`. Missing or
   * corrupted data is dead-lettered and reported as in `dequeue`; the other
   * deliveries of the same call are unaffected (should that dead-lettering
   * itself fail, the id is left out and stays in processing under its lease,
   * for the reaper).
   *
   * Interruption: as `dequeue` (only the wait for work is interruptible;
   * jobs already taken are always returned). `max < 1` or no priorities:
   * none at once.
   */
  readonly dequeueMany: (options: DequeueManyOptions) => Effect.Effect<ReadonlyArray<Delivery>, ConnectionError>
  /**
   * Completes a job taken by `dequeue`: result hash (+ TTL), job status
   * `completed` (TTL 24 h), out of processing and leases, `PUBLISH ready`:
   * one atomic step.
   */
  readonly complete: (job: Job, outcome: {
    readonly result?: RawJson | undefined
    readonly durationMs: number
    readonly now: Timestamp.Timestamp
  }) => Effect.Effect<Job, ConnectionError>
  /**
   * Fails an attempt: attempts + 1; retried (status `pending`, scheduled in
   * 2^attempts s, no result published) while attempts < max_retries, else
   * dead-lettered (status `failed`, TTL 7 d) with a failed result published.
   * One atomic step.
   */
  readonly fail: (job: Job, error: string, outcome: {
    readonly durationMs: number
    readonly now: Timestamp.Timestamp
  }) => Effect.Effect<FailOutcome, ConnectionError>
  /** Puts a job taken by `dequeue` back at the head of its queue (graceful shutdown): no attempt counted. */
  readonly release: (job: Job) => Effect.Effect<void, ConnectionError>
  /** Extends the leases of these in-flight jobs to now + `duration`. */
  readonly renewLeases: (ids: ReadonlyArray<JobId>, duration: Duration.Duration) => Effect.Effect<void, ConnectionError>
  /**
   * Returns jobs whose lease expired (their worker died) to their queue,
   * counting the attempt (dead-lettered when no retries remain). With
   * `maxAge`, processing entries without a lease (another worker's) older
   * than it are recovered too. Returns the ids recovered.
   */
  readonly reapExpired: (options?: { readonly maxAge?: Duration.Duration | undefined }) => Effect.Effect<ReadonlyArray<JobId>, ConnectionError>
  /**
   * Moves due jobs (score <= now, unix seconds) from `queue:scheduled` to
   * their queue, dropping `scheduled_for`. Safe with many promoters: a job
   * is pushed only by the promoter whose ZREM removed it. Returns how many.
   */
  readonly promoteDue: (now: Timestamp.Timestamp) => Effect.Effect<number, ConnectionError>

  /**
   * Cancels a queued or scheduled job: removed from its list / the
   * scheduled set, marked `failed` with error `cancelled`, and a failed
   * result published so waiters end. False when it was not waiting (running,
   * finished, or unknown).
   */
  readonly cancel: (id: JobId, now: Timestamp.Timestamp) => Effect.Effect<boolean, ConnectionError | SerializationError>
  /** Depths of every list. */
  readonly stats: Effect.Effect<QueueStats, ConnectionError>
  /** Lists jobs matching the filter, paginated (SCAN on Redis, never KEYS). */
  readonly list: (filter: ListFilter) => Effect.Effect<JobPage, ConnectionError>
  /** The dead-letter list, newest first, paginated. */
  readonly deadLetters: (options?: { readonly cursor?: string | undefined; readonly limit?: number | undefined }) => Effect.Effect<JobPage, ConnectionError>
  /**
   * Moves a dead-lettered job back to its queue: status `pending`, attempts
   * 0, error cleared, TTL removed. False when it is not in the dead letter.
   */
  readonly requeueDead: (id: JobId, now: Timestamp.Timestamp) => Effect.Effect<boolean, ConnectionError | SerializationError>
  /** Deletes every key under the prefix (tests, local tooling). */
  readonly purge: Effect.Effect<void, ConnectionError>
}>()("@bananas/effect/Queue") {}
