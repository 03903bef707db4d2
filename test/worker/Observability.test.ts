/**
 * What the worker tells operators: an execution span per job with its id,
 * name and attempt; logs annotated with them; the worker as a layer.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as References from "effect/References"
import * as Tracer from "effect/Tracer"
import { JobQueue } from "../../src/services/JobQueue.ts"
import * as Handlers from "../../src/worker/HandlerRegistry.ts"
import * as Worker from "../../src/worker/Worker.ts"
import { eventually, freshMetrics, memory, newJob, Raw, recordingTracer } from "./support/Backend.ts"

describe("Worker observability", () => {
  it.live("each execution is a span with the job's id, name and attempt; failures log with them", () => {
    const { spans, tracer } = recordingTracer()
    const logs: Array<{ readonly level: string; readonly message: unknown; readonly annotations: Readonly<Record<string, unknown>> }> = []
    const logger = Logger.make((options) => {
      logs.push({
        level: options.logLevel,
        message: options.message,
        annotations: options.fiber.getRef(References.CurrentLogAnnotations)
      })
    })
    return Effect.gen(function*() {
      const queue = yield* JobQueue
      const raw = yield* Raw
      const ok = yield* newJob("ok")
      const bad = yield* newJob("bad", { maxRetries: 1 })
      const crash = yield* newJob("crash", { maxRetries: 1 })
      yield* queue.enqueue(ok)
      yield* queue.enqueue(bad)
      yield* queue.enqueue(crash)
      yield* Effect.scoped(Effect.gen(function*() {
        yield* Worker.make({
          handlers: Handlers.empty.pipe(
            Handlers.addRaw("ok", () => Effect.void),
            Handlers.addRaw("bad", () => Effect.fail("boom")),
            Handlers.addRaw("crash", () => Effect.die(new Error("kaput")))
          )
        })
        yield* eventually("both finished", Effect.map(raw.lrange(raw.keys.processing), (l) => l.length === 0).pipe(
          Effect.andThen((empty) => Effect.map(raw.lrange(raw.keys.dead), (dead) => empty && dead.length === 2))
        ))
      }))
      const executions = spans.filter((s) => s.name === "bananas.worker.execute")
      assert.strictEqual(executions.length, 3)
      const okSpan = executions.find((s) => s.attributes.get("job.id") === ok.id)
      assert.isDefined(okSpan)
      assert.strictEqual(okSpan!.attributes.get("job.name"), "ok")
      assert.strictEqual(okSpan!.attributes.get("job.attempt"), 1)
      assert.strictEqual(okSpan!.kind, "consumer")
      assert.strictEqual(okSpan!.status._tag, "Ended")
      const dead = logs.find((l) => l.level === "Error" && String(l.message).includes("dead letter"))
      assert.isDefined(dead)
      assert.strictEqual(dead!.annotations.jobId, bad.id)
      assert.strictEqual(dead!.annotations.jobName, "bad")
      assert.strictEqual(dead!.annotations.attempt, 1)
      assert.include(String(dead!.message), "boom")
      // A defect's log line carries the job id, Go's PANIC line and the stack.
      const panicked = logs.find((l) => String(l.message).includes("PANIC: kaput"))
      assert.isDefined(panicked)
      assert.strictEqual(panicked!.annotations.jobId, crash.id)
      assert.match(String(panicked!.message), /PANIC: kaput\n\s+at .*Observability\.test\.ts/)
    }).pipe(
      Effect.provideService(Tracer.Tracer, tracer),
      Effect.provide(Logger.layer([logger])),
      freshMetrics,
      Effect.provide(memory)
    )
  })

  it.live("Worker.layer runs while the layer lives and drains when it is released", () =>
    Effect.gen(function*() {
      const queue = yield* JobQueue
      const raw = yield* Raw
      const job = yield* newJob("ok")
      yield* queue.enqueue(job)
      const handlers = Handlers.empty.pipe(Handlers.addRaw("ok", () => Effect.void))
      yield* Effect.scoped(Effect.gen(function*() {
        const context = yield* Layer.build(Worker.layer({ handlers, workerId: "layer-worker" }))
        const worker = Context.get(context, Worker.Worker)
        assert.strictEqual(worker.id, "layer-worker")
        yield* eventually("completed", Effect.map(raw.get(raw.keys.job(job.id)), (t) => t?.includes(`"status":"completed"`) === true))
      }))
      // released: a new job stays queued
      const later = yield* newJob("ok")
      yield* queue.enqueue(later)
      yield* Effect.sleep("100 millis")
      assert.deepStrictEqual(yield* raw.lrange(raw.keys.queue("normal")), [later.id])
    }).pipe(freshMetrics, Effect.provide(memory)))
})
