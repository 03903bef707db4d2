/**
 * `bananas schedule` in-process on a real Redis (the file's own
 * redis-server, a fresh prefix): add (cron in a zone, interval with a
 * limit), list, next, run, pause, resume, rm, as text and `--json`; bad
 * flags are usage errors (exit 2) that write nothing; an unknown schedule
 * exits non-zero.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Backend from "../../src/cli/Backend.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"
import { runCli } from "./support.ts"

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

      const ran = yield* run("run", "nightly", "--json")
      assert.strictEqual(ran.code, 0, ran.stderr)
      assert.match(JSON.parse(ran.stdout).id, /^sched:nightly:\d+$/)
      assert.match((yield* run("pause", "nightly")).stdout, /^paused nightly .* paused {2}runs 1$/)
      assert.match((yield* run("resume", "nightly")).stdout, /^resumed nightly .* next \d{4}-/)
      assert.strictEqual((yield* run("rm", "nightly")).stdout, "removed nightly")
      const gone = yield* run("run", "nightly")
      assert.notStrictEqual(gone.code, 0)
      assert.include(gone.stderr, "nightly")
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
})
