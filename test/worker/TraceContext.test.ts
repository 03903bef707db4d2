/**
 * The producer's trace context travels with the job: with a tracer that
 * exports installed, a submission writes its span's W3C traceparent in
 * `trace_context` (after Go's fields), and the worker's execution span is
 * a child of the submit span, in the same trace. Without one (Effect's
 * built-in tracer), or with propagation disabled, the job JSON is Go's,
 * byte for byte. Reading never fails a job for the field (Go ignores it).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Tracer from "effect/Tracer"
import * as Layer from "effect/Layer"
import type { ValidationError } from "../../src/domain/Errors.ts"
import * as JobCodec from "../../src/domain/JobCodec.ts"
import type { RawJson } from "../../src/domain/RawJson.ts"
import * as TraceContext from "../../src/domain/TraceContext.ts"
import * as DirectTaskApi from "../../src/layers/DirectTaskApi.ts"
import { TaskApi } from "../../src/services/TaskApi.ts"
import * as Tasks from "../../src/Tasks.ts"
import * as Handlers from "../../src/worker/HandlerRegistry.ts"
import * as Worker from "../../src/worker/Worker.ts"
import { eventually, freshMetrics, memory, Raw, recordingTracer } from "./support/Backend.ts"

const backend = DirectTaskApi.layer.pipe(Layer.provideMerge(memory))
const stored = (id: string) => Effect.flatMap(Raw, (raw) => Effect.map(raw.get(raw.keys.job(id)), (t) => t ?? ""))

describe("trace context", () => {
  it.live("carried with the job: the worker's execution span is a child of the submit span", () => {
    const { spans, tracer } = recordingTracer()
    return Effect.gen(function*() {
      const raw = yield* Raw
      const { id } = yield* Tasks.submit("traced", { n: 1 })
      const submit = spans.find((s) => s.name === "Tasks.submit")!
      const json = yield* stored(id)
      assert.isTrue(json.endsWith(`"max_retries":3,"trace_context":"00-${submit.traceId}-${submit.spanId}-01"}`), json)
      yield* Effect.scoped(Effect.gen(function*() {
        yield* Worker.make({ handlers: Handlers.empty.pipe(Handlers.addRaw("traced", () => Effect.void)) })
        yield* eventually("completed", Effect.map(raw.get(raw.keys.job(id)), (t) => t?.includes(`"status":"completed"`) === true))
      }))
      const execute = spans.find((s) => s.name === "bananas.worker.execute" && s.attributes.get("job.id") === id)!
      assert.isDefined(execute)
      assert.strictEqual(execute.traceId, submit.traceId, "the same trace")
      const parent = Option.getOrThrow(execute.parent)
      assert.strictEqual(parent.spanId, submit.spanId, "a child of the submit span")
      // Our own rewrite (complete) keeps it.
      assert.include(yield* stored(id), `"trace_context":"00-${submit.traceId}-${submit.spanId}-01"`)
    }).pipe(Effect.provideService(Tracer.Tracer, tracer), freshMetrics, Effect.provide(backend))
  })

  it.effect("absent without an exporting tracer, with propagation disabled, or for an unsampled span: Go's bytes", () =>
    Effect.gen(function*() {
      const plain = yield* Tasks.submit("x", {})
      assert.notInclude(yield* stored(plain.id), "trace_context")
      const { tracer } = recordingTracer()
      const disabled = yield* Tasks.submit("x", {}).pipe(
        Effect.provideService(Tracer.DisablePropagation, true),
        Effect.provideService(Tracer.Tracer, tracer)
      )
      assert.notInclude(yield* stored(disabled.id), "trace_context")
      const unsampled = yield* Tasks.submit("x", {}).pipe(
        Effect.withSpan("unsampled", { sampled: false }),
        Effect.provideService(Tracer.Tracer, tracer)
      )
      assert.notInclude(yield* stored(unsampled.id), "trace_context")
    }).pipe(Effect.provide(backend)))

  it("the codec: written after Go's fields, kept when valid, ignored (never failing the job) otherwise", () => {
    const go = `{"id":"J","name":"x","payload":{},"status":"pending","priority":"high","created_at":"2025-01-15T10:30:00Z","updated_at":"2025-01-15T10:30:00Z","attempts":0,"max_retries":3,"routing_key":"gpu"}`
    const tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    const withTrace = go.replace(/}$/, `,"trace_context":"${tp}"}`)
    const job = Result.getOrThrow(JobCodec.decode(withTrace))
    assert.strictEqual(job.traceContext, tp)
    assert.strictEqual(JobCodec.encode(job), withTrace, "after routing_key, the last of Go's fields")
    assert.strictEqual(JobCodec.encode(Result.getOrThrow(JobCodec.decode(go))), go, "absent when there is none")
    for (const bad of [`"nope"`, "42", "null", `"00-00000000000000000000000000000000-b7ad6b7169203331-01"`]) {
      const decoded = JobCodec.decode(go.replace(/}$/, `,"trace_context":${bad}}`))
      assert.isTrue(Result.isSuccess(decoded), bad)
      assert.isUndefined(Result.getOrThrow(decoded).traceContext, bad)
    }
    assert.deepStrictEqual(Option.map(TraceContext.parse(tp), (s) => [s.traceId, s.spanId, s.sampled]), Option.some(["0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", true]))
    assert.isTrue(Option.isNone(TraceContext.parse("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")))
  })

  it.effect("a submission's traceContext must be a traceparent (ValidationError naming it, nothing written)", () =>
    Effect.gen(function*() {
      const api = yield* TaskApi
      const error = yield* Effect.flip(api.submit({ name: "x", payload: "{}" as RawJson, id: "bad-trace", traceContext: "00-abc" }))
      assert.strictEqual((error as ValidationError).field, "traceContext")
      assert.include(error.message, "traceContext must be a W3C traceparent")
      assert.strictEqual(yield* stored("bad-trace"), "")
    }).pipe(Effect.provide(backend)))
})
