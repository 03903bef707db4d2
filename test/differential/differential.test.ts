/**
 * The differential test: the memory layer is a faithful model of Redis.
 *
 * fast-check generates sequences of operations — submits (duplicate ids
 * included), schedules, batches, dequeues with and without leases,
 * completes, failures, releases, lease renewals, reclaims, reaps (with and
 * without maxAge) and promotions with clock advances, cancels, requeues,
 * dead-letter purges, queue pauses and resumes, dead workers, and raw Go-shaped writes (a cron job
 * with status "", ids without data, corrupt data, unleased processing
 * entries) — runs each against a fresh memory instance and a fresh prefix
 * on a real Redis, and after every step compares the answers and the
 * normalized keyspaces (job JSON, lists, zsets, hashes, sets, TTL classes).
 *
 * Both sides run under one TestClock (the protocol's times come from
 * Effect's Clock); TTLs are configured far longer than the virtual time a
 * sequence spans, so no key expires on either side. The seed is printed on
 * failure; reproduce with `DIFF_SEED=<seed> DIFF_PATH=<path>`; `DIFF_RUNS`
 * sets the number of sequences (default 150).
 */
import { assert, layer } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { TestClock } from "effect/testing"
import fc from "fast-check"
import * as JobCodec from "../../src/domain/JobCodec.ts"
import * as JobModel from "../../src/domain/Job.ts"
import type { RawJson } from "../../src/domain/RawJson.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import * as BananasMemory from "../../src/layers/memory/BananasMemory.ts"
import { MemoryStore } from "../../src/layers/memory/MemoryStore.ts"
import * as BananasRedis from "../../src/layers/redis/BananasRedis.ts"
import { JobQueue } from "../../src/services/JobQueue.ts"
import { QueueAdmin } from "../../src/services/QueueAdmin.ts"
import { ResultBackend } from "../../src/services/ResultBackend.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"
import { compareStep, dumpRedis, normalize } from "./Keyspace.ts"
import { heartbeat, type Operation, operation, run, type Side } from "./Model.ts"

const ttlOptions = {
  successTtl: Duration.hours(2),
  failureTtl: Duration.hours(5),
  completedJobTtl: Duration.hours(12),
  deadJobTtl: Duration.hours(48)
}
const ttlNames = { resultSuccess: 2 * 3600, resultFailure: 5 * 3600, completedJob: 12 * 3600, deadJob: 48 * 3600, heartbeat: Duration.toSeconds(heartbeat) }

const numRuns = Number(process.env.DIFF_RUNS ?? 150)

/** Options both sides share beyond the TTLs (the outbox, in the events run). */
type Extra = { readonly events?: boolean }

/** The memory side: a fresh instance. */
const memorySide = (extra: Extra = {}): Effect.Effect<Side, never, Scope.Scope> => Effect.gen(function*() {
  const prefix = uniquePrefix("diff")
  const context = yield* Layer.build(Layer.orDie(BananasMemory.layerWithStore({ prefix, ...ttlOptions, ...extra })))
  const store = Context.get(context, MemoryStore)
  return {
    name: "memory",
    prefix,
    queue: Context.get(context, JobQueue),
    admin: Context.get(context, QueueAdmin),
    results: Context.get(context, ResultBackend),
    set: (key, value) => store.set(key, value),
    lpush: (key, member) => store.lpush(key, member),
    del: (key) => Effect.asVoid(store.del(key)),
    dump: store.dump,
    deliveries: []
  }
})

/** The Redis side: a fresh prefix on the file's redis-server. */
const redisSide = (extra: Extra = {}): Effect.Effect<Side, never, Scope.Scope | RedisServer> => Effect.gen(function*() {
  const server = yield* RedisServer
  const prefix = uniquePrefix("diff")
  const context = yield* Layer.build(BananasRedis.layer({ url: server.url, prefix, ...ttlOptions, ...extra })).pipe(Effect.orDie)
  const raw = server.raw
  return {
    name: "redis",
    prefix,
    queue: Context.get(context, JobQueue),
    admin: Context.get(context, QueueAdmin),
    results: Context.get(context, ResultBackend),
    set: (key, value) => Effect.promise(() => raw.set(key, value)).pipe(Effect.asVoid),
    lpush: (key, member) => Effect.promise(() => raw.lpush(key, member)).pipe(Effect.asVoid),
    del: (key) => Effect.promise(() => raw.del(key)).pipe(Effect.asVoid),
    dump: dumpRedis(raw, prefix),
    deliveries: []
  }
})

/** Where the running sequence is (reported when a step hangs). */
let current = ""

/** Runs a sequence on both sides, comparing after every step; fails with the first divergence. */
const sequence = (ops: ReadonlyArray<Operation>, extra: Extra = {}) =>
  Effect.scoped(Effect.gen(function*() {
    const memory = yield* memorySide(extra)
    const redis = yield* redisSide(extra)
    for (const [step, op] of ops.entries()) {
      current = `step ${step} of ${JSON.stringify(ops)}`
      const a = yield* run(memory, op)
      current += " (memory done)"
      const b = yield* run(redis, op)
      if (op.op === "advance") yield* TestClock.adjust(Duration.seconds(op.seconds))
      yield* compareStep(`step ${step} ${JSON.stringify(op)}`, [a, b], [memory, redis], ttlNames)
    }
  }))

/** A sequence that has not ended after 10 s of real time hangs: fail it, saying where. */
const withDeadline = <A>(promise: Promise<A>): Promise<A> => {
  let timer: ReturnType<typeof setTimeout> | undefined
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`sequence hung at ${current}`)), 10_000)
  })
  return Promise.race([promise, hung]).finally(() => clearTimeout(timer))
}

/** Runs `runs` random sequences on both sides with `extra`, comparing after every step. */
const property = (runs: number, extra: Extra = {}) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(Date.parse("2025-01-15T10:30:00Z"))
    const runPromise = Effect.runPromiseWith(yield* Effect.context<RedisServer>())
    const seed = process.env.DIFF_SEED === undefined ? undefined : Number(process.env.DIFF_SEED)
    const path = process.env.DIFF_PATH
    yield* Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 25 }), (ops) => withDeadline(runPromise(sequence(ops, extra)))),
        { numRuns: runs, ...(seed === undefined ? {} : { seed }), ...(path === undefined ? {} : { path }), endOnFailure: false }
      )
    )
  })

layer(RedisServer.layer, { timeout: 30_000 })("differential: memory vs Redis", (it) => {
  it.effect(`${numRuns} random sequences: same answers, same keyspace after every step`, () => property(numRuns), { timeout: 240_000 })

  // The job-event outbox (webhooks) is written by the same plans on both
  // backends: every outcome's event job must be identical, byte for byte.
  it.effect(`${Math.ceil(numRuns / 3)} random sequences with events on: the same outbox on both`, () =>
    property(Math.ceil(numRuns / 3), { events: true }), { timeout: 240_000 })

  // The two drifts the protocol core fixed, as regression cases on both sides.

  it.effect("drift 1: a failed result of a job whose status is \"\" (Go's cron jobs) ends a wait on both backends", () =>
    Effect.scoped(Effect.gen(function*() {
      for (const side of [yield* memorySide(), yield* redisSide()]) {
        const keys = side.queue.protocol.keys
        yield* side.set(keys.job("cron-1"), `{"id":"cron-1","name":"cleanup","payload":null,"status":"","priority":"normal","created_at":"0001-01-01T00:00:00Z","updated_at":"0001-01-01T00:00:00Z","attempts":0,"max_retries":0}`)
        yield* side.results.store({ jobId: "cron-1", status: "failed", error: "boom", completedAt: Timestamp.fromMillis(Date.now()), durationMs: 1 })
        const result = yield* side.results.wait("cron-1", Duration.millis(500))
        assert.strictEqual(result.status, "failed", side.name)
        assert.strictEqual(result.error, "boom", side.name)
      }
    })))

  it.effect("reclaim gives strays back in the same order on both backends (SMEMBERS has none)", () =>
    Effect.scoped(Effect.gen(function*() {
      const answers: Array<unknown> = []
      for (const side of [yield* memorySide(), yield* redisSide()]) {
        const now = Timestamp.fromMillis(1_736_937_000_000)
        const jobs = ["j0", "j1", "j2", "j3", "j4"].map((id) => JobModel.make({ id, name: "b", payload: `{}` as RawJson, priority: "normal", now, maxRetries: 2 }))
        yield* side.queue.enqueueBatch(jobs)
        const taken = yield* side.queue.dequeueMany({ priorities: ["normal"], block: Duration.zero, max: 5, lease: { owner: "A", duration: Duration.seconds(30) } })
        assert.strictEqual(taken.length, 5, side.name)
        assert.deepStrictEqual([...(yield* side.queue.reclaim("A", new Set()))].sort(), ["j0", "j1", "j2", "j3", "j4"], side.name)
        answers.push(normalize(side.prefix, yield* side.dump, ttlNames))
      }
      assert.deepStrictEqual(answers[0], answers[1])
    })))

  it.effect("a take from empty queues checks no type (the idle poll); with work, a wrong-typed processing list fails it, on both backends", () =>
    Effect.scoped(Effect.gen(function*() {
      for (const side of [yield* memorySide(), yield* redisSide()]) {
        const keys = side.queue.protocol.keys
        const take = { priorities: ["high", "normal", "low"] as const, block: Duration.zero, max: 5, lease: { owner: "A", duration: Duration.seconds(30) } }
        yield* side.set(keys.processing, "oops")
        assert.deepStrictEqual(yield* side.queue.dequeueMany(take), [], side.name)
        const job = JobModel.make({ id: "j0", name: "b", payload: `{}` as RawJson, priority: "low", now: Timestamp.fromMillis(1_736_937_000_000), maxRetries: 2 })
        yield* side.queue.enqueue(job)
        const refused = yield* Effect.flip(side.queue.dequeueMany(take))
        assert.strictEqual(refused._tag === "StorageError" && refused.reason, "WrongType", side.name)
        assert.strictEqual(refused._tag === "StorageError" && refused.key, keys.processing, side.name)
        yield* side.del(keys.processing)
        assert.deepStrictEqual((yield* side.queue.dequeueMany(take)).map((d) => (d._tag === "Job" ? d.job.id : d.id)), ["j0"], side.name)
      }
    })))

  it.effect("drift 2: reapExpired({ maxAge: 0 }) recovers an unleased processing entry in the first pass on both backends", () =>
    Effect.scoped(Effect.gen(function*() {
      const answers: Array<unknown> = []
      for (const side of [yield* memorySide(), yield* redisSide()]) {
        const keys = side.queue.protocol.keys
        const job = JobModel.make({ id: "go-1", name: "go", payload: `{}` as RawJson, priority: "high", now: Timestamp.fromMillis(1_736_937_000_000), maxRetries: 3 })
        yield* side.set(keys.job("go-1"), JobCodec.encode(job))
        yield* side.lpush(keys.processing, "go-1")
        const recovered = yield* side.queue.reapExpired({ maxAge: Duration.zero })
        assert.deepStrictEqual(recovered, ["go-1"], side.name)
        const requeued = JobCodec.decode((yield* side.dump).find((e) => e.key === keys.job("go-1"))!.value as string)
        assert.strictEqual(requeued._tag === "Success" && requeued.success.attempts, 1, side.name)
        answers.push(normalize(side.prefix, yield* side.dump, ttlNames))
      }
      assert.deepStrictEqual(answers[0], answers[1])
    })))
})
