/**
 * The storage port (`JobStore`) in memory: plans and takes carried out on
 * the keyspace (`Keyspace`) with exactly the rules of the Redis scripts (types
 * first, then guards, then writes), reads with Redis's answers, and waits
 * for work woken by list pushes. Every operation is one synchronous step
 * with the store's clock set from Effect's `Clock`, so TestClock drives
 * TTLs and leases.
 *
 * Internal: exposed through `BananasMemory`.
 *
 * @since 0.2.0
 */

import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import type { StorageError } from "../../../domain/Errors.ts"
import type { Guard, KeyType, Outcome, Plan, Write } from "../../../protocol/Plan.ts"
import { keyTypes } from "../../../protocol/Plan.ts"
import type { Taken, TakeRequest } from "../../../protocol/Take.ts"
import { tokenOf } from "../../../protocol/Take.ts"
import type { Protocol } from "../../../protocol/Wire.ts"
import { wrongType } from "../../../store/Apply.ts"
import { JobStore } from "../../../store/JobStore.ts"
import { type Keyspace, WrongTypeError } from "./Keyspace.ts"

/**
 * Runs `f` as one synchronous state change, with the store's clock set
 * from Effect's `Clock`; a `WRONGTYPE` becomes a `StorageError` for
 * `operation`.
 *
 * @category combinators
 * @since 0.2.0
 */
export const atomically = <A>(store: Keyspace, operation: string, f: (now: number) => A): Effect.Effect<A, StorageError> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) =>
    Effect.suspend(() => {
      store.tick(now)
      try {
        return Effect.succeed(f(now))
      } catch (e) {
        if (e instanceof WrongTypeError) return Effect.fail(wrongType(operation, e.key, e.expected))
        throw e
      }
    }))

/**
 * Carries out one plan on the keyspace: the memory twin of the Redis
 * `applyPlans` script.
 *
 * @category combinators
 * @since 0.2.0
 */
export const applyPlan = (store: Keyspace, plan: Plan): Outcome => {
  for (const [key, expected] of keyTypes(plan)) {
    const actual = store.type(key)
    if (actual !== "none" && actual !== expected) return { _tag: "WrongType", key, expected }
  }
  for (const guard of plan.guards) {
    if (holds(store, guard)) continue
    const applied = guard.appliedIf !== undefined && store.get(guard.appliedIf.key) === guard.appliedIf.value
    return { _tag: "Refused", reason: applied ? "alreadyApplied" : guard.reason }
  }
  for (const write of plan.writes) apply(store, write)
  return { _tag: "Applied" }
}

/**
 * Carries out a take on the keyspace: the memory twin of the Redis `take`
 * script. Throws `WrongTypeError` (before moving anything) on a key of
 * another type.
 *
 * @category combinators
 * @since 0.2.0
 */
export const take = (store: Keyspace, request: TakeRequest): ReadonlyArray<Taken> => {
  // Every source empty: nothing to take, nothing checked (the idle poll).
  if (request.sources.every((source) => store.type(source) === "none")) return []
  const lease = request.lease
  const typed: Array<readonly [string, KeyType]> = [...request.sources.map((s) => [s, "list"] as const), [request.processing, "list"]]
  if (lease !== undefined) typed.push([lease.leases, "zset"], [lease.tokens, "hash"], [lease.held, "set"])
  if (request.paused !== undefined) typed.push([request.paused.key, "set"])
  for (const [key, expected] of typed) {
    const actual = store.type(key)
    if (actual !== "none" && actual !== expected) throw new WrongTypeError(key, expected)
  }
  // Paused queues: a source named in the paused set is skipped, its ids stay queued.
  const paused = request.paused
  const skipped = (i: number) => paused !== undefined && store.sismember(paused.key, paused.names[i]!)
  const ids: Array<string> = []
  for (let i = 0; i < request.sources.length; i++) {
    const source = request.sources[i]!
    if (skipped(i)) continue
    while (ids.length < request.max) {
      const id = store.rpop(source)
      if (id === undefined) break
      ids.push(id)
    }
    if (ids.length >= request.max) break
  }
  ids.forEach((id, i) => {
    store.lpush(request.processing, id)
    if (lease !== undefined) {
      store.zadd(lease.leases, lease.expiresAt, id)
      store.hset(lease.tokens, [[id, tokenOf(lease, i)]])
      store.sadd(lease.held, id)
    }
  })
  if (lease !== undefined && ids.length > 0) store.expire(lease.held, lease.heartbeatMillis)
  return ids.map((id) => {
    const key = request.jobs + id
    return { id, data: store.type(key) === "string" ? store.get(key) : undefined }
  })
}

/**
 * The memory `JobStore` over a keyspace.
 *
 * @category constructors
 * @since 0.2.0
 */
export const make = (store: Keyspace, protocol: Protocol): JobStore["Service"] => {
  const run = <A>(operation: string, f: (now: number) => A) => atomically(store, operation, f)
  return JobStore.of({
    protocol,
    apply: (operation, plans) => run(operation, () => plans.map((plan) => applyPlan(store, plan))),
    take: (request) => run("dequeue", () => take(store, request)),
    touch: (key, millis) => run("heartbeat", () => void store.expire(key, millis)),
    exists: (keys) => run("read", () => keys.filter((key) => store.exists(key)).length),
    get: (key) => run("get", () => store.get(key)),
    mget: (keys) => run("get", () => keys.map((key) => (store.type(key) === "string" ? store.get(key) : undefined))),
    lrange: (key, start, stop) => run("read", () => store.lrange(key, start, stop)),
    lpos: (key, member) => run("read", () => store.lpos(key, member)),
    zscore: (key, member) => run("read", () => store.zscore(key, member)),
    zfirst: (key) => run("read", () => store.zrangeByScore(key, Number.POSITIVE_INFINITY, 0, 1)[0]),
    zrangeByScore: (key, max, offset, count) => run("read", () => store.zrangeByScore(key, max, offset, count).map(([m]) => m)),
    hgetall: (key) => run("read", () => store.hgetall(key)),
    hmget: (key, fields) => run("read", () => fields.map((f) => store.hget(key, f))),
    smembers: (key) => run("read", () => store.smembers(key)),
    sizes: (lists, zsets) => run("stats", () => ({ lists: lists.map((k) => store.llen(k)), zsets: zsets.map((k) => store.zcard(k)) })),
    scan: (cursor, prefix, count) => run("list", () => store.scan(cursor, prefix, count)),
    isScanCursor: (cursor) => store.isScanCursor(cursor),
    workMark: () => store.wakeCount(),
    awaitWork: (sources, _maxMillis, since) =>
      Effect.gen(function*() {
        const signal = yield* Queue.sliding<void>(1)
        // Woken by a push to a source, or by `queue:wake` (a resumed queue pushes nothing).
        yield* Effect.acquireRelease(
          Effect.sync(() => store.watch([...sources, protocol.keys.wake], () => Queue.offerUnsafe(signal, undefined))),
          (unwatch) => Effect.sync(unwatch)
        )
        // Anything pushed or published since the mark counts (any key: at worst one look too many).
        if (since !== undefined && store.wakeCount() !== since) Queue.offerUnsafe(signal, undefined)
        return {
          next: (maxMillis: number) => Effect.map(Effect.timeoutOption(Queue.take(signal), maxMillis), Option.isSome)
        }
      })
  })
}

// Internal

const holds = (store: Keyspace, g: Guard): boolean => {
  switch (g.op) {
    case "absent": return !store.exists(g.key)
    case "exists": return store.exists(g.key)
    case "eq": return store.get(g.key) === g.value
    case "ne": return store.get(g.key) !== g.value
    case "heq": return store.hget(g.key, g.field) === g.value
    case "hnil": return store.hget(g.key, g.field) === undefined
    case "lhas": return store.lpos(g.key, g.member)
    case "zhas": return store.zscore(g.key, g.member) !== undefined
    case "zle": {
      const score = store.zscore(g.key, g.member)
      return score !== undefined && score <= g.max
    }
    case "snot": return !store.sismember(g.key, g.member)
  }
}

const apply = (store: Keyspace, w: Write): void => {
  switch (w.op) {
    case "set": return store.set(w.key, w.value, w.ttl === undefined ? undefined : w.ttl * 1000)
    case "del": return void store.del(w.key)
    case "lpush": return store.lpush(w.key, w.value)
    case "rpush": return store.rpush(w.key, w.value)
    case "lrem": return void store.lrem(w.key, w.count, w.value)
    case "ltrim": return store.ltrim(w.key, w.start, w.stop)
    case "zadd": return void store.zadd(w.key, w.score, w.member, w.nx === true ? "nx" : undefined)
    case "zrem": return void store.zrem(w.key, w.member)
    case "hset": return store.hset(w.key, w.fields)
    case "hdel": return void store.hdel(w.key, w.field)
    case "sadd": return store.sadd(w.key, w.member)
    case "srem": return void store.srem(w.key, w.member)
    case "expire": return void store.expire(w.key, w.seconds * 1000)
    case "pexpire": return void store.expire(w.key, w.millis)
    case "publish": return void store.publish(w.channel, w.message)
    // In memory a waiter reads the result where it is: the notification alone.
    case "announce": return void store.publish(w.channel, w.message)
  }
}
