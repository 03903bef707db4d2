/**
 * The scheduler on real Redis: many promoters at once (each on its own
 * connection, as separate processes would be) push every due job exactly
 * once; and the notifications a worker publishes (final outcomes only,
 * dead-lettered bad data included).
 */
import { assert, layer } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import type { Job } from "../../src/domain/Job.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import * as BananasRedis from "../../src/layers/redis/BananasRedis.ts"
import { JobQueue } from "../../src/services/JobQueue.ts"
import * as Failure from "../../src/worker/Failure.ts"
import * as Handlers from "../../src/worker/HandlerRegistry.ts"
import * as Promoter from "../../src/worker/Promoter.ts"
import * as Worker from "../../src/worker/Worker.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"
import { eventually, freshMetrics, newJob } from "./support/Backend.ts"

/** The job as submitted for `at`: status `scheduled`, `scheduled_for` set. */
const scheduledFor = (job: Job, at: Timestamp.Timestamp): Job => ({ ...job, status: "scheduled", scheduledFor: at })

layer(RedisServer.layer, { excludeTestServices: true })("Promoter on Redis", (it) => {
  it.effect("eight promoters running at once push each of 400 due jobs exactly once", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      const prefix = uniquePrefix("sched")
      const connection = BananasRedis.layer({ url: server.url, prefix }).pipe(Layer.orDie)
      // eight standalone schedulers, each with its own connection, ticking every 5 ms
      for (let i = 0; i < 8; i++) {
        yield* Layer.build(Promoter.layer({ interval: "5 millis" }).pipe(Layer.provide(connection)))
      }
      const ids: Array<string> = []
      yield* Effect.gen(function*() {
        const queue = yield* JobQueue
        const past = Timestamp.fromMillis(Date.now() - 1_000)
        for (let i = 0; i < 400; i++) {
          const job = scheduledFor(yield* newJob("promoted", { priority: i % 2 === 0 ? "high" : "low" }), past)
          ids.push(job.id)
          assert.strictEqual(yield* queue.schedule(job), "created")
          if (i % 50 === 0) yield* Effect.sleep("2 millis") // keep the promoters racing over fresh due jobs
        }
      }).pipe(Effect.provide(connection))
      const r = server.raw
      const queued = Effect.promise(async () => [
        ...(await r.lrange(`${prefix}queue:high`, 0, -1)),
        ...(await r.lrange(`${prefix}queue:low`, 0, -1))
      ])
      yield* eventually("every job promoted", Effect.promise(() => r.zcard(`${prefix}queue:scheduled`)).pipe(Effect.map((n) => n === 0)))
      yield* Effect.sleep("50 millis") // any double push would land by now
      const pushed = yield* queued
      assert.strictEqual(pushed.length, 400, "no job pushed twice")
      assert.strictEqual(new Set(pushed).size, 400)
      assert.deepStrictEqual([...pushed].sort(), [...ids].sort())
      const sample = (yield* Effect.promise(() => r.get(`${prefix}job:${ids[0]}`)))!
      assert.notInclude(sample, "scheduled_for", "promotion drops scheduled_for")
    }).pipe(freshMetrics))

  it.effect("promoteOnce called concurrently on separate connections counts each job once", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      const prefix = uniquePrefix("sched")
      const connections = Array.from({ length: 6 }, () => BananasRedis.layer({ url: server.url, prefix }).pipe(Layer.orDie))
      yield* Effect.gen(function*() {
        const queue = yield* JobQueue
        const past = Timestamp.fromMillis(Date.now() - 5_000)
        for (let i = 0; i < 300; i++) yield* queue.schedule(scheduledFor(yield* newJob("p"), past))
      }).pipe(Effect.provide(connections[0]!))
      const counts = yield* Effect.all(
        connections.map((c) => Promoter.promoteOnce().pipe(Effect.provide(c))),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(counts.reduce((a, b) => a + b, 0), 300)
      assert.strictEqual(yield* Effect.promise(() => server.raw.llen(`${prefix}queue:normal`)), 300)
    }).pipe(freshMetrics))

  it.effect("the worker publishes `ready` once per final outcome (bad data dead-lettered too), never for an attempt that will be retried", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      const prefix = uniquePrefix("notify")
      const sub = server.raw.duplicate()
      yield* Effect.addFinalizer(() => Effect.sync(() => sub.disconnect()))
      const messages: Array<string> = []
      sub.on("pmessage", (_pattern, channel, message) => { messages.push(`${channel.slice(prefix.length)} ${message}`) })
      yield* Effect.promise(() => sub.psubscribe(`${prefix}result:notify:*`))
      yield* Effect.gen(function*() {
        const queue = yield* JobQueue
        const ok = yield* newJob("ok")
        const flaky = yield* newJob("flaky", { maxRetries: 2 })
        yield* queue.enqueue(ok)
        yield* queue.enqueue(flaky)
        // an id without data: dead-lettered at dequeue, with a failed result and its notification
        const ghost = `ghost-${crypto.randomUUID()}`
        yield* Effect.promise(() => server.raw.lpush(`${prefix}queue:high`, ghost))
        let runs = 0
        const worker = yield* Effect.forkChild(Effect.scoped(Effect.gen(function*() {
          yield* Worker.make({
            schedulerInterval: "20 millis",
            handlers: Handlers.empty.pipe(
              Handlers.addRaw("ok", () => Effect.succeed({ done: true })),
              Handlers.addRaw("flaky", () => Effect.suspend(() => Effect.fail(new Failure.JobError({ message: `try ${++runs}` }))))
            )
          })
          // first failure is retried: make it due at once
          yield* eventually("first failure", Effect.promise(() => server.raw.zscore(`${prefix}queue:scheduled`, flaky.id)).pipe(Effect.map((s) => s !== null)))
          yield* Effect.promise(() => server.raw.zadd(`${prefix}queue:scheduled`, 0, flaky.id))
          yield* eventually("flaky dead", Effect.promise(() => server.raw.lrange(`${prefix}queue:dead`, 0, -1)).pipe(Effect.map((l) => l.includes(flaky.id))))
        })))
        yield* Fiber.join(worker)
        yield* eventually("notifications delivered", Effect.sync(() => messages.length >= 3), 2_000)
        yield* Effect.sleep(Duration.millis(50))
        assert.deepStrictEqual(
          [...messages].sort(),
          [`result:notify:${flaky.id} ready`, `result:notify:${ok.id} ready`, `result:notify:${ghost} ready`].sort()
        )
        const ghostResult = yield* Effect.promise(() => server.raw.hgetall(`${prefix}result:${ghost}`))
        assert.strictEqual(ghostResult.status, "failed")
        assert.strictEqual(ghostResult.error, "Job data not found (corrupted reference)")
        const hash = yield* Effect.promise(() => server.raw.hgetall(`${prefix}result:${ok.id}`))
        assert.strictEqual(hash.result, `{"done":true}`)
        assert.strictEqual(hash.status, "completed")
        assert.match(hash.completed_at!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
        assert.match(hash.duration_ms!, /^\d+$/)
      }).pipe(Effect.provide(BananasRedis.layer({ url: server.url, prefix }).pipe(Layer.orDie)))
    }).pipe(freshMetrics))
})
