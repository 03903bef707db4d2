/**
 * Runs every example as its users would (`node examples/<name>.ts`), once
 * on the in-memory backend and once on a private redis-server, and checks
 * the exit code and a line of the output. On Redis the examples must also
 * leave no key behind.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Redis as IORedis } from "ioredis"
import { startRedisServer } from "../support/RedisServer.ts"

const root = fileURLToPath(new URL("../../", import.meta.url))

// Node's compile cache, shared by the example processes of this run: each
// one loads the same modules, and the cache halves their start-up CPU.
const compileCache = mkdtempSync(join(tmpdir(), "bananas-examples-"))

type Mode = "memory" | "redis"

const examples: ReadonlyArray<{
  readonly name: string
  readonly expect: (mode: Mode) => ReadonlyArray<string>
  /** The README's quick start runs in memory only. */
  readonly memoryOnly?: boolean
}> = [
  { name: "quick-start", expect: () => ["job completed: {\"greeting\":\"Hello, Grace!\"}", "Hello, Ada!"], memoryOnly: true },
  {
    name: "basic-usage",
    expect: (m) => [
      "submitted a batch of 2 jobs",
      "submitting the same id again: duplicate=true",
      "queued: high=1 normal=1 low=1",
      "pending jobs: cleanup, resize_image, send_email",
      "getJob(\"no-such-job\") failed with JobNotFoundError",
      `done (${m})`
    ]
  },
  {
    name: "scheduled-jobs",
    expect: (m) => [
      "scheduled set holds 2 jobs",
      "a past time is rejected with ValidationError",
      "cancelled the one-hour reminder: status=failed error=cancelled",
      "cancelling it again fails with JobConflictError",
      `send_reminder completed with result {"reminded":42}`,
      `done (${m})`
    ]
  },
  {
    name: "schedules",
    expect: (m) => [
      "stored: daily-report, heartbeat",
      "heartbeat ran 3 times, one job per slot: true",
      "heartbeat state: run_count=3 ended=true",
      "ran daily-report now: send_report, schedule_id=daily-report",
      "paused: enabled=false next slot=none",
      "removed: get fails with ScheduleNotFoundError",
      `done (${m})`
    ]
  },
  {
    name: "pause-queue",
    expect: (m) => [
      `high ran while low is paused: {"width":64}`,
      "queued low=1; paused: low, high of route gpu",
      "the low job is still pending",
      `resumed: the low job completed with {"width":128}`,
      "paused queues left: 0",
      `done (${m})`
    ]
  },
  { name: "result-backend", expect: (m) => ["waited for job-2: failed (smtp: timeout)", "waiting for job-3 ended with TimeoutError", `done (${m})`] },
  { name: "submit-and-wait", expect: (m) => [`add completed: {"sum":5}`, "charge_card failed: card declined (attempt 1)", "low-priority add: TimeoutError after 100 ms", `done (${m})`] },
  { name: "typed-jobs", expect: (m) => ["resized: https://example.com/cat-128.png (12288 bytes)", "resize failed: width 10000 is larger than 4096", "width 1.5 rejected with ValidationError", `done (${m})`] },
  { name: "testing-with-memory", expect: (m) => ["ok - signUp rejects a bad email and writes nothing", `3 checks passed (${m})`] },
  {
    name: "promise-client",
    expect: (m) => [
      "cancelled it: true",
      "cancelled it again: false",
      `generate_report completed: {"report":"sales for 2025-01","rows":3}`,
      "always_fails rejected with JobFailedError: upstream unavailable",
      "slow_export rejected with TimeoutError after 50 ms",
      `done (${m})`
    ]
  },
  {
    name: "http-api",
    expect: (m) => [
      `submitted send_email over HTTP: priority=high payload={"order":"12345678901234567890","to":"ada@example.com"}`,
      "add over HTTP: 5",
      "getJob(\"no-such-job\") failed with JobNotFoundError",
      "Promise client submitted send_email with priority low",
      `Promise client add: {"sum":42}`,
      "charge_card rejected with JobFailedError: card declined",
      `done (${m})`
    ]
  },
  { name: "webhook-receiver", expect: (m) => [`receiver got job.completed for resize: {"width":128}`, `done (${m})`] }
]

interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

const runExample = (name: string, redisUrl: string | undefined): Promise<Run> =>
  new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", NODE_COMPILE_CACHE: compileCache }
    delete env.REDIS_URL
    delete env.BANANAS_PREFIX
    if (redisUrl !== undefined) env.REDIS_URL = redisUrl
    const child = spawn(process.execPath, [`examples/${name}.ts`], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d: Buffer) => { stdout += d.toString() })
    child.stderr.on("data", (d: Buffer) => { stderr += d.toString() })
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000)
    child.on("error", (e) => { clearTimeout(timer); reject(e) })
    child.on("close", (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
  })

// At most this many example processes at once (CI has 2 cores).
const limit = <A>(max: number) => {
  let active = 0
  const waiting: Array<() => void> = []
  return async (task: () => Promise<A>): Promise<A> => {
    if (active >= max) await new Promise<void>((r) => waiting.push(r))
    active++
    try {
      return await task()
    } finally {
      active--
      waiting.shift()?.()
    }
  }
}

const assertRun = (run: Run, name: string, expected: ReadonlyArray<string>) => {
  const context = `${name}\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`
  assert.strictEqual(run.code, 0, context)
  const lines = run.stdout.split("\n").map((l) => l.trimEnd())
  for (const line of expected) assert.include(lines, line, context)
}

describe("examples", () => {
  let server: Awaited<ReturnType<typeof startRedisServer>>
  let raw: IORedis
  const runs = new Map<string, Promise<Run>>()

  beforeAll(async () => {
    server = await startRedisServer()
    raw = new IORedis(server.url)
    raw.on("error", () => {})
    const slot = limit<Run>(3)
    for (const { name, memoryOnly } of examples) {
      runs.set(`memory:${name}`, slot(() => runExample(name, undefined)))
      if (memoryOnly !== true) runs.set(`redis:${name}`, slot(() => runExample(name, server.url)))
    }
  })

  afterAll(async () => {
    await Promise.allSettled(runs.values())
    raw?.disconnect()
    await server?.stop()
    rmSync(compileCache, { recursive: true, force: true })
  })

  for (const { name, expect, memoryOnly } of examples) {
    it(`${name} runs in memory`, async () => {
      assertRun(await runs.get(`memory:${name}`)!, name, expect("memory"))
    })
    if (memoryOnly !== true) it(`${name} runs on Redis`, async () => {
      assertRun(await runs.get(`redis:${name}`)!, name, expect("redis"))
    })
  }

  it("the examples leave no key behind on Redis", async () => {
    await Promise.all(runs.values())
    assert.deepStrictEqual(await raw.keys("*"), [])
  })
})
