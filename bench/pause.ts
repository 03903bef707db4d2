/**
 * Pausing a queue under a running worker (issue 19's acceptance figure, a
 * measurement and not a timed test): on a private loopback redis-server
 * (and, for comparison, in memory), pause `normal`, submit N `normal` jobs
 * and N/5 `high` ones to a running worker, keep it paused for
 * `PAUSE_SECONDS` (default 5) while sampling that no `normal` job starts
 * (the `high` ones must flow), then resume and time, from the moment the
 * resume call is made, the first and the last `normal` job to start and the
 * last to complete.
 *
 * `node_modules/.bin/node bench/pause.ts` (`PAUSE_SECONDS`, `PAUSE_JOBS`,
 * `PAUSE_CONCURRENCY` override; default 5 s, 200 jobs, 20 slots) prints one
 * JSON object per backend and exits 1 when a `normal` job started while
 * paused, a job is missing, or a `high` job did not run during the pause.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as References from "effect/References"
import * as Bananas from "../src/Bananas.ts"
import * as Tasks from "../src/Tasks.ts"
import * as Handlers from "../src/worker/HandlerRegistry.ts"
import * as Worker from "../src/worker/Worker.ts"
import { startRedisServer } from "../test/support/RedisServer.ts"

/** What one run measured. */
export interface PauseReport {
  readonly backend: string
  readonly pausedForMillis: number
  readonly normalJobs: number
  readonly highJobs: number
  /** `normal` jobs that started while the queue was paused (must be 0). */
  readonly normalStartedWhilePaused: number
  /** `normal` jobs stats showed queued at the end of the pause. */
  readonly normalQueuedAtResume: number
  /** `high` jobs completed during the pause (all of them: other priorities flow). */
  readonly highDoneWhilePaused: number
  /** The resume call's own round trip. */
  readonly resumeCallMillis: number
  /** From the resume call to the first `normal` job's start. */
  readonly resumeToFirstStartMillis: number
  /** From the resume call to the last `normal` job's start. */
  readonly resumeToAllStartedMillis: number
  /** From the resume call to the last `normal` job's completion. */
  readonly resumeToAllDoneMillis: number
  readonly ok: boolean
}

/** One run on `backend` (a whole-client layer). */
export const runPause = (
  name: string,
  backend: Layer.Layer<Layer.Success<ReturnType<typeof Bananas.layerMemory>>, unknown>,
  options: { readonly pauseMillis: number; readonly jobs: number; readonly concurrency: number }
): Promise<PauseReport> => {
  const normalStarts: Array<number> = []
  const normalDone: Array<number> = []
  let highDone = 0
  const handlers = Handlers.empty.pipe(
    Handlers.addRaw("probe_normal", () =>
      Effect.sync(() => {
        normalStarts.push(performance.now())
      }).pipe(Effect.andThen(Effect.sync(() => void normalDone.push(performance.now()))))),
    Handlers.addRaw("probe_high", () => Effect.sync(() => void highDone++))
  )
  const highJobs = Math.max(1, Math.floor(options.jobs / 5))
  const program = Effect.gen(function*() {
    yield* Tasks.pauseQueue("normal")
    for (let i = 0; i < options.jobs; i++) yield* Tasks.submit("probe_normal", { i })
    for (let i = 0; i < highJobs; i++) yield* Tasks.submit("probe_high", { i }, { priority: "high" })
    // The worker runs throughout; sample while paused.
    const pausedAt = performance.now()
    while (performance.now() - pausedAt < options.pauseMillis) yield* Effect.sleep(Duration.millis(100))
    const startedWhilePaused = normalStarts.length
    const highWhilePaused = highDone
    const queued = (yield* Tasks.stats()).queued.normal
    const resumeAt = performance.now()
    yield* Tasks.resumeQueue("normal")
    const resumeCall = performance.now() - resumeAt
    while (normalDone.length < options.jobs && performance.now() - resumeAt < 30_000) yield* Effect.sleep(Duration.millis(1))
    const ms = (t: number | undefined) => (t === undefined ? Number.NaN : Math.round((t - resumeAt) * 10) / 10)
    const report: PauseReport = {
      backend: name,
      pausedForMillis: Math.round(resumeAt - pausedAt),
      normalJobs: options.jobs,
      highJobs,
      normalStartedWhilePaused: startedWhilePaused,
      normalQueuedAtResume: queued,
      highDoneWhilePaused: highWhilePaused,
      resumeCallMillis: Math.round(resumeCall * 10) / 10,
      resumeToFirstStartMillis: ms(normalStarts[0]),
      resumeToAllStartedMillis: ms(normalStarts[options.jobs - 1]),
      resumeToAllDoneMillis: ms(normalDone[options.jobs - 1]),
      ok: startedWhilePaused === 0 && queued === options.jobs && highWhilePaused === highJobs && normalDone.length === options.jobs
    }
    return report
  }).pipe(
    Effect.provide(Worker.layer({ handlers, concurrency: options.concurrency }).pipe(Layer.provideMerge(backend))),
    Effect.provideService(References.MinimumLogLevel, "Warn")
  )
  return Effect.runPromise(program)
}

if (import.meta.main) {
  const env = (name: string, fallback: number) => {
    const value = Number(process.env[name] ?? fallback)
    return Number.isFinite(value) && value > 0 ? value : fallback
  }
  const options = { pauseMillis: env("PAUSE_SECONDS", 5) * 1000, jobs: env("PAUSE_JOBS", 200), concurrency: env("PAUSE_CONCURRENCY", 20) }
  const server = await startRedisServer()
  const reports: Array<PauseReport> = []
  try {
    reports.push(await runPause("redis", Bananas.layerRedis({ url: server.url, prefix: "pause-bench:" }), options))
    reports.push(await runPause("memory", Bananas.layerMemory(), options))
  } finally {
    await server.stop()
  }
  for (const report of reports) process.stdout.write(JSON.stringify(report) + "\n")
  process.exit(reports.every((r) => r.ok) ? 0 : 1)
}
