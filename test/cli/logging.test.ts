/**
 * A `bananas worker` whose Redis goes away logs a few lines, not a flood
 * (issue 18: ~250 lines in 10 s, each warning with a stack): the CLI,
 * spawned as users run it, its redis-server stopped under it. And
 * `bananas serve` logs JSON lines (one per request), as `npm run gateway`
 * does and the README says; `--log-format text` switches to text lines.
 */
import { assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { resolve } from "node:path"
import { startRedisServer, uniquePrefix } from "../support/RedisServer.ts"

const root = resolve(import.meta.dirname, "../..")
const sleep = (millis: number) => new Promise((r) => setTimeout(r, millis))

/** `bananas ...args` spawned from the sources; `stderr()` is what it wrote there so far. */
const cli = (args: ReadonlyArray<string>) => {
  const child = spawn(process.execPath, ["src/cli/main.ts", ...args], { cwd: root, env: { PATH: process.env.PATH ?? "" }, stdio: ["ignore", "pipe", "pipe"] })
  let stderr = ""
  child.stderr.on("data", (d) => (stderr += String(d)))
  return { child, stderr: () => stderr }
}

describe("bananas worker logs", () => {
  it("Redis stopped under a running worker: a handful of one-line warnings in 5 s", { timeout: 40_000 }, async () => {
    const server = await startRedisServer()
    const { child: worker, stderr: output } = cli(["--redis-url", server.url, "--prefix", uniquePrefix("flood"), "worker", "--handlers", "examples/cli-handlers.ts"])
    try {
      for (let i = 0; i < 200 && !output().includes("Ctrl+C stops it"); i++) await sleep(50)
      assert.include(output(), "Ctrl+C stops it", output())
      const before = output().length
      await server.stop()
      await sleep(5_000)
      const lines = output().slice(before).split("\n").filter((l) => l !== "")
      assert.isAtLeast(lines.length, 1, "the outage is reported")
      assert.isAtMost(lines.length, 10, lines.join("\n"))
      for (const line of lines) assert.match(line, /^\[\d\d:\d\d:\d\d\.\d{3}\] (WARN|INFO|ERROR) /, "one log entry per line, no stack")
      assert.isTrue(lines.some((l) => l.includes("connection to") && l.includes("lost")), lines.join("\n"))
    } finally {
      worker.kill("SIGKILL")
    }
  })

  for (const [flags, shape] of [[[], "json"], [["--log-format", "text"], "text"]] as const) {
    it(`serve logs one ${shape} line per request`, { timeout: 40_000 }, async () => {
      const server = await startRedisServer()
      const { child: gateway, stderr: output } = cli([...flags, "--redis-url", server.url, "--prefix", uniquePrefix("logs"), "serve", "--insecure", "--host", "127.0.0.1", "--port", "0"])
      try {
        for (let i = 0; i < 300 && !/gateway on http:\/\/\S+/.test(output()); i++) await sleep(50)
        const url = /gateway on (http:\/\/[^\s)]+)/.exec(output())?.[1]
        assert.isDefined(url, output())
        const before = output().length
        for (let i = 0; i < 3; i++) assert.strictEqual((await fetch(`${url}/v1/stats`)).status, 200)
        const logged = () => output().slice(before).split("\n").filter((l) => l !== "")
        for (let i = 0; i < 300 && logged().length < 3; i++) await sleep(50)
        await sleep(300)
        const lines = logged()
        assert.isAtLeast(lines.length, 3, output())
        assert.isAtMost(lines.length, 3, `one line per request:\n${lines.join("\n")}`)
        for (const line of lines) {
          if (shape === "json") assert.doesNotThrow(() => JSON.parse(line), line)
          else assert.match(line, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO /)
        }
      } finally {
        gateway.kill("SIGKILL")
        await server.stop()
      }
    })
  }
})
