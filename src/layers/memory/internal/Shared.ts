/**
 * What the memory Queue and ResultBackend share: the keyspace, the key
 * layout, result TTLs, the step that runs one synchronous operation against
 * Effect's `Clock`, and the result write both services perform.
 *
 * Internal: not part of the public API.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import type { SerializationError } from "../../../domain/Errors.ts"
import * as JobCodec from "../../../domain/JobCodec.ts"
import type { JobId } from "../../../domain/JobId.ts"
import * as JobResult from "../../../domain/JobResult.ts"
import type { Keys } from "../../../domain/Keys.ts"
import type { Store } from "./Store.ts"

/**
 * One memory instance: the keyspace plus its configuration.
 *
 * @category models
 * @since 0.1.0
 */
export interface Shared {
  readonly store: Store
  readonly keys: Keys
  readonly successTtlMillis: number
  readonly failureTtlMillis: number
}

/**
 * Runs `f` as one synchronous state change, with the store's clock set from
 * Effect's `Clock` (so TestClock drives TTLs and leases).
 *
 * @category combinators
 * @since 0.1.0
 */
export const atomically = <A>(shared: Shared, f: (now: number) => A): Effect.Effect<A> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) =>
    Effect.sync(() => {
      shared.store.tick(now)
      return f(now)
    }))

/**
 * Writes a result hash (fields merged, as `HSET` does), sets its TTL by
 * status and publishes `ready`. Call inside `atomically`.
 *
 * @category combinators
 * @since 0.1.0
 */
export const writeResult = (shared: Shared, result: JobResult.JobResult): void => {
  const { store, keys } = shared
  const key = keys.result(result.jobId)
  const fields = JobResult.toHashFields(result)
  const pairs: Array<readonly [string, string]> = []
  for (let i = 0; i + 1 < fields.length; i += 2) pairs.push([fields[i]!, fields[i + 1]!])
  store.hset(key, pairs)
  store.expire(key, result.status === "completed" ? shared.successTtlMillis : shared.failureTtlMillis)
  store.publish(keys.notify(result.jobId), "ready")
}

/**
 * The stored result, decoded. Call inside `atomically`.
 *
 * @category combinators
 * @since 0.1.0
 */
export const readResult = (shared: Shared, id: JobId): Result.Result<JobResult.JobResult | undefined, SerializationError> => {
  const key = shared.keys.result(id)
  return JobResult.fromHash(id, key, shared.store.hgetall(key))
}

/**
 * True when the stored result ends a wait: a completed result, or a failed
 * one whose job will not run again (its data is gone or unreadable, or its
 * status is `failed`/`completed`). A failed result of an attempt that is
 * being retried (job `pending`/`scheduled`) is not final.
 *
 * @category predicates
 * @since 0.1.0
 */
export const isFinalResult = (shared: Shared, result: JobResult.JobResult): boolean => {
  if (result.status === "completed") return true
  const text = shared.store.get(shared.keys.job(result.jobId))
  if (text === undefined) return true
  const job = JobCodec.decode(text)
  if (Result.isFailure(job)) return true
  return job.success.status === "failed" || job.success.status === "completed"
}
