/**
 * Issue 16.16 on a real Redis: Go's cron scheduler builds its jobs without
 * ids, so two schedules firing together write one `bananas:job:` and push
 * `""` twice (PROTOCOL.md §4, vector 12). Our worker runs both deliveries;
 * the first completion wins and the other is refused (fencing), which left
 * a `""` entry in `queue:processing` for good; opting in to `reaperMaxAge`
 * then turned the completed job into a failed, dead-lettered one. Now the
 * leftover entry of a job that is final already is only removed, and
 * unleased entries are recovered after `Reaper.defaultMaxAge` by default.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Bananas from "../../src/Bananas.ts"
import * as Handlers from "../../src/worker/HandlerRegistry.ts"
import * as Reaper from "../../src/worker/Reaper.ts"
import * as Worker from "../../src/worker/Worker.ts"
import * as WorkerConfig from "../../src/worker/WorkerConfig.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"

/** Vector 12: a Go cron job, as Go's scheduler writes it. */
const cronJob = `{"id":"","name":"cleanup","description":"Scheduled job: cleanup (schedule: hourly)","payload":null,"status":"","priority":"normal","created_at":"0001-01-01T00:00:00Z","updated_at":"0001-01-01T00:00:00Z","attempts":0,"max_retries":0}`

layer(RedisServer.layer, { timeout: 30_000, excludeTestServices: true })("16.16: Go cron jobs with id \"\"", (it) => {
  it.effect("two at once: both run, nothing stays in processing, the job stays completed (not dead-lettered)", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      const prefix = uniquePrefix("gocron")
      const raw = server.raw
      yield* Effect.promise(async () => {
        await raw.set(`${prefix}job:`, cronJob)
        await raw.set(`${prefix}job:`, cronJob)
        await raw.lpush(`${prefix}queue:normal`, "")
        await raw.lpush(`${prefix}queue:normal`, "")
      })
      let runs = 0
      const handlers = Handlers.empty.pipe(Handlers.addRaw("cleanup", () => Effect.sync(() => void runs++)))
      yield* Effect.gen(function*() {
        const deadline = Date.now() + 15_000
        while (Date.now() < deadline) {
          const processing = yield* Effect.promise(() => raw.lrange(`${prefix}queue:processing`, 0, -1))
          if (runs >= 2 && processing.length === 0) break
          yield* Effect.sleep("100 millis")
        }
        yield* Effect.sleep("1500 millis") // more reaper passes: nothing changes now
      }).pipe(Effect.provide(
        Worker.layer({ handlers, concurrency: 2, reaperInterval: "100 millis", reaperMaxAge: "1 second", scheduler: false })
          .pipe(Layer.provideMerge(Bananas.layerRedis({ url: server.url, prefix })))
      ))
      assert.strictEqual(runs, 2, "both deliveries ran (as Go's workers would)")
      assert.deepStrictEqual(yield* Effect.promise(() => raw.lrange(`${prefix}queue:processing`, 0, -1)), [], "nothing stuck in processing")
      assert.deepStrictEqual(yield* Effect.promise(() => raw.lrange(`${prefix}queue:dead`, 0, -1)), [], "not dead-lettered")
      const job = JSON.parse((yield* Effect.promise(() => raw.get(`${prefix}job:`)))!)
      assert.strictEqual(job.status, "completed")
      assert.strictEqual(job.attempts, 0, "no attempt counted by the reaper")
    }))

  it("unleased entries are recovered after an hour by default; Infinity turns it off", () => {
    const config = (reaperMaxAge?: Worker.Options<never>["reaperMaxAge"]) =>
      WorkerConfig.resolve({ handlers: Handlers.empty, ...(reaperMaxAge === undefined ? {} : { reaperMaxAge }) })
    const byDefault = config()
    assert.isTrue(byDefault._tag === "Success" && byDefault.success.reaperMaxAge === Reaper.defaultMaxAge)
    const never = config(Infinity)
    assert.isTrue(never._tag === "Success" && never.success.reaperMaxAge === undefined)
  })
})
