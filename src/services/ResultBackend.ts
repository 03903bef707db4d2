/**
 * Job results: the `result:{id}` hash and its `result:notify:{id}`
 * notification.
 *
 * @since 0.1.0
 */

import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type { SerializationError, TimeoutError } from "../domain/Errors.ts"
import type { JobId } from "../domain/JobId.ts"
import type { Job } from "../domain/Job.ts"
import type { JobResult } from "../domain/JobResult.ts"
import type { StoreFailure } from "../store/JobStore.ts"

/**
 * The result backend service.
 *
 * @category services
 * @since 0.1.0
 */
export class ResultBackend extends Context.Service<ResultBackend, {
  /** Writes the hash (fields merged, as Go), sets its TTL (success / failure TTL) and publishes `ready`. */
  readonly store: (result: JobResult) => Effect.Effect<void, StoreFailure>
  /** The stored result, or none. */
  readonly get: (id: JobId) => Effect.Effect<Option.Option<JobResult>, StoreFailure | SerializationError>
  /**
   * Waits for the job's **final** result: subscribes first, then checks,
   * then waits (no lost wake-up); any notification payload wakes it. A
   * `failed` result for an attempt that will be retried (the job is back
   * to `pending`/`scheduled`) does not end the wait
   * (`Transitions.isFinalResult`). Fails with a `TimeoutError` after
   * `timeout`; interruption or timeout unsubscribes.
   *
   * With `start` (RPC: submit, then wait), `start.run` runs once the
   * subscription is confirmed and before anything is checked, so the job's
   * notification cannot be missed however fast it is processed; `timeout`
   * counts from when `start.run` succeeded, and its failure ends the wait
   * with that failure.
   */
  readonly wait: <E = never>(
    id: JobId,
    timeout: Duration.Duration,
    start?: WaitStart<E> | undefined
  ) => Effect.Effect<JobResult, E | StoreFailure | SerializationError | TimeoutError>
  /** Deletes the result; false when there was none. */
  readonly delete: (id: JobId) => Effect.Effect<boolean, StoreFailure>
}>()("@bananas/effect/ResultBackend") {}

/**
 * What a `wait` runs between subscribing and checking: the submission of
 * the job it waits for.
 *
 * @category models
 * @since 0.1.0
 */
export interface WaitStart<E> {
  /**
   * Creates the job; succeeds with true when it created it now (the id was
   * new, and any stale result of the id was deleted with it): a result
   * announced for an earlier job with the same id is then not this one's
   * (see `job`). False: the id existed (a duplicate or a resend), and its
   * job's result is the one awaited.
   */
  readonly run: Effect.Effect<boolean, E>
  /**
   * The job `run` submits: when it created it, a notification about an
   * earlier job with the same id is told apart (`Transitions.resultTag`).
   *
   * @since 0.2.0
   */
  readonly job?: Job | undefined
}
