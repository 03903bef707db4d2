/**
 * The built `bananas` bin (`dist/cli/main.js`, what the package's `bin`
 * points at), spawned as a child process the way a user runs it: help,
 * exit codes, a worker from a handlers module answering `call`, and a
 * graceful stop on SIGTERM.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { execFileSync, spawn, type ChildProcess } from "node:child_process"
import { copyFileSync, mkdirSync, rmSync } from "node:fs"
import { join, resolve } from "node:path"
import { startRedisServer, uniquePrefix } from "../support/RedisServer.ts"

const root = resolve(import.meta.dirname, "../..")
// Inside the repository, so the compiled modules resolve `effect` and `ioredis` from its node_modules.
const out = join(root, "node_modules", ".cache", `bananas-bin-${process.pid}`)
const bin = join(out, "dist", "cli", "main.js")

interface Ran {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

const collect = (child: ChildProcess): Promise<Ran> =>
  new Promise((resolveRun) => {
    let stdout = ""
    let stderr = ""
    child.stdout?.on("data", (d) => (stdout += String(d)))
    child.stderr?.on("data", (d) => (stderr += String(d)))
    child.on("close", (code, signal) => resolveRun({ code, signal, stdout, stderr }))
  })

const bananas = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  spawn(process.execPath, [bin, ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })

const run = (args: ReadonlyArray<string>, env?: Record<string, string>) => collect(bananas(args, env))

let redis: Awaited<ReturnType<typeof startRedisServer>>

beforeAll(async () => {
  mkdirSync(out, { recursive: true })
  copyFileSync(join(root, "package.json"), join(out, "package.json"))
  // JavaScript only: `npm run typecheck` checks the types, the pack test the declarations (half the build's time).
  const jsOnly = ["--noCheck", "--declaration", "false", "--declarationMap", "false", "--sourceMap", "false"]
  execFileSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json", "--outDir", join(out, "dist"), ...jsOnly], {
    cwd: root,
    stdio: "inherit"
  })
  redis = await startRedisServer()
}, 120_000)

afterAll(async () => {
  await redis?.stop()
  rmSync(out, { recursive: true, force: true })
})

describe("the built bananas bin", () => {
  it("prints help and the version, exit 0; a usage error exits 2", async () => {
    const help = await run(["--help"])
    assert.strictEqual(help.code, 0, help.stderr)
    assert.match(help.stdout, /^USAGE\n {2}bananas <subcommand> \[flags\]$/m)
    const version = await run(["--version"])
    assert.match(version.stdout, /^bananas \d+\.\d+\.\d+\n$/)
    const bad = await run(["submit", "--nope"])
    assert.strictEqual(bad.code, 2)
    assert.strictEqual(bad.stdout, "")
    assert.strictEqual(bad.stderr, "error: Unrecognized flag: --nope in command bananas submit\nRun 'bananas submit --help' for usage.\n")
  })

  it("cannot reach Redis: exit 3 and one line on stderr", async () => {
    const r = await run(["stats"], { REDIS_URL: "redis://127.0.0.1:1" })
    assert.strictEqual(r.code, 3)
    assert.strictEqual(r.stderr.trim().split("\n").length, 1, r.stderr)
    assert.match(r.stderr, /^error: cannot reach Redis at 127\.0\.0\.1:1: /)
  })

  it("a worker from a handlers module answers call, directly and through `bananas serve`; both stop gracefully on SIGTERM", async () => {
    const env = { REDIS_URL: redis.url, BANANAS_PREFIX: uniquePrefix("bin") }
    const worker = bananas(["worker", "--handlers", "examples/cli-handlers.ts", "--concurrency", "2"], env)
    const stopped = collect(worker)
    const called = await run(["call", "greet", "--data", `{"name":"Ada"}`, "--timeout", "30s"], env)
    assert.strictEqual(called.code, 0, called.stderr)
    assert.strictEqual(called.stdout, `{"greeting":"Hello, Ada!"}\n`)
    const failed = await run(["call", "always_fails", "--max-retries", "1", "--timeout", "30s"], env)
    assert.strictEqual(failed.code, 1)
    assert.match(failed.stderr, /^error: job \S+ failed: this job always fails\n$/)
    const stats = await run(["--json", "stats"], env)
    assert.strictEqual(JSON.parse(stats.stdout).dead, 1)

    // The gateway on the same Redis, and the same commands over HTTP.
    const gateway = bananas(["serve", "--port", "0", "--host", "127.0.0.1", "--api-keys", "cli:s3cr3t"], env)
    const served = collect(gateway)
    const url = await new Promise<string>((resolveUrl, reject) => {
      let seen = ""
      gateway.stderr?.on("data", (d) => {
        seen += String(d)
        const m = /gateway on (http:\/\/127\.0\.0\.1:\d+)/.exec(seen)
        if (m !== null) resolveUrl(m[1]!)
      })
      gateway.on("close", () => reject(new Error(`the gateway exited: ${seen}`)))
    })
    const http = { BANANAS_API_URL: url, BANANAS_API_KEY: "s3cr3t" }
    const overHttp = await run(["call", "greet", "--data", `{"name":"Bo"}`], http)
    assert.strictEqual(overHttp.code, 0, overHttp.stderr)
    assert.strictEqual(overHttp.stdout, `{"greeting":"Hello, Bo!"}\n`)
    const deadOverHttp = await run(["--json", "dlq", "list"], http)
    assert.strictEqual(deadOverHttp.stdout.trim().split("\n").length, 1)
    const wrongKey = await run(["stats"], { ...http, BANANAS_API_KEY: "nope" })
    assert.strictEqual(wrongKey.code, 3)
    assert.match(wrongKey.stderr, /^error: the gateway at http:\/\/127\.0\.0\.1:\d+ refused the API key .*BANANAS_API_KEY\n$/)
    gateway.kill("SIGTERM")
    assert.strictEqual((await served).code, 0, "a service stopped by SIGTERM ends normally")

    worker.kill("SIGTERM")
    const exit = await stopped
    assert.strictEqual(exit.code, 0, exit.stderr)
    assert.match(exit.stderr, /worker on Redis at 127\.0\.0\.1:\d+ \(prefix bin-\w+:\): greet, echo, always_fails/)
    assert.match(exit.stderr, /worker stopped/)
  }, 60_000)
})
