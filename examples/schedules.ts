/**
 * Schedules: store a cron schedule and an interval one, preview their next
 * slots, run a worker (which fires the due slots too: its cron scheduler)
 * so each slot's job runs once, then run one on demand, pause it and
 * remove it.
 *
 *   node examples/schedules.ts
 *   REDIS_URL=redis://localhost:6379 node examples/schedules.ts
 */
import { NodeRuntime } from "@effect/platform-node"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { RawJson, Schedules, Tasks } from "../src/index.ts"
import { Handlers, Worker } from "../src/worker/index.ts"
import { backendName, makeBackend } from "./backend.ts"

const program = Effect.gen(function*() {
  const schedules = yield* Schedules
  // Weekdays at 09:00 in Berlin (Effect's Cron: 5 fields, or 6 with seconds first).
  const report = yield* schedules.upsert({
    id: "daily-report",
    cron: "0 9 * * 1-5",
    timeZone: "Europe/Berlin",
    job: { name: "send_report", payload: yield* Effect.fromResult(RawJson.fromValue({ to: "ops@example.com" })) }
  })
  const next = yield* schedules.preview(report.schedule.id, 3)
  yield* Console.log(`daily-report: next ${next.length} slots start ${new Date(next[0]! * 1000).toISOString()}`)

  // Every second, at most 3 runs in all; the payload is JSON text, kept byte for byte.
  const payload = yield* Effect.fromResult(RawJson.fromText(`{"n":12345678901234567890}`))
  yield* schedules.upsert({ id: "heartbeat", every: 1, limit: 3, job: { name: "heartbeat", payload } })
  yield* Console.log(`stored: ${(yield* schedules.list).map((v) => v.schedule.id).join(", ")}`)

  // The worker fires due slots (its cron scheduler, on by default: any
  // number of workers fire each slot once) and runs the jobs.
  const ran: Array<string> = []
  const handlers = Handlers.empty.pipe(
    Handlers.addRaw("heartbeat", ({ job }) => Effect.sync(() => { ran.push(job.id) })),
    Handlers.addRaw("send_report", () => Effect.void)
  )
  yield* Effect.scoped(Effect.gen(function*() {
    yield* Worker.make({ handlers, block: "100 millis" })
    for (let i = 0; i < 100 && ran.length < 3; i++) yield* Effect.sleep("100 millis")
  }))
  const heartbeat = yield* schedules.get("heartbeat")
  yield* Console.log(`heartbeat ran ${ran.length} times, one job per slot: ${new Set(ran).size === ran.length}`)
  yield* Console.log(`heartbeat state: run_count=${heartbeat.state.run_count} ended=${heartbeat.nextSlot === undefined}`)

  // Run now (its slots stay as they are), pause, remove.
  const job = yield* schedules.runNow("daily-report")
  yield* Console.log(`ran daily-report now: ${(yield* Tasks.getJob(job.id)).name}, schedule_id=${job.scheduleId}`)
  const paused = yield* schedules.pause("daily-report")
  yield* Console.log(`paused: enabled=${paused.schedule.enabled} next slot=${paused.nextSlot ?? "none"}`)
  yield* schedules.remove("daily-report")
  const gone = yield* Effect.flip(schedules.get("daily-report"))
  yield* Console.log(`removed: get fails with ${gone._tag}`)
  yield* schedules.remove("heartbeat")
  yield* Console.log(`done (${backendName})`)
})

program.pipe(Effect.provide(makeBackend()), NodeRuntime.runMain)
