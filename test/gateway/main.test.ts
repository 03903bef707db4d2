/**
 * The gateway entry point's flags: `--api-keys`, `--insecure`, `--port`,
 * `--host` (with a space or `=`) become option overrides; its log lines
 * are exactly `Logger.formatJson`'s; `--insecure` listens on the loopback
 * unless `--host` says otherwise (the process and `bananas serve`).
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as Redacted from "effect/Redacted"
import * as GatewayOptions from "../../src/gateway/GatewayOptions.ts"
import { formatJsonLine, parseFlags } from "../../src/gateway/main.ts"
import { freePort, startRedisServer } from "../support/RedisServer.ts"

const root = fileURLToPath(new URL("../../", import.meta.url))

describe("gateway log lines", () => {
  it.effect("formatJsonLine writes what Logger.formatJson writes: plain entries by the fast path, the rest by formatJson", () =>
    Effect.gen(function*() {
      const pairs: Array<[string, string]> = []
      const both = Logger.make((options: Logger.Options<unknown>) => void pairs.push([formatJsonLine(options), Logger.formatJson.log(options)]))
      yield* Effect.gen(function*() {
        yield* Effect.logInfo("http").pipe(Effect.annotateLogs({ method: "POST", route: "/v1/jobs", status: 201, durationMs: 3, ok: true }))
        yield* Effect.logWarning("two", "messages", 3)
        yield* Effect.logError("failed", new Error("boom"))
        yield* Effect.logInfo("secret").pipe(Effect.annotateLogs({ key: Redacted.make("s3cr3t") }))
        yield* Effect.logInfo("nested").pipe(Effect.annotateLogs({ detail: { a: [1, 2] }, n: Number.NaN }))
        yield* Effect.logInfo("span").pipe(Effect.withLogSpan("step"))
      }).pipe(Effect.provide(Logger.layer([both])))
      assert.strictEqual(pairs.length, 6)
      for (const [fast, reference] of pairs) assert.deepStrictEqual(JSON.parse(fast), JSON.parse(reference))
      assert.notInclude(pairs[3]![0], "s3cr3t")
    }))
})

describe("gateway flags", () => {
  it("parses every flag, in both spellings", () => {
    const flags = parseFlags(["--insecure", "--port", "9090", "--host=127.0.0.1", "--api-keys", "ci:s3cr3t,ops:t0k3n"])
    assert.strictEqual(flags.insecure, true)
    assert.strictEqual(flags.port, 9090)
    assert.strictEqual(flags.host, "127.0.0.1")
    assert.deepStrictEqual(flags.apiKeys?.map((k) => typeof k === "string" ? k : k.id), ["ci", "ops"])
    assert.deepStrictEqual(parseFlags([]), {})
  })

  it("--processes 2: two processes share the port, and SIGTERM stops them all (exit 0)", async () => {
    const redis = await startRedisServer()
    const port = await freePort()
    const child = spawn(process.execPath, ["src/gateway/main.ts", "--insecure", "--processes", "2", "--port", String(port), "--host", "127.0.0.1"], {
      cwd: root,
      env: { ...process.env, REDIS_URL: redis.url },
      stdio: ["ignore", "pipe", "pipe"]
    })
    try {
      let output = ""
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(output)), 30_000)
        child.stdout.on("data", (d: Buffer) => {
          output += d.toString()
          if (output.split("bananas gateway listening").length - 1 === 2) {
            clearTimeout(timer)
            resolve()
          }
        })
      })
      const answers = await Promise.all(Array.from({ length: 20 }, () => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status)))
      assert.deepStrictEqual(new Set(answers), new Set([200]))
      const code = await new Promise<number | null>((resolve) => {
        child.once("exit", resolve)
        child.kill("SIGTERM")
      })
      assert.strictEqual(code, 0)
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL")
      await redis.stop()
    }
  }, 60_000)

  it("--insecure without --host listens on 127.0.0.1 (the process and `bananas serve`); elsewhere only with an explicit host", async () => {
    const resolved = (options: GatewayOptions.Options) => {
      const r = GatewayOptions.resolve(options)
      if (!("resolved" in r)) throw new Error(r.invalid)
      return r.resolved
    }
    assert.strictEqual(resolved({ insecure: true }).host, "127.0.0.1")
    assert.strictEqual(resolved({ insecure: true, host: "0.0.0.0" }).host, "0.0.0.0")
    assert.strictEqual(resolved({ apiKeys: ["k:s"] }).host, "0.0.0.0")
    const { BANANAS_HOST: _, ...withoutHost } = process.env
    const redis = await startRedisServer()
    try {
      for (const entry of [["src/gateway/main.ts"], ["src/cli/main.ts", "serve", "--redis-url", redis.url]]) {
        const child = spawn(process.execPath, [...entry, "--insecure", "--port", "0"], {
          cwd: root,
          env: { ...withoutHost, REDIS_URL: redis.url },
          stdio: ["ignore", "pipe", "pipe"]
        })
        try {
          let output = ""
          const where = await new Promise<string>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(output)), 30_000)
            const read = (d: Buffer) => {
              output += d.toString()
              const m = /bananas gateway listening on ([^ "]+)/.exec(output)
              if (m !== null) {
                clearTimeout(timer)
                resolve(m[1]!)
              }
            }
            child.stdout.on("data", read)
            child.stderr.on("data", read)
          })
          assert.match(where, /^127\.0\.0\.1:\d+$/, `${entry[0]}: ${output}`)
          assert.strictEqual((await fetch(`http://${where}/healthz`)).status, 200)
        } finally {
          const exited = new Promise((resolve) => child.once("exit", resolve))
          child.kill("SIGTERM")
          await exited
        }
      }
    } finally {
      await redis.stop()
    }
  }, 90_000)
})
