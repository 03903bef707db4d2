/**
 * The narrow storage port every backend implements: carry out plans and
 * takes (`protocol/Plan`, `protocol/Take`), a handful of Redis reads, a
 * heartbeat, and a way to wait for work. The queue and admin services are
 * written once on top of it (`StoreQueue`, `StoreAdmin`, `Recovery`), so
 * the Redis and memory backends share every decision and differ only in
 * how they store.
 *
 * Reads return Redis's answers (absent values as `undefined`); a key of
 * another type than the read expects fails with a `StorageError`
 * (`WrongType`), as Redis does.
 *
 * @stability internal
 * @since 0.2.0
 */

import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { ConnectionError, StorageError } from "../domain/Errors.ts"
import type { Progress } from "../domain/WriteOutcome.ts"
import type { Outcome, Plan } from "../protocol/Plan.ts"
import type { Taken, TakeRequest } from "../protocol/Take.ts"
import type { Protocol } from "../protocol/Wire.ts"

/**
 * What a storage operation can fail with: the storage could not be reached
 * (`ConnectionError`), or it refused or failed the command (`StorageError`).
 *
 * @category errors
 * @since 0.2.0
 */
export type StoreFailure = ConnectionError | StorageError

/**
 * A wait for work, opened before the last look at the queues.
 *
 * @category models
 * @since 0.2.0
 */
export interface WorkWaiter {
  /**
   * Resumes on a wake-up (one that arrived since the last call counts):
   * true; or after at most `maxMillis` (a backend may return sooner, to
   * poll): false. Interruptible.
   */
  readonly next: (maxMillis: number) => Effect.Effect<boolean>
}

/**
 * The storage port.
 *
 * @category services
 * @since 0.2.0
 */
export class JobStore extends Context.Service<JobStore, {
  /** The key layout and TTLs this store was built with. */
  readonly protocol: Protocol
  /**
   * Carries out plans, each one atomic step, and reports each one's outcome
   * (in order). With a `progress`, records per plan whether it was sent and
   * what Redis answered, also when the call fails or is interrupted (a
   * backend that carries plans out at once may leave that to `Apply`).
   */
  readonly apply: (operation: string, plans: ReadonlyArray<Plan>, progress?: Progress) => Effect.Effect<ReadonlyArray<Outcome>, StoreFailure>
  /** Carries out a take; returns the jobs taken (id and data), in order. */
  readonly take: (request: TakeRequest) => Effect.Effect<ReadonlyArray<Taken>, StoreFailure>
  /** `PEXPIRE key millis` on its own (never batched with writes): a heartbeat that Redis accepts even when out of memory. */
  readonly touch: (key: string, millis: number) => Effect.Effect<void, StoreFailure>
  /** `EXISTS keys...`: how many of them exist. */
  readonly exists: (keys: ReadonlyArray<string>) => Effect.Effect<number, StoreFailure>
  /** `GET key`. */
  readonly get: (key: string) => Effect.Effect<string | undefined, StoreFailure>
  /** `MGET keys...` (no keys: none). */
  readonly mget: (keys: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<string | undefined>, StoreFailure>
  /** `LRANGE key start stop`. */
  readonly lrange: (key: string, start: number, stop: number) => Effect.Effect<ReadonlyArray<string>, StoreFailure>
  /** `LPOS key member` found it. */
  readonly lpos: (key: string, member: string) => Effect.Effect<boolean, StoreFailure>
  /** `ZSCORE key member`. */
  readonly zscore: (key: string, member: string) => Effect.Effect<number | undefined, StoreFailure>
  /** `ZRANGE key 0 0 WITHSCORES`: the lowest-scored member and its score (none when empty). */
  readonly zfirst: (key: string) => Effect.Effect<readonly [string, number] | undefined, StoreFailure>
  /** `ZRANGEBYSCORE key -inf max LIMIT offset count`. */
  readonly zrangeByScore: (key: string, max: number, offset: number, count: number) => Effect.Effect<ReadonlyArray<string>, StoreFailure>
  /** `HGETALL key`. */
  readonly hgetall: (key: string) => Effect.Effect<Readonly<Record<string, string>>, StoreFailure>
  /** `HMGET key fields...`. */
  readonly hmget: (key: string, fields: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<string | undefined>, StoreFailure>
  /** `SMEMBERS key`. */
  readonly smembers: (key: string) => Effect.Effect<ReadonlyArray<string>, StoreFailure>
  /** Depths: `LLEN` of each list and `ZCARD` of each zset, read together. */
  readonly sizes: (lists: ReadonlyArray<string>, zsets: ReadonlyArray<string>) => Effect.Effect<{
    readonly lists: ReadonlyArray<number>
    readonly zsets: ReadonlyArray<number>
  }, StoreFailure>
  /**
   * `SCAN cursor MATCH <prefix>* COUNT count`: the next cursor ("0" at the
   * end) and a batch of keys. Every key present for the whole iteration is
   * returned at least once; a batch re-read from the same cursor may differ
   * (Redis rehashes as keys come and go).
   */
  readonly scan: (cursor: string, prefix: string, count: number) => Effect.Effect<readonly [string, ReadonlyArray<string>], StoreFailure>
  /**
   * Whether `scan` accepts `cursor` (one it returned, or `"0"`): a cursor a
   * caller made up is refused before it reaches the store.
   */
  readonly isScanCursor: (cursor: string) => boolean
  /**
   * The wake-ups this store has received so far, as a mark taken just
   * before a look at the queues; `undefined` while no wait is confirmed
   * (a wake-up could be missed). Passed to `awaitWork` as `since`, it makes
   * every wake-up after that look count.
   */
  readonly workMark: () => number | undefined
  /**
   * Opens a wait for work on `sources` (the lists a dequeue takes from),
   * confirmed before it returns (so work made available afterwards wakes
   * it), waiting at most `maxMillis` for that confirmation. With `since`
   * (a `workMark`), a wake-up that arrived after that mark wakes the first
   * `next` at once. Closed with the scope.
   */
  readonly awaitWork: (sources: ReadonlyArray<string>, maxMillis: number, since?: number) => Effect.Effect<WorkWaiter, never, Scope.Scope>
}>()("@bananas/effect/store/JobStore") {}
