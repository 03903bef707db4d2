/**
 * Raw access to the storage under test, for the contract suite: plant data
 * the SDK would never write (corrupted JSON, ids without data, Go-shaped
 * records), inspect exactly what an implementation wrote, and wipe a
 * prefix between tests. Every method mirrors the Redis command of the same
 * name, with full keys (prefix included: build them with
 * `queue.protocol.keys`).
 *
 * Implementations: memory (`test/memory/MemoryRaw.ts`, over `MemoryStore`)
 * and Redis (raw ioredis commands, `test/redis/contract.test.ts`). Test-only.
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"

/**
 * The raw storage service of the contract suite. Failures of the
 * underlying client are defects (a broken test harness, not a result).
 */
export class Raw extends Context.Service<Raw, {
  /** `SET key text` (no TTL). */
  readonly set: (key: string, text: string) => Effect.Effect<void>
  /** `GET key`: undefined when absent. */
  readonly get: (key: string) => Effect.Effect<string | undefined>
  /** `DEL key`. */
  readonly del: (key: string) => Effect.Effect<void>
  /** `LPUSH key member`. */
  readonly lpush: (key: string, member: string) => Effect.Effect<void>
  /** `LRANGE key 0 -1`: head (newest `LPUSH`) first; empty when absent. */
  readonly lrange: (key: string) => Effect.Effect<ReadonlyArray<string>>
  /** `ZADD key score member`. */
  readonly zadd: (key: string, score: number, member: string) => Effect.Effect<void>
  /** `ZSCORE key member` as a number: undefined when absent. */
  readonly zscore: (key: string, member: string) => Effect.Effect<number | undefined>
  /** `TTL key` in seconds, as Redis answers it: -2 absent, -1 no TTL. */
  readonly ttl: (key: string) => Effect.Effect<number>
  /** `PTTL key` in milliseconds: -2 absent, -1 no TTL. */
  readonly pttl: (key: string) => Effect.Effect<number>
  /** `HSET key field value ...` (merges). */
  readonly hset: (key: string, fields: Readonly<Record<string, string>>) => Effect.Effect<void>
  /** `HGETALL key`: empty when absent. */
  readonly hgetall: (key: string) => Effect.Effect<Readonly<Record<string, string>>>
  /** `SMEMBERS key`, sorted: empty when absent. */
  readonly smembers: (key: string) => Effect.Effect<ReadonlyArray<string>>
  /** Every key starting with `prefix` (`SCAN MATCH <prefix>*`; the prefix has no glob characters), sorted. */
  readonly keys: (prefix: string) => Effect.Effect<ReadonlyArray<string>>
  /** Deletes every key starting with `prefix` (`SCAN` + `UNLINK`): each test starts on an empty keyspace. */
  readonly purge: (prefix: string) => Effect.Effect<void>
}>()("test/contract/Raw") {}
