/**
 * `examples/observability.ts` against a local OTLP/HTTP collector stub (an
 * HTTP server receiving the JSON exports), in memory and on Redis: the
 * collector must receive the spans (each job's execution span a child of
 * the span that submitted it, in one trace: the trace context travelled
 * in the job), the worker's metrics (counters and the job-duration
 * histogram) and the logs (with the job id).
 */
import { spawn } from "node:child_process"
import { createServer, type Server } from "node:http"
import { fileURLToPath } from "node:url"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Redis } from "ioredis"
import { startRedisServer } from "../support/RedisServer.ts"

const root = fileURLToPath(new URL("../../", import.meta.url))

interface Export {
  readonly path: string
  readonly contentType: string | undefined
  readonly body: any
}

/** A collector stub: records every POST body (OTLP JSON), answers 200. */
const collector = async () => {
  const received: Array<Export> = []
  const server: Server = createServer((req, res) => {
    let body = ""
    req.on("data", (chunk: Buffer) => { body += chunk.toString() })
    req.on("end", () => {
      received.push({ path: req.url ?? "", contentType: req.headers["content-type"], body: JSON.parse(body) })
      res.writeHead(200, { "content-type": "application/json" })
      res.end("{}")
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as { readonly port: number }).port
  return { received, endpoint: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}

const runExample = (env: Readonly<Record<string, string>>) =>
  new Promise<{ readonly code: number | null; readonly stdout: string; readonly stderr: string }>((resolve) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", ...env }
    if (env.REDIS_URL === undefined) delete childEnv.REDIS_URL
    const child = spawn(process.execPath, ["examples/observability.ts"], { cwd: root, env: childEnv, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d: Buffer) => { stdout += d.toString() })
    child.stderr.on("data", (d: Buffer) => { stderr += d.toString() })
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000)
    child.on("close", (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
  })

const spansOf = (received: ReadonlyArray<Export>) =>
  received.filter((e) => e.path === "/v1/traces").flatMap((e) => e.body.resourceSpans.flatMap((r: any) => r.scopeSpans.flatMap((s: any) => s.spans))) as Array<{
    readonly name: string
    readonly traceId: string
    readonly spanId: string
    readonly parentSpanId?: string
  }>

const metricsOf = (received: ReadonlyArray<Export>) =>
  received.filter((e) => e.path === "/v1/metrics").flatMap((e) => e.body.resourceMetrics.flatMap((r: any) => r.scopeMetrics.flatMap((s: any) => s.metrics))) as Array<any>

const logsOf = (received: ReadonlyArray<Export>) =>
  received.filter((e) => e.path === "/v1/logs").flatMap((e) => e.body.resourceLogs.flatMap((r: any) => r.scopeLogs.flatMap((s: any) => s.logRecords))) as Array<any>

const attribute = (record: { readonly attributes: ReadonlyArray<{ readonly key: string; readonly value: any }> }, key: string) =>
  record.attributes.find((a) => a.key === key)?.value

describe("examples/observability.ts with an OTLP collector", () => {
  let redis: Awaited<ReturnType<typeof startRedisServer>>
  beforeAll(async () => { redis = await startRedisServer() })
  afterAll(async () => { await redis?.stop() })

  for (const mode of ["memory", "redis"] as const) {
    it(`exports traces, metrics and logs (${mode})`, { timeout: 60_000 }, async () => {
      const otlp = await collector()
      const run = await runExample({
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint,
        ...(mode === "redis" ? { REDIS_URL: redis.url } : {})
      })
      await otlp.close()
      const context = `--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`
      assert.strictEqual(run.code, 0, context)
      assert.include(run.stdout, `telemetry sent to ${otlp.endpoint}`)
      assert.include(run.stdout, `done (${mode})`)
      for (const e of otlp.received) assert.strictEqual(e.contentType, "application/json")

      // Traces: checkout > Tasks.call > bananas.worker.execute, one trace, linked through the job's trace_context.
      const spans = spansOf(otlp.received)
      const checkout = spans.find((s) => s.name === "checkout")
      assert.isDefined(checkout, context)
      const calls = spans.filter((s) => s.name === "Tasks.call")
      const executions = spans.filter((s) => s.name === "bananas.worker.execute")
      assert.strictEqual(calls.length, 2)
      assert.strictEqual(executions.length, 2)
      for (const call of calls) assert.strictEqual(call.parentSpanId, checkout!.spanId)
      for (const execution of executions) {
        assert.strictEqual(execution.traceId, checkout!.traceId, "the worker's span is in the producer's trace")
        assert.include(calls.map((c) => c.spanId), execution.parentSpanId, "a child of the span that submitted the job")
      }

      // Metrics: the counters and the job-duration histogram, per outcome.
      const metrics = metricsOf(otlp.received)
      const names = new Set(metrics.map((m) => m.name))
      for (const name of ["bananas_worker_jobs_processed_total", "bananas_worker_jobs_failed_total", "bananas_worker_jobs_dead_total", "bananas_worker_job_duration_ms"]) {
        assert.isTrue(names.has(name), `metric ${name} in ${[...names].join(", ")}`)
      }
      const durations = metrics.filter((m) => m.name === "bananas_worker_job_duration_ms").flatMap((m) => m.histogram.dataPoints)
      const byOutcome = (outcome: string) => durations.filter((p: any) => attribute(p, "outcome")?.stringValue === outcome)
      assert.isAtLeast(Math.max(...byOutcome("completed").map((p: any) => Number(p.count))), 1)
      assert.isAtLeast(Math.max(...byOutcome("failed").map((p: any) => Number(p.count))), 1)
      assert.isAtLeast(Math.max(...byOutcome("completed").map((p: any) => Number(p.min))), 20, "the handler's 20 ms delay")

      // Logs: the dead letter, with the job id, inside its execution span; the program's own.
      const logs = logsOf(otlp.received)
      const dead = logs.find((l) => l.body?.stringValue === "job failed for good (dead letter): card declined")
      assert.isDefined(dead, JSON.stringify(logs.map((l) => l.body)))
      assert.match(attribute(dead, "jobId")?.stringValue ?? "", /^[0-9a-f-]{36}$/)
      assert.include(executions.map((s) => s.spanId), dead.spanId)
      assert.isDefined(logs.find((l) => l.body?.stringValue === "checkout finished"))

      if (mode === "redis") {
        const raw = new Redis(redis.url)
        assert.deepStrictEqual(await raw.keys("*"), [], "the example leaves no key behind")
        raw.disconnect()
      }
    })
  }
})
