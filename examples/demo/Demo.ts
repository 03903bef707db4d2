/**
 * The end-to-end demo (`npm start`): one process runs a worker with a few
 * example handlers and a client that submits a mix of priorities, a
 * scheduled job, a job that fails once and then succeeds, and an RPC call,
 * printing progress and a final summary.
 *
 * The program only uses the `Tasks` helpers (over `TaskApi`) and the worker (over `JobQueue`): it runs
 * unchanged on the in-memory backend or on Redis (see `main.ts`); only the
 * provided layer differs.
 *
 * @since 0.1.0
 */

import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as JobDefinition from "../../src/domain/JobDefinition.ts"
import type { JobId } from "../../src/domain/JobId.ts"
import type { JobPriority } from "../../src/domain/JobPriority.ts"
import type { JobQueue } from "../../src/services/JobQueue.ts"
import type { TaskApi } from "../../src/services/TaskApi.ts"
import * as Tasks from "../../src/Tasks.ts"
import { JobError } from "../../src/worker/Failure.ts"
import * as Handlers from "../../src/worker/HandlerRegistry.ts"
import * as Metrics from "../../src/worker/Metrics.ts"
import * as Worker from "../../src/worker/Worker.ts"

/**
 * Resizes an image (simulated): a typed job.
 *
 * @category definitions
 * @since 0.1.0
 */
export const ResizeImage = JobDefinition.make({
  name: "resize_image",
  payload: Schema.Struct({ url: Schema.String, width: Schema.Int }),
  result: Schema.Struct({ url: Schema.String, bytes: Schema.Int })
})

/**
 * Greets someone: the typed job the demo calls RPC-style.
 *
 * @category definitions
 * @since 0.1.0
 */
export const Greet = JobDefinition.make({
  name: "greet",
  payload: Schema.Struct({ name: Schema.String }),
  result: Schema.Struct({ greeting: Schema.String }),
  priority: "high"
})

/**
 * Builds a report: submitted to run one second later.
 *
 * @category definitions
 * @since 0.1.0
 */
export const DailyReport = JobDefinition.make({
  name: "daily_report",
  payload: Schema.Struct({ day: Schema.String }),
  result: Schema.Struct({ rows: Schema.Int })
})

/**
 * Charges a card: fails on its first run (a transient network error), then
 * succeeds on the retry Go's backoff schedules 2 seconds later.
 *
 * @category definitions
 * @since 0.1.0
 */
export const ChargeCard = JobDefinition.make({
  name: "charge_card",
  payload: Schema.Struct({ order: Schema.String, cents: Schema.Int }),
  result: Schema.Struct({ receipt: Schema.String }),
  maxRetries: 2
})

/**
 * What the demo did.
 *
 * @category models
 * @since 0.1.0
 */
export interface Summary {
  readonly backend: string
  readonly submitted: number
  readonly completed: number
  readonly failed: number
  /** Priorities of the resize jobs in the order the worker started them. */
  readonly startOrder: ReadonlyArray<JobPriority>
  /** The RPC call's typed result. */
  readonly greeting: string
  /** Runs of the card charge (2: failed once, then succeeded). */
  readonly chargeRuns: number
  /** The worker's counters (they may include leftovers of an earlier run on the same Redis). */
  readonly counters: Metrics.Counts
  readonly elapsedMs: number
}

/**
 * The demo program, on whichever `TaskApi` and `JobQueue` are provided.
 *
 * @category programs
 * @since 0.1.0
 */
export const program = (backend: string): Effect.Effect<Summary, unknown, TaskApi | JobQueue | Scope.Scope> =>
  Effect.gen(function*() {
    const startedAt = yield* Clock.currentTimeMillis
    const elapsed = Effect.map(Clock.currentTimeMillis, (now) => `${((now - startedAt) / 1000).toFixed(2)}s`)
    const say = (line: string) => Effect.flatMap(elapsed, (t) => Console.log(`[${t.padStart(6)}] ${line}`))

    yield* Console.log(`Bananas demo on ${backend}`)
    yield* Console.log("")

    // 1. A backlog of mixed priorities, submitted before the worker starts.
    const priorities: ReadonlyArray<JobPriority> = ["low", "normal", "high", "low", "high", "normal"]
    const resizes: Array<{ readonly id: JobId; readonly priority: JobPriority }> = []
    for (const [i, priority] of priorities.entries()) {
      const { id } = yield* Tasks.submitTyped(ResizeImage, { url: `https://example.com/photo-${i + 1}.jpg`, width: 320 * (i + 1) }, { priority })
      resizes.push({ id, priority })
    }
    yield* say(`client: submitted ${resizes.length} resize_image jobs, priorities ${priorities.join(", ")}`)

    // 2. The worker: a few handlers, 2 jobs at a time.
    const startOrder: Array<JobPriority> = []
    let chargeRuns = 0
    const handlers = Handlers.empty.pipe(
      Handlers.add(ResizeImage, ({ url, width }, { job }) =>
        Effect.gen(function*() {
          startOrder.push(job.priority)
          yield* say(`worker: resize_image ${job.priority.padEnd(6)} started  (${url})`)
          yield* Effect.sleep(Duration.millis(100))
          return { url: url.replace(".jpg", `-${width}w.jpg`), bytes: width * 97 }
        })),
      Handlers.add(Greet, ({ name }) => Effect.succeed({ greeting: `Hello, ${name}!` })),
      Handlers.add(DailyReport, ({ day }) =>
        say(`worker: daily_report for ${day} started (it was scheduled for later)`).pipe(Effect.as({ rows: 42 }))),
      Handlers.add(ChargeCard, ({ order }, { attempt }) =>
        Effect.gen(function*() {
          chargeRuns++
          if (attempt === 1) {
            yield* say(`worker: charge_card run ${attempt} fails (Go backoff retries it in 2 s)`)
            return yield* Effect.fail(new JobError({ message: "card network timeout" }))
          }
          yield* say(`worker: charge_card run ${attempt} succeeds`)
          return { receipt: `receipt-${order}` }
        }))
    )
    yield* Worker.make({ handlers, concurrency: 2, schedulerInterval: "200 millis", shutdownTimeout: "5 seconds" })
    yield* say("worker: started (concurrency 2, priorities high > normal > low)")

    // 3. A scheduled job, a flaky job, and an RPC call.
    const { id: report } = yield* Tasks.submitTyped(DailyReport, { day: "2025-01-15" }, { at: Duration.seconds(1) })
    yield* say("client: scheduled daily_report to run in 1 s")
    const { id: charge } = yield* Tasks.submitTyped(ChargeCard, { order: "A-1001", cents: 4200 })
    yield* say("client: submitted charge_card (max_retries 2)")
    const { greeting } = yield* Tasks.call(Greet, { name: "Ada" }, { timeout: "10 seconds" })
    yield* say(`client: RPC call greet -> ${JSON.stringify(greeting)}`)

    // 4. Wait for every final result.
    const waited = [...resizes.map((r) => ({ id: r.id, label: `resize_image (${r.priority})` })), { id: report, label: "daily_report" }, {
      id: charge,
      label: "charge_card"
    }]
    const results = yield* Effect.forEach(waited, ({ id, label }) =>
      Tasks.waitForResult(id, { timeout: "20 seconds" }).pipe(
        Effect.tap((result) =>
          say(`client: ${label} ${result.status}${result.result === undefined ? "" : ` -> ${result.result}`}`)
        )
      ), { concurrency: "unbounded" })

    const counters = yield* Metrics.counts
    const completed = results.filter((r) => r.status === "completed").length + 1 // + the RPC call
    const summary: Summary = {
      backend,
      submitted: waited.length + 1,
      completed,
      failed: results.length + 1 - completed,
      startOrder,
      greeting,
      chargeRuns,
      counters,
      elapsedMs: (yield* Clock.currentTimeMillis) - startedAt
    }
    yield* Console.log("")
    yield* Console.log("Summary")
    yield* Console.log(`  backend            ${summary.backend}`)
    yield* Console.log(`  jobs submitted     ${summary.submitted}`)
    yield* Console.log(`  completed          ${summary.completed}`)
    yield* Console.log(`  failed for good    ${summary.failed}`)
    yield* Console.log(`  resize start order ${summary.startOrder.join(" > ")}`)
    yield* Console.log(`  charge_card runs   ${summary.chargeRuns} (failed once, then retried by Go's 2 s backoff)`)
    yield* Console.log(`  RPC greet          ${summary.greeting}`)
    yield* Console.log(
      `  worker counters    processed ${counters.processed}, failed attempts ${counters.failed}, ` +
        `retried ${counters.retried}, dead ${counters.dead}, promoted ${counters.promoted}`
    )
    yield* Console.log(`  elapsed            ${(summary.elapsedMs / 1000).toFixed(2)} s`)
    return summary
  })
