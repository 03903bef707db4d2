/**
 * The contract of the `TaskApi` service (src/services/TaskApi.ts JSDoc),
 * exercised through the `Tasks` helpers programs call (src/Tasks.ts), run
 * against every implementation: the direct TaskApi over each backend's
 * JobQueue + QueueAdmin + ResultBackend now, the HTTP client later. A
 * responder fiber stands in for a worker (dequeue, then complete or fail
 * through `JobQueue`).
 */
import { assert, describe } from "@effect/vitest"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import type { Job } from "../../src/domain/Job.ts"
import * as JobCodec from "../../src/domain/JobCodec.ts"
import * as JobDefinition from "../../src/domain/JobDefinition.ts"
import * as JobPriority from "../../src/domain/JobPriority.ts"
import * as RawJson from "../../src/domain/RawJson.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import type { TaskApi } from "../../src/services/TaskApi.ts"
import * as Tasks from "../../src/Tasks.ts"
import { assertSameIds, collectListed, fresh, type It, type Outcome, pause, payloadBytes, respond, takeJob, uid } from "./Fixtures.ts"

const Add = JobDefinition.make({
  name: "add",
  payload: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
  result: Schema.Struct({ sum: Schema.Number }),
  priority: "high"
})

const Boom = JobDefinition.make({
  name: "boom",
  payload: Schema.Struct({ why: Schema.String }),
  result: Schema.Struct({ never: Schema.String }),
  maxRetries: 1
})

/** The stand-in worker: `echo` returns its payload, `add` sums, `boom` fails. */
const handler = (job: Job): Outcome => {
  switch (job.name) {
    case "echo":
      return { _tag: "Complete", result: job.payload }
    case "add": {
      const { a, b } = JSON.parse(job.payload) as { a: number; b: number }
      return { _tag: "Complete", result: Result.getOrThrow(RawJson.fromValue({ sum: a + b })) }
    }
    default:
      return { _tag: "Fail", error: "kaput" }
  }
}

const raw = (text: string) => new RawJson.Raw(text as RawJson.RawJson)

/** Registers the TaskApi contract tests in the current layer block. */
export const taskApiTests = (it: It) => {
  describe("TaskApi: submit", () => {
    it.effect("getJob of an id a worker dead-lettered without its data is a JobFailedError saying so", () =>
      Effect.gen(function*() {
        const { raw: r, keys } = yield* fresh
        const ghost = uid("ghost")
        yield* r.set(keys.job(ghost), `{"error":"Job data not found (corrupted reference)","id":"${ghost}"}`)
        const failure = yield* Effect.flip(Tasks.getJob(ghost))
        assert.strictEqual(failure._tag, "JobFailedError")
        assert.strictEqual((failure as { readonly error?: string }).error, "Job data not found (corrupted reference)")
        assert.include(failure.message, "dead-lettered without its data")
      }))

    it.effect("submit writes a new pending job (Go's NewJob) to queue:normal, payload marshalled as Go does", () =>
      Effect.gen(function*() {
        const { raw: r, keys } = yield* fresh
        const submitted = yield* Tasks.submit("send_email", { to: "a@b.c", subject: "Hi <3" })
        assert.isFalse(submitted.duplicate)
        const id = submitted.id
        const job = yield* Tasks.getJob(id)
        assert.strictEqual(job.name, "send_email")
        assert.strictEqual(job.payload, `{"subject":"Hi \\u003c3","to":"a@b.c"}`)
        assert.strictEqual(job.status, "pending")
        assert.strictEqual(job.priority, "normal")
        assert.strictEqual(job.attempts, 0)
        assert.strictEqual(job.maxRetries, 3)
        assert.deepStrictEqual(job.createdAt, job.updatedAt)
        assert.isTrue(Math.abs(Timestamp.toMillis(job.createdAt) - Date.now()) < 10_000)
        assert.deepStrictEqual(yield* r.lrange(keys.queue("normal")), [id])
        assert.strictEqual(yield* r.get(keys.job(id)), JobCodec.encode(job))
      }))

    it.effect("submit options: priority, description, max retries, routing key and a caller's id", () =>
      Effect.gen(function*() {
        const { raw: r, keys } = yield* fresh
        const given = uid("mine")
        const submitted = yield* Tasks.submit("report", { k: 1 }, { priority: "high", description: "nightly", maxRetries: 5, routingKey: "eu-1", id: given })
        assert.deepStrictEqual(submitted, { id: given, duplicate: false })
        const job = yield* Tasks.getJob(given)
        assert.strictEqual(job.priority, "high")
        assert.strictEqual(job.description, "nightly")
        assert.strictEqual(job.maxRetries, 5)
        assert.strictEqual(job.routingKey, "eu-1")
        assert.deepStrictEqual(yield* r.lrange(`${keys.prefix}route:eu-1:queue:high`), [given])
        assert.deepStrictEqual(yield* r.lrange(keys.queue("high")), [])
      }))

    it.effect("an id that exists: `duplicate: true` and nothing written; with `unique` a JobConflictError", () =>
      Effect.gen(function*() {
        const { api, raw: r, keys } = yield* fresh
        const id = uid("idem")
        assert.deepStrictEqual(yield* Tasks.submit("first", { n: 1 }, { id }), { id, duplicate: false })
        const stored = yield* r.get(keys.job(id))
        assert.deepStrictEqual(yield* Tasks.submit("second", { n: 2 }, { id, priority: "high" }), { id, duplicate: true })
        assert.deepStrictEqual(yield* Tasks.submitScheduled("third", {}, Duration.hours(1), { id }), { id, duplicate: true })
        const conflict = yield* Effect.flip(Tasks.submit("fourth", {}, { id, unique: true }))
        assert.strictEqual(conflict._tag, "JobConflictError")
        if (conflict._tag === "JobConflictError") {
          assert.strictEqual(conflict.jobId, id)
          assert.strictEqual(conflict.operation, "submit")
        }
        const batch = yield* Tasks.submitBatch([{ name: "fresh", payload: 1 }, { name: "again", payload: 2, options: { id } }])
        assert.deepStrictEqual(batch.map((b) => b.duplicate), [false, true])
        assert.strictEqual(batch[1]!.id, id)
        // The wire form reports the same.
        const wire = yield* api.submit({ name: "wire", payload: `{}` as RawJson.RawJson, id })
        assert.deepStrictEqual(wire, { id, duplicate: true })

        assert.strictEqual(yield* r.get(keys.job(id)), stored, "nothing overwritten")
        assert.deepStrictEqual(yield* r.lrange(keys.queue("normal")), [batch[0]!.id, id], "queued once")
        assert.deepStrictEqual(yield* r.lrange(keys.queue("high")), [])
        assert.isUndefined(yield* r.zscore(keys.scheduled, id))
      }))

    it.effect("a RawJson.Raw payload is stored byte for byte (vector 2)", () =>
      Effect.gen(function*() {
        const { raw: r, keys } = yield* fresh
        const { id } = yield* Tasks.submit("echo", raw(payloadBytes))
        assert.strictEqual((yield* Tasks.getJob(id)).payload, payloadBytes)
        assert.include((yield* r.get(keys.job(id)))!, `"payload":${payloadBytes},`)
      }))

    it.effect("submitScheduled at a Date, a DateTime, or after a Duration: status scheduled, score = unix seconds", () =>
      Effect.gen(function*() {
        const { raw: r, keys } = yield* fresh
        const at = new Date(Date.now() + 3_600_000 + 500)
        const byDate = (yield* Tasks.submitScheduled("later", { n: 1 }, at)).id
        const byDateTime = (yield* Tasks.submit("later", { n: 2 }, { at: DateTime.makeUnsafe(at.getTime() + 1000) })).id
        const before = Date.now()
        const byDuration = (yield* Tasks.submitScheduled("later", { n: 3 }, Duration.minutes(10))).id
        for (const [id, expectedMs] of [[byDate, at.getTime()], [byDateTime, at.getTime() + 1000]] as const) {
          const job = yield* Tasks.getJob(id)
          assert.strictEqual(job.status, "scheduled")
          assert.strictEqual(Timestamp.toMillis(job.scheduledFor!), expectedMs)
          assert.closeTo((yield* r.zscore(keys.scheduled, id))!, expectedMs / 1000, 0.0005)
        }
        const delayed = yield* Tasks.getJob(byDuration)
        assert.strictEqual(delayed.status, "scheduled")
        const score = (yield* r.zscore(keys.scheduled, byDuration))!
        assert.isTrue(score >= before / 1000 + 599 && score <= Date.now() / 1000 + 601, `score ${score}`)
        assert.closeTo(score, Timestamp.toUnixSeconds(delayed.scheduledFor!), 0.0005)
        for (const p of JobPriority.all) assert.deepStrictEqual(yield* r.lrange(keys.queue(p)), [])
        assert.strictEqual((yield* Tasks.stats()).scheduled, 3)
      }))

    it.effect("submitBatch: every job stored, ids in order, dequeued in submission order", () =>
      Effect.gen(function*() {
        yield* fresh
        const submitted = yield* Tasks.submitBatch([
          { name: "a", payload: { i: 0 } },
          { name: "b", payload: raw(payloadBytes) },
          { name: "c", payload: [1, 2], options: { priority: "low", description: "third" } },
          { name: "d", payload: null }
        ])
        assert.deepStrictEqual(submitted.map((s) => s.duplicate), [false, false, false, false])
        const ids = submitted.map((s) => s.id)
        assert.strictEqual(new Set(ids).size, 4)
        const jobs = yield* Effect.forEach(ids, (id) => Tasks.getJob(id))
        assert.deepStrictEqual(jobs.map((j) => j.name), ["a", "b", "c", "d"])
        assert.strictEqual(jobs[1]!.payload, payloadBytes)
        assert.strictEqual(jobs[2]!.priority, "low")
        assert.strictEqual(jobs[3]!.payload, "null")
        const order: Array<string> = []
        for (let i = 0; i < 4; i++) order.push((yield* takeJob()).job.id)
        assert.deepStrictEqual(order, [ids[0], ids[1], ids[3], ids[2]])
      }))

    it.effect("submitTyped encodes with the definition's schema and applies its defaults", () =>
      Effect.gen(function*() {
        const { raw: r, keys } = yield* fresh
        const { id } = yield* Tasks.submitTyped(Add, { b: 2, a: 1 })
        const job = yield* Tasks.getJob(id)
        assert.strictEqual(job.name, "add")
        assert.strictEqual(job.payload, `{"a":1,"b":2}`)
        assert.strictEqual(job.priority, "high")
        assert.deepStrictEqual(yield* r.lrange(keys.queue("high")), [id])
        const low = yield* Tasks.submitTyped(Add, { a: 1, b: 1 }, { priority: "low" })
        assert.strictEqual((yield* Tasks.getJob(low.id)).priority, "low")
      }))

    it.effect("bad input fails with a typed error and writes nothing", () =>
      Effect.gen(function*() {
        const { api, raw: r, keys } = yield* fresh
        const cyclic: Record<string, unknown> = {}
        cyclic.self = cyclic
        const cases: ReadonlyArray<readonly [string, Effect.Effect<unknown, { readonly _tag: string }, TaskApi>, ReadonlyArray<string>]> = [
          ["empty name", Tasks.submit("", { a: 1 }), ["ValidationError"]],
          ["blank name", Tasks.submit("   ", { a: 1 }), ["ValidationError"]],
          ["unknown priority", Tasks.submit("x", {}, { priority: "urgent" as JobPriority.JobPriority }), ["ValidationError"]],
          ["negative retries", Tasks.submit("x", {}, { maxRetries: -1 }), ["ValidationError"]],
          ["bad routing key", Tasks.submit("x", {}, { routingKey: "eu west!" }), ["ValidationError"]],
          ["long routing key", Tasks.submit("x", {}, { routingKey: "k".repeat(65) }), ["ValidationError"]],
          ["empty id", Tasks.submit("x", {}, { id: "" }), ["ValidationError"]],
          ["BigInt payload", Tasks.submit("x", { n: 1n }), ["SerializationError", "ValidationError"]],
          ["cyclic payload", Tasks.submit("x", cyclic), ["SerializationError", "ValidationError"]],
          ["function payload", Tasks.submit("x", { f: () => 1 }), ["SerializationError", "ValidationError"]],
          ["schema failure", Tasks.submitTyped(Add, { a: "1", b: 2 } as unknown as { a: number; b: number }), ["ValidationError"]],
          ["schema failure (call)", Tasks.call(Add, { a: 1 } as unknown as { a: number; b: number }), ["ValidationError"]],
          ["past date", Tasks.submitScheduled("x", {}, new Date(Date.now() - 60_000)), ["ValidationError"]],
          ["invalid date", Tasks.submitScheduled("x", {}, new Date(Number.NaN)), ["ValidationError"]],
          ["bad scheduled name", Tasks.submitScheduled("", {}, Duration.seconds(5)), ["ValidationError"]],
          ["one bad batch entry", Tasks.submitBatch([{ name: "ok", payload: 1 }, { name: "bad", payload: { n: 2n } }]), ["SerializationError", "ValidationError"]],
          ["bad batch priority", Tasks.submitBatch([{ name: "ok", payload: 1 }, { name: "p", payload: 1, options: { priority: "nope" as JobPriority.JobPriority } }]), ["ValidationError"]],
          ["bad submitAndWait", Tasks.submitAndWait("", {}), ["ValidationError"]],
          ["bad wire payload", api.submit({ name: "x", payload: "{not json" as RawJson.RawJson }), ["ValidationError"]]
        ]
        for (const [label, effect, tags] of cases) {
          const error = yield* Effect.flip(effect)
          assert.include(tags, error._tag, label)
        }
        // The gateway's rate-limit counter (over HTTP) counts requests, not jobs; it expires on its own.
        const written = (yield* r.keys(keys.prefix)).filter((k) => !k.startsWith(`${keys.prefix}ratelimit:`))
        assert.deepStrictEqual(written, [], "nothing written")
        assert.deepStrictEqual(yield* Tasks.stats(), { queued: { high: 0, normal: 0, low: 0 }, processing: 0, scheduled: 0, dead: 0 })
      }))
  })

  describe("TaskApi: reading and waiting", () => {
    it.effect("getJob: the job, or JobNotFoundError naming the id", () =>
      Effect.gen(function*() {
        yield* fresh
        const missing = uid("missing")
        const error = yield* Effect.flip(Tasks.getJob(missing))
        assert.strictEqual(error._tag, "JobNotFoundError")
        if (error._tag === "JobNotFoundError") assert.strictEqual(error.jobId, missing)
      }))

    it.effect("getResult is none until a worker finishes; waitForResult returns the result bytes", () =>
      Effect.gen(function*() {
        yield* fresh
        const { id } = yield* Tasks.submit("echo", raw(payloadBytes))
        assert.isTrue(Option.isNone(yield* Tasks.getResult(id)))
        yield* respond(handler)
        const result = yield* Tasks.waitForResult(id, { timeout: "10 seconds" })
        assert.strictEqual(result.status, "completed")
        assert.strictEqual(result.result, payloadBytes)
        const again = Option.getOrThrow(yield* Tasks.getResult(id))
        assert.strictEqual(again.result, payloadBytes)
        assert.strictEqual((yield* Tasks.getJob(id)).status, "completed")
      }))

    it.effect("waitForResult without a worker: TimeoutError naming the job", () =>
      Effect.gen(function*() {
        yield* fresh
        const { id } = yield* Tasks.submit("nobody_runs_this", {})
        const error = yield* Effect.flip(Tasks.waitForResult(id, { timeout: "60 millis" }))
        assert.strictEqual(error._tag, "TimeoutError")
        if (error._tag === "TimeoutError") assert.strictEqual(error.jobId, id)
      }))

    it.effect("submitAndWait: the completed result; a job failing for good is a JobFailedError", () =>
      Effect.gen(function*() {
        yield* fresh
        yield* respond(handler)
        const ok = yield* Tasks.submitAndWait("echo", raw(payloadBytes), { timeout: "10 seconds" })
        assert.strictEqual(ok.status, "completed")
        assert.strictEqual(ok.result, payloadBytes)
        const error = yield* Effect.flip(Tasks.submitAndWait("boom", {}, { maxRetries: 1, timeout: "10 seconds" }))
        assert.strictEqual(error._tag, "JobFailedError")
        if (error._tag === "JobFailedError") assert.strictEqual(error.error, "kaput")
      }))

    it.effect("submitAndWait with the id of a finished job: its result, without running it again", () =>
      Effect.gen(function*() {
        const { raw: r, keys } = yield* fresh
        const id = uid("rpc")
        yield* respond(handler)
        const first = yield* Tasks.submitAndWait("echo", { v: 1 }, { id, timeout: "10 seconds" })
        assert.strictEqual(first.result, `{"v":1}`)
        const again = yield* Tasks.submitAndWait("echo", { v: 2 }, { id, timeout: "10 seconds" })
        assert.strictEqual(again.result, `{"v":1}`, "the existing job's result")
        assert.include((yield* r.get(keys.job(id)))!, `"payload":{"v":1}`)
        const conflict = yield* Effect.flip(Tasks.submitAndWait("echo", { v: 3 }, { id, unique: true, timeout: "10 seconds" }))
        assert.strictEqual(conflict._tag, "JobConflictError")
      }))

    it.effect("call: the typed result, or a typed JobFailedError", () =>
      Effect.gen(function*() {
        yield* fresh
        yield* respond(handler)
        const sums = yield* Effect.all([
          Tasks.call(Add, { a: 1, b: 2 }, { timeout: "10 seconds" }),
          Tasks.call(Add, { a: 20, b: 22 }, { timeout: "10 seconds" })
        ], { concurrency: "unbounded" })
        assert.deepStrictEqual(sums, [{ sum: 3 }, { sum: 42 }])
        const error = yield* Effect.flip(Tasks.call(Boom, { why: "test" }, { timeout: "10 seconds" }))
        assert.strictEqual(error._tag, "JobFailedError")
        if (error._tag === "JobFailedError") assert.strictEqual(error.error, "kaput")
      }))
  })

  describe("TaskApi: management", () => {
    it.effect("cancel: a queued or scheduled job ends its waiters with failed/cancelled; otherwise a typed error", () =>
      Effect.gen(function*() {
        yield* fresh
        const queued = (yield* Tasks.submit("x", {})).id
        const scheduled = (yield* Tasks.submitScheduled("x", {}, Duration.hours(1))).id
        const waiter = yield* Effect.forkChild(Tasks.waitForResult(queued, { timeout: "10 seconds" }))
        yield* pause(20)
        const cancelled = yield* Tasks.cancel(queued)
        assert.strictEqual(cancelled.id, queued)
        assert.strictEqual(cancelled.status, "failed")
        assert.strictEqual(cancelled.error, "cancelled")
        assert.strictEqual((yield* Tasks.cancel(scheduled)).status, "failed")
        const result = yield* Fiber.join(waiter)
        assert.strictEqual(result.status, "failed")
        assert.strictEqual(result.error, "cancelled")
        const viaWait = yield* Tasks.waitForResult(scheduled, { timeout: "1 second" })
        assert.strictEqual(viaWait.error, "cancelled")
        assert.strictEqual((yield* Tasks.getJob(scheduled)).status, "failed")

        const running = (yield* Tasks.submit("y", {})).id
        yield* takeJob()
        assert.strictEqual((yield* Effect.flip(Tasks.cancel(running)))._tag, "JobConflictError", "processing")
        assert.strictEqual((yield* Effect.flip(Tasks.cancel(uid("unknown"))))._tag, "JobNotFoundError", "unknown")
        assert.strictEqual((yield* Effect.flip(Tasks.cancel(scheduled)))._tag, "JobConflictError", "already cancelled")
        const stats = yield* Tasks.stats()
        assert.strictEqual(stats.processing, 1)
        assert.strictEqual(stats.scheduled, 0)
      }))

    it.effect("list through the API: a filtered page scans on until it has `limit` matches (3 jobs among 5,000)", () =>
      Effect.gen(function*() {
        yield* fresh
        for (let i = 0; i < 5; i++) yield* Tasks.submitBatch(Array.from({ length: 1000 }, (_, j) => ({ name: "bulk", payload: { j } })))
        const needles = (yield* Tasks.submitBatch(Array.from({ length: 3 }, () => ({ name: "needle", payload: {} })))).map((s) => s.id)
        const page = yield* Tasks.list({ name: "needle", limit: 3 })
        assertSameIds(page.jobs, needles, "one page holds every match")
      }), 60_000)

    it.effect("stats, list (filters, pages), deadLetters and requeueDead through the API", () =>
      Effect.gen(function*() {
        const { queue } = yield* fresh
        const dead = (yield* Tasks.submit("boom", {}, { maxRetries: 1, priority: "high" })).id
        const outcome = yield* queue.fail(yield* takeJob(), "kaput", { durationMs: 1, now: Timestamp.fromMillis(Date.now()) })
        assert.strictEqual(outcome._tag, "Dead")
        const emails = (yield* Tasks.submitBatch(Array.from({ length: 7 }, (_, i) => ({ name: "email", payload: { i } })))).map((s) => s.id)
        const reports = (yield* Tasks.submitBatch([
          { name: "report", payload: {}, options: { priority: "high" } },
          { name: "report", payload: {}, options: { priority: "low" } }
        ])).map((s) => s.id)
        const later = (yield* Tasks.submitScheduled("report", {}, Duration.hours(2))).id
        const stats = yield* Tasks.stats()
        assert.deepStrictEqual(stats.queued, { high: 1, normal: 7, low: 1 })
        assert.strictEqual(stats.scheduled, 1)
        assert.strictEqual(stats.dead, 1)

        assertSameIds(yield* collectListed((cursor) => Tasks.list({ limit: 3, cursor })), [...emails, ...reports, later, dead], "all")
        assertSameIds(yield* collectListed((cursor) => Tasks.list({ name: "report", cursor })), [...reports, later], "name")
        assertSameIds(yield* collectListed((cursor) => Tasks.list({ status: "scheduled", cursor })), [later], "status")
        assertSameIds(yield* collectListed((cursor) => Tasks.list({ priority: "high", name: "report", cursor })), [reports[0]!], "priority")
        assertSameIds(yield* collectListed((cursor) => Tasks.list({ status: "failed", cursor })), [dead], "failed")
        const limitError = yield* Effect.flip(Tasks.list({ limit: 0 }))
        assert.strictEqual(limitError._tag, "ValidationError")
        const cursorError = yield* Effect.flip(Tasks.list({ cursor: "not a cursor!" }))
        assert.strictEqual(cursorError._tag, "ValidationError")
        if (cursorError._tag === "ValidationError") assert.strictEqual(cursorError.field, "cursor")
        const deadCursorError = yield* Effect.flip(Tasks.deadLetters({ cursor: "x" }))
        assert.strictEqual(deadCursorError._tag, "ValidationError")

        const letters = yield* Tasks.deadLetters()
        assert.deepStrictEqual(letters.jobs.map((j) => [j.id, j.error]), [[dead, "kaput"]])
        const requeued = yield* Tasks.requeueDead(dead)
        assert.strictEqual(requeued.id, dead)
        assert.strictEqual(requeued.status, "pending")
        assert.strictEqual((yield* Effect.flip(Tasks.requeueDead(dead)))._tag, "JobConflictError")
        assert.strictEqual((yield* Effect.flip(Tasks.requeueDead(uid("unknown"))))._tag, "JobNotFoundError")
        const stored = yield* Tasks.getJob(dead)
        assert.strictEqual(stored.status, "pending")
        assert.strictEqual(stored.attempts, 0)
        assert.isUndefined(stored.error)
        assert.isTrue(Option.isNone(yield* Tasks.getResult(dead)), "the old failed result is deleted")
        assert.deepStrictEqual((yield* Tasks.deadLetters()).jobs, [])
        assert.strictEqual((yield* Tasks.stats()).queued.high, 2)
      }))

    it.effect("purgeDead deletes every dead-lettered job (data and result) and says how many", () =>
      Effect.gen(function*() {
        const { queue } = yield* fresh
        const ids: Array<string> = []
        for (let i = 0; i < 3; i++) {
          ids.push((yield* Tasks.submit("boom", { i }, { maxRetries: 1, priority: "high" })).id)
          yield* queue.fail(yield* takeJob(), "kaput", { durationMs: 1, now: Timestamp.fromMillis(Date.now()) })
        }
        const alive = (yield* Tasks.submit("email", {})).id
        assert.strictEqual((yield* Tasks.stats()).dead, 3)
        assert.strictEqual(yield* Tasks.purgeDead(), 3)
        assert.strictEqual((yield* Tasks.stats()).dead, 0)
        for (const id of ids) {
          assert.strictEqual((yield* Effect.flip(Tasks.getJob(id)))._tag, "JobNotFoundError")
          assert.isTrue(Option.isNone(yield* Tasks.getResult(id)))
        }
        assert.strictEqual((yield* Tasks.getJob(alive)).status, "pending")
        assert.strictEqual(yield* Tasks.purgeDead(), 0)
      }))
  })
}
