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
   */
  readonly wait: (id: JobId, timeout: Duration.Duration) => Effect.Effect<JobResult, ConnectionError | SerializationError | TimeoutError>
  /** Deletes the result; false when there was none. */
  readonly delete: (id: JobId) => Effect.Effect<boolean, ConnectionError>
}>()("@bananas/effect/ResultBackend") {}

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
