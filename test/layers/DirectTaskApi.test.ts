/**
 * The RPC path of the direct TaskApi (`submitAndWait` / `call`) over stub
 * services: the job is submitted through the wait's `start` (subscribed
 * first), `fresh` only for generated ids, and retryable failures are
 * retried by phase: a failed subscription re-runs the whole, a failed wait
 * after the submission re-waits without resubmitting, a failed submission
 * (already retried by `Policies.apply`) ends the call.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import { ConnectionError } from "../../src/domain/Errors.ts"
import type { Job } from "../../src/domain/Job.ts"
import type { JobResult } from "../../src/domain/JobResult.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import * as DirectTaskApi from "../../src/layers/DirectTaskApi.ts"
import { Queue } from "../../src/services/Queue.ts"
import { ResultBackend, type WaitStart } from "../../src/services/ResultBackend.ts"
import { TaskApi } from "../../src/services/TaskApi.ts"

const down = new ConnectionError({ operation: "test", message: "down" })

/** What the stub wait does on its n-th call (0-based). */
type Step = "fail-before-start" | "fail-after-start" | "succeed"

const harness = (steps: ReadonlyArray<Step>, enqueueFailures = 0) => {
  const log: Array<string> = []
  let waits = 0
  let enqueues = 0
  const completed = (jobId: string): JobResult => ({ jobId, status: "completed", completedAt: Timestamp.zero, durationMs: 1 })
  const queue = {
    enqueue: (job: Job) =>
      Effect.suspend(() => {
        enqueues++
        log.push(`enqueue ${job.name}`)
        return enqueues <= enqueueFailures ? Effect.fail(down) : Effect.void
      })
  } as unknown as Queue["Service"]
  const results = {
    wait: <E>(id: string, _timeout: unknown, start?: WaitStart<E>) =>
      Effect.suspend(() => {
        const step = steps[waits++] ?? "succeed"
        log.push(`wait${start === undefined ? "" : start.fresh === true ? " start fresh" : " start"} ${step}`)
        if (step === "fail-before-start") return Effect.fail(down)
        const run = start === undefined ? Effect.void : start.run
        return Effect.andThen(run, step === "fail-after-start" ? Effect.fail(down) : Effect.succeed(completed(id)))
      })
  } as unknown as ResultBackend["Service"]
  const layer = DirectTaskApi.layer.pipe(
    Layer.provide(Layer.succeed(Queue, queue)),
    Layer.provide(Layer.succeed(ResultBackend, results))
  )
  return { log, layer }
}

const retry = { retry: Schedule.recurs(3) }

describe("DirectTaskApi RPC", () => {
  it.effect("subscribes, then submits inside the wait: one enqueue, fresh for a generated id, not for a caller's id", () =>
    Effect.gen(function*() {
      const h = harness([])
      yield* Effect.gen(function*() {
        const api = yield* TaskApi
        yield* api.submitAndWait("a", {}, retry)
        yield* api.submitAndWait("b", {}, { ...retry, id: "mine" })
      }).pipe(Effect.provide(h.layer))
      assert.deepStrictEqual(h.log, ["wait start fresh succeed", "enqueue a", "wait start succeed", "enqueue b"])
    }))

  it.effect("a failed subscription (nothing submitted) re-runs the whole RPC", () =>
    Effect.gen(function*() {
      const h = harness(["fail-before-start", "succeed"])
      yield* Effect.flatMap(TaskApi, (api) => api.submitAndWait("a", {}, retry)).pipe(Effect.provide(h.layer))
      assert.deepStrictEqual(h.log, ["wait start fresh fail-before-start", "wait start fresh succeed", "enqueue a"])
    }))

  it.effect("a failed wait after the submission re-waits without submitting again", () =>
    Effect.gen(function*() {
      const h = harness(["fail-after-start", "fail-after-start", "succeed"])
      yield* Effect.flatMap(TaskApi, (api) => api.submitAndWait("a", {}, retry)).pipe(Effect.provide(h.layer))
      assert.deepStrictEqual(h.log, ["wait start fresh fail-after-start", "enqueue a", "wait fail-after-start", "wait succeed"])
    }))

  it.effect("retries of the wait are bounded by the schedule (the first failure counts)", () =>
    Effect.gen(function*() {
      const h = harness(["fail-after-start", "fail-after-start", "fail-after-start", "fail-after-start", "fail-after-start"])
      const error = yield* Effect.flatMap(TaskApi, (api) => api.submitAndWait("a", {}, { retry: Schedule.recurs(2) })).pipe(
        Effect.flip,
        Effect.provide(h.layer)
      )
      assert.strictEqual(error._tag, "ConnectionError")
      assert.deepStrictEqual(h.log, ["wait start fresh fail-after-start", "enqueue a", "wait fail-after-start", "wait fail-after-start"])
    }))

  it.effect("a failed submission is retried by Policies.apply only, then ends the call", () =>
    Effect.gen(function*() {
      const h = harness([], 10)
      const error = yield* Effect.flatMap(TaskApi, (api) => api.submitAndWait("a", {}, { retry: Schedule.recurs(2) })).pipe(
        Effect.flip,
        Effect.provide(h.layer)
      )
      assert.strictEqual(error._tag, "ConnectionError")
      assert.deepStrictEqual(h.log, ["wait start fresh succeed", "enqueue a", "enqueue a", "enqueue a"])
    }))
})
