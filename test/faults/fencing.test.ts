/**
 * Bug 6c on a real Redis: only the current holder of a job can record its
 * outcome. Worker A (a child process) takes a job and its handler blocks
 * A's event loop past the lease (so A neither renews nor heartbeats);
 * worker B's reaper recovers the job, B runs and completes it. When A's
 * handler returns, A's completion is refused (`LeaseLostError`, counted
 * as `leaseLost`) and writes nothing: B's outcome stands.
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Bananas from "../../src/Bananas.ts"
import * as Tasks from "../../src/Tasks.ts"
import * as Handlers from "../../src/worker/HandlerRegistry.ts"
import * as Worker from "../../src/worker/Worker.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"

const fixture = fileURLToPath(new URL("./fixtures/blocking-worker.ts", import.meta.url))

layer(RedisServer.layer, { timeout: 30_000, excludeTestServices: true })("6c: fencing", (it) => {
  it.effect("a worker whose lease lapsed while its handler blocked the event loop records nothing; the other run's outcome stands", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      const raw = server.raw
      const prefix = uniquePrefix("fence")
      const backend = Bananas.layerRedis({ url: server.url, prefix })
      const { id } = yield* Tasks.submit("slow", {}, { maxRetries: 3 }).pipe(Effect.provide(backend))

      // Worker A takes it and blocks for 3 s (lease and heartbeat: 1 s).
      let stdout = ""
      const child = yield* Effect.acquireRelease(
        Effect.sync(() =>
          spawn(process.execPath, [fixture], {
            env: { ...process.env, REDIS_URL: server.url, BANANAS_PREFIX: prefix, BLOCK_MS: "3000" },
            stdio: ["ignore", "pipe", "inherit"]
          })
        ),
        (c) => Effect.sync(() => c.kill("SIGKILL"))
      )
      child.stdout!.on("data", (chunk: Buffer) => { stdout += chunk.toString() })
      const until = (what: string, check: () => boolean) =>
        Effect.gen(function*() {
          const deadline = Date.now() + 15_000
          while (!check()) {
            if (Date.now() > deadline) return assert.fail(`timed out waiting for ${what}; child said: ${stdout}`)
            yield* Effect.sleep("20 millis")
          }
        })
      yield* until("A to start the job", () => stdout.includes("started"))

      // Worker B recovers it once A's lease and heartbeat lapse, and completes it.
      const handlers = Handlers.empty.pipe(Handlers.addRaw("slow", () => Effect.succeed({ by: "B" })))
      const result = yield* Tasks.waitForResult(id, { timeout: "10 seconds" }).pipe(
        Effect.provide(Worker.layer({ handlers, workerId: "B", reaperInterval: "100 millis", leaseDuration: "1 second", scheduler: false }).pipe(
          Layer.provideMerge(backend)
        ))
      )
      assert.strictEqual(result.status, "completed")
      assert.strictEqual(result.result, `{"by":"B"}`)

      // A's handler returns; its outcome is fenced off.
      const lastCounts = () => {
        const lines = stdout.trim().split("\n").filter((l) => l.startsWith("counts "))
        return lines.length === 0 ? undefined : JSON.parse(lines[lines.length - 1]!.slice(7)) as { processed: number; leaseLost: number }
      }
      yield* until("A's outcome to be refused", () => (lastCounts()?.leaseLost ?? 0) >= 1)
      assert.strictEqual(lastCounts()!.processed, 0, "A recorded no completion")
      const hash = yield* Effect.promise(() => raw.hgetall(`${prefix}result:${id}`))
      assert.strictEqual(hash.result, `{"by":"B"}`, "B's result was never overwritten")
      const job = JSON.parse((yield* Effect.promise(() => raw.get(`${prefix}job:${id}`)))!)
      assert.strictEqual(job.status, "completed")
      assert.strictEqual(job.attempts, 1, "one recovery counted")
      assert.deepStrictEqual(yield* Effect.promise(() => raw.lrange(`${prefix}queue:processing`, 0, -1)), [])
      assert.deepStrictEqual(yield* Effect.promise(() => raw.hgetall(`${prefix}lease:tokens`)), {})
    }).pipe(Effect.scoped))
})
