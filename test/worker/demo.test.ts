/**
 * `npm start`: the demo's program in memory (its summary checked), and the
 * real entry point as a child process, in memory and with REDIS_URL on the
 * test's private Redis: it must finish by itself with exit code 0.
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as Demo from "../../examples/demo/Demo.ts"
import { main } from "../../examples/demo/main.ts"
import { RedisServer } from "../support/RedisServer.ts"

const entry = fileURLToPath(new URL("../../examples/demo/main.ts", import.meta.url))

const runEntry = (env: Record<string, string | undefined>) =>
  Effect.callback<{ readonly code: number | null; readonly stdout: string; readonly stderr: string }>((resume) => {
    const child = spawn(process.execPath, [entry], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (c: Buffer) => { stdout += c.toString() })
    child.stderr.on("data", (c: Buffer) => { stderr += c.toString() })
    child.once("exit", (code) => resume(Effect.succeed({ code, stdout, stderr })))
    return Effect.sync(() => { child.kill("SIGKILL") })
  })

const checkSummaryText = (stdout: string) => {
  assert.match(stdout, /jobs submitted\s+9\n/)
  assert.match(stdout, /completed\s+9\n/)
  assert.match(stdout, /failed for good\s+0\n/)
  assert.match(stdout, /resize start order\s+high > high > normal > normal > low > low\n/)
  assert.match(stdout, /RPC greet\s+Hello, Ada!\n/)
  assert.match(stdout, /charge_card runs\s+2 /)
}

layer(RedisServer.layer, { excludeTestServices: true, timeout: "60 seconds" })("npm start (demo)", (it) => {
  it.effect("the demo program on the in-memory default: all 9 jobs complete, priority order, retry, RPC", () =>
    Effect.gen(function*() {
      const summary: Demo.Summary = yield* main({})
      assert.include(summary.backend, "in-memory")
      assert.strictEqual(summary.submitted, 9)
      assert.strictEqual(summary.completed, 9)
      assert.strictEqual(summary.failed, 0)
      assert.deepStrictEqual(summary.startOrder, ["high", "high", "normal", "normal", "low", "low"])
      assert.strictEqual(summary.greeting, "Hello, Ada!")
      assert.strictEqual(summary.chargeRuns, 2)
      assert.strictEqual(summary.counters.processed, 9)
      assert.strictEqual(summary.counters.failed, 1)
      assert.strictEqual(summary.counters.retried, 1)
      assert.strictEqual(summary.counters.dead, 0)
    }).pipe(Effect.provideService(Metric.MetricRegistry, new Map())), { timeout: 30_000 })

  it.effect("`node examples/demo/main.ts` with no REDIS_URL exits 0 by itself and prints the summary", () =>
    Effect.gen(function*() {
      const { code, stdout, stderr } = yield* runEntry({ REDIS_URL: "" })
      assert.strictEqual(code, 0, stderr)
      assert.include(stdout, "Bananas demo on the in-memory backend")
      checkSummaryText(stdout)
    }), { timeout: 30_000 })

  it.effect("`node examples/demo/main.ts` with REDIS_URL runs the same program on Redis and exits 0", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      const prefix = `demo-${crypto.randomUUID().slice(0, 8)}:`
      const { code, stdout, stderr } = yield* runEntry({ REDIS_URL: server.url, BANANAS_PREFIX: prefix })
      assert.strictEqual(code, 0, stderr)
      assert.include(stdout, `Bananas demo on Redis at ${server.url}`)
      checkSummaryText(stdout)
      // the jobs really went through that Redis
      const keys = yield* Effect.promise(() => server.raw.keys(`${prefix}job:*`))
      assert.strictEqual(keys.length, 9)
      assert.strictEqual(yield* Effect.promise(() => server.raw.llen(`${prefix}queue:processing`)), 0)
    }), { timeout: 30_000 })
})

