/**
 * Schedules as data and their transitions, without Redis: validation
 * (typed errors naming the field), slots from Effect's `Cron` across DST
 * in Europe/Berlin and America/New_York, interval slots, each misfire
 * policy's decision, and the plans the transitions return (table tests:
 * the guards that make a second firing of a slot a no-op, the state hash
 * in Go's shape, Go's lock honoured).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Result from "effect/Result"
import * as JobCodec from "../../src/domain/JobCodec.ts"
import type { RawJson } from "../../src/domain/RawJson.ts"
import * as Schedule from "../../src/domain/Schedule.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import * as T from "../../src/protocol/ScheduleTransitions.ts"
import * as Wire from "../../src/protocol/Wire.ts"

const payload = `{"order_id":12345678901234567890,"b":1,"a":2}` as RawJson
const at = (iso: string) => Date.parse(iso) / 1000
const iso = (s: number) => new Date(s * 1000).toISOString()
const now = at("2026-01-01T00:00:00Z")

const make = (input: Partial<Schedule.ScheduleInput>) =>
  Schedule.make({ id: "s1", job: { name: "report", payload }, ...input } as Schedule.ScheduleInput, now)
const valid = (input: Partial<Schedule.ScheduleInput>) => Result.getOrThrow(make(input))

describe("Schedule", () => {
  it("refuses bad input with a ValidationError naming the field", () => {
    const cases: ReadonlyArray<readonly [Partial<Schedule.ScheduleInput>, string, string]> = [
      [{ id: "a b", cron: "* * * * *" }, "id", "[A-Za-z0-9_.-]"],
      [{ cron: "* * * *" }, "cron", "5 fields"],
      [{ cron: "61 * * * *" }, "cron", "61 * * * *"],
      [{}, "cron", "exactly one of cron"],
      [{ cron: "* * * * *", every: 5 }, "cron", "exactly one of cron"],
      [{ every: 0 }, "every", "at least 1"],
      [{ every: 1.5 }, "every", "whole number"],
      [{ cron: "* * * * *", timeZone: "Mars/Olympus" }, "timeZone", "Mars/Olympus"],
      [{ cron: "* * * * *", job: { name: "", payload } }, "job.name", "non-empty"],
      [{ cron: "* * * * *", job: { name: "bananas.event", payload } }, "job.name", "reserved"],
      [{ cron: "* * * * *", job: { name: "x", payload: "{" as RawJson } }, "job.payload", "valid JSON"],
      [{ cron: "* * * * *", job: { name: "x", payload, priority: "urgent" as never } }, "job.priority", "urgent"],
      [{ cron: "* * * * *", job: { name: "x", payload, routingKey: "a b" } }, "job.routingKey", "routing key"],
      [{ cron: "* * * * *", limit: 0 }, "limit", "positive"],
      [{ cron: "* * * * *", start: 100, end: 50 }, "end", "before start"],
      [{ cron: "* * * * *", misfire: { policy: "each", max: 0 } }, "misfire.max", "positive"]
    ]
    for (const [input, field, text] of cases) {
      const r = make(input)
      assert.isTrue(Result.isFailure(r), JSON.stringify(input))
      if (Result.isFailure(r)) {
        assert.strictEqual(r.failure._tag, "ValidationError")
        assert.strictEqual(r.failure.field, field, JSON.stringify(input))
        assert.include(r.failure.message, text)
      }
    }
  })

  it("stores the payload byte for byte and reads back the same schedule", () => {
    const s = valid({ cron: "0 */5 * * * *", timeZone: "Europe/Berlin", misfire: { policy: "each", max: 3 }, limit: 10 })
    const text = Schedule.encode(s)
    const back = Result.getOrThrow(Schedule.decode("k", text))
    assert.strictEqual(back.job.payload, payload)
    assert.strictEqual(Schedule.encode(back), text)
    assert.isTrue(Result.isFailure(Schedule.decode("bananas:schedule_def:x", `{"id":1}`)))
  })

  it("a spring-forward slot runs once, moved forward by the gap; a repeated hour runs once (Berlin)", () => {
    const s = valid({ cron: "30 2 * * *", timeZone: "Europe/Berlin" })
    assert.deepStrictEqual(Schedule.nextSlots(s, at("2026-03-27T12:00:00Z"), 3).map(iso), [
      "2026-03-28T01:30:00.000Z", // 02:30 CET
      "2026-03-29T01:30:00.000Z", // 02:30 does not exist: 03:30 CEST
      "2026-03-30T00:30:00.000Z" //  02:30 CEST
    ])
    assert.deepStrictEqual(Schedule.nextSlots(s, at("2026-10-24T12:00:00Z"), 2).map(iso), [
      "2026-10-25T00:30:00.000Z", // the first 02:30 (CEST); the second (CET) does not run
      "2026-10-26T01:30:00.000Z"
    ])
  })

  it("New York: the 01:30 of fall back runs once, the 02:30 of spring forward once", () => {
    const fall = valid({ cron: "30 1 * * *", timeZone: "America/New_York" })
    assert.deepStrictEqual(Schedule.nextSlots(fall, at("2026-10-31T12:00:00Z"), 3).map(iso), [
      "2026-11-01T05:30:00.000Z", // 01:30 EDT; 01:30 EST (06:30Z) does not run
      "2026-11-02T06:30:00.000Z",
      "2026-11-03T06:30:00.000Z"
    ])
    const spring = valid({ cron: "30 2 * * *", timeZone: "America/New_York" })
    assert.deepStrictEqual(Schedule.nextSlots(spring, at("2026-03-07T12:00:00Z"), 2).map(iso), [
      "2026-03-08T07:30:00.000Z", // 02:30 does not exist: 03:30 EDT
      "2026-03-09T06:30:00.000Z"
    ])
  })

  it("interval slots count from the anchor (start, else when stored), within start and end", () => {
    const s = valid({ every: 60, start: now + 30, end: now + 200 })
    assert.deepStrictEqual(Schedule.nextSlots(s, now, 10), [now + 30, now + 90, now + 150])
    const t = valid({ every: 10 })
    assert.strictEqual(t.anchor, now)
    assert.deepStrictEqual(Schedule.nextSlots(t, now + 15, 2), [now + 20, now + 30])
  })

  it("misfire: latest fires the latest missed slot, once the earliest, each up to max", () => {
    const input = { every: 60 } as const
    const latest = valid({ ...input, misfire: { policy: "latest" } })
    // due at now + 60, now is 5 slots later: slots +60, +120, +180, +240, +300 missed
    assert.deepStrictEqual(Schedule.decide(latest, now + 60, now + 300), { fire: now + 300, skipped: 4, next: now + 360 })
    const once = valid({ ...input, misfire: { policy: "once" } })
    assert.deepStrictEqual(Schedule.decide(once, now + 60, now + 300), { fire: now + 60, skipped: 4, next: now + 360 })
    const each = valid({ ...input, misfire: { policy: "each", max: 2 } })
    assert.deepStrictEqual(Schedule.decide(each, now + 60, now + 300), { fire: now + 240, skipped: 3, next: now + 300 })
    assert.deepStrictEqual(Schedule.decide(each, now + 240, now + 300), { fire: now + 240, skipped: 0, next: now + 300 })
    // one due slot: fired whatever the policy
    for (const s of [latest, once, each]) assert.deepStrictEqual(Schedule.decide(s, now + 60, now + 61), { fire: now + 60, skipped: 0, next: now + 120 })
    // a long outage (more than maxCounted slots): the latest is still found
    const second = valid({ every: 1, misfire: { policy: "latest" } })
    const d = Schedule.decide(second, now + 1, now + 200_000)
    assert.strictEqual(d.fire, now + 200_000)
    assert.strictEqual(d.next, now + 200_001)
  })
})

describe("ScheduleTransitions", () => {
  const p = Wire.make()
  const s = valid({ cron: "0 * * * *", timeZone: "Europe/Berlin", limit: 3 })
  const data = Schedule.encode(s)
  const slot = at("2026-07-01T10:00:00Z")
  const firedAt = Timestamp.fromMillis(slot * 1000 + 250)

  it("fire: guards the definition, the slot, Go's lock, run_count and the job id; writes job, next slot and Go's state", () => {
    const step = T.fire(p, { schedule: s, data, slot, due: slot, next: slot + 3600, runCount: 1, now: firedAt })
    assert.strictEqual(step.value.id, `sched:s1:${slot}`)
    assert.strictEqual(step.value.scheduleId, "s1")
    assert.strictEqual(step.value.scheduleSlot, slot)
    assert.strictEqual(step.value.description, "Scheduled job: report (schedule: s1)")
    assert.strictEqual(step.value.maxRetries, 3)
    const json = JobCodec.encode(step.value)
    assert.include(json, `"payload":${payload},`)
    assert.isTrue(json.endsWith(`,"schedule_id":"s1","schedule_slot":${slot}}`))
    assert.deepStrictEqual(step.plan.guards.map((g) => [g.op, g.key, g.reason]), [
      ["eq", "bananas:schedule_def:s1", "changed"],
      ["zle", "bananas:schedule_due", "notDue"],
      ["absent", "bananas:schedule_lock:s1", "ownerAlive"],
      ["heq", "bananas:schedules:s1", "changed"],
      ["absent", `bananas:job:sched:s1:${slot}`, "duplicate"]
    ])
    assert.deepStrictEqual(step.plan.writes.map((w) => w.op === "publish" ? [w.op, w.channel] : [w.op, w.key]), [
      ["set", `bananas:job:sched:s1:${slot}`],
      ["del", `bananas:result:sched:s1:${slot}`],
      ["lpush", "bananas:queue:normal"],
      ["publish", "bananas:queue:wake"],
      ["zadd", "bananas:schedule_due"],
      ["hset", "bananas:schedules:s1"],
      ["hset", "bananas:schedules:s1"],
      ["hdel", "bananas:schedules:s1"]
    ])
    const hsets = step.plan.writes.filter((w) => w.op === "hset").flatMap((w) => w.op === "hset" ? w.fields : [])
    assert.deepStrictEqual(Object.fromEntries(hsets), {
      next_run: "2026-07-01T13:00:00+02:00",
      last_run: "2026-07-01T12:00:00+02:00",
      last_success: "2026-07-01T12:00:00+02:00",
      run_count: "2"
    })
  })

  it("fire: the run that reaches the limit ends the schedule (out of schedule_due, no next_run)", () => {
    const step = T.fire(p, { schedule: s, data, slot, due: slot, next: slot + 3600, runCount: 2, now: firedAt })
    const ops = step.plan.writes.map((w) => w.op === "publish" ? w.op : `${w.op} ${w.key}${w.op === "hdel" ? ` ${w.field}` : ""}`)
    assert.include(ops, "zrem bananas:schedule_due")
    assert.include(ops, "hdel bananas:schedules:s1 next_run")
    assert.notInclude(ops, "zadd bananas:schedule_due")
  })

  it("fire, never run: run_count must still be absent; run now leaves the slots alone", () => {
    const step = T.fire(p, { schedule: s, data, slot, due: undefined, next: undefined, runCount: undefined, now: firedAt })
    assert.deepStrictEqual(step.plan.guards.map((g) => g.op), ["eq", "absent", "hnil", "absent"])
    assert.isFalse(step.plan.writes.some((w) => w.op !== "publish" && w.key === "bananas:schedule_due"))
  })

  it("put: new (absent), replaced (unchanged since read), paused (out of schedule_due); remove deletes the state too", () => {
    const created = T.put(p, { previous: undefined, schedule: s, next: slot })
    assert.deepStrictEqual(created.guards.map((g) => [g.op, g.key, g.reason]), [["absent", "bananas:schedule_def:s1", "changed"]])
    assert.deepStrictEqual(created.writes.map((w) => w.op === "publish" ? w.op : `${w.op} ${w.key}`), [
      "set bananas:schedule_def:s1",
      "sadd bananas:schedule_ids",
      "zadd bananas:schedule_due",
      "hset bananas:schedules:s1"
    ])
    const paused = T.put(p, { previous: data, schedule: { ...s, enabled: false }, next: slot })
    assert.deepStrictEqual(paused.guards.map((g) => g.op), ["eq"])
    assert.include(paused.writes.map((w) => w.op === "publish" ? w.op : `${w.op} ${w.key}`), "zrem bananas:schedule_due")
    const removed = T.remove(p, "s1", data)
    assert.deepStrictEqual(removed.writes.map((w) => w.op === "publish" ? w.op : `${w.op} ${w.key}`), [
      "del bananas:schedule_def:s1",
      "srem bananas:schedule_ids",
      "zrem bananas:schedule_due",
      "del bananas:schedules:s1"
    ])
  })

  it("keys are built under the prefix, hash tag included", () => {
    const k = Wire.make({ prefix: "{bananas}:" }).keys
    assert.deepStrictEqual(
      [k.scheduleState("x"), k.scheduleLock("x"), k.scheduleDef("x"), k.scheduleIds, k.scheduleDue],
      ["{bananas}:schedules:x", "{bananas}:schedule_lock:x", "{bananas}:schedule_def:x", "{bananas}:schedule_ids", "{bananas}:schedule_due"]
    )
  })
})
