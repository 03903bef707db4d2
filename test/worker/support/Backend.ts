/**
 * Worker test support: the two backends (memory, real Redis) behind one
 * raw-keyspace service, so each worker test runs against both, plus small
 * helpers (jobs, polling).
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as References from "effect/References"
import * as Tracer from "effect/Tracer"
import type { Job } from "../../../src/domain/Job.ts"
import * as JobModel from "../../../src/domain/Job.ts"
import type { JobPriority } from "../../../src/domain/JobPriority.ts"
import * as RawJson from "../../../src/domain/RawJson.ts"
import * as Timestamp from "../../../src/domain/Timestamp.ts"
import * as BananasMemory from "../../../src/layers/memory/BananasMemory.ts"
import { MemoryStore } from "../../../src/layers/memory/MemoryStore.ts"
import * as BananasRedis from "../../../src/layers/redis/BananasRedis.ts"
import * as Keys from "../../../src/protocol/Keys.ts"
import type { JobQueue } from "../../../src/services/JobQueue.ts"
import type { QueueAdmin } from "../../../src/services/QueueAdmin.ts"
import type { ResultBackend } from "../../../src/services/ResultBackend.ts"
import { RedisServer, uniquePrefix } from "../../support/RedisServer.ts"

/** Raw keyspace access (Redis commands) for planting and inspecting data. */
export class Raw extends Context.Service<Raw, {
  readonly keys: Keys.Keys
  readonly get: (key: string) => Effect.Effect<string | undefined>
  readonly set: (key: string, value: string) => Effect.Effect<void>
  readonly del: (key: string) => Effect.Effect<void>
  readonly lpush: (key: string, member: string) => Effect.Effect<void>
  readonly lrange: (key: string) => Effect.Effect<ReadonlyArray<string>>
  readonly zadd: (key: string, score: number, member: string) => Effect.Effect<void>
  readonly zscore: (key: string, member: string) => Effect.Effect<number | undefined>
  readonly zmembers: (key: string) => Effect.Effect<ReadonlyArray<string>>
  readonly smembers: (key: string) => Effect.Effect<ReadonlyArray<string>>
  readonly pttl: (key: string) => Effect.Effect<number>
  readonly hgetall: (key: string) => Effect.Effect<Readonly<Record<string, string>>>
}>()("test/worker/Raw") {}

export type Services = JobQueue | QueueAdmin | ResultBackend | Raw

/** A fresh in-memory instance. */
export const memory: Layer.Layer<Services> = Layer.effect(
  Raw,
  Effect.gen(function*() {
    const store = yield* MemoryStore
    const entry = (key: string) => Effect.map(store.dump, (entries) => entries.find((e) => e.key === key))
    return Raw.of({
      keys: store.keys,
      get: (key) => store.get(key).pipe(Effect.map(Option.getOrUndefined)),
      set: (key, value) => store.set(key, value),
      del: (key) => Effect.asVoid(store.del(key)),
      lpush: (key, member) => store.lpush(key, member),
      lrange: (key) => store.lrange(key),
      zadd: (key, score, member) => store.zadd(key, score, member),
      zscore: (key, member) => store.zscore(key, member).pipe(Effect.map(Option.getOrUndefined)),
      zmembers: (key) => Effect.map(entry(key), (e) => (e?.type === "zset" ? e.value.map(([member]) => member) : [])),
      smembers: (key) => Effect.map(entry(key), (e) => (e?.type === "set" ? [...e.value].sort() : [])),
      pttl: (key) => store.pttl(key),
      hgetall: (key) => store.hgetall(key)
    })
  })
).pipe(Layer.provideMerge(Layer.orDie(BananasMemory.layerWithStore())))

/** A fresh key prefix on the test file's private redis-server. */
export const redis: Layer.Layer<Services, never, RedisServer> = Layer.unwrap(Effect.gen(function*() {
  const server = yield* RedisServer
  const prefix = uniquePrefix("w")
  const r = server.raw
  const raw = Raw.of({
    keys: Keys.make(prefix),
    get: (key) => Effect.promise(() => r.get(key)).pipe(Effect.map((v) => v ?? undefined)),
    set: (key, value) => Effect.promise(() => r.set(key, value)).pipe(Effect.asVoid),
    del: (key) => Effect.promise(() => r.del(key)).pipe(Effect.asVoid),
    lpush: (key, member) => Effect.promise(() => r.lpush(key, member)).pipe(Effect.asVoid),
    lrange: (key) => Effect.promise(() => r.lrange(key, 0, -1)),
    zadd: (key, score, member) => Effect.promise(() => r.zadd(key, score, member)).pipe(Effect.asVoid),
    zscore: (key, member) => Effect.promise(() => r.zscore(key, member)).pipe(Effect.map((v) => (v === null ? undefined : Number(v)))),
    zmembers: (key) => Effect.promise(() => r.zrange(key, 0, -1)),
    smembers: (key) => Effect.promise(() => r.smembers(key)).pipe(Effect.map((m) => [...m].sort())),
    pttl: (key) => Effect.promise(() => r.pttl(key)),
    hgetall: (key) => Effect.promise(() => r.hgetall(key))
  })
  return Layer.merge(
    Layer.succeed(Raw, raw),
    BananasRedis.layer({ url: server.url, prefix }).pipe(Layer.orDie)
  )
}))

/** A fresh metric registry (counters start at zero in each test), and only warnings and errors logged. */
export const freshMetrics = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(
    Effect.provideService(Metric.MetricRegistry, new Map()),
    Effect.provideService(References.MinimumLogLevel, "Warn")
  )

/** A new pending job, as a producer would submit it. */
export const newJob = (name: string, options?: {
  readonly payload?: string
  readonly priority?: JobPriority
  readonly maxRetries?: number
  readonly routingKey?: string
  readonly id?: string
}): Effect.Effect<Job> =>
  Effect.clockWith((clock) =>
    Effect.sync(() =>
      JobModel.make({
        id: options?.id ?? crypto.randomUUID(),
        name,
        payload: (options?.payload ?? "null") as RawJson.RawJson,
        priority: options?.priority ?? "normal",
        now: Timestamp.fromMillis(clock.currentTimeMillisUnsafe()),
        maxRetries: options?.maxRetries ?? JobModel.defaultMaxRetries,
        routingKey: options?.routingKey
      })
    )
  )

/**
 * No lease bookkeeping left behind: no expiry in `leases`, no token in
 * `lease:tokens`, and (for each owner given) an empty `worker:{owner}` set.
 */
export const noLeases = (owners: ReadonlyArray<string> = []) =>
  Effect.gen(function*() {
    const raw = yield* Raw
    return {
      leases: yield* raw.zmembers(raw.keys.leases),
      tokens: Object.keys(yield* raw.hgetall(raw.keys.tokens)),
      held: yield* Effect.forEach(owners, (owner) => raw.smembers(raw.keys.held(owner)))
    }
  })

/** Polls `check` (real time) until it holds; dies with `what` after `timeoutMs`. */
export const eventually = (what: string, check: Effect.Effect<boolean, any, any>, timeoutMs = 10_000) =>
  Effect.gen(function*() {
    const deadline = Date.now() + timeoutMs
    while (!(yield* check)) {
      if (Date.now() > deadline) return yield* Effect.die(new Error(`timed out waiting for: ${what}`))
      yield* Effect.sleep("10 millis")
    }
  })

/** A tracer that records every span it starts (Effect's own spans underneath), and the spans so far. */
export const recordingTracer = (): { readonly spans: ReadonlyArray<Tracer.Span>; readonly tracer: Tracer.Tracer } => {
  const spans: Array<Tracer.Span> = []
  const tracer = Tracer.make({
    span(options) {
      const span = Tracer.nativeTracer.span(options)
      spans.push(span)
      return span
    }
  })
  return { spans, tracer }
}
