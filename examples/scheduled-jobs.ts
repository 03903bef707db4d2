/**
 * Scheduled jobs: submit a job that becomes due after a delay or at an
 * instant, watch it wait in the scheduled set, let a worker's scheduler
 * promote and run it, and cancel another before it is due.
 *
 *   node examples/scheduled-jobs.ts
 *   REDIS_URL=redis://localhost:6379 node examples/scheduled-jobs.ts
 */
import { NodeRuntime } from "@effect/platform-node"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { QueueAdmin, Tasks, Timestamp } from "../src/index.ts"
import { Handlers, Worker } from "../src/worker/index.ts"
import { backendName, makeBackend } from "./backend.ts"

const program = Effect.gen(function*() {
  // Due in one second (a Duration), or at an instant (a Date or a DateTime).
  const soon = yield* Tasks.submitScheduled("send_reminder", { user: 42 }, Duration.seconds(1))
  const later = yield* Tasks.submitScheduled("send_reminder", { user: 7 }, new Date(Date.now() + 3_600_000))

  const job = yield* Tasks.getJob(soon.id)
  yield* Console.log(`scheduled ${soon.id}: status=${job.status} scheduled_for=${Timestamp.format(job.scheduledFor!)}`)
  yield* Console.log(`scheduled set holds ${(yield* (yield* QueueAdmin).stats).scheduled} jobs`)

  // A scheduled time in the past is rejected before anything is written.
  const past = yield* Effect.flip(Tasks.submitScheduled("send_reminder", {}, new Date(Date.now() - 60_000)))
  yield* Console.log(`a past time is rejected with ${past._tag}`)

  // Cancel the one-hour reminder while it waits: it is marked failed ("cancelled").
  const cancelled = yield* Tasks.cancel(later.id)
  yield* Console.log(`cancelled the one-hour reminder: status=${cancelled.status} error=${cancelled.error}`)
  // Only a waiting job can be cancelled.
  const again = yield* Effect.flip(Tasks.cancel(later.id))
  yield* Console.log(`cancelling it again fails with ${again._tag}`)

  // A worker promotes due jobs (its scheduler runs every second by
  // default; Go's cmd/scheduler does the same) and runs them.
  const handlers = Handlers.empty.pipe(
    Handlers.addRaw("send_reminder", ({ decode }) =>
      Effect.flatMap(decode, (payload) => Effect.succeed({ reminded: (payload as { user: number }).user })))
  )
  yield* Effect.scoped(Effect.gen(function*() {
    yield* Worker.make({ handlers, schedulerInterval: "200 millis", block: "200 millis" })
    const result = yield* Tasks.waitForResult(soon.id, { timeout: "10 seconds" })
    yield* Console.log(`send_reminder ${result.status} with result ${result.result}`)
  }))
  yield* Console.log(`done (${backendName})`)
})

program.pipe(Effect.provide(makeBackend()), NodeRuntime.runMain)
