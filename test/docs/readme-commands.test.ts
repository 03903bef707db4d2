/**
 * Every shell line of the README runs as written after `npm ci`: each is
 * an npm script that exists, `npx` of an installed bin, the CLI
 * (`bananas`, tested line by line in `test/cli/readme.test.ts`), `curl`
 * (`test/examples/readme-http.test.ts`) or `redis-server` — never
 * `node file.ts`, which the system's Node 20 cannot run. And the blocks
 * that need no second terminal run here, spawned through npm as a user
 * types them, with the machine's Redis (6379) replaced by a private one:
 * the demo (`npm start`, in memory and on Redis), the gateway lines (until
 * they answer `/healthz`) and the wire audit.
 */
import { assert, describe, it } from "@effect/vitest"
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { OpenApi } from "effect/http-api"
import { Api } from "../../src/http/Api.ts"
import { freePort, startRedisServer } from "../support/RedisServer.ts"

const readme = readFileSync("README.md", "utf8")
const scripts = (JSON.parse(readFileSync("package.json", "utf8")) as { readonly scripts: Readonly<Record<string, string>> }).scripts

/** The command lines of the README's `sh` blocks: comments and continuation lines joined, `# ...` dropped. */
const lines = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) =>
  (m[1] ?? "").replace(/\\\n\s*/g, " ").split("\n").map((l) => l.replace(/\s+#.*$/, "").trim()).filter((l) => l !== "" && !l.startsWith("#"))
)

/** The command of a line: its first word after `VAR=value` assignments, and the words after it. */
const commandOf = (line: string): ReadonlyArray<string> => line.replace(/&\s*$/, "").split(/\s+/).filter((w) => w !== "").filter((w, i, all) => !(all.slice(0, i + 1).every((x) => /^[A-Z_]+=/.test(x))))

interface Ran {
  readonly code: number | null
  readonly output: string
}

/** Runs a README line through the shell (npm from PATH, as a user would), the machine's Redis URL replaced. */
const shell = (line: string, redisUrl: string, port?: number): ChildProcess =>
  spawn("sh", ["-c", line.replace(/redis:\/\/(localhost|127\.0\.0\.1):6379/g, redisUrl).replace(/\b8080\b/g, String(port ?? 8080))], {
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith("npm_"))),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true
  })

const finished = (child: ChildProcess, timeoutMillis: number): Promise<Ran> =>
  new Promise((resolve) => {
    let output = ""
    child.stdout?.on("data", (d) => (output += String(d)))
    child.stderr?.on("data", (d) => (output += String(d)))
    const timer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), timeoutMillis)
    child.on("close", (code) => (clearTimeout(timer), resolve({ code, output })))
  })

const answers = async (url: string): Promise<boolean> => {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(url)).status === 200) return true
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return false
}

describe("the README's shell lines", () => {
  it("are npm scripts that exist, npx of an installed bin, or the documented tools; never node on a .ts file", () => {
    assert.isAtLeast(lines.length, 20)
    for (const line of lines) {
      const [command = "", ...args] = commandOf(line)
      if (command === "npm") {
        const [verb = "", name = ""] = args
        if (verb === "run") assert.property(scripts, name, line)
        else if (verb === "start" || verb === "test") assert.property(scripts, verb, line)
        else assert.include(["ci", "install", "pack", "view"], verb, line)
      } else if (command === "npx") {
        const bin = args[0] ?? ""
        assert.isTrue(existsSync(`node_modules/.bin/${bin}`) || bin === "bananas", line)
      } else {
        assert.include(["bananas", "curl", "redis-server", "cd", "mkdir"], command, line)
      }
    }
  })

  it("npm start runs the demo, in memory and on Redis", { timeout: 180_000 }, async () => {
    const server = await startRedisServer()
    try {
      for (const line of lines.filter((l) => commandOf(l)[0] === "npm" && commandOf(l)[1] === "start")) {
        const ran = await finished(shell(line, server.url), 120_000)
        assert.strictEqual(ran.code, 0, `${line}\n${ran.output}`)
      }
    } finally {
      await server.stop()
    }
  })

  it("the gateway lines start a gateway that answers /healthz", { timeout: 120_000 }, async () => {
    const server = await startRedisServer()
    try {
      const gatewayLines = lines.filter((l) => l.includes("npm run gateway"))
      assert.strictEqual(gatewayLines.length, 2)
      for (const line of gatewayLines) {
        const port = await freePort()
        // The line without a --port listens on BANANAS_PORT: a free one here. The line
        // without a REDIS_URL would use the machine's Redis (6379): the private one here.
        const withPort = line.includes("--port") ? line : `BANANAS_PORT=${port} ${line}`
        const child = shell(line.includes("REDIS_URL=") ? withPort : `REDIS_URL=${server.url} ${withPort}`, server.url, port)
        const done = finished(child, 100_000)
        try {
          assert.isTrue(await answers(`http://127.0.0.1:${port}/healthz`), line)
        } finally {
          process.kill(-child.pid!, "SIGTERM")
        }
        await done
      }
    } finally {
      await server.stop()
    }
  })

  it("npm run audit-wire runs against a Redis", { timeout: 60_000 }, async () => {
    const server = await startRedisServer()
    try {
      const line = lines.find((l) => l.startsWith("npm run audit-wire"))
      assert.isDefined(line)
      const ran = await finished(shell(line!, server.url), 50_000)
      assert.strictEqual(ran.code, 0, `${line}\n${ran.output}`)
    } finally {
      await server.stop()
    }
  })

  it("the gateway's endpoint table names every route of the API", () => {
    const table = readme.slice(readme.indexOf("| endpoint | does |"))
    const paths = OpenApi.fromApi(Api).paths as Record<string, Record<string, unknown>>
    for (const [path, operations] of Object.entries(paths)) {
      if (!path.startsWith("/v1/")) continue
      for (const method of Object.keys(operations).filter((m) => ["get", "post", "put", "delete", "patch"].includes(m))) {
        assert.match(table, new RegExp(`\`${method.toUpperCase()} ${path.replace(/[?{}]/g, "\\$&")}[?\`\\[]`), `${method.toUpperCase()} ${path}`)
      }
    }
  })
})
