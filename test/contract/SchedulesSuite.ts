/**
 * The contract of the `Schedules` service (src/services/Schedules.ts
 * JSDoc) for managing schedules, run against every implementation: the
 * service over each backend's storage, and over HTTP through a gateway
 * (test/http/contract.*.test.ts). Firing (`fireDue`) runs next to the
 * storage only: test/protocol, test/differential and the cron scheduler
 * tests cover it.
 */
import { assert, describe } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type { RawJson } from "../../src/domain/RawJson.ts"
import { Schedules } from "../../src/services/Schedules.ts"
import { fresh, type It, uid } from "./Fixtures.ts"

const payload = `{"order_id":12345678901234567890,"b":"é <&>","a":[1.50,2e3]}` as RawJson

/** Registers the Schedules contract tests in the current layer block. */
export const schedulesTests = (it: It) => {
  describe("Schedules", () => {
    it.effect("upsert stores the definition (payload byte for byte) and Go's state hash; get and list read it back", () =>
      Effect.gen(function*() {
        const { raw: r, keys } = yield* fresh
        const schedules = yield* Schedules
        const id = uid("nightly")
        const stored = yield* schedules.upsert({
          id,
          cron: "30 2 * * *",
          timeZone: "Europe/Berlin",
          job: { name: "cleanup", payload, priority: "low", maxRetries: 2, description: "nightly cleanup" },
          misfire: { policy: "each", max: 3 }
        })
        assert.strictEqual(stored.schedule.id, id)
        assert.strictEqual(stored.schedule.job.payload, payload)
        assert.strictEqual(stored.schedule.job.priority, "low")
        assert.deepStrictEqual(stored.schedule.misfire, { policy: "each", max: 3 })
        assert.isTrue(stored.schedule.enabled)
        const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
        assert.isAbove(stored.nextSlot!, now)
        assert.isAtMost(stored.nextSlot!, now + 25 * 3600)
        assert.match(stored.state.next_run!, /T02:30:00\+0[12]:00$/)
        assert.strictEqual((yield* r.hgetall(keys.scheduleState(id))).next_run, stored.state.next_run)

        assert.deepStrictEqual(yield* schedules.get(id), stored)
        const again = yield* schedules.upsert({
          id,
          cron: "30 2 * * *",
          timeZone: "Europe/Berlin",
          job: { name: "cleanup", payload, priority: "low", maxRetries: 2, description: "nightly cleanup" },
          misfire: { policy: "each", max: 3 }
        })
        assert.deepStrictEqual(again, stored, "storing the same definition again changes nothing")

        const other = uid("beat")
        yield* schedules.upsert({ id: other, every: 60, job: { name: "heartbeat", payload: "null" as RawJson } })
        const listed = (yield* schedules.list).map((v) => v.schedule.id)
        assert.deepStrictEqual(listed, [id, other].sort())
      }))

    it.effect("bad definitions are ValidationErrors naming the field, and nothing is stored", () =>
      Effect.gen(function*() {
        yield* fresh
        const schedules = yield* Schedules
        const id = uid("bad")
        const cron = yield* Effect.flip(schedules.upsert({ id, cron: "* * *", job: { name: "x", payload } }))
        assert.strictEqual(cron._tag, "ValidationError")
        assert.strictEqual((cron as { readonly field?: string }).field, "cron")
        const both = yield* Effect.flip(schedules.upsert({ id, cron: "* * * * *", every: 5, job: { name: "x", payload } }))
        assert.strictEqual(both._tag, "ValidationError")
        const zone = yield* Effect.flip(schedules.upsert({ id, cron: "* * * * *", timeZone: "Mars/Olympus", job: { name: "x", payload } }))
        assert.strictEqual(zone._tag, "ValidationError")
        assert.strictEqual((zone as { readonly field?: string }).field, "timeZone")
        assert.deepStrictEqual(yield* schedules.list, [])
      }))

    it.effect("an unknown schedule is a ScheduleNotFoundError naming it, for every operation naming one", () =>
      Effect.gen(function*() {
        yield* fresh
        const schedules = yield* Schedules
        const id = uid("ghost")
        for (const operation of [schedules.get(id), schedules.remove(id), schedules.pause(id), schedules.resume(id), schedules.runNow(id), schedules.preview(id, 3)]) {
          const error = yield* Effect.flip(operation as Effect.Effect<unknown, { readonly _tag: string; readonly message: string }>)
          assert.strictEqual(error._tag, "ScheduleNotFoundError")
          assert.strictEqual((error as { readonly scheduleId?: string }).scheduleId, id)
          assert.include(error.message, id)
        }
      }))

    it.effect("pause takes the schedule off the due set, resume puts it back from its next slot after now", () =>
      Effect.gen(function*() {
        const { raw: r, keys } = yield* fresh
        const schedules = yield* Schedules
        const id = uid("beat")
        yield* schedules.upsert({ id, every: 30, job: { name: "heartbeat", payload } })
        const paused = yield* schedules.pause(id)
        assert.isFalse(paused.schedule.enabled)
        assert.isUndefined(paused.nextSlot)
        assert.isUndefined((yield* schedules.get(id)).nextSlot)
        assert.isUndefined(yield* r.zscore(keys.scheduleDue, id))
        const resumed = yield* schedules.resume(id)
        assert.isTrue(resumed.schedule.enabled)
        const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
        assert.isAbove(resumed.nextSlot!, now - 1)
        assert.isAtMost(resumed.nextSlot!, now + 30)
        assert.strictEqual(Number(yield* r.zscore(keys.scheduleDue, id)), resumed.nextSlot)
      }))

    it.effect("runNow enqueues the job of the current second's slot (Go's JSON, the schedule's fields after Go's) and counts it", () =>
      Effect.gen(function*() {
        const { raw: r, keys } = yield* fresh
        const schedules = yield* Schedules
        const id = uid("report")
        const stored = yield* schedules.upsert({ id, cron: "0 9 * * 1-5", job: { name: "send_report", payload, priority: "high" } })
        const before = Math.floor((yield* Clock.currentTimeMillis) / 1000)
        const job = yield* schedules.runNow(id)
        const after = Math.floor((yield* Clock.currentTimeMillis) / 1000)
        assert.match(job.id, new RegExp(`^sched:${id}:\\d+$`))
        assert.strictEqual(job.scheduleId, id)
        assert.isAtLeast(job.scheduleSlot!, before)
        assert.isAtMost(job.scheduleSlot!, after)
        assert.strictEqual(job.id, `sched:${id}:${job.scheduleSlot}`)
        assert.strictEqual(job.name, "send_report")
        assert.strictEqual(job.payload, payload)
        assert.strictEqual(job.priority, "high")
        assert.include(yield* r.lrange(keys.queue("high")), job.id)
        const view = yield* schedules.get(id)
        assert.strictEqual(view.state.run_count, "1")
        assert.strictEqual(view.nextSlot, stored.nextSlot, "the schedule's slots are unchanged")
      }))

    it.effect("preview gives the next slots in order; a count out of 1..1000 is a ValidationError naming count", () =>
      Effect.gen(function*() {
        yield* fresh
        const schedules = yield* Schedules
        const id = uid("quarter")
        yield* schedules.upsert({ id, cron: "*/15 * * * *", job: { name: "tick", payload } })
        const slots = yield* schedules.preview(id, 4)
        assert.strictEqual(slots.length, 4)
        for (const slot of slots) assert.strictEqual(slot % 900, 0)
        for (let i = 1; i < slots.length; i++) assert.strictEqual(slots[i]! - slots[i - 1]!, 900)
        const bad = yield* Effect.flip(schedules.preview(id, 0))
        assert.strictEqual(bad._tag, "ValidationError")
        assert.strictEqual((bad as { readonly field?: string }).field, "count")
      }))

    it.effect("remove deletes the definition and its state; the jobs it enqueued stay", () =>
      Effect.gen(function*() {
        const { raw: r, keys } = yield* fresh
        const schedules = yield* Schedules
        const id = uid("once")
        yield* schedules.upsert({ id, every: 3600, job: { name: "hourly", payload } })
        const job = yield* schedules.runNow(id)
        yield* schedules.remove(id)
        assert.strictEqual((yield* Effect.flip(schedules.get(id)))._tag, "ScheduleNotFoundError")
        assert.isUndefined(yield* r.get(keys.scheduleDef(id)))
        assert.deepStrictEqual(yield* r.hgetall(keys.scheduleState(id)), {})
        assert.isUndefined(yield* r.zscore(keys.scheduleDue, id))
        assert.isDefined(yield* r.get(keys.job(job.id)), "the job stays")
        assert.deepStrictEqual(yield* schedules.list, [])
      }))
  })
}
