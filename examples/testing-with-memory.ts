/**
 * Testing your own code without Redis: application code written against
 * `TaskApi` runs unchanged on the in-memory backend, a fresh instance per
 * test, deterministic under `TestClock`. Only the provided layer changes.
 *
 * This file runs its checks as a program (`node examples/testing-with-memory.ts`);
 * in a test suite the same checks read, with @effect/vitest:
 *
 * ```ts
 * import { assert, it } from "@effect/vitest"
 * it.effect("signUp queues a welcome email", () =>
 *   Effect.gen(function*() {
 *     const { welcome } = yield* signUp("ada@example.com")
 *     const job = yield* (yield* TaskApi).getJob(welcome)
 *     assert.strictEqual(job.priority, "high")
 *   }).pipe(Effect.provide(TestBackend())))
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
import { Bananas, type ConnectionError, DirectTaskApi, Queue, TaskApi, Timestamp } from "../src/index.ts"
import { backendName, makeBackend, redisUrl } from "./backend.ts"

// --- application code: knows TaskApi, not Redis --------------------------------

class InvalidEmail extends Schema.TaggedError<InvalidEmail>()("InvalidEmail", { email: Schema.String }) {}

const signUp = Effect.fn("signUp")(function*(email: string) {
  if (!email.includes("@")) return yield* Effect.fail(new InvalidEmail({ email }))
  const api = yield* TaskApi
  const welcome = yield* api.submit("send_welcome_email", { email }, { priority: "high" })
  const nudge = yield* api.submitScheduled("send_nudge_email", { email }, Duration.days(3))
  return { welcome, nudge }
})

// --- tests ------------------------------------------------------------------

/**
 * A fresh, empty backend per test: `Bananas.layerMemory()` (TaskApi, Queue
 * and ResultBackend in memory); with REDIS_URL, Redis under a new prefix.
 */
const TestBackend = (): Layer.Layer<TaskApi | Queue, ConnectionError> =>
  redisUrl === undefined ? Bananas.layerMemory() : DirectTaskApi.layer.pipe(Layer.provideMerge(makeBackend()))

const check = <E>(name: string, body: Effect.Effect<void, E, TaskApi | Queue>) =>
  body.pipe(
    Effect.provide(Layer.merge(TestBackend(), TestClock.layer())),
    Effect.andThen(Console.log(`ok - ${name}`))
  )

const checks = [
  check("signUp queues a high-priority welcome email", Effect.gen(function*() {
    const api = yield* TaskApi
    const { welcome } = yield* signUp("ada@example.com")
    const job = yield* api.getJob(welcome)
    assert.equal(job.name, "send_welcome_email")
    assert.equal(job.priority, "high")
    assert.equal(job.payload, `{"email":"ada@example.com"}`)
    assert.deepEqual((yield* api.stats()).queued, { high: 1, normal: 0, low: 0 })
  })),

  check("signUp schedules a nudge three days later (TestClock: exact times)", Effect.gen(function*() {
    const api = yield* TaskApi
    const queue = yield* Queue
    const { nudge } = yield* signUp("ada@example.com")
    const job = yield* api.getJob(nudge)
    assert.equal(job.status, "scheduled")
    assert.equal(Timestamp.format(job.createdAt), "1970-01-01T00:00:00Z") // TestClock starts at 0
    assert.equal(Timestamp.format(job.scheduledFor!), "1970-01-04T00:00:00Z")
    // Not due yet; three days later it is (what a worker's scheduler does every second).
    const now = Effect.map(Clock.currentTimeMillis, Timestamp.fromMillis)
    assert.equal(yield* queue.promoteDue(yield* now), 0)
    yield* TestClock.adjust("3 days")
    assert.equal(yield* queue.promoteDue(yield* now), 1)
    assert.equal((yield* api.stats()).queued.normal, 1)
  })),

  check("signUp rejects a bad email and writes nothing", Effect.gen(function*() {
    const api = yield* TaskApi
    const error = yield* Effect.flip(signUp("not-an-email"))
    assert.equal(error._tag, "InvalidEmail")
    const stats = yield* api.stats()
    assert.deepEqual([stats.queued.high, stats.queued.normal, stats.queued.low, stats.scheduled], [0, 0, 0, 0])
  }))
]

Effect.gen(function*() {
  yield* Effect.all(checks, { discard: true })
  yield* Console.log(`${checks.length} checks passed (${backendName})`)
}).pipe(NodeRuntime.runMain)
