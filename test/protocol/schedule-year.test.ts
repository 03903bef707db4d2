/**
 * The cron scheduler loop under TestClock, on the memory layer (no Redis):
 * a year of daily slots in Europe/Berlin and America/New_York, DST changes
 * included (a spring-forward slot runs once, an hour repeated at fall back
 * runs once), every slot's job enqueued at its slot exactly once; and each
 * misfire policy after the scheduler was stopped for a while.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import { TestClock } from "effect/testing"
import * as JobCodec from "../../src/domain/JobCodec.ts"
import type { Job } from "../../src/domain/Job.ts"
import type { RawJson } from "../../src/domain/RawJson.ts"
import * as BananasMemory from "../../src/layers/memory/BananasMemory.ts"
import { MemoryStore } from "../../src/layers/memory/MemoryStore.ts"
import { Schedules } from "../../src/services/Schedules.ts"
import * as CronScheduler from "../../src/worker/CronScheduler.ts"

const payload = `{"n":12345678901234567890}` as RawJson
const start = Date.parse("2026-01-01T00:00:00Z")

const run = <A, E>(body: Effect.Effect<A, E, Schedules | MemoryStore | Scope.Scope>) =>
  body.pipe(Effect.scoped, Effect.provide(BananasMemory.layerWithStore({ prefix: "year:" })))

/** Moves virtual time forward in steps of `step`, letting the scheduler fiber run at each. */
const advance = (total: Duration.Input, step: Duration.Input) =>
  Effect.gen(function*() {
    const steps = Math.ceil(Duration.toMillis(Duration.fromInputUnsafe(total)) / Duration.toMillis(Duration.fromInputUnsafe(step)))
    for (let i = 0; i < steps; i++) {
      yield* TestClock.adjust(step)
      for (let y = 0; y < 3; y++) yield* Effect.yieldNow
    }
  })

/** The jobs queued under `queue:normal`, oldest first. */
const queued = Effect.gen(function*() {
  const store = yield* MemoryStore
  const ids = [...(yield* store.lrange(store.keys.queue("normal")))].reverse()
  const jobs: Array<Job> = []
  for (const id of ids) {
    const data = Option.getOrThrow(yield* store.get(store.keys.job(id)))
    jobs.push(JobCodec.decode(data).pipe((r) => r._tag === "Success" ? r.success : assert.fail(r.failure.message)))
  }
  return jobs
})

const slotsOf = (jobs: ReadonlyArray<Job>, scheduleId: string) =>
  jobs.filter((j) => j.scheduleId === scheduleId).map((j) => new Date(j.scheduleSlot! * 1000).toISOString())

/** The local date and time of an instant in a zone, e.g. `2026-03-29 03:30`. */
const local = (iso: string, timeZone: string) =>
  new Intl.DateTimeFormat("sv-SE", { timeZone, dateStyle: "short", timeStyle: "short" }).format(new Date(iso))

describe("CronScheduler under TestClock", () => {
  it.effect("a year of daily slots across DST in Berlin and New York: one job per slot, at its slot", () =>
    run(Effect.gen(function*() {
      yield* TestClock.setTime(start)
      const schedules = yield* Schedules
      yield* schedules.upsert({ id: "berlin", cron: "30 2 * * *", timeZone: "Europe/Berlin", job: { name: "report", payload } })
      yield* schedules.upsert({ id: "ny-fall", cron: "30 1 * * *", timeZone: "America/New_York", job: { name: "report", payload } })
      yield* schedules.upsert({ id: "ny-spring", cron: "30 2 * * *", timeZone: "America/New_York", job: { name: "report", payload } })
      const loop = yield* Effect.forkChild(CronScheduler.run({ pollInterval: "6 hours" }))
      yield* advance("365 days", "6 hours")
      yield* Fiber.interrupt(loop)
      const jobs = yield* queued

      for (const [id, zone, time] of [["berlin", "Europe/Berlin", "02:30"], ["ny-fall", "America/New_York", "01:30"], ["ny-spring", "America/New_York", "02:30"]] as const) {
        const slots = slotsOf(jobs, id)
        assert.strictEqual(slots.length, 365, id)
        assert.strictEqual(new Set(slots).size, 365, `${id}: no slot twice`)
        const days = new Set(slots.map((s) => local(s, zone).slice(0, 10)))
        assert.strictEqual(days.size, 365, `${id}: one run per local day`)
        // every run at its wall-clock time, except the spring-forward day (moved forward by the gap)
        const off = slots.filter((s) => local(s, zone).slice(11) !== time).map((s) => local(s, zone))
        assert.deepStrictEqual(off, id === "berlin" ? ["2026-03-29 03:30"] : id === "ny-spring" ? ["2026-03-08 03:30"] : [], id)
      }
      // the repeated hours ran once, at their first occurrence
      assert.include(slotsOf(jobs, "berlin"), "2026-10-25T00:30:00.000Z")
      assert.notInclude(slotsOf(jobs, "berlin"), "2026-10-25T01:30:00.000Z")
      assert.include(slotsOf(jobs, "ny-fall"), "2026-11-01T05:30:00.000Z")
      assert.notInclude(slotsOf(jobs, "ny-fall"), "2026-11-01T06:30:00.000Z")
      // enqueued at the slot (the virtual clock stands still while the loop runs)
      for (const j of jobs) assert.strictEqual(j.createdAt.seconds, j.scheduleSlot, j.id)
      // Go's state hash
      const view = yield* schedules.get("berlin")
      assert.strictEqual(view.state.run_count, "365")
      assert.strictEqual(view.state.last_run, "2026-12-31T02:30:00+01:00")
      assert.strictEqual(view.state.next_run, "2027-01-01T02:30:00+01:00")
      assert.isUndefined(view.state.last_error)
    })), 60_000)

  it.effect("misfires after the scheduler was stopped for 10 hours: latest, once, each (max 3)", () =>
    run(Effect.gen(function*() {
      yield* TestClock.setTime(start)
      const schedules = yield* Schedules
      const job = { name: "tick", payload }
      yield* schedules.upsert({ id: "latest", every: 3600, misfire: { policy: "latest" }, job })
      yield* schedules.upsert({ id: "once", every: 3600, misfire: { policy: "once" }, job })
      yield* schedules.upsert({ id: "each", every: 3600, misfire: { policy: "each", max: 3 }, job })
      yield* schedules.upsert({ id: "limited", cron: "0 * * * *", limit: 4, job })
      const h = (n: number) => new Date(start + n * 3600_000).toISOString()

      let loop = yield* Effect.forkChild(CronScheduler.run({ pollInterval: "10 minutes" }))
      yield* advance("2 hours", "10 minutes") // slots +1 h and +2 h run on time
      yield* Fiber.interrupt(loop)
      yield* TestClock.adjust("10 hours") // no scheduler: slots +3 h ... +12 h missed
      loop = yield* Effect.forkChild(CronScheduler.run({ pollInterval: "10 minutes" }))
      yield* advance("30 minutes", "10 minutes")
      yield* Fiber.interrupt(loop)

      const jobs = yield* queued
      assert.deepStrictEqual(slotsOf(jobs, "latest"), [h(1), h(2), h(12)])
      assert.deepStrictEqual(slotsOf(jobs, "once"), [h(1), h(2), h(3)])
      assert.deepStrictEqual(slotsOf(jobs, "each"), [h(1), h(2), h(10), h(11), h(12)])
      // the limit of 4 runs: 2 on time, then (latest) one for the missed ones, and nothing after
      assert.deepStrictEqual(slotsOf(jobs, "limited"), [h(1), h(2), h(12)])
      // next slots continue after now whatever the policy
      for (const id of ["latest", "once", "each"]) {
        const view = yield* schedules.get(id)
        assert.strictEqual(view.nextSlot, start / 1000 + 13 * 3600, id)
      }
    })))
})
