/**
 * The CLI in a real pseudo-terminal (tmux, on a private tmux server):
 * `submit --interactive` answered with keystrokes (a bad payload is asked
 * again, the job lands in Redis as answered; without a terminal it
 * refuses), the batch progress bar, `stats --watch` redrawing in place,
 * and colours on a terminal unless `NO_COLOR`.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { execFileSync } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { Redis } from "ioredis"
import * as Backend from "../../src/cli/Backend.ts"
import { startRedisServer, uniquePrefix } from "../support/RedisServer.ts"
import { runCli } from "./support.ts"

const root = resolve(import.meta.dirname, "../..")
const socket = `bananas-test-${process.pid}`
const session = "cli"

const tmux = (...args: ReadonlyArray<string>): string => {
  try {
    return execFileSync("tmux", ["-L", socket, ...args], { encoding: "utf8" })
  } catch (e) {
    throw new Error(`tmux ${args.join(" ")} failed (is tmux installed? apt-get install tmux): ${String(e)}`)
  }
}

const screen = (escapes = false) => tmux("capture-pane", "-p", ...(escapes ? ["-e"] : []), "-t", session)

/** Waits until the screen matches, or fails with what it shows. */
const waitFor = async (pattern: RegExp, timeoutMs = 15_000): Promise<string> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const text = screen()
    if (pattern.test(text)) return text
    if (Date.now() > deadline) throw new Error(`screen never matched ${pattern}:\n${text}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

const keys = (...k: ReadonlyArray<string>) => tmux("send-keys", "-t", session, ...k)
const type = (text: string) => tmux("send-keys", "-t", session, "-l", text)
const clearLine = () => {
  keys("C-u")
  for (let i = 0; i < 20; i++) keys("BSpace")
}

let redis: Awaited<ReturnType<typeof startRedisServer>>
let raw: Redis

beforeAll(async () => {
  redis = await startRedisServer()
  raw = new Redis(redis.url)
  tmux("new-session", "-d", "-s", session, "-x", "150", "-y", "40", "-c", root)
})

afterAll(async () => {
  try {
    tmux("kill-server")
  } catch {
    // already gone
  }
  raw?.disconnect()
  await redis?.stop()
})

let lines = 0

/**
 * Runs a shell line in the session and waits for its exit code. Each line's
 * marker is its own (`#n EXIT=0`): the screen may still show the previous
 * line's while the shell has not yet cleared it.
 */
const shell = async (line: string): Promise<string> => {
  const n = ++lines
  keys("C-l")
  tmux("clear-history", "-t", session)
  type(`${line}; echo "#${n} EXIT=$?"`)
  keys("Enter")
  return waitFor(new RegExp(`#${n} EXIT=\\d+`), 30_000)
}

const cli = (prefix: string) => `${process.execPath} src/cli/main.ts --redis-url ${redis.url} --prefix ${prefix}`

describe("the CLI in a terminal", () => {
  it("asks for name, priority, payload (again when invalid) and schedule, confirms, and submits", async () => {
    const prefix = uniquePrefix("tty")
    const command = `${cli(prefix)} submit --interactive; echo EXIT=$?`
    type(command)
    keys("Enter")
    await waitFor(/Job name/)
    type("greet")
    keys("Enter")
    await waitFor(/Priority/)
    keys("Down")
    keys("Enter")
    await waitFor(/Payload \(JSON\)/)
    clearLine()
    type("{bad")
    keys("Enter")
    await waitFor(/not valid JSON/)
    clearLine()
    type(`{"name":"Ada","n":12345678901234567890}`)
    keys("Enter")
    await waitFor(/When/)
    clearLine()
    type("10m")
    keys("Enter")
    await waitFor(/Submit greet \(high, 10m\)/)
    type("y")
    const done = await waitFor(/EXIT=\d+/)
    assert.match(done, /EXIT=0/)
    const id = /scheduled (\S+) for /.exec(done)?.[1]
    assert.isDefined(id, done)
    const data = await raw.get(`${prefix}job:${id}`)
    assert.include(data ?? "", `"name":"greet","payload":{"name":"Ada","n":12345678901234567890},"status":"scheduled","priority":"high"`)
    assert.strictEqual(await raw.zcard(`${prefix}queue:scheduled`), 1)
  }, 60_000)

  it("submit --batch draws a progress bar, then the summary", async () => {
    const prefix = uniquePrefix("bar")
    const file = join(mkdtempSync(join(tmpdir(), "bananas-batch-")), "jobs.ndjson")
    writeFileSync(file, Array.from({ length: 2500 }, (_, i) => JSON.stringify({ name: "bulk", payload: { i } })).join("\n"))
    const done = await shell(`${cli(prefix)} submit --batch ${file}`)
    assert.match(done, /\[#{30}\] 2500\/2500/)
    assert.match(done, /^submitted 2500 jobs$/m)
    assert.include(done, `#${lines} EXIT=0`)
    assert.strictEqual(await raw.llen(`${prefix}queue:normal`), 2500)
  }, 60_000)

  it("stats --watch redraws in place; colours unless NO_COLOR", async () => {
    const prefix = uniquePrefix("watch")
    const watched = await shell(`${cli(prefix)} stats --watch --interval 100ms --count 4`)
    assert.strictEqual(watched.match(/QUEUE/g)?.length, 1, watched)
    assert.include(watched, `#${lines} EXIT=0`)
    await shell(`${cli(prefix)} stats`)
    assert.include(screen(true), "\x1b[1mQUEUE")
    await shell(`NO_COLOR=1 ${cli(prefix)} stats`)
    const plain = screen(true)
    assert.include(plain, "QUEUE")
    assert.notInclude(plain, "\x1b[1mQUEUE")
  }, 60_000)

  it.effect("refuses without a terminal (exit 2)", () =>
    Effect.gen(function*() {
      const r = yield* runCli(["submit", "--interactive"]).pipe(Effect.provide(Backend.layerMemory()))
      assert.strictEqual(r.code, 2)
      assert.match(r.stderr, /^error: submit --interactive needs a terminal/)
    }))
})
