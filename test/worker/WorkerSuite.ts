/**
 * The worker's behaviour against a backend (memory or real Redis), in real
 * time: priorities, routing, outcomes as docs/PROTOCOL.md writes them, Go-shaped
 * and cron-shaped jobs, bad data, crash recovery (only once the owner's
 * heartbeat lapsed), fencing of a worker whose lease was recovered,
 * reclaiming jobs held but never received, and graceful drain.
 */
import { assert, type Vitest } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Fiber from "effect/Fiber"
import * as Effect from "effect/Effect"
import * as Duration from "effect/Duration"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as JobCodec from "../../src/domain/JobCodec.ts"
import * as JobDefinition from "../../src/domain/JobDefinition.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import * as Wire from "../../src/protocol/Wire.ts"
import { JobQueue } from "../../src/services/JobQueue.ts"
import { ResultBackend } from "../../src/services/ResultBackend.ts"
import * as Failure from "../../src/worker/Failure.ts"
import * as Handlers from "../../src/worker/HandlerRegistry.ts"
import * as Metrics from "../../src/worker/Metrics.ts"
import * as Reaper from "../../src/worker/Reaper.ts"
import * as Worker from "../../src/worker/Worker.ts"
import { eventually, freshMetrics, newJob, noLeases, Raw, type Services } from "./support/Backend.ts"

/** Fast loops for tests. */
const fast = {
  block: "200 millis",
  schedulerInterval: "20 millis",
  reaperInterval: "50 millis",
  shutdownTimeout: "2 seconds"
} as const

const Echo = JobDefinition.make({
  name: "echo",
  payload: Schema.Struct({ text: Schema.String }),
  result: Schema.Struct({ echoed: Schema.String })
})

/** Runs the suite; `it` must come from a `layer(..., { excludeTestServices: true })` (real clock). */
export const workerSuite = <R>(it: Vitest.MethodsNonLive<R>, backend: Layer.Layer<Services, never, R>) => {
  const test = (name: string, body: () => Effect.Effect<void, unknown, Services | Scope.Scope>) =>
    it.effect(name, () => body().pipe(Effect.scoped, freshMetrics, Effect.provide(backend)))

  const jobJson = (id: string) =>
    Effect.gen(function*() {
      const raw = yield* Raw
      return yield* raw.get(raw.keys.job(id))
    })
  const decoded = (id: string) =>
    jobJson(id).pipe(Effect.map((text) => {
      assert.isDefined(text, `job ${id} has data`)
      const job = JobCodec.decode(text!)
      assert.strictEqual(job._tag, "Success")
      return job._tag === "Success" ? job.success : (undefined as never)
    }))
  const statusIs = (id: string, status: string) => Effect.map(jobJson(id), (t) => t !== undefined && t.includes(`"status":"${status}"`))

  test("takes jobs in strict priority order under backlog (high > normal > low, FIFO within)", () =>
    Effect.gen(function*() {
      const queue = yield* JobQueue
      const order = ["low-1", "normal-1", "high-1", "low-2", "high-2", "normal-2", "high-3", "low-3"]
      for (const tag of order) {
        yield* queue.enqueue(yield* newJob("record", { payload: JSON.stringify(tag), priority: tag.split("-")[0] as "high" }))
      }
      const seen: Array<string> = []
      yield* Worker.make({
        ...fast,
        concurrency: 1,
        handlers: Handlers.empty.pipe(Handlers.addRaw("record", ({ decode }) =>
          Effect.map(decode, (tag) => { seen.push(tag as string) })))
      })
      yield* eventually("all 8 jobs ran", Effect.sync(() => seen.length === 8))
      assert.deepStrictEqual(seen, ["high-1", "high-2", "high-3", "normal-1", "normal-2", "low-1", "low-2", "low-3"])
    }))

  test("takes only its routing key's queues, and only the priorities it is given", () =>
    Effect.gen(function*() {
      const queue = yield* JobQueue
      const raw = yield* Raw
      const routed = yield* newJob("r", { routingKey: "gpu", priority: "low" })
      const unrouted = yield* newJob("r", { priority: "high" })
      const routedHigh = yield* newJob("r", { routingKey: "gpu", priority: "high" })
      yield* queue.enqueue(routed)
      yield* queue.enqueue(unrouted)
      yield* queue.enqueue(routedHigh)
      const ran: Array<string> = []
      yield* Worker.make({
        ...fast,
        routingKey: "gpu",
        priorities: ["low"],
        handlers: Handlers.empty.pipe(Handlers.addRaw("r", ({ job }) => Effect.sync(() => { ran.push(job.id) })))
      })
      yield* eventually("the routed low job completed", statusIs(routed.id, "completed"))
      yield* Effect.sleep("100 millis")
      assert.deepStrictEqual(ran, [routed.id])
      assert.deepStrictEqual(yield* raw.lrange("route:gpu:queue:high".replace(/^/, raw.keys.prefix)), [routedHigh.id])
      assert.deepStrictEqual(yield* raw.lrange(raw.keys.queue("high")), [unrouted.id])
    }))

  test("completes a typed job: status completed (TTL 24 h), result hash with the encoded result (TTL 1 h)", () =>
    Effect.gen(function*() {
      const queue = yield* JobQueue
      const results = yield* ResultBackend
      const raw = yield* Raw
      const job = yield* newJob("echo", { payload: `{"text":"hi <3"}` })
      assert.strictEqual(yield* queue.enqueue(job), "created")
      const worker = yield* Worker.make({
        ...fast,
        handlers: Handlers.empty.pipe(Handlers.add(Echo, ({ text }, { attempt }) =>
          Effect.succeed({ echoed: `${text} (run ${attempt})` })))
      })
      const result = yield* results.wait(job.id, Duration.seconds(5))
      assert.strictEqual(result.status, "completed")
      assert.strictEqual(result.result, `{"echoed":"hi \\u003c3 (run 1)"}`)
      const stored = yield* decoded(job.id)
      assert.strictEqual(stored.status, "completed")
      assert.strictEqual(stored.attempts, 0)
      assert.strictEqual(stored.payload, `{"text":"hi <3"}`)
      const jobTtl = yield* raw.pttl(raw.keys.job(job.id))
      assert.isTrue(jobTtl > 86_000_000 && jobTtl <= 86_400_000, `job TTL ${jobTtl}`)
      const resultTtl = yield* raw.pttl(raw.keys.result(job.id))
      assert.isTrue(resultTtl > 3_500_000 && resultTtl <= 3_600_000, `result TTL ${resultTtl}`)
      assert.deepStrictEqual(yield* raw.lrange(raw.keys.processing), [])
      // finishing removes the lease, its token and the id from the worker's held set
      assert.deepStrictEqual(yield* noLeases([worker.id]), { leases: [], tokens: [], held: [[]] })
      assert.strictEqual((yield* Metrics.counts).processed, 1)
    }))

  test("backoff with defaults: retry scored +2 s, then +4 s, then dead letter (TTL 7 d), one failed result", () =>
    Effect.gen(function*() {
      const queue = yield* JobQueue
      const raw = yield* Raw
      const payload = `{"order_id":12345678901234567890,"amt":1.10,"10":"x","2":"y"}`
      const job = yield* newJob("flaky", { payload })
      yield* queue.enqueue(job)
      let runs = 0
      yield* Worker.make({
        ...fast,
        handlers: Handlers.empty.pipe(Handlers.addRaw("flaky", () =>
          Effect.suspend(() => Effect.fail(new Failure.JobError({ message: `smtp: timeout #${++runs}` })))))
      })
      for (const [attempt, gap] of [[1, 2], [2, 4]] as const) {
        yield* eventually(`failure #${attempt} recorded`, Effect.map(jobJson(job.id), (t) => t?.includes(`"attempts":${attempt},`) === true))
        const retried = yield* decoded(job.id)
        const score = yield* raw.zscore(raw.keys.scheduled, job.id)
        assert.strictEqual(retried.status, "pending")
        assert.strictEqual(retried.payload, payload, "payload bytes survive the retry rewrite")
        assert.strictEqual(retried.attempts, attempt)
        assert.strictEqual(retried.error, `smtp: timeout #${attempt}`)
        assert.isDefined(retried.scheduledFor)
        // scheduled_for = failure time + 2^attempts s; the score is its floor in unix seconds
        assert.strictEqual(retried.scheduledFor!.seconds - retried.updatedAt.seconds, gap)
        assert.strictEqual(retried.scheduledFor!.nanos, retried.updatedAt.nanos)
        assert.strictEqual(score, retried.scheduledFor!.seconds)
        assert.strictEqual(yield* raw.pttl(raw.keys.job(job.id)), -1)
        // a failed attempt that will be retried publishes no result
        assert.deepStrictEqual(yield* raw.hgetall(raw.keys.result(job.id)), {})
        // skip the wait: make it due now (the scheduler promotes it)
        yield* raw.zadd(raw.keys.scheduled, 0, job.id)
      }
      yield* eventually("dead-lettered", statusIs(job.id, "failed"))
      const dead = yield* decoded(job.id)
      assert.strictEqual(dead.payload, payload)
      assert.strictEqual(dead.attempts, 3)
      assert.strictEqual(dead.error, "smtp: timeout #3")
      assert.isUndefined(dead.scheduledFor)
      assert.deepStrictEqual(yield* raw.lrange(raw.keys.dead), [job.id])
      const ttl = yield* raw.pttl(raw.keys.job(job.id))
      assert.isTrue(ttl > 604_000_000 && ttl <= 604_800_000, `dead TTL ${ttl}`)
      const hash = yield* raw.hgetall(raw.keys.result(job.id))
      assert.strictEqual(hash.status, "failed")
      assert.strictEqual(hash.error, "smtp: timeout #3")
      assert.strictEqual(runs, 3)
      const counts = yield* Metrics.counts
      assert.deepStrictEqual([counts.failed, counts.retried, counts.dead, counts.processed], [3, 2, 1, 0])
      assert.isTrue(counts.promoted >= 2)
    }))

  test("a payload that fails its definition's schema is dead-lettered after one run (no retry can fix it); a PermanentJobError too", () =>
    Effect.gen(function*() {
      const queue = yield* JobQueue
      const raw = yield* Raw
      const bad = yield* newJob("echo", { payload: `{"text":42}`, maxRetries: 3 })
      const refused = yield* newJob("refuses", { maxRetries: 3 })
      yield* queue.enqueue(bad)
      yield* queue.enqueue(refused)
      let runs = 0
      yield* Worker.make({
        ...fast,
        handlers: Handlers.empty.pipe(
          Handlers.add(Echo, ({ text }) => Effect.sync(() => (runs++, { echoed: text }))),
          Handlers.addRaw("refuses", () => Effect.fail(new Failure.PermanentJobError({ message: "account closed" })))
        )
      })
      for (const job of [bad, refused]) yield* eventually(`${job.name} dead`, statusIs(job.id, "failed"))
      const dead = yield* decoded(bad.id)
      assert.strictEqual(dead.attempts, 1)
      assert.include(dead.error, `stored payload of job "echo" does not match its schema`)
      assert.include(dead.error, "not retried")
      assert.isUndefined(dead.scheduledFor)
      assert.strictEqual(runs, 0, "the handler never ran")
      assert.strictEqual((yield* decoded(refused.id)).attempts, 1)
      assert.strictEqual((yield* decoded(refused.id)).error, "account closed")
      assert.sameMembers([...yield* raw.lrange(raw.keys.dead)], [bad.id, refused.id])
      assert.isUndefined(yield* raw.zscore(raw.keys.scheduled, bad.id))
      const counts = yield* Metrics.counts
      assert.deepStrictEqual([counts.failed, counts.retried, counts.dead], [2, 0, 2])
    }))

  test("missing and corrupted job data are dead-lettered with Go's records and a failed result, and the worker keeps running", () =>
    Effect.gen(function*() {
      const queue = yield* JobQueue
      const results = yield* ResultBackend
      const raw = yield* Raw
      yield* raw.lpush(raw.keys.queue("high"), "ghost")
      yield* raw.set(raw.keys.job("B"), `{"id":"B","attempts":"1"}`)
      yield* raw.lpush(raw.keys.queue("high"), "B")
      const good = yield* newJob("ok", { priority: "low" })
      yield* queue.enqueue(good)
      // a waiter for the ghost, subscribed before the worker starts
      const ghostWait = yield* Effect.forkChild(results.wait("ghost", Duration.seconds(5)))
      const worker = yield* Worker.make({ ...fast, handlers: Handlers.empty.pipe(Handlers.addRaw("ok", () => Effect.void)) })
      yield* eventually("the good job completed", statusIs(good.id, "completed"))
      assert.deepStrictEqual([...(yield* raw.lrange(raw.keys.dead))].sort(), ["B", "ghost"])
      assert.strictEqual(yield* raw.get(raw.keys.job("ghost")), `{"error":"Job data not found (corrupted reference)","id":"ghost"}`)
      assert.strictEqual(
        yield* raw.get(raw.keys.job("B")),
        `{"corrupted_data":"{\\"id\\":\\"B\\",\\"attempts\\":\\"1\\"}","error":"Failed to unmarshal job: json: cannot unmarshal string into Go struct field Job.attempts of type int","id":"B"}`
      )
      const ttl = yield* raw.pttl(raw.keys.job("ghost"))
      assert.isTrue(ttl > 604_000_000, `corrupt record TTL ${ttl}`)
      // new in 0.2: each also gets a failed result (Go's text, duration 0, failure TTL), so waiters end at once
      for (const [id, error] of [
        ["ghost", "Job data not found (corrupted reference)"],
        ["B", "Failed to unmarshal job: json: cannot unmarshal string into Go struct field Job.attempts of type int"]
      ] as const) {
        const hash = yield* raw.hgetall(raw.keys.result(id))
        assert.deepStrictEqual({ ...hash, completed_at: "" }, { status: "failed", error, duration_ms: "0", completed_at: "" }, id)
        assert.match(hash.completed_at!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
        const resultTtl = yield* raw.pttl(raw.keys.result(id))
        assert.isTrue(resultTtl > 86_300_000 && resultTtl <= 86_400_000, `${id} result TTL ${resultTtl}`)
      }
      const waited = yield* Fiber.join(ghostWait)
      assert.strictEqual(waited.status, "failed")
      assert.strictEqual(waited.error, "Job data not found (corrupted reference)")
      assert.strictEqual(waited.durationMs, 0)
      assert.deepStrictEqual(yield* raw.lrange(raw.keys.processing), [])
      assert.deepStrictEqual(yield* noLeases([worker.id]), { leases: [], tokens: [], held: [[]] })
      assert.strictEqual((yield* Metrics.counts).dead, 2)
    }))

  test("a Go-shaped job (nanosecond +05:00 times, 20-digit integers) keeps its payload bytes and times", () =>
    Effect.gen(function*() {
      const raw = yield* Raw
      const id = crypto.randomUUID()
      const payload = `{"order_id":12345678901234567890,"amt":1.10,"10":"x","2":"y"}`
      const created = "2025-01-15T15:30:00.123456789+05:00"
      yield* raw.set(
        raw.keys.job(id),
        `{"id":"${id}","name":"send_email","payload":${payload},"status":"pending","priority":"high","created_at":"${created}","updated_at":"${created}","attempts":0,"max_retries":3}`
      )
      yield* raw.lpush(raw.keys.queue("high"), id)
      let seen = ""
      yield* Worker.make({
        ...fast,
        handlers: Handlers.empty.pipe(Handlers.addRaw("send_email", ({ payload }) => Effect.sync(() => { seen = payload })))
      })
      yield* eventually("the Go job completed", statusIs(id, "completed"))
      assert.strictEqual(seen, payload)
      const text = (yield* jobJson(id))!
      const updated = /"updated_at":"([^"]+)"/.exec(text)?.[1]
      assert.isDefined(updated)
      assert.isDefined(Timestamp.parse(updated!))
      assert.strictEqual(
        text,
        `{"id":"${id}","name":"send_email","payload":${payload},"status":"completed","priority":"high","created_at":"${created}","updated_at":"${updated}","attempts":0,"max_retries":3}`
      )
    }))

  test("a cron-shaped job (id \"\", zero times, max_retries 0) runs; a failing one is dead after one run", () =>
    Effect.gen(function*() {
      const raw = yield* Raw
      const cron = (name: string) =>
        `{"id":"","name":"${name}","description":"Scheduled job: ${name} (schedule: hourly)","payload":null,"status":"","priority":"normal","created_at":"0001-01-01T00:00:00Z","updated_at":"0001-01-01T00:00:00Z","attempts":0,"max_retries":0}`
      yield* raw.set(raw.keys.job(""), cron("cleanup"))
      yield* raw.lpush(raw.keys.queue("normal"), "")
      const ids: Array<string> = []
      let fail = false
      yield* Worker.make({
        ...fast,
        handlers: Handlers.empty.pipe(Handlers.addRaw("cleanup", ({ job, payload }) =>
          Effect.suspend(() => {
            ids.push(job.id)
            assert.strictEqual(payload, "null")
            return fail ? Effect.fail("cleanup failed") : Effect.void
          })))
      })
      yield* eventually("the cron job completed", statusIs("", "completed"))
      assert.deepStrictEqual(ids, [""])
      const done = (yield* jobJson(""))!
      assert.include(done, `"created_at":"0001-01-01T00:00:00Z"`)
      assert.include(done, `"attempts":0,"max_retries":0}`)
      fail = true
      yield* raw.set(raw.keys.job(""), cron("cleanup"))
      yield* raw.lpush(raw.keys.queue("normal"), "")
      yield* eventually("the failing cron job is dead", statusIs("", "failed"))
      assert.deepStrictEqual(yield* raw.lrange(raw.keys.dead), [""])
      assert.include((yield* jobJson(""))!, `"attempts":1,"max_retries":0,"error":"cleanup failed"}`)
      assert.deepStrictEqual(yield* raw.zmembers(raw.keys.scheduled), [])
    }))

  test("an unknown job name fails the job (never stuck in processing); a timeout fails it with Go's message", () =>
    Effect.gen(function*() {
      const queue = yield* JobQueue
      const raw = yield* Raw
      const unknown = yield* newJob("nobody_handles_this", { maxRetries: 1 })
      const slow = yield* newJob("slow", { maxRetries: 1 })
      const panics = yield* newJob("panics", { maxRetries: 1 })
      yield* queue.enqueue(unknown)
      yield* queue.enqueue(slow)
      yield* queue.enqueue(panics)
      yield* Worker.make({
        ...fast,
        jobTimeout: "100 millis",
        handlers: Handlers.empty.pipe(
          Handlers.addRaw("slow", () => Effect.never),
          Handlers.addRaw("panics", () => Effect.sync(() => { throw new Error("index out of range") }))
        )
      })
      for (const job of [unknown, slow, panics]) yield* eventually(`${job.name} dead`, statusIs(job.id, "failed"))
      assert.strictEqual((yield* decoded(unknown.id)).error, "no handler registered for job: nobody_handles_this")
      assert.strictEqual((yield* decoded(slow.id)).error, "context cancelled: context deadline exceeded (the worker's jobTimeout of 100ms ran out)")
      // Go's first line, then where the defect happened: stored with the job and in its result.
      const panicked = (yield* decoded(panics.id)).error!.split("\n")
      assert.strictEqual(panicked[0], "PANIC: index out of range")
      assert.isTrue(panicked.slice(1).some((frame) => /^\s+at .*WorkerSuite\.ts/.test(frame)), panicked.join("\n"))
      const stored = yield* Effect.flatMap(ResultBackend, (rb) => rb.get(panics.id))
      assert.strictEqual(Option.getOrThrow(stored).error, panicked.join("\n"))
      assert.deepStrictEqual(yield* raw.lrange(raw.keys.processing), [])
    }))

  test("crash recovery: a dead worker's job is reaped once its heartbeat lapses, never while it heartbeats; an unleased (Go) entry only with maxAge", () =>
    Effect.gen(function*() {
      const queue = yield* JobQueue
      const raw = yield* Raw
      const lease = (owner: string, millis: number) => ({ priorities: ["normal"] as const, block: Duration.zero, lease: { owner, duration: Duration.millis(millis) } })
      const orphan = yield* newJob("work")
      yield* queue.enqueue(orphan)
      // a worker that took the job and died: its lease and its heartbeat (worker:dead, TTL = the lease) lapse together
      const taken = yield* queue.dequeue(lease("dead", 500))
      assert.isTrue(Option.isSome(taken))
      assert.deepStrictEqual(yield* raw.smembers(raw.keys.held("dead")), [orphan.id])
      const heartbeat = yield* raw.pttl(raw.keys.held("dead"))
      assert.isTrue(heartbeat > 0 && heartbeat <= 500, `worker:dead TTL ${heartbeat}`)
      // a worker that is alive but slow: its lease expires, but it still heartbeats
      const stalled = yield* newJob("work")
      yield* queue.enqueue(stalled)
      assert.isTrue(Option.isSome(yield* queue.dequeue(lease("stalled", 150))))
      const beat = queue.renewLeases("stalled", [], Duration.seconds(10)) // the heartbeat alone: no lease renewed
      yield* beat
      // a Go worker's in-flight job: in processing, no lease
      const foreign = yield* newJob("work")
      yield* raw.set(raw.keys.job(foreign.id), JobCodec.encode(foreign))
      yield* raw.lpush(raw.keys.processing, foreign.id)
      const ran: Array<string> = []
      const handlers = Handlers.empty.pipe(Handlers.addRaw("work", ({ job }) => Effect.sync(() => { ran.push(job.id) })))
      yield* Effect.scoped(Effect.gen(function*() {
        // Unleased entries never recovered (the default is after an hour: Reaper.defaultMaxAge).
        const worker = yield* Worker.make({ ...fast, reaperMaxAge: Infinity, handlers })
        yield* eventually("the orphan completed", statusIs(orphan.id, "completed"))
        yield* Effect.sleep("300 millis")
        // the stalled job's lease expired long ago, but its owner's heartbeat holds it
        assert.deepStrictEqual(ran, [orphan.id])
        assert.isTrue((yield* raw.zscore(raw.keys.leases, stalled.id))! < Date.now(), "the stalled job's lease has expired")
        assert.deepStrictEqual(yield* raw.smembers(raw.keys.held("stalled")), [stalled.id])
        assert.deepStrictEqual([...(yield* raw.lrange(raw.keys.processing))].sort(), [foreign.id, stalled.id].sort())
        assert.strictEqual((yield* decoded(stalled.id)).attempts, 0)
        // the stalled worker dies: its held set goes (deleted here, as its TTL would), and the reaper takes the job
        yield* raw.del(raw.keys.held("stalled"))
        yield* eventually("the stalled job completed", statusIs(stalled.id, "completed"))
        assert.deepStrictEqual(ran, [orphan.id, stalled.id])
        assert.deepStrictEqual(yield* noLeases(["dead", "stalled", worker.id]), { leases: [], tokens: [], held: [[], [], []] })
      }))
      for (const id of [orphan.id, stalled.id]) {
        const recovered = yield* decoded(id)
        assert.strictEqual(recovered.attempts, 1, "the lost run counts as an attempt")
        assert.strictEqual(recovered.error, Wire.errorText.leaseExpired)
      }
      assert.deepStrictEqual(yield* raw.lrange(raw.keys.processing), [foreign.id])
      assert.strictEqual((yield* Metrics.counts).recovered, 2)
      // opt-in: unleased entries older than maxAge are recovered too
      yield* Worker.make({ ...fast, reaperMaxAge: "100 millis", handlers })
      yield* eventually("the foreign job completed", statusIs(foreign.id, "completed"))
      assert.deepStrictEqual(ran, [orphan.id, stalled.id, foreign.id])
      assert.deepStrictEqual(yield* raw.lrange(raw.keys.processing), [])
      assert.strictEqual((yield* decoded(foreign.id)).attempts, 1)
    }))

  test("fencing: a worker whose lease was recovered cannot record its outcome (nothing written); the job runs again", () =>
    Effect.gen(function*() {
      const queue = yield* JobQueue
      const raw = yield* Raw
      const job = yield* newJob("gated")
      yield* queue.enqueue(job)
      const gates = [yield* Deferred.make<void>(), yield* Deferred.make<void>()] as const
      const started = [yield* Deferred.make<void>(), yield* Deferred.make<void>()] as const
      let runs = 0
      const worker = yield* Worker.make({
        ...fast,
        concurrency: 1,
        reaper: false,
        handlers: Handlers.empty.pipe(Handlers.addRaw("gated", () =>
          Effect.suspend(() => {
            const run = runs++
            return Deferred.succeed(started[run]!, undefined).pipe(
              Effect.andThen(Deferred.await(gates[run]!)),
              Effect.as({ run: run + 1 })
            )
          })))
      })
      yield* Deferred.await(started[0])
      const [token] = Object.values(yield* raw.hgetall(raw.keys.tokens))
      assert.isTrue(token!.startsWith(`${worker.id}:`), `token ${token}`)
      // the worker is presumed dead (its held set gone, its lease expired): a reaper recovers the job
      yield* raw.del(raw.keys.held(worker.id))
      yield* raw.zadd(raw.keys.leases, 0, job.id)
      assert.deepStrictEqual(yield* Reaper.reapOnce(), [job.id])
      assert.deepStrictEqual(yield* raw.lrange(raw.keys.queue("normal")), [job.id])
      // the first run ends: its completion is refused
      yield* Deferred.succeed(gates[0], undefined)
      yield* eventually("the outcome was fenced off", Effect.map(Metrics.counts, (c) => c.leaseLost === 1))
      const after = yield* decoded(job.id)
      assert.strictEqual(after.status, "pending", "the fenced completion wrote nothing")
      assert.strictEqual(after.attempts, 1)
      assert.strictEqual(after.error, Wire.errorText.leaseExpired)
      assert.deepStrictEqual(yield* raw.hgetall(raw.keys.result(job.id)), {})
      // the job is handed out again (the slot is free now) and completes normally
      yield* Deferred.await(started[1])
      const second = Object.values(yield* raw.hgetall(raw.keys.tokens))
      assert.strictEqual(second.length, 1)
      assert.notStrictEqual(second[0], token, "a new delivery, a new token")
      yield* Deferred.succeed(gates[1], undefined)
      yield* eventually("completed", statusIs(job.id, "completed"))
      assert.strictEqual((yield* raw.hgetall(raw.keys.result(job.id))).result, `{"run":2}`)
      assert.strictEqual(runs, 2)
      const counts = yield* Metrics.counts
      assert.deepStrictEqual([counts.processed, counts.leaseLost, counts.recovered], [1, 1, 1])
      assert.deepStrictEqual(yield* noLeases([worker.id]), { leases: [], tokens: [], held: [[]] })
    }))

  test("a job held for this worker but never received (lost dequeue reply) is given back and run, no attempt counted", () =>
    Effect.gen(function*() {
      const queue = yield* JobQueue
      const raw = yield* Raw
      const job = yield* newJob("work")
      yield* queue.enqueue(job)
      // a dequeue of worker "w-reclaim" whose reply never arrived: Redis holds the job for it
      const lost = yield* queue.dequeue({ priorities: ["normal"], block: Duration.zero, lease: { owner: "w-reclaim", duration: Duration.seconds(30) } })
      assert.isTrue(Option.isSome(lost))
      assert.deepStrictEqual(yield* raw.smembers(raw.keys.held("w-reclaim")), [job.id])
      const ran: Array<number> = []
      yield* Worker.make({
        ...fast,
        workerId: "w-reclaim",
        reclaimInterval: "100 millis",
        handlers: Handlers.empty.pipe(Handlers.addRaw("work", ({ job }) => Effect.sync(() => { ran.push(job.attempts) })))
      })
      yield* eventually("the job completed", statusIs(job.id, "completed"))
      assert.deepStrictEqual(ran, [0], "run once, no attempt counted")
      const done = yield* decoded(job.id)
      assert.strictEqual(done.attempts, 0)
      assert.isUndefined(done.error)
      const counts = yield* Metrics.counts
      assert.deepStrictEqual([counts.reclaimed, counts.recovered, counts.processed], [1, 0, 1])
      assert.deepStrictEqual(yield* noLeases(["w-reclaim"]), { leases: [], tokens: [], held: [[]] })
    }))

  test("graceful drain: running jobs finish within the deadline, the rest go back to their queue", () =>
    Effect.gen(function*() {
      const queue = yield* JobQueue
      const raw = yield* Raw
      const quick = yield* newJob("quick")
      const stuck = yield* newJob("stuck")
      const waiting = yield* newJob("quick", { priority: "low" })
      const started = yield* Deferred.make<void>()
      let stuckStarts = 0
      yield* queue.enqueue(quick)
      yield* queue.enqueue(stuck)
      const worker = yield* Worker.make({
        ...fast,
        concurrency: 2,
        shutdownTimeout: "400 millis",
        handlers: Handlers.empty.pipe(
          Handlers.addRaw("quick", () => Deferred.await(started).pipe(Effect.andThen(Effect.sleep("150 millis")))),
          Handlers.addRaw("stuck", () =>
            Effect.sync(() => { stuckStarts++ }).pipe(
              Effect.andThen(Deferred.succeed(started, undefined)),
              Effect.andThen(Effect.never)
            ))
        )
      })
      yield* Deferred.await(started)
      yield* eventually("both running", Effect.map(worker.inFlight, (jobs) => jobs.length === 2))
      yield* queue.enqueue(waiting) // no free slot: stays queued
      yield* worker.shutdown
      assert.deepStrictEqual(yield* worker.inFlight, [])
      assert.isTrue(yield* statusIs(quick.id, "completed"), "the quick job finished during the drain")
      const back = yield* decoded(stuck.id)
      assert.strictEqual(back.status, "pending")
      assert.strictEqual(back.attempts, 0, "a released job counts no attempt")
      assert.deepStrictEqual(yield* raw.lrange(raw.keys.queue("normal")), [stuck.id])
      assert.deepStrictEqual(yield* raw.lrange(raw.keys.queue("low")), [waiting.id])
      assert.deepStrictEqual(yield* raw.lrange(raw.keys.processing), [])
      assert.deepStrictEqual(yield* noLeases([worker.id]), { leases: [], tokens: [], held: [[]] })
      assert.strictEqual(stuckStarts, 1)
      yield* worker.shutdown // idempotent
    }))
}
