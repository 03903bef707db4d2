/**
 * What the CLI says when it cannot do its job: one line on stderr naming
 * the problem and the next step, with the documented exit code; and where
 * its settings come from (flag, then environment, then default).
 */
import { assert, describe, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { spawn } from "node:child_process"
import { type AddressInfo, createServer, type Server } from "node:net"
import * as Backend from "../../src/cli/Backend.ts"
import { freePort, RedisServer, uniquePrefix } from "../support/RedisServer.ts"
import { idOf, runCli } from "./support.ts"

const live = (args: ReadonlyArray<string>, options?: Parameters<typeof runCli>[1]) =>
  runCli(args, options).pipe(Effect.provide(Backend.layerLive))

/** A redis-server that wants a password, stopped with the scope. */
const redisWithPassword = Effect.acquireRelease(
  Effect.promise(async () => {
    const port = await freePort()
    const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--requirepass", "s3cret"], {
      stdio: "ignore"
    })
    for (let i = 0; i < 200; i++) {
      const r = await new Promise<boolean>((resolve) => {
        const probe = spawn("redis-cli", ["-p", String(port), "ping"], { stdio: ["ignore", "pipe", "ignore"] })
        let out = ""
        probe.stdout.on("data", (d) => (out += String(d)))
        probe.on("close", () => resolve(out.includes("NOAUTH") || out.includes("PONG")))
      })
      if (r) break
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
    return { port, child }
  }),
  ({ child }) => Effect.sync(() => child.kill("SIGKILL"))
)

describe("cli errors", () => {
  layer(RedisServer.layer, { excludeTestServices: true })((it) => {
    it.effect("Redis down: exit 3, one line naming host:port and how to fix it", () =>
      Effect.gen(function*() {
        const port = yield* Effect.promise(freePort)
        const r = yield* live(["--redis-url", `redis://127.0.0.1:${port}`, "stats"])
        assert.strictEqual(r.code, 3)
        assert.strictEqual(r.stdout, "")
        assert.strictEqual(
          r.stderr,
          `error: cannot reach Redis at 127.0.0.1:${port}: start one with \`redis-server --port ${port}\`, or pass --redis-url (env REDIS_URL; default redis://127.0.0.1:6379)`
        )
        const verbose = yield* live(["-v", "--redis-url", `redis://127.0.0.1:${port}`, "stats"])
        assert.strictEqual(verbose.code, 3)
        assert.isAbove(verbose.stderr.split("\n").length, 1, "--verbose adds the details")
      }))

    it.effect("Redis wants a password: exit 3 and where to put it", () =>
      Effect.gen(function*() {
        const { port } = yield* redisWithPassword
        const r = yield* live(["--redis-url", `redis://127.0.0.1:${port}`, "stats"])
        assert.strictEqual(r.code, 3, r.stderr)
        assert.match(r.stderr, new RegExp(`^error: cannot connect to Redis at 127.0.0.1:${port} \\(NOAUTH\\): .*redis://:password@host:port\\) \\(--redis-url, env REDIS_URL\\)$`))
        const ok = yield* live(["--redis-url", `redis://:s3cret@127.0.0.1:${port}`, "--prefix", uniquePrefix("auth"), "stats"])
        assert.strictEqual(ok.code, 0, ok.stderr)
      }))

    it.effect("a bad Redis URL is a usage error", () =>
      Effect.gen(function*() {
        const r = yield* live(["--redis-url", "http://localhost:6379", "stats"])
        assert.strictEqual(r.code, 2)
        assert.match(r.stderr, /^error: --redis-url must start with redis:\/\/ or rediss:\/\//)
      }))

    it.effect("settings: the flag wins over the environment, the environment over the default", () =>
      Effect.gen(function*() {
        const server = yield* RedisServer
        const prefix = uniquePrefix("env")
        const env = { REDIS_URL: server.url, BANANAS_PREFIX: prefix }
        const submitted = yield* live(["--json", "submit", "from_env"], { env })
        assert.strictEqual(submitted.code, 0, submitted.stderr)
        const id = idOf(submitted)
        assert.strictEqual(yield* Effect.promise(() => server.raw.exists(`${prefix}job:${id}`)), 1)
        const other = uniquePrefix("flag")
        const viaFlag = yield* live(["--json", "--prefix", other, "get", id], { env })
        assert.strictEqual(viaFlag.code, 1, "the flag's prefix holds no such job")
        const port = yield* Effect.promise(freePort)
        const wrongEnv = yield* live(["stats"], { env: { REDIS_URL: `redis://127.0.0.1:${port}` } })
        assert.strictEqual(wrongEnv.code, 3)
        assert.include(wrongEnv.stderr, `127.0.0.1:${port}`)
      }))

    it.effect("the commands that run on Redis refuse --api-url and BANANAS_API_URL instead of using another Redis", () =>
      Effect.gen(function*() {
        const server = yield* RedisServer
        const redis = ["--redis-url", server.url, "--prefix", uniquePrefix("api")]
        for (const command of [["worker", "--handlers", "examples/cli-handlers.ts"], ["scheduler"], ["reaper"], ["serve", "--insecure", "--port", "0"]]) {
          const flag = yield* live([...redis, "--api-url", "http://127.0.0.1:1", ...command])
          assert.strictEqual(flag.code, 2, flag.stderr)
          assert.strictEqual(flag.stderr.split("\n").length, 1)
          assert.match(flag.stderr, new RegExp(`^error: ${command[0]} runs on Redis, not through the gateway: drop --api-url`))
          const env = yield* live([...redis, ...command], { env: { BANANAS_API_URL: "http://127.0.0.1:1" } })
          assert.strictEqual(env.code, 2, env.stderr)
          assert.include(env.stderr, "unset BANANAS_API_URL")
        }
      }))

    it.effect("worker --events writes job events (what webhooks and the job-outcome metrics read); without it none", () =>
      Effect.gen(function*() {
        const server = yield* RedisServer
        for (const events of [false, true]) {
          const prefix = uniquePrefix("outcomes")
          const redis = ["--redis-url", server.url, "--prefix", prefix]
          const worker = yield* Effect.forkChild(live([...redis, "worker", "--handlers", "examples/cli-handlers.ts", "--log-level", "none", ...(events ? ["--events"] : [])]))
          const called = yield* live([...redis, "call", "greet", "--data", `{"name":"Ev"}`, "--timeout", "20s"])
          assert.strictEqual(called.code, 0, called.stderr)
          yield* Fiber.interrupt(worker)
          const keys = yield* Effect.promise(() => server.raw.keys(`${prefix}*`))
          const eventKeys = keys.filter((k) => /event/i.test(k.slice(prefix.length)))
          if (events) assert.isAbove(eventKeys.length, 0, keys.join(", "))
          else assert.deepStrictEqual(eventKeys, [])
        }
      }))

    it.effect("serve on a port already in use: one line naming the address and what to do (also with -v)", () =>
      Effect.gen(function*() {
        const server = yield* RedisServer
        const busy = yield* Effect.acquireRelease(
          Effect.promise(() => new Promise<Server>((resolve) => { const s = createServer(); s.listen(0, "127.0.0.1", () => resolve(s)) })),
          (s) => Effect.promise(() => new Promise<void>((resolve) => s.close(() => resolve())))
        )
        const port = (busy.address() as AddressInfo).port
        const expected = `error: cannot listen on 127.0.0.1:${port}: the address is already in use (another gateway?): stop that process, or pass another --port (0 = any free port)`
        for (const flags of [[], ["-v"]]) {
          const r = yield* live([...flags, "--redis-url", server.url, "--prefix", uniquePrefix("busy"), "serve", "--insecure", "--host", "127.0.0.1", "--port", String(port)])
          assert.strictEqual(r.code, 3, r.stderr)
          assert.strictEqual(r.stderr.split("\n")[0], expected)
          if (flags.length === 0) assert.strictEqual(r.stderr, expected, "one line without -v")
        }
      }))
  })
})
