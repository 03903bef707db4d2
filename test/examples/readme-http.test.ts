/**
 * The README's HTTP section stays true: the TypeScript snippets are the
 * example files' regions (which `examples.test.ts` runs), the gateway is
 * started with the README's own commands (`npm run gateway` with
 * `BANANAS_API_KEYS`, and `--insecure`), and the README's curl commands run
 * against it, with a worker answering on the same private Redis.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Bananas from "../../src/Bananas.ts"
import { Handlers, Worker } from "../../src/worker/index.ts"
import { freePort, startRedisServer } from "../support/RedisServer.ts"

const root = fileURLToPath(new URL("../../", import.meta.url))
const readme = readFileSync(`${root}README.md`, "utf8")

/** The fenced block after `<!-- readme-test: <name> -->`. */
const block = (name: string): string => {
  const marker = `<!-- readme-test: ${name} -->`
  const at = readme.indexOf(marker)
  assert.isAtLeast(at, 0, `README has no ${marker}`)
  const open = readme.indexOf("```", at)
  const start = readme.indexOf("\n", open) + 1
  return readme.slice(start, readme.indexOf("```", start)).replace(/\n$/, "")
}

/** A region of an example file (`// readme:<name>:start` ... `end`), dedented. */
const region = (file: string, name: string): string => {
  const text = readFileSync(`${root}${file}`, "utf8")
  const lines = text.split("\n")
  const from = lines.findIndex((l) => l.trim() === `// readme:${name}:start`)
  const to = lines.findIndex((l) => l.trim() === `// readme:${name}:end`)
  assert.isTrue(from >= 0 && to > from, `${file} has no region ${name}`)
  const body = lines.slice(from + 1, to)
  const indent = Math.min(...body.filter((l) => l.trim() !== "").map((l) => l.length - l.trimStart().length))
  return body.map((l) => l.slice(indent)).join("\n")
}

/** Starts a shell command in its own process group; resolves once `ready` is printed. */
const start = (command: string, env: NodeJS.ProcessEnv, ready: string): Promise<ChildProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", command], { cwd: root, env, detached: true, stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    const timer = setTimeout(() => reject(new Error(`not started: ${command}\n${output}`)), 30_000)
    const onData = (d: Buffer) => {
      output += d.toString()
      if (output.includes(ready)) {
        clearTimeout(timer)
        resolve(child)
      }
    }
    child.stdout!.on("data", onData)
    child.stderr!.on("data", onData)
    child.once("exit", (code) => reject(new Error(`exited ${code}: ${command}\n${output}`)))
  })

/** Stops a process group started by `start` (its own id, nothing else). */
const stop = (child: ChildProcess | undefined) =>
  new Promise<void>((resolve) => {
    if (child?.pid === undefined || child.exitCode !== null) return resolve()
    child.once("exit", () => resolve())
    process.kill(-child.pid, "SIGTERM")
  })

const sh = (command: string, env: NodeJS.ProcessEnv) =>
  new Promise<string>((resolve, reject) =>
    execFile("bash", ["-c", command], { cwd: root, env }, (error, stdout) => (error ? reject(error) : resolve(stdout))))

describe("README: the HTTP Task API", () => {
  let redis: Awaited<ReturnType<typeof startRedisServer>>
  let gateway: ChildProcess | undefined
  let worker: { readonly dispose: () => Promise<void> } | undefined
  let base = ""
  let env: NodeJS.ProcessEnv = {}

  beforeAll(async () => {
    redis = await startRedisServer()
    const port = await freePort()
    base = `http://127.0.0.1:${port}`
    env = { ...process.env, PATH: `${root}node_modules/.bin:${process.env.PATH}`, BANANAS_PORT: String(port), BANANAS_HOST: "127.0.0.1" }
    const command = block("gateway").split("\n")[0]!.replace("redis://localhost:6379", redis.url)
    gateway = await start(command, env, "bananas gateway listening")
    const handlers = Handlers.empty.pipe(
      Handlers.addRaw("add", ({ decode }) => Effect.map(decode, (p) => ({ sum: (p as { a: number }).a + (p as { b: number }).b }))),
      Handlers.addRaw("send_email", () => Effect.void)
    )
    const runtime = ManagedRuntime.make(Worker.layer({ handlers }).pipe(Layer.provideMerge(Bananas.layerRedis({ url: redis.url }))))
    await runtime.runPromise(Effect.void)
    worker = runtime
  }, 60_000)

  afterAll(async () => {
    await worker?.dispose()
    await stop(gateway)
    await redis?.stop()
  })

  it("the TypeScript snippets are the examples' code", () => {
    assert.strictEqual(block("examples/http-api.ts#effect"), region("examples/http-api.ts", "effect"))
    assert.strictEqual(block("examples/http-api.ts#promise"), region("examples/http-api.ts", "promise"))
    assert.strictEqual(block("examples/webhook-receiver.ts#receiver"), region("examples/webhook-receiver.ts", "receiver"))
  })

  it("the curl commands work against the gateway started with the README's command", async () => {
    const key = /BANANAS_API_KEYS=\w+:(\S+)/.exec(block("gateway"))![1]!
    const commands = block("curl").replace(/\\\n\s*/g, "").split("\n").filter((l) => l.startsWith("curl "))
    assert.strictEqual(commands.length, 5)
    const vars = { ...env, BANANAS: base, KEY: key }
    const submitted = JSON.parse(await sh(commands[0]!, vars)) as { id: string; duplicate: boolean }
    assert.isFalse(submitted.duplicate)
    const withId = { ...vars, ID: submitted.id }
    const job = await sh(commands[1]!, withId)
    assert.include(job, `"payload":{"to":"ada@example.com","order":12345678901234567890}`, "byte for byte")
    const call = JSON.parse(await sh(commands[2]!, withId)) as { status: string; result: unknown }
    assert.deepStrictEqual([call.status, call.result], ["completed", { sum: 5 }])
    const result = JSON.parse(await sh(commands[3]!, withId)) as { job_id: string; status: string }
    assert.deepStrictEqual([result.job_id, result.status], [submitted.id, "completed"])
    const stats = JSON.parse(await sh(commands[4]!, withId)) as { queued: unknown }
    assert.deepStrictEqual(stats.queued, { high: 0, normal: 0, low: 0 })
  }, 60_000)

  it("--insecure serves without a key (local use)", async () => {
    const port = await freePort()
    const command = block("gateway").split("\n")[1]!.replace(/#.*$/, "").replace("--port 8080", `--port ${port}`)
    const insecure = await start(`REDIS_URL=${redis.url} ${command}`, { ...env, BANANAS_PORT: "" }, "bananas gateway listening")
    try {
      const response = await fetch(`http://127.0.0.1:${port}/v1/stats`)
      assert.strictEqual(response.status, 200)
    } finally {
      await stop(insecure)
    }
  }, 60_000)
})
