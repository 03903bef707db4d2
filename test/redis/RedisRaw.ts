/**
 * The contract suite's `Raw` service as plain ioredis commands on the test
 * file's private redis-server.
 */
import type { Redis as IORedis } from "ioredis"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Raw } from "../contract/Raw.ts"
import { RedisServer } from "../support/RedisServer.ts"
import { scanKeys } from "../support/WireAudit.ts"


/** The ioredis commands `Raw` uses (a `Redis` or a `Cluster` has them all). */
export type RawCommands = Pick<IORedis, "set" | "get" | "del" | "lpush" | "lrange" | "zadd" | "zscore" | "ttl" | "pttl" | "hset" | "hgetall" | "smembers">

/**
 * `Raw` on ioredis commands: `keysOf` lists the keys under a prefix and
 * `unlink` deletes some (one server takes them 500 at a time, a cluster one
 * by one: they span slots).
 */
export const rawOn = (
  r: RawCommands,
  keysOf: (prefix: string) => Promise<Array<string>>,
  unlink: (keys: ReadonlyArray<string>) => Promise<void>
): Raw["Service"] => {
  const run = <A>(f: () => Promise<A>) => Effect.promise(f)
  return Raw.of({
    set: (key, text) => Effect.asVoid(run(() => r.set(key, text))),
    get: (key) => Effect.map(run(() => r.get(key)), (v) => v ?? undefined),
    del: (key) => Effect.asVoid(run(() => r.del(key))),
    lpush: (key, member) => Effect.asVoid(run(() => r.lpush(key, member))),
    lrange: (key) => run(() => r.lrange(key, 0, -1)),
    zadd: (key, score, member) => Effect.asVoid(run(() => r.zadd(key, score, member))),
    zscore: (key, member) => Effect.map(run(() => r.zscore(key, member)), (v) => (v === null ? undefined : Number(v))),
    ttl: (key) => run(() => r.ttl(key)),
    pttl: (key) => run(() => r.pttl(key)),
    hset: (key, fields) => Effect.asVoid(run(() => r.hset(key, fields))),
    hgetall: (key) => run(() => r.hgetall(key)),
    smembers: (key) => Effect.map(run(() => r.smembers(key)), (members) => [...members].sort()),
    keys: (prefix) => run(() => keysOf(prefix)),
    purge: (prefix) => run(async () => unlink(await keysOf(prefix)))
  })
}

/** `Raw` as ioredis commands on the test server. */
export const layer: Layer.Layer<Raw, never, RedisServer> = Layer.effect(
  Raw,
  Effect.map(Effect.service(RedisServer), ({ raw: r }) =>
    rawOn(r, async (prefix) => [...await scanKeys(r, prefix)], async (keys) => {
      for (let i = 0; i < keys.length; i += 500) await r.unlink(...keys.slice(i, i + 500))
    }))
)
