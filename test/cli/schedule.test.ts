/**
 * `bananas schedule` in-process on a real Redis (the file's own
 * redis-server, a fresh prefix): add (cron in a zone, interval with a
 * limit), list, next, run, pause, resume, rm, as text and `--json`; bad
 * flags are usage errors (exit 2) that write nothing; an unknown schedule
 * exits non-zero. `bananas scheduler` fires schedules and promotes due jobs
 * (each can be turned off, not both); `bananas worker` fires schedules by
 * default and not with `--no-cron`. With `--api-url` the schedule commands
 * go through the gateway.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Bananas from "../../src/Bananas.ts"
import * as Gateway from "../../src/gateway/Gateway.ts"
import * as Backend from "../../src/cli/Backend.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"
import { type Run, runCli } from "./support.ts"

const handlers = "examples/cli-handlers.ts"

/** The ids of the jobs named `name` (`list --json`). */
const idsNamed = (run: (...args: ReadonlyArray<string>) => Effect.Effect<Run>, name: string) =>
  Effect.map(run("--json", "list", "--name", name, "--all"), (r) => r.lines.map((line) => JSON.parse(line).id as string))

/** Polls `check` every 100 ms until it holds (at most `seconds`); true when it did. */
const eventually = (check: Effect.Effect<boolean>, seconds: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < seconds * 10; i++) {
      if (yield* check) return true
      yield* Effect.sleep("100 millis")
    }
    return yield* check
  })

/** run, pause, resume, rm of the schedule `nightly` (stored with no run yet), then a run of it fails naming it. */
const lifecycle = (run: (...args: ReadonlyArray<string>) => Effect.Effect<Run>) =>
  Effect.gen(function*() {
    const ran = yield* run("run", "nightly", "--json")
    assert.strictEqual(ran.code, 0, ran.stderr)
    assert.match(JSON.parse(ran.stdout).id, /^sched:nightly:\d+$/)
    assert.match((yield* run("pause", "nightly")).stdout, /^paused nightly .* paused {2}runs 1$/)
    assert.match((yield* run("resume", "nightly")).stdout, /^resumed nightly .* next \d{4}-/)
    assert.strictEqual((yield* run("rm", "nightly")).stdout, "removed nightly")
    const gone = yield* run("run", "nightly")
    assert.strictEqual(gone.code, 1)
    assert.include(gone.stderr, "nightly")
  })

layer(RedisServer.layer, { timeout: 60_000, excludeTestServices: true })("bananas schedule", (it) => {
  it.effect("add, list, next, run, pause, resume, rm", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      const base = ["--redis-url", server.url, "--prefix", uniquePrefix("clisched")]
      const run = (...args: ReadonlyArray<string>) => runCli([...base, "schedule", ...args]).pipe(Effect.provide(Backend.layerLive))

      const added = yield* run("add", "nightly", "--cron", "30 2 * * *", "--tz", "Europe/Berlin", "--name", "cleanup", "--data", `{"n":12345678901234567890}`, "--misfire", "each:2")
      assert.strictEqual(added.code, 0, added.stderr)
      assert.match(added.stdout, /^stored nightly {2}cron "30 2 \* \* \*" Europe\/Berlin {2}cleanup {2}next \d{4}-.*Z {2}runs 0$/)
      const beat = yield* run("add", "beat", "--every", "60", "--name", "heartbeat", "--limit", "2", "--json")
      assert.strictEqual(beat.code, 0, beat.stderr)
      assert.strictEqual(JSON.parse(beat.stdout).schedule.limit, 2)

      const listed = yield* run("list")
      assert.deepStrictEqual(listed.lines.map((l) => l.split("  ")[0]), ["beat", "nightly"])
      const next = yield* run("next", "nightly", "--count", "3", "--json")
      assert.strictEqual(JSON.parse(next.stdout).slots.length, 3)

      yield* lifecycle(run)
    }))

  it.effect("bad flags are usage errors and write nothing", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      const base = ["--redis-url", server.url, "--prefix", uniquePrefix("clisched")]
      const run = (...args: ReadonlyArray<string>) => runCli([...base, "schedule", ...args]).pipe(Effect.provide(Backend.layerLive))
      const misfire = yield* run("add", "x", "--every", "5", "--name", "a", "--misfire", "sometimes")
      assert.strictEqual(misfire.code, 2)
      assert.include(misfire.stderr, "--misfire")
      const data = yield* run("add", "x", "--every", "5", "--name", "a", "--data", "{")
      assert.strictEqual(data.code, 2)
      const cron = yield* run("add", "x", "--cron", "* * *", "--name", "a")
      assert.notStrictEqual(cron.code, 0)
      assert.include(cron.stderr, "cron")
      assert.strictEqual((yield* run("list")).stdout, "no schedules")
    }))

  it.effect("bananas scheduler fires schedules and promotes due jobs; --no-cron and --no-promote not both", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      const base = ["--redis-url", server.url, "--prefix", uniquePrefix("clisched")]
      const run = (...args: ReadonlyArray<string>) => runCli([...base, ...args]).pipe(Effect.provide(Backend.layerLive))
      assert.strictEqual((yield* run("schedule", "add", "beat", "--every", "1", "--name", "tick")).code, 0)
      assert.strictEqual((yield* run("submit", "later", "--in", "1s")).code, 0)
      const idle = yield* run("scheduler", "--no-cron", "--no-promote")
      assert.strictEqual(idle.code, 2)
      assert.include(idle.stderr, "--no-cron and --no-promote")

      const scheduler = yield* Effect.forkChild(run("scheduler", "--log-level", "none"))
      const fired = yield* eventually(Effect.map(idsNamed(run, "tick"), (ids) => ids.length >= 2), 15)
      const promoted = yield* eventually(Effect.map(run("--json", "stats"), (r) => JSON.parse(r.stdout).scheduled === 0), 15)
      yield* Fiber.interrupt(scheduler)
      assert.isTrue(fired, "the scheduler fired the every-second schedule")
      assert.isTrue(promoted, "the scheduler promoted the due job")
      for (const id of yield* idsNamed(run, "tick")) assert.match(id, /^sched:beat:\d+$/)
      assert.strictEqual(JSON.parse((yield* run("--json", "stats")).stdout).queued.normal, (yield* idsNamed(run, "tick")).length + 1)

      // Promotion only: the schedule stays unfired.
      assert.strictEqual((yield* run("schedule", "add", "quiet", "--every", "1", "--name", "hush")).code, 0)
      const promoter = yield* Effect.forkChild(run("scheduler", "--no-cron", "--log-level", "none"))
      yield* Effect.sleep("2500 millis")
      yield* Fiber.interrupt(promoter)
      assert.deepStrictEqual(yield* idsNamed(run, "hush"), [], "--no-cron fires no schedule")
    }))

  it.effect("bananas worker fires schedules by default, not with --no-cron", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      const base = ["--redis-url", server.url, "--prefix", uniquePrefix("clisched")]
      const run = (...args: ReadonlyArray<string>) => runCli([...base, ...args]).pipe(Effect.provide(Backend.layerLive))
      assert.strictEqual((yield* run("schedule", "add", "hello", "--every", "1", "--name", "echo", "--data", `{"n":12345678901234567890}`)).code, 0)

      const quiet = yield* Effect.forkChild(run("worker", "--handlers", handlers, "--no-cron", "--log-level", "none"))
      yield* Effect.sleep("2500 millis")
      yield* Fiber.interrupt(quiet)
      assert.deepStrictEqual(yield* idsNamed(run, "echo"), [], "--no-cron fires no schedule")

      const worker = yield* Effect.forkChild(run("worker", "--handlers", handlers, "--log-level", "none"))
      const ran = yield* eventually(Effect.gen(function*() {
        const [id] = yield* idsNamed(run, "echo")
        if (id === undefined) return false
        const result = yield* run("--json", "result", id)
        return result.code === 0 && JSON.parse(result.stdout).status === "completed"
      }), 15)
      yield* Fiber.interrupt(worker)
      assert.isTrue(ran, "the worker fired the schedule and ran its job")
      const [id] = yield* idsNamed(run, "echo")
      assert.match(id!, /^sched:hello:\d+$/)
      assert.include((yield* run("--json", "result", id!)).stdout, `"result":{"n":12345678901234567890}`)
    }))

  it.effect("through the gateway (--api-url): add, list, next, run, pause, resume, rm, and a 404 naming the schedule", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      const prefix = uniquePrefix("clisched")
      const services = yield* Layer.build(Bananas.layerRedis({ url: server.url, prefix }))
      const gateway = yield* Layer.build(Gateway.layer({ apiKeys: ["cli:k3y"], port: 0, host: "127.0.0.1", accessLog: false }).pipe(
        Layer.provide(Layer.succeedContext(services))
      ))
      const url = yield* Effect.provideContext(Gateway.localUrl, gateway)
      // The Redis URL points nowhere: every command must go through the gateway.
      const base = ["--redis-url", "redis://127.0.0.1:1", "--api-url", url, "--api-key", "k3y"]
      const run = (...args: ReadonlyArray<string>) => runCli([...base, "schedule", ...args]).pipe(Effect.provide(Backend.layerLive))

      const added = yield* run("add", "nightly", "--cron", "30 2 * * *", "--tz", "Europe/Berlin", "--name", "cleanup", "--data", `{"n":12345678901234567890}`, "--json")
      assert.strictEqual(added.code, 0, added.stderr)
      assert.strictEqual(JSON.parse(added.stdout).schedule.job.payload, `{"n":12345678901234567890}`)
      assert.deepStrictEqual((yield* run("list")).lines.map((l) => l.split("  ")[0]), ["nightly"])
      assert.strictEqual(JSON.parse((yield* run("next", "nightly", "--count", "2", "--json")).stdout).slots.length, 2)
      yield* lifecycle(run)
      // What the gateway stored is on its Redis.
      const onRedis = yield* Effect.promise(() => server.raw.exists(`${prefix}schedules:nightly`, `${prefix}schedule_def:nightly`))
      assert.strictEqual(onRedis, 0, "rm removed the definition and state from the gateway's Redis")
    }).pipe(Effect.scoped))
})
