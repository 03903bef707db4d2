/**
 * The Redis every fault test starts from: a private `redis-server` on a
 * free loopback port, and a plain ioredis client for raw reads and fault
 * injection, both closed with the test's scope.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { Redis, type RedisOptions as DriverRedisOptions } from "ioredis"
import { startRedisServer } from "../../support/RedisServer.ts"

/** ioredis options without `replyMapping` (ioredis 6 types it `| undefined` in the options but not in its constructors). */
type RedisOptions = Omit<DriverRedisOptions, "replyMapping">

/** A raw ioredis client (errors silenced: the faults make plenty), disconnected when the scope closes. */
export const rawClient = (target: string | RedisOptions): Effect.Effect<Redis, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const raw = typeof target === "string" ? new Redis(target) : new Redis(target)
      raw.on("error", () => {})
      return raw
    }),
    (raw) => Effect.sync(() => raw.disconnect())
  )

/** A private redis-server (stopped with the scope) and a raw client on it. */
export const privateRedis = Effect.gen(function*() {
  const server = yield* Effect.acquireRelease(Effect.promise(() => startRedisServer()), (s) => Effect.promise(() => s.stop()))
  const raw = yield* rawClient(server.url)
  return { server, raw }
})
