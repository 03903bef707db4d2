/**
 * Queue administration: depths, listings, dead letters, cancelling and
 * requeueing, pausing and resuming queues — what dashboards, the CLI and the gateway's admin endpoints
 * use. Written once over the storage port (`layers/StoreAdmin`) for every
 * backend.
 *
 * @since 0.2.0
 */

import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { JobConflictError, JobNotFoundError, SerializationError, ValidationError } from "../domain/Errors.ts"
import type { Job } from "../domain/Job.ts"
import type { JobId } from "../domain/JobId.ts"
import type { JobPage, ListFilter, PageRequest } from "../domain/JobPage.ts"
import type { QueueRef } from "../domain/QueueRef.ts"
import type { QueueStats } from "../domain/QueueStats.ts"
import type * as Timestamp from "../domain/Timestamp.ts"
import type { StoreFailure } from "../store/JobStore.ts"

/**
 * The admin service.
 *
 * @category services
 * @since 0.2.0
 */
export class QueueAdmin extends Context.Service<QueueAdmin, {
  /** Depths of every list. */
  readonly stats: Effect.Effect<QueueStats, StoreFailure>
  /**
   * Jobs matching the filter, paginated (SCAN on Redis, never KEYS). A page
   * scans on until `limit` jobs matched or the scan ended, within a work
   * budget; past it, the matches so far (maybe none) and a cursor. Go's
   * dead-letter records are not jobs and are skipped. A job present
   * throughout is listed, never twice in one page; on Redis a later page
   * may repeat one when Redis shrinks its table between pages (SCAN's rule).
   */
  readonly list: (filter: ListFilter) => Effect.Effect<JobPage, ValidationError | StoreFailure>
  /**
   * The dead-letter list, newest first, paginated; Go's dead-letter records
   * are listed as read (id and Go's error). A cursor this listing did not
   * return is a `ValidationError`.
   */
  readonly deadLetters: (page?: PageRequest) => Effect.Effect<JobPage, ValidationError | StoreFailure>
  /**
   * Cancels a queued or scheduled job: removed from its list or the
   * scheduled set, marked `failed` with error `cancelled`, and a failed
   * result published so waiters end. `JobConflictError` when it is not
   * waiting (running or finished), `JobNotFoundError` when unknown.
   */
  readonly cancel: (id: JobId, now: Timestamp.Timestamp) => Effect.Effect<Job, JobNotFoundError | JobConflictError | SerializationError | StoreFailure>
  /**
   * Moves a dead-lettered job back to its queue: status `pending`, attempts
   * 0, error and old result cleared, TTL removed. `JobConflictError` when it
   * is not in the dead letter; `SerializationError` when its data is one of
   * Go's dead-letter records (the job itself is lost).
   */
  readonly requeueDead: (id: JobId, now: Timestamp.Timestamp) => Effect.Effect<Job, JobNotFoundError | JobConflictError | SerializationError | StoreFailure>
  /** Deletes every dead-lettered job (its data and result too); returns how many. */
  readonly purgeDead: Effect.Effect<number, StoreFailure>
  /**
   * Pauses a queue (a priority of the default queue or of a routing key):
   * our workers take nothing from it (checked in the take's own step), its
   * jobs stay queued, submissions still land. Returns the queue as
   * normalized (`default` is no routing key); `ValidationError` for an
   * unknown priority or a bad routing key. Pausing a paused queue changes
   * nothing. Go workers do not know pause: they keep taking from it.
   *
   * @since 0.2.0
   */
  readonly pause: (queue: QueueRef) => Effect.Effect<QueueRef, ValidationError | StoreFailure>
  /**
   * Resumes a paused queue and wakes the workers, which take its jobs at
   * once. Resuming a queue that is not paused changes nothing.
   *
   * @since 0.2.0
   */
  readonly resume: (queue: QueueRef) => Effect.Effect<QueueRef, ValidationError | StoreFailure>
  /**
   * The paused queues, in key order (also in `stats`).
   *
   * @since 0.2.0
   */
  readonly paused: Effect.Effect<ReadonlyArray<QueueRef>, StoreFailure>
}>()("@bananas/effect/QueueAdmin") {}
