/**
 * The schedule endpoints of the HTTP contract, on the gateway's routes
 * in-process over a memory instance: store (the payload's JSON text kept
 * byte for byte), read, list, preview, run now (the job as Go's JSON, with
 * its schedule fields), pause, resume, remove; 400 on a bad schedule, 404
 * on an unknown one, 401 without a key. And `Schedules` over the HTTP
 * client layer: a schedule stored through it is fired by the backend's
 * scheduler; its own `fireDue` is an `ApiError` saying where slots are
 * fired; a wrong key is an `AuthenticationError`. (The operations' contract
 * over HTTP: test/contract/SchedulesSuite.ts in test/http/contract.*.)
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as BananasMemory from "../../src/layers/memory/BananasMemory.ts"
import * as Context from "effect/Context"
import type { RawJson } from "../../src/domain/RawJson.ts"
import { Schedules } from "../../src/services/Schedules.ts"
import { apiKey, clientOver, inProcessFetch } from "./Fixtures.ts"

/** A fetch on the gateway's routes over a fresh memory instance. */
const gateway = Effect.gen(function*() {
  const fetch = yield* inProcessFetch(yield* Layer.build(BananasMemory.layer().pipe(Layer.orDie)))
  return (method: string, path: string, body?: unknown, key: string | null = apiKey) =>
    Effect.promise(async () => {
      const response = await fetch(`http://gateway.test${path}`, {
        method,
        headers: { ...(key === null ? {} : { authorization: `Bearer ${key}` }), ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) })
      })
      const text = await response.text()
      return { status: response.status, text, json: text === "" ? undefined : JSON.parse(text) as Record<string, any> }
    })
})

describe("HTTP schedules", () => {
  it.effect("store, read, list, preview, run now, pause, resume, remove", () =>
    Effect.gen(function*() {
      const call = yield* gateway
      const payload = `{"big":12345678901234567890,"z":1,"a":2}`
      const stored = yield* call("PUT", "/v1/schedules/nightly", {
        cron: "30 2 * * *",
        timeZone: "Europe/Berlin",
        job: { name: "cleanup", payload, priority: "low" },
        misfire: { policy: "each", max: 2 }
      })
      assert.strictEqual(stored.status, 200, stored.text)
      assert.strictEqual(stored.json!.schedule.id, "nightly")
      assert.strictEqual(stored.json!.schedule.job.payload, payload)
      assert.isNumber(stored.json!.nextSlot)
      assert.match(stored.json!.state.next_run, /T02:30:00\+0[12]:00$/)

      assert.deepStrictEqual((yield* call("GET", "/v1/schedules")).json!.schedules.map((v: { schedule: { id: string } }) => v.schedule.id), ["nightly"])
      assert.strictEqual((yield* call("GET", "/v1/schedules/nightly")).json!.schedule.cron, "30 2 * * *")
      const next = yield* call("GET", "/v1/schedules/nightly/next?count=3")
      assert.strictEqual(next.json!.slots.length, 3)
      assert.strictEqual(next.json!.slots[1] - next.json!.slots[0] <= 90_000, true)

      const run = yield* call("POST", "/v1/schedules/nightly/run")
      assert.strictEqual(run.status, 200, run.text)
      assert.match(run.text, /^\{"id":"sched:nightly:\d+","name":"cleanup","description":"Scheduled job: cleanup \(schedule: nightly\)","payload":\{"big":12345678901234567890,"z":1,"a":2\},"status":"pending","priority":"low",/)
      assert.match(run.text, /,"schedule_id":"nightly","schedule_slot":\d+\}$/)
      assert.strictEqual((yield* call("GET", "/v1/schedules/nightly")).json!.state.run_count, "1")

      const paused = yield* call("POST", "/v1/schedules/nightly/pause")
      assert.strictEqual(paused.json!.schedule.enabled, false)
      assert.isUndefined(paused.json!.nextSlot)
      const resumed = yield* call("POST", "/v1/schedules/nightly/resume")
      assert.strictEqual(resumed.json!.schedule.enabled, true)
      assert.isNumber(resumed.json!.nextSlot)

      assert.deepStrictEqual((yield* call("DELETE", "/v1/schedules/nightly")).json, { removed: "nightly" })
      const gone = yield* call("GET", "/v1/schedules/nightly")
      assert.strictEqual(gone.status, 404)
      assert.strictEqual(gone.json!._tag, "ScheduleNotFoundError")
    }).pipe(Effect.scoped))

  it.effect("a bad schedule is a 400 naming the field; an unknown one 404; no key 401", () =>
    Effect.gen(function*() {
      const call = yield* gateway
      const bad = yield* call("PUT", "/v1/schedules/x", { cron: "* * *", job: { name: "a", payload: "{}" } })
      assert.strictEqual(bad.status, 400, bad.text)
      assert.strictEqual(bad.json!._tag, "ValidationError")
      assert.strictEqual(bad.json!.field, "cron")
      const zone = yield* call("PUT", "/v1/schedules/x", { every: 60, timeZone: "Mars/Base", job: { name: "a", payload: "{}" } })
      assert.strictEqual(zone.json!.field, "timeZone")
      assert.strictEqual((yield* call("POST", "/v1/schedules/none/run")).status, 404)
      assert.strictEqual((yield* call("GET", "/v1/schedules/none/next")).status, 404)
      assert.strictEqual((yield* call("GET", "/v1/schedules/none/next?count=0")).json!.field, "count")
      assert.strictEqual((yield* call("GET", "/v1/schedules", undefined, null)).status, 401)
    }).pipe(Effect.scoped))

  it.live("Schedules over the HTTP client: stored through the gateway, fired by the backend; fireDue is not served", () =>
    Effect.gen(function*() {
      const backend = yield* Layer.build(BananasMemory.layer().pipe(Layer.orDie))
      const fetch = yield* inProcessFetch(backend)
      const over = (key: string) => Layer.build(clientOver(fetch, key).pipe(Layer.orDie))
      const remote = Context.get(yield* over(apiKey), Schedules)
      const local = Context.get(backend, Schedules)
      assert.notStrictEqual(remote, local)

      const payload = `{"n":12345678901234567890}` as RawJson
      const stored = yield* remote.upsert({ id: "beat", every: 1, job: { name: "heartbeat", payload } })
      assert.strictEqual(stored.schedule.job.payload, payload)
      assert.deepStrictEqual(yield* local.get("beat"), stored, "the backend holds what was stored over HTTP")

      const notServed = yield* Effect.flip(remote.fireDue)
      assert.strictEqual(notServed._tag, "ApiError")
      assert.include(notServed.message, "bananas worker")

      // The backend's scheduler fires the slot; the job is read back over HTTP.
      yield* Effect.sleep("1100 millis")
      const report = yield* local.fireDue
      assert.strictEqual(report.fired.length, 1)
      const fired = report.fired[0]!
      assert.strictEqual(fired.job.id, `sched:beat:${fired.slot}`)
      assert.strictEqual((yield* remote.get("beat")).state.run_count, "1")

      const refused = yield* Effect.flip(Context.get(yield* over("wrong-key"), Schedules).list)
      assert.strictEqual(refused._tag, "AuthenticationError")
    }).pipe(Effect.scoped), { timeout: 15_000 })
})
