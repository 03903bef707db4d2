/**
 * Testing your own code without Redis: application code written with the
 * `Tasks` functions (over `TaskApi`) runs unchanged on the in-memory
 * backend, `Bananas.layerMemory()`, a fresh instance per test,
 * deterministic under `TestClock`. Only the provided layer changes.
 *
 * This file runs its checks as a program (`node examples/testing-with-memory.ts`);
 * in a test suite the same checks read, with @effect/vitest:
 *
 * ```ts
 * import { assert, it } from "@effect/vitest"
 * it.effect("signUp queues a welcome email", () =>
 *   Effect.gen(function*() {
 *     const { welcome } = yield* signUp("ada@example.com")
 *     const job = yield* Tasks.getJob(welcome.id)
 *     assert.strictEqual(job.priority, "high")
 *   }).pipe(Effect.provide(Bananas.layerMemory())))
 * ```
 *
 * (`it.effect` provides `TestClock` itself.) With `REDIS_URL` set, the same
 * checks run on Redis, each under a fresh throwaway prefix.
 */
import { NodeRuntime } from "@effect/platform-node"
import * as assert from "node:assert/strict"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/testing/TestClock"
import { Bananas, QueueAdmin, Tasks, Timestamp } from "../src/index.ts"
import { JobQueue } from "../src/protocol.ts"
import { backendName, makeBackend, redisUrl, type Services } from "./backend.ts"

// --- application code: knows the Tasks functions, not Redis ------------------

class InvalidEmail extends Schema.TaggedError<InvalidEmail>()("InvalidEmail", { email: Schema.String }) {}

const signUp = Effect.fn("signUp")(function*(email: string) {
  if (!email.includes("@")) return yield* Effect.fail(new InvalidEmail({ email }))
  const welcome = yield* Tasks.submit("send_welcome_email", { email }, { priority: "high" })
  const nudge = yield* Tasks.submitScheduled("send_nudge_email", { email }, Duration.days(3))
  return { welcome, nudge }
})

// --- tests ------------------------------------------------------------------

/**
 * A fresh, empty backend per test: `Bananas.layerMemory()` (TaskApi,
 * JobQueue, QueueAdmin and ResultBackend in memory); with REDIS_URL, Redis
 * under a new prefix.
 */
const TestBackend = (): Layer.Layer<Services, Bananas.RedisLayerError> =>
  redisUrl === undefined ? Bananas.layerMemory() : makeBackend()

const check = <E>(name: string, body: Effect.Effect<void, E, Services>) =>
  body.pipe(
    Effect.provide(Layer.merge(TestBackend(), TestClock.layer())),
    Effect.andThen(Console.log(`ok - ${name}`))
  )

const checks = [
  check("signUp queues a high-priority welcome email", Effect.gen(function*() {
    const { welcome } = yield* signUp("ada@example.com")
    const job = yield* Tasks.getJob(welcome.id)
    assert.equal(job.name, "send_welcome_email")
    assert.equal(job.priority, "high")
    assert.equal(job.payload, `{"email":"ada@example.com"}`)
    assert.deepEqual((yield* Tasks.stats()).queued, { high: 1, normal: 0, low: 0 })
  })),

  check("signUp schedules a nudge three days later (TestClock: exact times)", Effect.gen(function*() {
    const queue = yield* JobQueue
    const { nudge } = yield* signUp("ada@example.com")
    const job = yield* Tasks.getJob(nudge.id)
    assert.equal(job.status, "scheduled")
    assert.equal(Timestamp.format(job.createdAt), "1970-01-01T00:00:00Z") // TestClock starts at 0
    assert.equal(Timestamp.format(job.scheduledFor!), "1970-01-04T00:00:00Z")
    // Not due yet; three days later it is (what a worker's scheduler does every second).
    const now = Effect.map(Clock.currentTimeMillis, Timestamp.fromMillis)
    assert.equal((yield* queue.promoteDue(yield* now)).promoted, 0)
    yield* TestClock.adjust("3 days")
    assert.deepEqual(yield* queue.promoteDue(yield* now), { promoted: 1, skipped: [] })
    assert.equal((yield* Tasks.stats()).queued.normal, 1)
  })),

  check("signUp rejects a bad email and writes nothing", Effect.gen(function*() {
    const error = yield* Effect.flip(signUp("not-an-email"))
    assert.equal(error._tag, "InvalidEmail")
    const stats = yield* (yield* QueueAdmin).stats
    assert.deepEqual([stats.queued.high, stats.queued.normal, stats.queued.low, stats.scheduled], [0, 0, 0, 0])
  }))
]

Effect.gen(function*() {
  yield* Effect.all(checks, { discard: true })
  yield* Console.log(`${checks.length} checks passed (${backendName})`)
}).pipe(NodeRuntime.runMain)
