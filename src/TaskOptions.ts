/**
 * The options of the `Tasks` operations: of a submission, of a wait, and
 * one entry of a batch (re-exported by `Tasks`).
 *
 * @since 0.2.0
 */

import type * as Duration from "effect/Duration"
import type { JobPriority } from "./domain/JobPriority.ts"
import type * as Submission from "./domain/Submission.ts"
import type * as Policies from "./layers/Policies.ts"

/**
 * Options of a submission.
 *
 * @category models
 * @since 0.1.0
 */
export interface SubmitOptions extends Policies.CallOptions {
  /** Default `normal`. Anything else than high/normal/low is a `ValidationError`. */
  readonly priority?: JobPriority | undefined
  /** A free-text description. */
  readonly description?: string | undefined
  /** Runs allowed in all (Go's `max_retries`, default 3): 1 means one run and no retry. */
  readonly maxRetries?: number | undefined
  /** The same as `maxRetries`, by a name that says what it counts (runs in all, default 3). */
  readonly maxAttempts?: number | undefined
  /** Route-Go routing key (`[A-Za-z0-9_-]{1,64}`); `default` or none = unrouted. */
  readonly routingKey?: string | undefined
  /** Use this id instead of a fresh UUID (idempotent producers): an id that exists creates nothing. */
  readonly id?: string | undefined
  /** With `id`: fail with `JobConflictError` instead of reporting `duplicate` when it exists. */
  readonly unique?: boolean | undefined
  /** Run at this instant or after this delay instead of now (a scheduled job). */
  readonly at?: Submission.ScheduleAt | undefined
}

/**
 * Options of a wait.
 *
 * @category models
 * @since 0.1.0
 */
export interface WaitOptions extends Policies.CallOptions {
  /** How long to wait for the final result (default: the TimeoutPolicy's `wait`, 30 s). */
  readonly timeout?: Duration.Input | undefined
}

/**
 * One entry of a batch submission.
 *
 * @category models
 * @since 0.1.0
 */
export interface BatchEntry {
  /** The job name. */
  readonly name: string
  /** The payload: any JSON-serializable value, or `RawJson.Raw` for exact bytes. */
  readonly payload: unknown
  /** Its options. */
  readonly options?: Omit<SubmitOptions, keyof Policies.CallOptions> | undefined
}
