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
import type { ConnectionError, SerializationError, TimeoutError } from "../domain/Errors.ts"
import type { JobId } from "../domain/JobId.ts"
import type { JobResult } from "../domain/JobResult.ts"

/**
 * The result backend service.
 *
 * @category services
 * @since 0.1.0
 */
export class ResultBackend extends Context.Service<ResultBackend, {
  /** Writes the hash, sets its TTL (success / failure TTL) and publishes `ready`. */
  readonly store: (result: JobResult) => Effect.Effect<void, ConnectionError>
  /** The stored result, or none. */
  readonly get: (id: JobId) => Effect.Effect<Option.Option<JobResult>, ConnectionError | SerializationError>
  /**
   * Waits for the job's **final** result: subscribes first, then checks,
   * then waits (no lost wake-up); any notification payload wakes it. A
   * `failed` result for an attempt that will be retried (the job is back
   * to `pending`/`scheduled`) does not end the wait. Fails with a
   * `TimeoutError` after `timeout`; interruption or timeout unsubscribes.
   *
   * With `start` (RPC: submit, then wait), `start.run` runs once the
   * subscription is confirmed and before anything is checked, so the
   * job's notification cannot be missed however fast it is processed;
   * `timeout` counts from when `start.run` succeeded, and its failure
   * ends the wait with that failure.
   */
  readonly wait: <E = never>(
    id: JobId,
    timeout: Duration.Duration,
    start?: WaitStart<E> | undefined
  ) => Effect.Effect<JobResult, E | ConnectionError | SerializationError | TimeoutError>
  /** Deletes the result; false when there was none. */
  readonly delete: (id: JobId) => Effect.Effect<boolean, ConnectionError>
}>()("@bananas/effect/ResultBackend") {}

/**
 * What a `wait` runs between subscribing and checking: the submission of
 * the job it waits for.
 *
 * @category models
 * @since 0.1.0
 */
export interface WaitStart<E> {
  /** Creates the job (e.g. `Queue.enqueue`). */
  readonly run: Effect.Effect<void, E>
  /**
   * The job's id was new before `run` (freshly generated, never
   * submitted): no result can exist yet, so a backend may skip the first
   * check and only look when a notification arrives (or on its fallback
   * poll). Leave unset when the id may have been used before (a caller's
   * own id): a stale result is then returned at once, as without `start`.
   */
  readonly fresh?: boolean | undefined
}

/**
 * Result TTLs (Go's defaults: 1 h for successes, 24 h for failures).
 *
 * @category models
 * @since 0.1.0
 */
export interface ResultTtl {
  readonly success: Duration.Duration
  readonly failure: Duration.Duration
}
