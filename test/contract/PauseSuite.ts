/**
 * The contract of pausing a queue (`QueueAdmin.pause`/`resume`/`paused`
 * and `TaskApi.pauseQueue`/`resumeQueue`/`pausedQueues`, docs/PROTOCOL.md
 * §1 `paused`): a take skips a paused queue in the same step, its jobs stay
 * queued, submissions still land, other priorities keep flowing, and a
 * resume wakes blocked workers; run against every implementation.
 */
import { assert, describe } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as JobPriority from "../../src/domain/JobPriority.ts"
import type { RawJson } from "../../src/domain/RawJson.ts"
import { deliveryIds, fresh, type It, lease, makeJob, pause } from "./Fixtures.ts"

/** Registers the pause contract tests in the current layer block. */
export const pauseTests = (it: It) => {
  describe("QueueAdmin: pausing a queue", () => {
    it.effect("a paused queue's jobs are not taken, submits still land, other priorities flow; resume makes them runnable in order", () =>
      Effect.gen(function*() {
        const { queue, api, raw, keys } = yield* fresh
        assert.deepStrictEqual(yield* api.pauseQueue({ priority: "normal" }), { priority: "normal" })
        const first = yield* api.submit({ name: "n1", payload: `{}` as RawJson })
        const second = yield* api.submit({ name: "n2", payload: `{}` as RawJson })
        const high = yield* api.submit({ name: "h", payload: `{}` as RawJson, priority: "high" })
        const low = yield* api.submit({ name: "l", payload: `{}` as RawJson, priority: "low" })
        const taken = yield* queue.dequeueMany({ priorities: JobPriority.all, block: Duration.zero, max: 10, lease: lease("w", 60_000) })
        assert.deepStrictEqual(deliveryIds(taken), [high.id, low.id], "strict priority skips the paused normal queue")
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("normal")), [second.id, first.id], "still queued, in order")
        const stats = yield* api.stats
        assert.deepStrictEqual(stats.queued, { high: 0, normal: 2, low: 0 })
        assert.deepStrictEqual(stats.paused, [{ priority: "normal" }])
        assert.deepStrictEqual(yield* api.pausedQueues, [{ priority: "normal" }])
        assert.deepStrictEqual(yield* raw.smembers(keys.paused), ["queue:normal"])

        assert.deepStrictEqual(yield* api.resumeQueue({ priority: "normal" }), { priority: "normal" })
        const after = yield* queue.dequeueMany({ priorities: JobPriority.all, block: Duration.zero, max: 10, lease: lease("w", 60_000) })
        assert.deepStrictEqual(deliveryIds(after), [first.id, second.id], "oldest first once resumed")
        assert.isUndefined((yield* api.stats).paused, "no paused field when nothing is paused")
        assert.deepStrictEqual(yield* api.pausedQueues, [])
        assert.deepStrictEqual(yield* raw.keys(keys.paused), [], "the set is gone with its last member")
      }))

    it.effect("a worker blocked on a paused queue takes nothing, and takes its job as soon as the queue is resumed", () =>
      Effect.gen(function*() {
        const { queue, api } = yield* fresh
        yield* api.pauseQueue({ priority: "low" })
        const job = makeJob({ priority: "low" })
        yield* queue.enqueue(job)
        // A block far beyond the test's timeout: only a wake-up (or a poll) at the resume ends this wait.
        const waiter = yield* Effect.forkChild(queue.dequeue({ priorities: ["low"], block: Duration.minutes(10) }))
        yield* pause(200)
        assert.isUndefined(waiter.pollUnsafe(), "nothing taken from the paused queue")
        yield* api.resumeQueue({ priority: "low" })
        const delivery = yield* Fiber.join(waiter)
        assert.isTrue(Option.isSome(delivery) && delivery.value._tag === "Job" && delivery.value.job.id === job.id, JSON.stringify(delivery))
      }))

    it.effect("a routed queue is paused on its own: the default queue of the same priority flows; `default` names the default queue", () =>
      Effect.gen(function*() {
        const { queue, api, raw, keys } = yield* fresh
        assert.deepStrictEqual(yield* api.pauseQueue({ priority: "high", routingKey: "gpu" }), { priority: "high", routingKey: "gpu" })
        const routed = makeJob({ priority: "high", routingKey: "gpu" })
        const plain = makeJob({ priority: "high" })
        yield* queue.enqueue(routed)
        yield* queue.enqueue(plain)
        const onRoute = yield* queue.dequeueMany({ priorities: JobPriority.all, routingKey: "gpu", block: Duration.zero, max: 5 })
        assert.deepStrictEqual(onRoute, [], "the gpu route's high queue is paused")
        const onDefault = yield* queue.dequeueMany({ priorities: JobPriority.all, block: Duration.zero, max: 5 })
        assert.deepStrictEqual(deliveryIds(onDefault), [plain.id])
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("high", "gpu")), [routed.id])
        assert.deepStrictEqual(yield* api.pauseQueue({ priority: "low", routingKey: "default" }), { priority: "low" })
        assert.deepStrictEqual(yield* api.pausedQueues, [{ priority: "low" }, { priority: "high", routingKey: "gpu" }], "in key order")
        yield* api.resumeQueue({ priority: "high", routingKey: "gpu" })
        const resumed = yield* queue.dequeueMany({ priorities: JobPriority.all, routingKey: "gpu", block: Duration.zero, max: 5 })
        assert.deepStrictEqual(deliveryIds(resumed), [routed.id])
      }))

    it.effect("pause and resume are idempotent; a bad priority or routing key is a ValidationError naming it, nothing written", () =>
      Effect.gen(function*() {
        const { api, raw, keys } = yield* fresh
        yield* api.pauseQueue({ priority: "high" })
        yield* api.pauseQueue({ priority: "high" })
        assert.deepStrictEqual(yield* raw.smembers(keys.paused), ["queue:high"])
        yield* api.resumeQueue({ priority: "normal" })
        assert.deepStrictEqual(yield* raw.smembers(keys.paused), ["queue:high"])
        const badPriority = yield* Effect.flip(api.pauseQueue({ priority: "urgent" as JobPriority.JobPriority }))
        assert.strictEqual(badPriority._tag, "ValidationError")
        if (badPriority._tag === "ValidationError") {
          assert.strictEqual(badPriority.field, "priority")
          assert.match(badPriority.message, /unknown priority "urgent"/)
        }
        const badRoute = yield* Effect.flip(api.resumeQueue({ priority: "high", routingKey: "no spaces" }))
        assert.strictEqual(badRoute._tag, "ValidationError")
        if (badRoute._tag === "ValidationError") {
          assert.strictEqual(badRoute.field, "routingKey")
          assert.match(badRoute.message, /routing key must match/)
        }
        assert.deepStrictEqual(yield* raw.smembers(keys.paused), ["queue:high"], "nothing written by a refused call")
      }))

    it.effect("a paused key of the wrong type fails the take, naming it, before anything moves", () =>
      Effect.gen(function*() {
        const { queue, raw, keys } = yield* fresh
        const job = makeJob()
        yield* queue.enqueue(job)
        yield* raw.set(keys.paused, "not a set")
        const error = yield* Effect.flip(queue.dequeueMany({ priorities: JobPriority.all, block: Duration.zero, max: 5, lease: lease("w", 60_000) }))
        assert.strictEqual(error._tag, "StorageError")
        assert.include(error.message, keys.paused)
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("normal")), [job.id])
        assert.deepStrictEqual(yield* raw.lrange(keys.processing), [])
      }))
  })
}
