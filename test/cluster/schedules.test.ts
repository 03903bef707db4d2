/**
 * Schedules on a real 3-master Redis Cluster: 4 schedulers, each on its
 * own connection (as 4 processes would be), fire an every-second cron
 * schedule for about 5 s under the default hash-tagged prefix. Every slot
 * from the first to the last has exactly one job, every key of the
 * namespace is on one master (the prefix's slot), and no node saw a
 * CROSSSLOT error.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import type { RawJson } from "../../src/domain/RawJson.ts"
import { Schedules } from "../../src/services/Schedules.ts"
import * as CronScheduler from "../../src/worker/CronScheduler.ts"
import { RedisCluster } from "../support/RedisCluster.ts"
import { bananas, rawCluster, scanAll, taggedPrefix } from "./support.ts"

layer(RedisCluster.layer, { excludeTestServices: true, timeout: "45 seconds" })("Schedules on Redis Cluster", (it) => {
  it.effect("4 schedulers, an every-second schedule: one job per slot, one slot for every key, no CROSSSLOT", () =>
    Effect.gen(function*() {
      const prefix = taggedPrefix("cron")
      const backend = () => bananas({ prefix }).pipe(Layer.orDie)
      yield* Effect.gen(function*() {
        const schedules = yield* Schedules
        yield* schedules.upsert({ id: "sec", cron: "* * * * * *", job: { name: "tick", payload: `{"n":1}` as RawJson } })
      }).pipe(Effect.provide(backend()))

      const fibers = []
      for (let i = 0; i < 4; i++) {
        fibers.push(yield* Effect.forkChild(CronScheduler.run({ pollInterval: "1 second" }).pipe(Effect.provide(backend()))))
      }
      yield* Effect.sleep("5500 millis")
      for (const f of fibers) yield* Fiber.interrupt(f)

      const c = yield* rawCluster
      const ids = [...(yield* Effect.promise(() => c.lrange(`${prefix}queue:normal`, 0, -1)))].reverse()
      const slots = ids.map((id) => Number(id.slice("sched:sec:".length)))
      assert.isAtLeast(slots.length, 4)
      const expected = Array.from({ length: slots[slots.length - 1]! - slots[0]! + 1 }, (_, i) => slots[0]! + i)
      assert.deepStrictEqual(slots, expected, "every slot once, in order")

      const keys = yield* Effect.promise(() => scanAll(c, prefix))
      assert.includeMembers(keys, [`${prefix}schedule_def:sec`, `${prefix}schedule_due`, `${prefix}schedule_ids`, `${prefix}schedules:sec`])
      const holders = yield* Effect.promise(() =>
        Promise.all(c.nodes("master").map(async (node) => (await node.keys(`${prefix.replace(/[{}]/g, "\\$&")}*`)).length)))
      assert.strictEqual(holders.filter((n) => n > 0).length, 1, `keys on one master: ${holders.join(",")}`)
      const crossslot = yield* Effect.promise(() =>
        Promise.all(c.nodes("master").map(async (node) => /errorstat_CROSSSLOT:count=(\d+)/.exec(await node.info("errorstats"))?.[1] ?? "0")))
      assert.deepStrictEqual(crossslot.map(Number), [0, 0, 0])
    }).pipe(Effect.scoped), { timeout: 40_000 })
})
