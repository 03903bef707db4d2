/**
 * The suite's split by speed (test/support/Projects.ts, vitest.config.ts):
 * every test file runs in exactly one project; in the unit project starting
 * a redis-server fails with a line saying where the file belongs, and no
 * unit test imports `node:child_process`.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import config from "../../vitest.config.ts"
import { projectOf, projectVariable, testFiles } from "../support/Projects.ts"
import { spawnRedis } from "../support/RedisProcess.ts"
import { freePort, startRedisServer } from "../support/RedisServer.ts"

const root = fileURLToPath(new URL("../../", import.meta.url))
const files = testFiles(root)

describe("test projects", () => {
  it("every test file is in exactly one project of vitest.config.ts", () => {
    assert.isAbove(files.length, 80, "the walk found the suite")
    const projects = (config.test?.projects ?? []) as ReadonlyArray<{ readonly test: { readonly name: string; readonly include: ReadonlyArray<string> } }>
    assert.deepStrictEqual(projects.map((p) => p.test.name), ["unit", "redis", "builds", "faults"])
    for (const file of files) {
      const owners = projects.filter((p) => p.test.include.includes(file)).map((p) => p.test.name)
      assert.deepStrictEqual(owners, [projectOf(file)], file)
    }
    assert.strictEqual(projects.reduce((n, p) => n + p.test.include.length, 0), files.length, "no project lists a file that is not a test")
  })

  it("the rules place files by name: kills are faults, *.redis tests leave the unit folders, new files default to redis", () => {
    assert.strictEqual(projectOf("test/faults/anything.test.ts"), "faults")
    assert.strictEqual(projectOf("test/worker/Kill.redis.test.ts"), "faults")
    assert.strictEqual(projectOf("test/protocol/Transitions.table.test.ts"), "unit")
    assert.strictEqual(projectOf("test/structure/imports.test.ts"), "unit")
    assert.strictEqual(projectOf("test/protocol/limits.redis.test.ts"), "redis")
    assert.strictEqual(projectOf("test/webhooks/replay.test.ts"), "redis")
    assert.strictEqual(projectOf("test/package/readme-install.test.ts"), "faults")
    assert.strictEqual(projectOf("test/package/pack.test.ts"), "builds")
    assert.strictEqual(projectOf("test/docs/docs.test.ts"), "builds")
  })

  it("a unit test that starts a redis-server fails, saying where the file belongs", async () => {
    assert.strictEqual(process.env[projectVariable], "unit")
    const refused = /^a unit test started redis-server: name the file \*\.redis\.test\.ts/
    const started = await startRedisServer().then(() => "started", (e: Error) => e.message)
    assert.match(started, refused)
    const spawned = await spawnRedis(["--port", String(await freePort())], { port: 0 }).then(() => "started", (e: Error) => e.message)
    assert.match(spawned, refused)
  })

  it("no unit test imports node:child_process", () => {
    const unit = files.filter((f) => projectOf(f) === "unit")
    assert.isAbove(unit.length, 25)
    const spawning = unit.filter((file) => /from\s+"node:child_process"/.test(readFileSync(join(root, file), "utf8")))
    assert.deepStrictEqual(spawning, [])
  })
})
