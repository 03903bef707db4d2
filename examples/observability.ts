/**
 * Observability: traces, metrics and logs of producers and workers, sent
 * to an OpenTelemetry collector with `effect/observability` (OTLP over
 * HTTP, JSON). Nothing in the SDK is specific to OTLP: it creates spans
 * (`Tasks.submit`, `bananas.worker.execute`, ...), updates `Metric`s
 * (`Metrics.*`, among them the job-duration histogram) and logs with the
 * job id; the layer below exports them.
 *
 * The submitting span's trace context travels with the job (a W3C
 * traceparent in the job JSON's `trace_context`), so each job's execution
 * span is a child of the span that submitted it, even when producer and
 * worker are different processes.
 *
 *   OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 node examples/observability.ts
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Otlp from "effect/observability/Otlp"
import { JobDefinition, Tasks } from "../src/index.ts"
import { Failure, Handlers, Worker } from "../src/worker/index.ts"
import { backendName, makeBackend } from "./backend.ts"

const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? "http://localhost:4318"

// Telemetry: logs, metrics and traces to one collector, flushed when the layer is released.
const telemetry = Otlp.layerJson({
  baseUrl: endpoint,
  resource: { serviceName: "bananas-example", serviceVersion: "0.2.0" },
  tracerExportInterval: "500 millis",
  metricsExportInterval: "500 millis",
  loggerExportInterval: "500 millis"
}).pipe(Layer.provide(FetchHttpClient.layer))

const Charge = JobDefinition.make({
  name: "charge_card",
  payload: Schema.Struct({ cents: Schema.Int }),
  result: Schema.Struct({ receipt: Schema.String })
})

const handlers = Handlers.empty.pipe(
  Handlers.add(Charge, ({ cents }) =>
    cents > 10_000
      ? Effect.fail(new Failure.JobError({ message: "card declined" }))
      : Effect.succeed({ receipt: `r-${cents}` }).pipe(Effect.delay("20 millis")))
)

const program = Effect.gen(function*() {
  const { receipt } = yield* Tasks.call(Charge, { cents: 1_250 })
  yield* Console.log(`charged: ${receipt}`)
  const declined = yield* Effect.flip(Tasks.call(Charge, { cents: 99_999 }, { maxAttempts: 1 }))
  yield* Console.log(`declined: ${declined._tag}`)
  yield* Effect.logInfo("checkout finished")
}).pipe(Effect.withSpan("checkout"))

const app = Worker.layer({ handlers }).pipe(Layer.provideMerge(makeBackend()), Layer.provideMerge(telemetry))

Effect.runPromise(program.pipe(Effect.provide(app))).then(
  () => console.log(`telemetry sent to ${endpoint}\ndone (${backendName})`),
  (error: unknown) => {
    console.error(error)
    process.exitCode = 1
  }
)
