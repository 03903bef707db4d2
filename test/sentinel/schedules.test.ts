/**
 * Schedules through a Sentinel failover (a master, a replica, three
 * sentinels; its own fixture, so its own failover): three cron scheduler
 * loops, each on its own sentinel-configured connection, fire two
 * every-second schedules while the master is SIGKILLed and the replica
 * promoted. Exactly one job per slot survives on the promoted master (a
 * firing lost with the old master is lost with its state, so it is fired
 * again, once), and the misfire policies keep their promises across the
 * outage:
 *
 * - `each` (max 10, more than the outage lasts): every slot from the first
 *   to the last has its job, the missed ones caught up after the failover;
 * - `latest`: one contiguous run of missed slots at most, inside the
 *   failover window, and every slot after it fired.
 *
 * The state hash (`run_count`) counts exactly the jobs that survived.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as References from "effect/References"
import { Redis } from "ioredis"
import * as JobCodec from "../../src/domain/JobCodec.ts"
import type { RawJson } from "../../src/domain/RawJson.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import * as BananasRedis from "../../src/layers/redis/BananasRedis.ts"
import { Schedules } from "../../src/services/Schedules.ts"
import * as CronScheduler from "../../src/worker/CronScheduler.ts"
import { RedisSentinel } from "../support/RedisSentinel.ts"
import { uniquePrefix } from "../support/RedisServer.ts"

const payload = `{"n":12345678901234567890}` as RawJson

/** The jobs of a queue on the node at `port`, oldest first, with their slots and lateness. */
const jobsOf = async (port: number, prefix: string, queue: string, id: string) => {
  const r = new Redis({ port, host: "127.0.0.1", lazyConnect: true, retryStrategy: () => null })
  r.on("error", () => {})
  await r.connect()
  try {
    const ids = [...await r.lrange(`${prefix}queue:${queue}`, 0, -1)].reverse()
    const datas = ids.length === 0 ? [] : await r.mget(ids.map((jobId) => `${prefix}job:${jobId}`))
    const jobs = datas.map((data, i) => {
      const decoded = JobCodec.decode(data ?? "")
      if (decoded._tag !== "Success") throw new Error(`job ${ids[i]} does not decode: ${data}`)
      return decoded.success
    })
    const state = await r.hgetall(`${prefix}schedules:${id}`)
    return { ids, jobs, state }
  } finally {
    r.disconnect()
  }
}

layer(RedisSentinel.layer, { excludeTestServices: true, timeout: "45 seconds" })("Schedules on Redis Sentinel", (it) => {
  it.effect("a failover under three schedulers: one job per slot; each catches up every missed slot, latest leaves one gap in the window", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisSentinel
      const prefix = uniquePrefix("sfail")
      const redis = (name: string) =>
        Layer.fresh(BananasRedis.layer({ sentinel: { sentinels: fixture.sentinels, name: fixture.name }, prefix, connectionName: name })).pipe(Layer.orDie)

      yield* Effect.gen(function*() {
        const schedules = yield* Schedules
        yield* schedules.upsert({ id: "each", cron: "* * * * * *", job: { name: "tick", payload, priority: "high" }, misfire: { policy: "each", max: 10 } })
        yield* schedules.upsert({ id: "latest", cron: "* * * * * *", job: { name: "tock", payload, priority: "low" } })
      }).pipe(Effect.provide(redis("setup")))
      const started = Date.now()

      const schedulers = yield* Effect.forEach([1, 2, 3], (i) =>
        Effect.forkChild(CronScheduler.run().pipe(
          Effect.provide(redis(`scheduler-${i}`)),
          // Passes fail while the master is down: logged as warnings, not what this test reads.
          Effect.provideService(References.MinimumLogLevel, "Error")
        )))

      yield* Effect.sleep("4 seconds")
      const killed = Date.now()
      const old = yield* fixture.killMaster
      const promoted = yield* fixture.waitForFailover(old)
      const recovered = Date.now()
      assert.notStrictEqual(promoted, old)
      // Long enough after the promotion for the clients to reconnect and fire on.
      yield* Effect.sleep("6 seconds")
      const stopped = Date.now()
      yield* Effect.forEach(schedulers, Fiber.interrupt, { discard: true })
      assert.isBelow(recovered - killed, 9_000, "the outage is shorter than the each policy's catch-up (10 slots)")

      const figures: Array<string> = []
      for (const [id, queue] of [["each", "high"], ["latest", "low"]] as const) {
        const { ids, jobs, state } = yield* Effect.promise(() => jobsOf(promoted, prefix, queue, id))
        assert.strictEqual(new Set(ids).size, ids.length, `${id}: no job twice`)
        const slots = jobs.map((job) => job.scheduleSlot!)
        for (const [i, job] of jobs.entries()) {
          assert.strictEqual(job.id, `sched:${id}:${slots[i]}`)
          assert.strictEqual(job.scheduleId, id)
          assert.strictEqual(job.payload, payload)
        }
        const sorted = [...slots].sort((a, b) => a - b)
        assert.strictEqual(new Set(slots).size, slots.length, `${id}: one job per slot`)
        const first = sorted[0]!, last = sorted[sorted.length - 1]!
        assert.isAtMost(first, Math.ceil(started / 1000) + 2, `${id}: fired from the start`)
        assert.isAtLeast(last, Math.floor(stopped / 1000) - 2, `${id}: fired after the failover`)
        const missing = Array.from({ length: last - first + 1 }, (_, i) => first + i).filter((s) => !sorted.includes(s))
        if (id === "each") {
          assert.deepStrictEqual(missing, [], "each: every slot from the first to the last, the missed ones caught up")
        } else {
          // latest: the slots missed while no scheduler could write are one run, inside the failover window, and every slot after it ran.
          if (missing.length > 0) {
            assert.strictEqual(missing[missing.length - 1]! - missing[0]! + 1, missing.length, `latest: one contiguous gap, got ${missing.join(",")}`)
            assert.isAtLeast(missing[0]!, Math.floor(killed / 1000) - 1, "latest: the gap starts at the kill")
            assert.isAtMost(missing[missing.length - 1]!, Math.ceil(recovered / 1000) + 5, "latest: the gap ends soon after the promotion")
          }
        }
        assert.strictEqual(Number(state.run_count), jobs.length, `${id}: run_count counts the jobs that survived`)
        const late = jobs.map((job, i) => Timestamp.toMillis(job.createdAt) - slots[i]! * 1000).sort((a, b) => a - b)
        figures.push(`${id}: ${jobs.length} jobs, slots ${first}..${last}, missing ${missing.length}, late by ms median ${late[late.length >> 1]}, max ${late[late.length - 1]}`)
      }
      yield* Effect.logInfo(`failover of ${recovered - killed} ms under 3 schedulers:\n${figures.join("\n")}`)
    }), { timeout: 40_000 })
})
