/**
 * The worker registry on memory and on a private redis-server: a running
 * worker is listed with what it serves, its registration lapses without a
 * heartbeat and goes when it stops; holders of processing jobs that never
 * registered are listed as unknown (a lease owner) or unleased (Go).
 */
import { assert, layer } from "@effect/vitest"
import { hostname } from "node:os"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { WorkerInfo } from "../../src/domain/WorkerInfo.ts"
import { version } from "../../src/domain/Version.ts"
import * as BananasMemory from "../../src/layers/memory/BananasMemory.ts"
import * as BananasRedis from "../../src/layers/redis/BananasRedis.ts"
import { JobQueue } from "../../src/services/JobQueue.ts"
import { WorkerRegistry } from "../../src/services/WorkerRegistry.ts"
import * as Handlers from "../../src/worker/HandlerRegistry.ts"
import * as Worker from "../../src/worker/Worker.ts"
import { takeJob } from "../contract/Fixtures.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"
import { audit } from "../support/WireAudit.ts"
import { eventually, freshMetrics, newJob } from "./support/Backend.ts"

type Backend = Layer.Layer<JobQueue | WorkerRegistry>

const backends: ReadonlyArray<readonly [string, Effect.Effect<Backend, never, RedisServer>]> = [
  ["memory", Effect.succeed(BananasMemory.layer().pipe(Layer.orDie))],
  ["redis", Effect.gen(function*() {
    const server = yield* RedisServer
    return BananasRedis.layer({ url: server.url, prefix: uniquePrefix("reg") }).pipe(Layer.orDie)
  })]
]

/** Runs `body` on a fresh instance of the backend. */
const on = <A, E>(backend: Effect.Effect<Backend, never, RedisServer>, body: Effect.Effect<A, E, JobQueue | WorkerRegistry>) =>
  Effect.flatMap(backend, (b) => Effect.provide(body, b))

const ghost = (id: string): WorkerInfo => ({
  id,
  host: "elsewhere",
  pid: 1,
  concurrency: 1,
  priorities: ["normal"],
  startedAt: "2026-01-01T00:00:00.000Z",
  beatAt: "2026-01-01T00:00:00.000Z",
  inFlight: 0,
  processed: 0,
  failed: 0,
  version: "0.0.0"
})

layer(RedisServer.layer, { excludeTestServices: true })("the worker registry", (it) => {
  it.effect("redis: a registration passes the wire audit (a hash with a TTL naming its worker, expiries in epoch ms)", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      const prefix = uniquePrefix("regaudit")
      yield* Effect.gen(function*() {
        yield* (yield* WorkerRegistry).beat(ghost("w-audit"), Duration.seconds(15))
        const report = yield* Effect.promise(() => audit(server.raw, prefix))
        assert.deepStrictEqual(report.problems, [])
        assert.strictEqual(yield* Effect.promise(() => server.raw.hget(`${prefix}worker_info:w-audit`, "host")), "elsewhere")
      }).pipe(Effect.provide(BananasRedis.layer({ url: server.url, prefix }).pipe(Layer.orDie)))
    }))

  for (const [name, backend] of backends) {
    it.effect(`${name}: a running worker is listed with what it serves, and goes when it stops`, () =>
      on(backend, Effect.gen(function*() {
        const registry = yield* WorkerRegistry
        yield* Effect.scoped(Effect.gen(function*() {
          yield* Worker.make({ handlers: Handlers.empty, workerId: "w-reg-1", routingKey: "reg_route", priorities: ["low", "high"], concurrency: 3, scheduler: false, reaper: false })
          // The first heartbeat runs at start, forked: the worker does not wait on storage to start.
          yield* eventually("the worker registers", Effect.map(registry.list, (l) => l.workers.length > 0))
          const { workers } = yield* registry.list
          assert.strictEqual(workers.length, 1)
          const w = workers[0]!
          assert.deepStrictEqual(
            { id: w.id, host: w.host, pid: w.pid, concurrency: w.concurrency, priorities: w.priorities, routingKey: w.routingKey, inFlight: w.inFlight, processed: w.processed, failed: w.failed, version: w.version },
            { id: "w-reg-1", host: hostname(), pid: process.pid, concurrency: 3, priorities: ["low", "high"], routingKey: "reg_route", inFlight: 0, processed: 0, failed: 0, version }
          )
          assert.isAtMost(Math.abs(Date.parse(w.startedAt) - Date.now()), 60_000)
        }))
        assert.deepStrictEqual((yield* registry.list).workers, [], "a stopped worker's registration is removed")
      }).pipe(freshMetrics)))

    it.effect(`${name}: a registration not renewed lapses`, () =>
      on(backend, Effect.gen(function*() {
        const registry = yield* WorkerRegistry
        yield* registry.beat(ghost("w-short"), Duration.millis(50))
        yield* registry.beat(ghost("w-long"), Duration.minutes(1))
        assert.deepStrictEqual((yield* registry.list).workers.map((w) => w.id), ["w-long", "w-short"])
        yield* eventually("w-short lapses", Effect.map(registry.list, (l) => l.workers.length === 1))
        assert.deepStrictEqual((yield* registry.list).workers, [ghost("w-long")], "read back as written")
        yield* registry.leave("w-long")
        assert.deepStrictEqual((yield* registry.list).workers, [])
      })))

    it.effect(`${name}: holders of processing jobs that never registered are unknown (a lease owner) or unleased (no lease: Go)`, () =>
      on(backend, Effect.gen(function*() {
        const queue = yield* JobQueue
        const registry = yield* WorkerRegistry
        for (let i = 0; i < 3; i++) yield* queue.enqueue(yield* newJob(`j${i}`))
        yield* takeJob({ lease: { owner: "old-sdk", duration: Duration.minutes(5) } })
        yield* takeJob({ lease: { owner: "old-sdk", duration: Duration.minutes(5) } })
        yield* takeJob()
        yield* registry.beat(ghost("registered"), Duration.minutes(1))
        const list = yield* registry.list
        assert.deepStrictEqual(list.workers.map((w) => w.id), ["registered"])
        assert.deepStrictEqual(list.unknown, [{ owner: "old-sdk", jobs: 2 }])
        assert.strictEqual(list.unleased, 1)
        assert.strictEqual(list.processingRead, 3)
        const held = yield* registry.held(0, 10)
        assert.strictEqual(held.total, 3)
        assert.deepStrictEqual(held.leases.map((l) => [l.processing, l.owner]), [[true, undefined], [true, "old-sdk"], [true, "old-sdk"]], "most recently taken first")
        for (const l of held.leases.slice(1)) assert.isAtMost(Math.abs(Date.parse(l.expiresAt!) - Date.now() - 300_000), 60_000)
        assert.deepStrictEqual((yield* registry.held(2, 10)).leases.map((l) => l.id), [held.leases[2]!.id])
        assert.deepStrictEqual(yield* registry.lease(held.leases[1]!.id), held.leases[1])
        assert.deepStrictEqual(yield* registry.lease("not-processing"), { id: "not-processing", processing: false })
      })))
  }
})
