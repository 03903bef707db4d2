/**
 * The job-event outbox (webhooks): with events on, every outcome of an
 * attempt writes its event job in the same step — in the events' own
 * namespace, never the job namespace — on memory and on a real Redis
 * alike; with events off, nothing beyond Go's writes.
 */
import { assert, layer } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as JobCodec from "../../src/domain/JobCodec.ts"
import * as JobModel from "../../src/domain/Job.ts"
import type { RawJson } from "../../src/domain/RawJson.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import * as BananasMemory from "../../src/layers/memory/BananasMemory.ts"
import * as BananasRedis from "../../src/layers/redis/BananasRedis.ts"
import * as Events from "../../src/protocol/Events.ts"
import { EventQueue, JobQueue } from "../../src/services/JobQueue.ts"
import { QueueAdmin } from "../../src/services/QueueAdmin.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"

const payload = `{"order_id":12345678901234567890,"b":1,"a":2}` as RawJson

/** Both backends, with events on (or not), under fresh prefixes. */
const backends = (events: boolean) =>
  Effect.gen(function*() {
    const server = yield* RedisServer
    const memory = yield* Layer.build(BananasMemory.layer({ prefix: uniquePrefix("ev"), events }))
    const redis = yield* Layer.build(BananasRedis.layer({ url: server.url, prefix: uniquePrefix("ev"), events })).pipe(Effect.orDie)
    return [["memory", memory], ["redis", redis]] as const
  })

const newJob = (id: string, maxRetries: number) =>
  JobModel.make({ id, name: "work", payload, priority: "normal", now: Timestamp.fromMillis(Date.parse("2025-01-15T10:00:00Z")), maxRetries })

/** Enqueues a new job and takes it (no lease). */
const submitAndTake = (queue: JobQueue["Service"], id: string, maxRetries: number) =>
  Effect.gen(function*() {
    yield* queue.enqueue(newJob(id, maxRetries))
    const taken = yield* queue.dequeue({ priorities: ["normal"], block: Duration.zero })
    if (Option.isNone(taken) || taken.value._tag !== "Job") return assert.fail("expected a job")
    return taken.value
  })

/** The event jobs queued for delivery in the events' namespace (`EventQueue`), decoded (oldest first); each completed. */
const eventJobs = (queue: JobQueue["Service"]) =>
  Effect.gen(function*() {
    const out: Array<{ readonly id: string; readonly body: Record<string, unknown>; readonly raw: string }> = []
    for (;;) {
      const taken = yield* queue.dequeue({ priorities: ["normal"], block: Duration.zero })
      if (Option.isNone(taken) || taken.value._tag !== "Job") return out
      const job = taken.value.job
      assert.strictEqual(job.name, JobModel.eventJobName)
      out.push({ id: job.id, body: JSON.parse(job.payload) as Record<string, unknown>, raw: job.payload })
      yield* queue.complete(taken.value, { durationMs: 1, now: Timestamp.fromMillis(Date.now()) })
    }
  })

layer(RedisServer.layer, { timeout: 30_000, excludeTestServices: true })("job events (outbox)", (it) => {
  it.effect("complete, a retried failure, a dead letter and a cancel each write one event, identical on both backends", () =>
    Effect.gen(function*() {
      const seen: Array<unknown> = []
      for (const [name, context] of yield* backends(true)) {
        const queue = Context.get(context, JobQueue)
        const admin = Context.get(context, QueueAdmin)
        const now = Timestamp.fromMillis(Date.parse("2025-01-15T10:30:00Z"))
        yield* queue.enqueue(newJob("ok", 3))
        yield* queue.enqueue(newJob("flaky", 3))
        yield* queue.enqueue(newJob("doomed", 1))
        yield* queue.enqueue(newJob("unwanted", 3))
        const taken = yield* queue.dequeueMany({ priorities: ["normal"], block: Duration.zero, max: 3 })
        const [ok, flaky, doomed] = taken.map((d) => (d._tag === "Job" ? d : assert.fail("expected jobs")))
        yield* queue.complete(ok!, { result: `{"n":12345678901234567890}` as RawJson, durationMs: 5, now })
        yield* queue.fail(flaky!, "smtp: timeout", { durationMs: 6, now })
        yield* queue.fail(doomed!, "kaput", { durationMs: 7, now })
        yield* admin.cancel("unwanted", now)

        const outbox = Context.get(context, EventQueue)
        // Nothing of the outbox in the job namespace: no event job a caller could list, read, cancel or forge.
        for (const id of ["ok", "flaky", "doomed", "unwanted"]) assert.isTrue(Option.isSome(yield* queue.get(id)), name)
        assert.strictEqual((yield* admin.list({ limit: 100 })).jobs.length, 4, `${name}: only the four jobs are listed`)
        const events = yield* eventJobs(outbox)
        for (const e of events) assert.isTrue(Option.isNone(yield* queue.get(e.id)), `${name}: ${e.id} is not a job`)
        assert.deepStrictEqual(events.map((e) => [e.body.type, e.body.job_id]), [
          ["job.completed", "ok"],
          ["job.failed", "flaky"],
          ["job.dead", "doomed"],
          ["job.cancelled", "unwanted"]
        ], name)
        for (const e of events) {
          assert.strictEqual(e.body.id, e.id, `${name}: the event id is the job id`)
          assert.match(e.id, /^evt_[0-9a-f]{32}$/)
        }
        // The job inside the event is Go's job JSON with the payload bytes untouched.
        assert.include(events[0]!.raw, `"payload":${payload}`, name)
        assert.include(events[0]!.raw, `"result":{"job_id":"ok","status":"completed","result":{"n":12345678901234567890}`, name)
        assert.strictEqual((events[1]!.body.job as { status: string }).status, "pending", name)
        assert.strictEqual((events[2]!.body.result as { error: string }).error, "kaput", name)
        // Completing an event job makes no event of its own.
        assert.deepStrictEqual(yield* eventJobs(outbox), [], name)
        seen.push(events.map((e) => e.raw))
      }
      assert.deepStrictEqual(seen[0], seen[1], "memory and Redis wrote the same events")
    }).pipe(Effect.scoped))

  it.effect("the event id is the outcome's: computed again from the job as stored, it is the same", () =>
    Effect.gen(function*() {
      for (const [name, context] of yield* backends(true)) {
        const queue = Context.get(context, JobQueue)
        const taken = yield* submitAndTake(queue, "again", 3)
        const done = yield* queue.complete(taken, { durationMs: 1, now: Timestamp.fromMillis(Date.now()) })
        const stored = Option.getOrThrow(yield* queue.get("again"))
        assert.strictEqual(JobCodec.encode(stored), JobCodec.encode(done))
        const [event] = yield* eventJobs(Context.get(context, EventQueue))
        assert.strictEqual(event!.id, Events.eventId("job.completed", "again", stored, stored.updatedAt), name)
      }
    }).pipe(Effect.scoped))

  it.effect("bad data dead-lettered at dequeue: a job.dead event without a job", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      const prefix = uniquePrefix("ev")
      const context = yield* Layer.build(BananasRedis.layer({ url: server.url, prefix, events: true })).pipe(Effect.orDie)
      const queue = Context.get(context, JobQueue)
      yield* Effect.promise(() => server.raw.lpush(`${prefix}queue:high`, "orphan"))
      const taken = yield* queue.dequeue({ priorities: ["high"], block: Duration.zero })
      assert.strictEqual(Option.getOrThrow(taken)._tag, "DeadLettered")
      const [event] = yield* eventJobs(Context.get(context, EventQueue))
      assert.strictEqual(event!.body.type, "job.dead")
      assert.strictEqual(event!.body.job_id, "orphan")
      assert.isNull(event!.body.job)
      assert.strictEqual((event!.body.result as { error: string }).error, "Job data not found (corrupted reference)")
    }).pipe(Effect.scoped))

  it.effect("waiting events are bounded: the newest maxPending are kept, each expiring after maxAge", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      const memory = yield* Layer.build(BananasMemory.layer({ prefix: uniquePrefix("ev"), events: { maxPending: 2, maxAge: "1 hour" } }))
      const redisPrefix = uniquePrefix("ev")
      const redis = yield* Layer.build(BananasRedis.layer({ url: server.url, prefix: redisPrefix, events: { maxPending: 2, maxAge: "1 hour" } })).pipe(Effect.orDie)
      for (const [name, context] of [["memory", memory], ["redis", redis]] as const) {
        const queue = Context.get(context, JobQueue)
        for (const id of ["b1", "b2", "b3"]) {
          const taken = yield* submitAndTake(queue, id, 1)
          yield* queue.complete(taken, { durationMs: 1, now: Timestamp.fromMillis(Date.now()) })
        }
        const events = yield* eventJobs(Context.get(context, EventQueue))
        assert.deepStrictEqual(events.map((e) => e.body.job_id), ["b2", "b3"], `${name}: the oldest was trimmed`)
      }
      // The waiting event job's TTL is maxAge.
      const queue = Context.get(redis, JobQueue)
      const taken = yield* submitAndTake(queue, "b4", 1)
      yield* queue.complete(taken, { durationMs: 1, now: Timestamp.fromMillis(Date.now()) })
      const ids = yield* Effect.promise(() => server.raw.lrange(`${redisPrefix}events:queue:normal`, 0, -1))
      const ttl = yield* Effect.promise(() => server.raw.ttl(`${redisPrefix}events:job:${ids[0]}`))
      assert.isTrue(ttl > 3500 && ttl <= 3600, `TTL ${ttl}`)
    }).pipe(Effect.scoped))

  it.effect("events off (the default): no event job and no key beyond Go's", () =>
    Effect.gen(function*() {
      for (const [name, context] of yield* backends(false)) {
        const queue = Context.get(context, JobQueue)
        const taken = yield* submitAndTake(queue, "plain", 1)
        yield* queue.fail(taken, "boom", { durationMs: 1, now: Timestamp.fromMillis(Date.now()) })
        assert.deepStrictEqual(yield* eventJobs(Context.get(context, EventQueue)), [], name)
        assert.isUndefined(queue.protocol.events, name)
      }
    }).pipe(Effect.scoped))
})
