/**
 * Basic usage: submit jobs, read one back, look at the queue depths, and see
 * failures arrive as typed values.
 *
 *   node examples/basic-usage.ts                            # in memory
 *   REDIS_URL=redis://localhost:6379 node examples/basic-usage.ts
 */
import { NodeRuntime } from "@effect/platform-node"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { QueueAdmin, Tasks, Timestamp } from "../src/index.ts"
import { backendName, makeBackend } from "./backend.ts"

const program = Effect.gen(function*() {
  // One job: name + any JSON-serializable payload (+ options). The receipt
  // carries its id, fixed before the first attempt (retries never create a
  // second job).
  const email = yield* Tasks.submit(
    "send_email",
    { to: "ada@example.com", subject: "Welcome <3" },
    { priority: "high", description: "welcome mail" }
  )
  yield* Console.log(`submitted send_email as ${email.id}`)

  // Many jobs in one round trip (each one atomic).
  const batch = yield* Tasks.submitBatch([
    { name: "resize_image", payload: { url: "https://example.com/cat.png", width: 640 } },
    { name: "cleanup", payload: null, options: { priority: "low" } }
  ])
  yield* Console.log(`submitted a batch of ${batch.length} jobs`)

  // Idempotent producers: submitting an id that exists writes nothing.
  const again = yield* Tasks.submit("send_email", { to: "ada@example.com" }, { id: email.id })
  yield* Console.log(`submitting the same id again: duplicate=${again.duplicate}`)

  // The job as stored: the payload is the exact JSON text Go would write
  // (keys sorted, `<` escaped), timestamps are Go's RFC 3339 with nanoseconds.
  const job = yield* Tasks.getJob(email.id)
  yield* Console.log(`job ${job.name}: status=${job.status} priority=${job.priority} attempts=${job.attempts}/${job.maxRetries}`)
  yield* Console.log(`created_at=${Timestamp.format(job.createdAt)}`)
  yield* Console.log(`payload=${job.payload}`)

  // Operators (dashboards, the CLI) use QueueAdmin: depths and listings.
  const admin = yield* QueueAdmin
  const stats = yield* admin.stats
  yield* Console.log(`queued: high=${stats.queued.high} normal=${stats.queued.normal} low=${stats.queued.low}`)
  const pending = yield* admin.list({ status: "pending", limit: 10 })
  yield* Console.log(`pending jobs: ${pending.jobs.map((j) => j.name).sort().join(", ")}`)

  // Failures are values in the error channel, never exceptions.
  const missing = yield* Effect.flip(Tasks.getJob("no-such-job"))
  yield* Console.log(`getJob("no-such-job") failed with ${missing._tag}`)
  const invalid = yield* Effect.flip(Tasks.submit("send_email", {}, { priority: "urgent" as never }))
  yield* Console.log(`priority "urgent" rejected with ${invalid._tag}: ${invalid.message}`)
  yield* Console.log(`done (${backendName})`)
})

program.pipe(Effect.provide(makeBackend()), NodeRuntime.runMain)
