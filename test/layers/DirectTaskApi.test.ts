/**
 * The RPC path (`Tasks.submitAndWait` / `Tasks.call` over the direct
 * TaskApi) and the retries of submissions, over stub services.
 *
 * The direct TaskApi only carries requests: `submitAndWait` subscribes (the
 * wait), submits inside the wait's `start` and waits; `start.run` reports
 * whether this call created the job now (then the first check is skipped).
 * Retrying is the `Tasks` helpers' job, with the policies of each call: a
 * retryable failure anywhere re-runs the whole operation, which is safe
 * because the id is fixed (`Tasks.request`) before the first attempt: a
 * retry can never create a second job.
 *
 * The stub queue follows the JobQueue contract for a new job: an id it
 * holds with the same JSON is a resend (reported `created`, nothing
 * written twice), with other JSON a `duplicate`.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/testing/TestClock"
import { ConnectionError } from "../../src/domain/Errors.ts"
import type { Job } from "../../src/domain/Job.ts"
import * as JobCodec from "../../src/domain/JobCodec.ts"
import * as JobDefinition from "../../src/domain/JobDefinition.ts"
import type { JobResult } from "../../src/domain/JobResult.ts"
import type { RawJson } from "../../src/domain/RawJson.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import * as DirectTaskApi from "../../src/layers/DirectTaskApi.ts"
import * as Policies from "../../src/layers/Policies.ts"
import { type EnqueueOutcome, JobQueue } from "../../src/services/JobQueue.ts"
import { QueueAdmin } from "../../src/services/QueueAdmin.ts"
import { ResultBackend, type WaitStart } from "../../src/services/ResultBackend.ts"
import * as Tasks from "../../src/Tasks.ts"

const down = new ConnectionError({ operation: "test", message: "down" })

/**
 * What the stub wait does on its n-th call (0-based): fail before running
 * `start` (the subscription failed), fail after it, or end with a completed
 * or a failed result.
 */
type Step = "fail-before-start" | "fail-after-start" | "succeed" | "failed"

const harness = (steps: ReadonlyArray<Step>, options: {
  /** The first n writes fail before anything is written. */
  readonly writeFailures?: number
  /** The next n writes are written, but their reply is lost (a ConnectionError). */
  readonly lostReplies?: number
} = {}) => {
  const log: Array<string> = []
  /** The id of each job the stub was asked to create, in order. */
  const ids: Array<string> = []
  /** The stored jobs: id -> JSON. */
  const stored = new Map<string, string>()
  /** The timeout of each wait, in ms. */
  const timeouts: Array<number> = []
  let waits = 0
  let writes = 0
  const writeFailures = options.writeFailures ?? 0
  const lostReplies = options.lostReplies ?? 0

  /** One job written as the contract says; the label says what happened. */
  const create = (job: Job): { readonly outcome: EnqueueOutcome; readonly label: string } => {
    ids.push(job.id)
    const json = JobCodec.encode(job)
    const existing = stored.get(job.id)
    if (existing === undefined) {
      stored.set(job.id, json)
      return { outcome: "created", label: "created" }
    }
    return existing === json ? { outcome: "created", label: "resent" } : { outcome: "duplicate", label: "duplicate" }
  }

  /** A write: fails before writing, or writes and loses the reply, or answers. */
  const write = <A>(what: string, body: () => { readonly value: A; readonly label: string }) =>
    Effect.suspend(() => {
      writes++
      if (writes <= writeFailures) {
        log.push(`${what} down`)
        return Effect.fail(down)
      }
      const { value, label } = body()
      if (writes <= writeFailures + lostReplies) {
        log.push(`${what} ${label}, reply lost`)
        return Effect.fail(down)
      }
      log.push(`${what} ${label}`)
      return Effect.succeed(value)
    })

  const queue = {
    enqueue: (job: Job) => write(`enqueue ${job.name}`, () => {
      const { outcome, label } = create(job)
      return { value: outcome, label }
    }),
    enqueueBatch: (jobs: ReadonlyArray<Job>) => write(`enqueueBatch ${jobs.length}`, () => {
      const done = jobs.map(create)
      return { value: done.map((d) => d.outcome), label: done.map((d) => d.label).join(",") }
    })
  } as unknown as JobQueue["Service"]

  const result = (jobId: string, step: Step): JobResult =>
    step === "failed"
      ? { jobId, status: "failed", error: "card declined", completedAt: Timestamp.zero, durationMs: 1 }
      : { jobId, status: "completed", result: `{"ok":true}` as RawJson, completedAt: Timestamp.zero, durationMs: 1 }

  const results = {
    wait: <E>(id: string, timeout: Duration.Duration, start?: WaitStart<E>) =>
      Effect.suspend(() => {
        const step = steps[waits++] ?? "succeed"
        timeouts.push(Duration.toMillis(timeout))
        log.push(`wait${start === undefined ? "" : " start"} ${step}`)
        if (step === "fail-before-start") return Effect.fail(down)
        const run = start === undefined
          ? Effect.void
          : Effect.map(start.run, (createdNow) => {
            log.push(`run -> ${createdNow}`)
          })
        return Effect.andThen(run, step === "fail-after-start" ? Effect.fail(down) : Effect.succeed(result(id, step)))
      })
  } as unknown as ResultBackend["Service"]

  const layer = DirectTaskApi.layer.pipe(
    Layer.provide(Layer.succeed(JobQueue, queue)),
    Layer.provide(Layer.succeed(QueueAdmin, {} as QueueAdmin["Service"])),
    Layer.provide(Layer.succeed(ResultBackend, results))
  )
  return { log, ids, stored, timeouts, layer }
}

const retry = { retry: Schedule.recurs(3) }

const Charge = JobDefinition.make({
  name: "charge",
  payload: Schema.Struct({ cents: Schema.Int }),
  result: Schema.Struct({ ok: Schema.Boolean })
})

describe("Tasks.submitAndWait over the direct TaskApi", () => {
  it.effect("subscribes, then submits inside the wait (one submission); the first check is skipped only when this call created the job", () =>
    Effect.gen(function*() {
      const h = harness([])
      const [a, b, c] = yield* Effect.all([
        Tasks.submitAndWait("a", {}, retry),
        Tasks.submitAndWait("b", {}, { ...retry, id: "mine" }),
        Tasks.submitAndWait("c", {}, { ...retry, id: "mine" }) // the id exists: nothing created, checked at once
      ]).pipe(Effect.provide(h.layer))
      assert.deepStrictEqual(h.log, [
        "wait start succeed", "enqueue a created", "run -> true",
        "wait start succeed", "enqueue b created", "run -> true",
        "wait start succeed", "enqueue c duplicate", "run -> false"
      ])
      assert.match(a.jobId, /^[0-9a-f-]{36}$/)
      assert.strictEqual(a.jobId, h.ids[0])
      assert.deepStrictEqual([b.jobId, c.jobId], ["mine", "mine"])
      assert.strictEqual(a.result, `{"ok":true}`)
    }))

  it.effect("a unique submission of an existing id fails with JobConflictError inside the wait, and is not retried", () =>
    Effect.gen(function*() {
      const h = harness([])
      const error = yield* Effect.gen(function*() {
        yield* Tasks.submitAndWait("a", {}, { ...retry, id: "mine" })
        return yield* Effect.flip(Tasks.submitAndWait("b", {}, { ...retry, id: "mine", unique: true }))
      }).pipe(Effect.provide(h.layer))
      assert.strictEqual(error._tag, "JobConflictError")
      assert.deepStrictEqual(h.log, [
        "wait start succeed", "enqueue a created", "run -> true",
        "wait start succeed", "enqueue b duplicate"
      ])
    }))

  it.effect("the id is fixed before the first attempt: a retried RPC re-runs as a whole with the same id and creates the job once", () =>
    Effect.gen(function*() {
      const h = harness(["fail-after-start", "fail-after-start", "succeed"])
      const result = yield* Tasks.submitAndWait("a", {}, retry).pipe(Effect.provide(h.layer))
      // the clock did not move: each retry resends the same job JSON, which writes nothing
      assert.deepStrictEqual(h.log, [
        "wait start fail-after-start", "enqueue a created", "run -> true",
        "wait start fail-after-start", "enqueue a resent", "run -> true",
        "wait start succeed", "enqueue a resent", "run -> true"
      ])
      assert.strictEqual(h.ids.length, 3)
      assert.strictEqual(new Set(h.ids).size, 1, "one id for every attempt")
      assert.strictEqual(h.stored.size, 1, "one job")
      assert.strictEqual(result.jobId, h.ids[0])
    }))

  it.effect("a retry once the clock moved still writes the same job (created_at fixed with the id): a resend, not a duplicate", () =>
    Effect.gen(function*() {
      const h = harness(["fail-after-start", "succeed"])
      const fiber = yield* Tasks.submitAndWait("a", {}, { retry: Schedule.spaced("1 second").pipe(Schedule.upTo({ times: 3 })) }).pipe(
        Effect.provide(h.layer),
        Effect.forkChild
      )
      yield* TestClock.adjust("1 second")
      const result = yield* Fiber.join(fiber)
      assert.deepStrictEqual(h.log, [
        "wait start fail-after-start", "enqueue a created", "run -> true",
        "wait start succeed", "enqueue a resent", "run -> true"
      ])
      assert.strictEqual(new Set(h.ids).size, 1)
      assert.strictEqual(h.stored.size, 1)
      assert.include(h.stored.get(h.ids[0]!)!, `"created_at":"1970-01-01T00:00:00Z"`, "the first attempt's time, though the retry ran at 1 s")
      assert.strictEqual(result.jobId, h.ids[0])
    }))

  it.effect("a failed subscription (nothing submitted) re-runs the whole RPC", () =>
    Effect.gen(function*() {
      const h = harness(["fail-before-start", "succeed"])
      yield* Tasks.submitAndWait("a", {}, retry).pipe(Effect.provide(h.layer))
      assert.deepStrictEqual(h.log, ["wait start fail-before-start", "wait start succeed", "enqueue a created", "run -> true"])
    }))

  it.effect("a failed submission inside the wait is retried as a whole with the same id; a reply lost after the write creates nothing twice", () =>
    Effect.gen(function*() {
      const h = harness([], { writeFailures: 1, lostReplies: 1 })
      const result = yield* Tasks.submitAndWait("a", {}, retry).pipe(Effect.provide(h.layer))
      assert.deepStrictEqual(h.log, [
        "wait start succeed", "enqueue a down",
        "wait start succeed", "enqueue a created, reply lost",
        "wait start succeed", "enqueue a resent", "run -> true"
      ])
      assert.deepStrictEqual(h.ids, [h.ids[0], h.ids[0]], "asked to create twice (the first write failed before writing), with one id")
      assert.strictEqual(h.stored.size, 1)
      assert.strictEqual(result.jobId, h.ids[0])
    }))

  it.effect("retries are bounded by the call's schedule (the first failure counts): 1 run + `times` retries", () =>
    Effect.gen(function*() {
      const h = harness(["fail-after-start", "fail-after-start", "fail-after-start", "fail-after-start", "fail-after-start"])
      const error = yield* Tasks.submitAndWait("a", {}, { retry: Schedule.recurs(2) }).pipe(Effect.flip, Effect.provide(h.layer))
      assert.strictEqual(error._tag, "ConnectionError")
      assert.deepStrictEqual(h.log, [
        "wait start fail-after-start", "enqueue a created", "run -> true",
        "wait start fail-after-start", "enqueue a resent", "run -> true",
        "wait start fail-after-start", "enqueue a resent", "run -> true"
      ])
      const failing = harness([], { writeFailures: 10 })
      const writeError = yield* Tasks.submitAndWait("a", {}, { retry: Schedule.recurs(2) }).pipe(Effect.flip, Effect.provide(failing.layer))
      assert.strictEqual(writeError._tag, "ConnectionError")
      assert.deepStrictEqual(failing.log, [
        "wait start succeed", "enqueue a down",
        "wait start succeed", "enqueue a down",
        "wait start succeed", "enqueue a down"
      ])
      assert.strictEqual(failing.stored.size, 0)
    }))

  it.effect("policies apply per call: the call's retry schedule, else the layer's RetryPolicy", () =>
    Effect.gen(function*() {
      const failing: ReadonlyArray<Step> = Array.from({ length: 10 }, () => "fail-after-start")
      const byLayer = harness(failing)
      yield* Tasks.submitAndWait("a", {}).pipe(Effect.flip, Effect.provide(byLayer.layer), Effect.provide(Policies.layerRetry(Schedule.recurs(1))))
      assert.strictEqual(byLayer.log.filter((l) => l.startsWith("wait")).length, 2, "the layer's: 1 retry")
      const byCall = harness(failing)
      yield* Tasks.submitAndWait("a", {}, { retry: Schedule.recurs(3) }).pipe(
        Effect.flip,
        Effect.provide(byCall.layer),
        Effect.provide(Policies.layerRetry(Schedule.recurs(1)))
      )
      assert.strictEqual(byCall.log.filter((l) => l.startsWith("wait")).length, 4, "the call's: 3 retries")
      assert.strictEqual(new Set(byCall.ids).size, 1)
    }))

  it.effect("non-retryable failures end the call at once: a failed job (JobFailedError), invalid input (nothing sent)", () =>
    Effect.gen(function*() {
      const h = harness(["failed"])
      const failed = yield* Tasks.submitAndWait("charge", { cents: 1 }, retry).pipe(Effect.flip, Effect.provide(h.layer))
      assert.strictEqual(failed._tag, "JobFailedError")
      if (failed._tag === "JobFailedError") {
        assert.strictEqual(failed.error, "card declined")
        assert.strictEqual(failed.jobId, h.ids[0])
      }
      assert.deepStrictEqual(h.log, ["wait start failed", "enqueue charge created", "run -> true"])
      const invalid = harness([])
      const error = yield* Tasks.submitAndWait("", {}, retry).pipe(Effect.flip, Effect.provide(invalid.layer))
      assert.strictEqual(error._tag, "ValidationError")
      assert.deepStrictEqual(invalid.log, [], "validated before the wait: nothing subscribed, nothing sent")
    }))

  it.effect("the wait gets the call's timeout, else the TimeoutPolicy's `wait` (30 s by default)", () =>
    Effect.gen(function*() {
      const h = harness([])
      yield* Effect.gen(function*() {
        yield* Tasks.submitAndWait("a", {}, { timeout: "2 seconds" })
        yield* Tasks.submitAndWait("a", {})
        yield* Tasks.submitAndWait("a", {}).pipe(Effect.provide(Policies.layerTimeouts({ wait: "5 seconds" })))
        yield* Tasks.waitForResult("some-id", { timeout: "7 seconds" })
        yield* Tasks.waitForResult("some-id")
      }).pipe(Effect.provide(h.layer))
      assert.deepStrictEqual(h.timeouts, [2_000, 30_000, 5_000, 7_000, 30_000])
    }))

  it.effect("Tasks.call: typed payload and result over the same RPC, retried as a whole with one id", () =>
    Effect.gen(function*() {
      const h = harness(["fail-after-start", "succeed"])
      const result = yield* Tasks.call(Charge, { cents: 999 }, retry).pipe(Effect.provide(h.layer))
      assert.deepStrictEqual(result, { ok: true })
      assert.deepStrictEqual(h.log, [
        "wait start fail-after-start", "enqueue charge created", "run -> true",
        "wait start succeed", "enqueue charge resent", "run -> true"
      ])
      assert.strictEqual(new Set(h.ids).size, 1)
      assert.include(h.stored.get(h.ids[0]!)!, `"payload":{"cents":999}`)
    }))
})

describe("Tasks submissions over the direct TaskApi", () => {
  it.effect("a retried submit keeps its id: a reply lost after the write is retried and the job exists once", () =>
    Effect.gen(function*() {
      const h = harness([], { lostReplies: 1 })
      const submitted = yield* Tasks.submit("a", {}, retry).pipe(Effect.provide(h.layer))
      assert.deepStrictEqual(h.log, ["enqueue a created, reply lost", "enqueue a resent"])
      assert.deepStrictEqual(submitted, { id: h.ids[0]!, duplicate: false })
      assert.deepStrictEqual(h.ids, [h.ids[0], h.ids[0]])
      assert.strictEqual(h.stored.size, 1)
    }))

  it.effect("a retry once the clock moved is recognized as the same job (a resend: created, not a duplicate), written once", () =>
    Effect.gen(function*() {
      const h = harness([], { lostReplies: 1 })
      const fiber = yield* Tasks.submit("a", {}, { retry: Schedule.spaced("1 second").pipe(Schedule.upTo({ times: 3 })) }).pipe(
        Effect.provide(h.layer),
        Effect.forkChild
      )
      yield* TestClock.adjust("1 second")
      const submitted = yield* Fiber.join(fiber)
      assert.deepStrictEqual(h.log, ["enqueue a created, reply lost", "enqueue a resent"])
      assert.deepStrictEqual(submitted, { id: h.ids[0]!, duplicate: false })
      assert.strictEqual(h.stored.size, 1)
      assert.include(h.stored.get(h.ids[0]!)!, `"created_at":"1970-01-01T00:00:00Z"`)
    }))

  it.effect("a retried batch keeps every id: nothing created twice", () =>
    Effect.gen(function*() {
      const h = harness([], { writeFailures: 1, lostReplies: 1 })
      const submitted = yield* Tasks.submitBatch([
        { name: "a", payload: 1 },
        { name: "b", payload: 2, options: { id: "b-1" } },
        { name: "c", payload: 3 }
      ], retry).pipe(Effect.provide(h.layer))
      assert.deepStrictEqual(h.log, ["enqueueBatch 3 down", "enqueueBatch 3 created,created,created, reply lost", "enqueueBatch 3 resent,resent,resent"])
      assert.deepStrictEqual(submitted.map((s) => s.duplicate), [false, false, false])
      assert.deepStrictEqual(submitted.map((s) => s.id), h.ids.slice(0, 3))
      assert.deepStrictEqual(h.ids.slice(3), h.ids.slice(0, 3), "the retry sent the same ids")
      assert.strictEqual(submitted[1]!.id, "b-1")
      assert.strictEqual(h.stored.size, 3)
    }))

  it.effect("a submission is bounded by the call's operation deadline (retries included), else the layer's", () =>
    Effect.gen(function*() {
      const h = harness([], { writeFailures: 100 })
      const fiber = yield* Tasks.submit("a", {}, { retry: Schedule.spaced("1 second"), operationTimeout: "3 seconds" }).pipe(
        Effect.flip,
        Effect.provide(h.layer),
        Effect.forkChild
      )
      yield* TestClock.adjust("3 seconds")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "TimeoutError")
      if (error._tag === "TimeoutError") {
        assert.strictEqual(error.operation, "submit")
        assert.strictEqual(error.timeoutMillis, 3_000)
      }
      assert.strictEqual(h.log.length, 3, "tried at 0, 1 and 2 s")
      const byLayer = harness([], { writeFailures: 100 })
      const layerFiber = yield* Tasks.submit("a", {}, { retry: Schedule.spaced("1 second") }).pipe(
        Effect.flip,
        Effect.provide(byLayer.layer),
        Effect.provide(Policies.layerTimeouts({ operation: "2 seconds" })),
        Effect.forkChild
      )
      yield* TestClock.adjust("2 seconds")
      const layerError = yield* Fiber.join(layerFiber)
      assert.strictEqual(layerError._tag === "TimeoutError" ? layerError.timeoutMillis : -1, 2_000)
    }))
})
