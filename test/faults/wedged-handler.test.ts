/**
 * Issue 16.3 on real processes: a handler that ignores interruption
 * (`Effect.uninterruptible` around a promise that never settles) must not
 * wedge its slot, its job or the worker's shutdown. A worker process
 * (concurrency 1, `jobTimeout` 2 s, `shutdownTimeout` 1 s) runs one; past
 * the timeout and `Execution.abandonGrace` the attempt is recorded as a
 * timeout (the job leaves processing, its lease is gone), the slot runs the
 * next job, and after SIGTERM the process exits within the shutdown
 * deadline plus the grace, its wedged job given back to its queue.
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Bananas from "../../src/Bananas.ts"
import * as Tasks from "../../src/Tasks.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"

const fixture = fileURLToPath(new URL("./fixtures/wedged-worker.ts", import.meta.url))

layer(RedisServer.layer, { timeout: 60_000, excludeTestServices: true })("16.3: a handler that ignores interruption", (it) => {
  it.effect("frees its slot and lease after the job timeout, and SIGTERM still ends the process", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      const raw = server.raw
      const prefix = uniquePrefix("wedge")
      const backend = Bananas.layerRedis({ url: server.url, prefix })
      let stdout = ""
      let exitedAt: number | undefined
      const child = yield* Effect.acquireRelease(
        Effect.sync(() =>
          spawn(process.execPath, [fixture], {
            env: { ...process.env, REDIS_URL: server.url, BANANAS_PREFIX: prefix },
            stdio: ["ignore", "pipe", "inherit"]
          })
        ),
        (c) => Effect.sync(() => c.kill("SIGKILL"))
      )
      child.stdout!.on("data", (chunk: Buffer) => { stdout += chunk.toString() })
      child.on("exit", () => { exitedAt = Date.now() })
      const until = (what: string, check: () => boolean | Promise<boolean>, ms = 20_000) =>
        Effect.gen(function*() {
          const deadline = Date.now() + ms
          while (!(yield* Effect.promise(async () => check()))) {
            if (Date.now() > deadline) return assert.fail(`timed out waiting for ${what}; child said: ${stdout}`)
            yield* Effect.sleep("50 millis")
          }
        })
      yield* until("the worker to start", () => stdout.includes("ready"))

      const wedge = yield* Tasks.submit("wedge", {}, { maxRetries: 0 }).pipe(Effect.provide(backend))
      const ok = yield* Tasks.submit("ok", {}).pipe(Effect.provide(backend))
      // The only slot is wedged for the timeout (2 s) and the grace (2 s); then `ok` runs.
      const result = yield* Tasks.waitForResult(ok.id, { timeout: "15 seconds" }).pipe(Effect.provide(backend))
      assert.strictEqual(result.status, "completed")
      const job = JSON.parse((yield* Effect.promise(() => raw.get(`${prefix}job:${wedge.id}`)))!)
      assert.strictEqual(job.status, "failed", "the wedged attempt was recorded (no retries left: dead-lettered)")
      assert.include(job.error, "context deadline exceeded")
      assert.include(job.error, "abandoned")
      assert.deepStrictEqual(yield* Effect.promise(() => raw.lrange(`${prefix}queue:dead`, 0, -1)), [wedge.id])
      assert.deepStrictEqual(yield* Effect.promise(() => raw.lrange(`${prefix}queue:processing`, 0, -1)), [])
      assert.deepStrictEqual(yield* Effect.promise(() => raw.hgetall(`${prefix}lease:tokens`)), {})

      // A second wedged job holds the slot when SIGTERM comes: the process exits anyway.
      const second = yield* Tasks.submit("wedge", {}).pipe(Effect.provide(backend))
      yield* until("the second wedged job to run", async () => (await raw.lrange(`${prefix}queue:processing`, 0, -1)).includes(second.id))
      const signalledAt = Date.now()
      child.kill("SIGTERM")
      // shutdownTimeout (1 s) + abandonGrace (2 s) + teardown; before the fix it never exited.
      yield* until("the process to exit after SIGTERM", () => exitedAt !== undefined, 15_000)
      assert.isBelow(exitedAt! - signalledAt, 10_000)
      assert.deepStrictEqual(yield* Effect.promise(() => raw.lrange(`${prefix}queue:normal`, 0, -1)), [second.id], "given back to its queue")
      assert.deepStrictEqual(yield* Effect.promise(() => raw.lrange(`${prefix}queue:processing`, 0, -1)), [])
    }).pipe(Effect.scoped))
})
