/**
 * Property test (fast-check) on a real Redis: arbitrary bytes written raw
 * into the Bananas keys never crash a worker or stop it processing good
 * jobs.
 *
 * Each run writes, under a fresh prefix, with plain Redis commands: job
 * keys holding random bytes, random JSON, or job-like objects with odd
 * values (ids pushed to the queues, some ids themselves random bytes);
 * random members in the queue lists, `queue:processing` and `queue:dead`;
 * random members with random scores (±inf, huge, negative, fractions) in
 * `queue:scheduled` and `leases`; random tokens in `lease:tokens`. Then it
 * submits good jobs alongside (now and scheduled 300 ms ahead) and runs a
 * worker (scheduler and reaper on, fast). Every good job must complete,
 * exactly once, and the worker must still take a job submitted last and
 * then shut down cleanly. Default 8 runs; `BANANAS_LONG_FAULTS=1`: 60.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as References from "effect/References"
import fc from "fast-check"
import { Redis } from "ioredis"
import * as Bananas from "../../src/Bananas.ts"
import * as Tasks from "../../src/Tasks.ts"
import * as Handlers from "../../src/worker/HandlerRegistry.ts"
import * as Worker from "../../src/worker/Worker.ts"
import { startRedisServer, uniquePrefix } from "../support/RedisServer.ts"
import { long } from "./support/Load.ts"

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a))
const oddNumber = fc.oneof(fc.integer(), fc.double(), fc.constantFrom("1e400", "-0", "9007199254740993", "\"3\"", "null", "[]", "{}"))
const jobLike = fc.record({
  id: fc.option(fc.string({ maxLength: 12 })),
  name: fc.constantFrom("work", "nobody_handles_this", ""),
  payload: fc.json({ maxDepth: 3 }),
  status: fc.constantFrom("pending", "processing", "completed", "failed", "scheduled", "", "weird"),
  attempts: oddNumber,
  max_retries: oddNumber,
  created_at: fc.constantFrom("2025-01-15T10:30:00Z", "2025-01-15 10:30:00", "", "0001-01-01T00:00:00Z")
}).map((j) => Buffer.from(
  `{${j.id === null ? "" : `"id":${JSON.stringify(j.id)},`}"name":${JSON.stringify(j.name)},"payload":${j.payload},"status":"${j.status}",` +
    `"priority":"normal","created_at":"${j.created_at}","updated_at":"${j.created_at}","attempts":${j.attempts},"max_retries":${j.max_retries}}`
))
const score = fc.oneof(fc.constantFrom("-inf", "+inf", "0", "1e300", "-1e300"), fc.double({ noNaN: true }).map(String), fc.integer().map(String))

const garbage = fc.record({
  jobs: fc.array(fc.record({
    id: fc.oneof(fc.string({ maxLength: 12 }).map((s) => Buffer.from(s)), bytes(12)),
    data: fc.oneof(bytes(120), fc.json({ maxDepth: 3 }).map((t) => Buffer.from(t)), jobLike),
    queue: fc.constantFrom("queue:high", "queue:normal", "queue:low", "queue:processing", "queue:dead", "none")
  }), { maxLength: 12 }),
  listMembers: fc.array(fc.tuple(fc.constantFrom("queue:high", "queue:normal", "queue:low", "queue:processing", "queue:dead"), bytes(16)), { maxLength: 12 }),
  zsetMembers: fc.array(fc.tuple(fc.constantFrom("queue:scheduled", "leases"), bytes(16), score), { maxLength: 12 }),
  tokens: fc.array(fc.tuple(bytes(12), bytes(16)), { maxLength: 6 })
})

const GOOD = 12
let server: Awaited<ReturnType<typeof startRedisServer>>
let raw: Redis

beforeAll(async () => {
  server = await startRedisServer()
  raw = new Redis(server.url)
})
afterAll(async () => {
  raw.disconnect()
  await server.stop()
})

describe("garbage in the Bananas keys", () => {
  it("arbitrary bytes in job keys, lists and zsets never stop a worker: every good job alongside completes, once", async () => {
    await fc.assert(fc.asyncProperty(garbage, async (g) => {
      const prefix = uniquePrefix("junk")
      const key = (name: string | Buffer) => Buffer.concat([Buffer.from(prefix), typeof name === "string" ? Buffer.from(name) : name])
      for (const j of g.jobs) {
        await raw.set(key(Buffer.concat([Buffer.from("job:"), j.id])), j.data)
        if (j.queue !== "none") await raw.lpush(key(j.queue), j.id)
      }
      for (const [list, member] of g.listMembers) await raw.lpush(key(list), member)
      for (const [zset, member, s] of g.zsetMembers) await raw.zadd(key(zset), s, member)
      for (const [id, token] of g.tokens) await raw.hset(key("lease:tokens"), id, token)

      const runs = new Map<string, number>()
      const handlers = Handlers.empty.pipe(Handlers.addRaw("good", ({ job }) =>
        Effect.sync(() => runs.set(job.id, (runs.get(job.id) ?? 0) + 1)).pipe(Effect.as({ ok: true }))))
      const backend = Bananas.layerRedis({ url: server.url, prefix })
      const program = Effect.gen(function*() {
        const ids: Array<string> = []
        for (let i = 0; i < GOOD; i++) {
          const priority = (["high", "normal", "low"] as const)[i % 3]
          const at = i % 4 === 0 ? { at: Duration.millis(300) } : {}
          ids.push((yield* Tasks.submit("good", { i }, { priority, ...at })).id)
        }
        for (const id of ids) {
          const result = yield* Tasks.waitForResult(id, { timeout: "15 seconds" })
          assert.strictEqual(result.status, "completed", id)
        }
        // Still taking work after all that.
        const last = yield* Tasks.submit("good", { last: true })
        assert.strictEqual((yield* Tasks.waitForResult(last.id, { timeout: "10 seconds" })).status, "completed")
        return [...ids, last.id]
      }).pipe(Effect.provide(
        Worker.layer({
          handlers,
          concurrency: 4,
          leaseDuration: "1 second",
          reaperInterval: "100 millis",
          reaperMaxAge: "1 second",
          schedulerInterval: "100 millis",
          reclaimInterval: "200 millis",
          shutdownTimeout: "2 seconds"
        }).pipe(Layer.provideMerge(backend))
      ))
      const ids = await Effect.runPromise(program.pipe(Effect.provideService(References.MinimumLogLevel, "None")))
      for (const id of ids) assert.strictEqual(runs.get(id), 1, `good job ${id} ran once`)
      assert.strictEqual([...runs.values()].reduce((a, b) => a + b, 0), ids.length, "only good jobs ran the good handler")
    }), { numRuns: long ? 60 : 8 })
  }, long ? 300_000 : 60_000)
})
