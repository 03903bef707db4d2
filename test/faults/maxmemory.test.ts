/**
 * Fault suite: Redis reaches `maxmemory` under load (`noeviction`).
 *
 * Under the usual load (a submitter, an in-process worker, 2 s leases),
 * `maxmemory` is set a little above what Redis uses, so that the load
 * itself fills it; once submits are refused, Redis stays full for 2 s (the
 * lease lapses meanwhile: completions and dequeues are refused too), then
 * `maxmemory` is lifted. Every refused submit must be a clean, typed
 * `StorageError` with reason `OutOfMemory` (nothing else, nothing
 * half-written: a refused submit leaves no job); a job whose handler
 * finished while Redis was full keeps its lease, its outcome is written
 * once memory is back, and it is never run again. The audit ends it.
 */
import { assert, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Context from "effect/Context"
import * as Bananas from "../../src/Bananas.ts"
import * as IoRedis from "../../src/layers/redis/IoRedis.ts"
import * as RedisJobStore from "../../src/layers/redis/RedisJobStore.ts"
import * as Settings from "../../src/layers/redis/Settings.ts"
import * as Subscriber from "../../src/layers/redis/Subscriber.ts"
import { JobStore } from "../../src/store/JobStore.ts"
import * as Worker from "../../src/worker/Worker.ts"
import { auditFaults, failures, record } from "../support/FaultAudit.ts"
import { parseInfo } from "../support/RedisProcess.ts"
import { uniquePrefix } from "../support/RedisServer.ts"
import { privateRedis } from "./support/Servers.ts"
import { allFinished, expectOf, makeRunLog, makeSubmissions, quiet, submitLoop, workHandlers } from "./support/Load.ts"

const OOM = "StorageError(OutOfMemory)"

it.live("maxmemory reached under load (noeviction): refused submits are StorageError(OutOfMemory), nothing half-written, finished jobs never re-run", () =>
  Effect.gen(function*() {
    const { server, raw } = yield* privateRedis
    yield* Effect.promise(() => raw.config("SET", "maxmemory-policy", "noeviction"))
    const prefix = uniquePrefix("oom")
    const log = makeRunLog()
    const submissions = makeSubmissions()
    const started = Date.now()
    let stop = false

    const figures = yield* Effect.gen(function*() {
      const submitter = yield* Effect.forkChild(submitLoop("m", submissions, () => stop, { pauseMs: 2, ms: 60 }))
      yield* Effect.sleep("500 millis")
      const used = Number(parseInfo(yield* Effect.promise(() => raw.info("memory"))).used_memory)
      yield* Effect.promise(() => raw.config("SET", "maxmemory", String(used + 128 * 1024)))
      const limitSet = Date.now()
      while ((submissions.errors[OOM] ?? 0) === 0 && Date.now() - limitSet < 15_000) yield* Effect.sleep("20 millis")
      const reachedAfterMs = Date.now() - limitSet
      const full = Date.now()
      const refusedBefore = submissions.unacknowledged.length
      yield* Effect.sleep("2 seconds")
      const refusedWhileFull = submissions.unacknowledged.length - refusedBefore
      yield* Effect.promise(() => raw.config("SET", "maxmemory", "0"))
      const freed = Date.now()
      yield* Effect.sleep("700 millis")
      stop = true
      yield* Fiber.join(submitter)
      const resumed = submissions.ackedAt.find((t) => t >= freed)
      yield* allFinished(raw, prefix, submissions)
      const finishedWhileFull = log.entries.filter((e) => e.event === "ok" && e.at >= full && e.at < freed).length
      return { reachedAfterMs, refusedWhileFull, finishedWhileFull, resumeMs: resumed === undefined ? undefined : resumed - freed }
    }).pipe(
      Effect.provide(
        Worker.layer({
          handlers: workHandlers(log, "w1"),
          workerId: "w1",
          concurrency: 8,
          leaseDuration: "2 seconds",
          leaseRenewInterval: "300 millis",
          reaperInterval: "300 millis",
          schedulerInterval: "200 millis"
        }).pipe(Layer.provideMerge(Bananas.layerRedis({ url: server.url, prefix })))
      ),
      Effect.ensuring(Effect.promise(() => raw.config("SET", "maxmemory", "0")))
    )

    const report = yield* Effect.promise(() =>
      auditFaults(
        { fault: "maxmemory-noeviction", redis: raw, prefix, ...submissions, runs: log.entries, expect: expectOf },
        { ...figures, submitErrors: submissions.errors, durationMs: Date.now() - started }
      )
    )
    record(report.figures)
    assert.strictEqual(failures(report), "")
    assert.strictEqual(report.figures.duplicated, 0, "no job ran again after a successful run")
    assert.isAbove(submissions.errors[OOM] ?? 0, 0, "maxmemory was reached")
    assert.deepStrictEqual(Object.keys(submissions.errors), [OOM], "every refused submit is a typed OutOfMemory StorageError")
    assert.strictEqual(report.figures.unacknowledgedWritten, 0, "a refused submit wrote nothing")
    assert.isAbove(figures.finishedWhileFull, 0, "handlers finished while Redis was full (their outcomes waited)")
    assert.isDefined(figures.resumeMs, "submits went through again once memory was freed")
  }).pipe(quiet), { timeout: 45_000 })

it.live("maxmemory: a step refused at its first write leaves none of its removals behind (gathered over the call, they are dropped with it)", () =>
  Effect.gen(function*() {
    const { server, raw } = yield* privateRedis
    yield* Effect.promise(() => raw.config("SET", "maxmemory-policy", "noeviction"))
    const prefix = uniquePrefix("oomstep")
    const settings = yield* Effect.fromResult(Settings.make({ prefix }))
    const context = yield* Layer.build(
      RedisJobStore.layer(settings).pipe(Layer.provideMerge(Subscriber.layer), Layer.provideMerge(IoRedis.layer({ url: server.url })))
    )
    const store = Context.get(context, JobStore)
    const [scheduled, queue] = [prefix + "queue:scheduled", prefix + "queue:normal"]
    yield* Effect.promise(() => raw.zadd(scheduled, 1, "a", 2, "b"))
    // A promotion's shape: the id out of the scheduled set (gathered), then pushed (the first write Redis may refuse).
    const promote = (id: string) => ({ guards: [], writes: [{ op: "zrem", key: scheduled, member: id }, { op: "lpush", key: queue, value: id }] } as const)
    yield* Effect.promise(() => raw.config("SET", "maxmemory", "1"))
    const refused = yield* Effect.result(store.apply("promote", [promote("a"), promote("b")]))
    yield* Effect.promise(() => raw.config("SET", "maxmemory", "0"))
    assert.strictEqual(refused._tag === "Failure" && (refused.failure as { reason?: string }).reason, "OutOfMemory")
    assert.deepStrictEqual(yield* Effect.promise(() => raw.zrange(scheduled, 0, -1)), ["a", "b"], "no id left the scheduled set without its push")
    assert.strictEqual(yield* Effect.promise(() => raw.exists(queue)), 0)
    // Memory back: the same call applies whole.
    yield* store.apply("promote", [promote("a"), promote("b")])
    assert.strictEqual(yield* Effect.promise(() => raw.exists(scheduled)), 0)
    assert.deepStrictEqual(yield* Effect.promise(() => raw.lrange(queue, 0, -1)), ["b", "a"])
  }).pipe(Effect.scoped))
