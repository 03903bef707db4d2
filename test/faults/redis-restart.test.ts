/**
 * Fault suite: Redis restarted under load, with the append-only file on.
 *
 * A private redis-server (`appendonly yes`) serves a client that keeps
 * submitting jobs (one every few ms, 10% of them planned to fail for good)
 * and an in-process worker that runs them. The server is stopped — SIGKILL
 * and SIGTERM, with `appendfsync everysec` and `always` — and started again
 * on the same port and directory, reloading its AOF, several times while
 * submits and processing go on. Redis writes its AOF before it replies, so
 * no acknowledged write may be lost even by SIGKILL.
 *
 * The audit: every acknowledged job completed or dead-lettered as planned,
 * every unacknowledged one either absent or finished, none run more often
 * than its max_retries, no duplicate run, nothing stuck; the resume time
 * (first acknowledged submit after the restarted server answers) is recorded.
 * Default: 4 restarts (each mode once); `BANANAS_LONG_FAULTS=1`: 16.
 */
import { assert, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Bananas from "../../src/Bananas.ts"
import * as Worker from "../../src/worker/Worker.ts"
import { auditFaults, failures, record } from "../support/FaultAudit.ts"
import { freePort, makeTempDir, type RedisProcess, removeTempDir, spawnRedis } from "../support/RedisProcess.ts"
import { uniquePrefix } from "../support/RedisServer.ts"
import { rawClient } from "./support/Servers.ts"
import { allFinished, expectOf, long, makeRunLog, makeSubmissions, quiet, resumedAfter, submitLoop, workHandlers } from "./support/Load.ts"

type Mode = { readonly fsync: "everysec" | "always"; readonly signal: "SIGKILL" | "SIGTERM" }
const modes: ReadonlyArray<Mode> = [
  { fsync: "everysec", signal: "SIGKILL" },
  { fsync: "everysec", signal: "SIGTERM" },
  { fsync: "always", signal: "SIGKILL" },
  { fsync: "always", signal: "SIGTERM" }
]
const restarts = long ? 16 : 4

const stopWith = (redis: RedisProcess, signal: "SIGKILL" | "SIGTERM") =>
  new Promise<void>((resolve) => {
    if (redis.exited) return resolve()
    redis.child.once("exit", () => resolve())
    redis.child.kill(signal)
  })

it.live(`Redis restarted ${restarts} times under submit + process (AOF everysec/always, SIGKILL/SIGTERM): nothing acknowledged lost, nothing run twice`, () =>
  Effect.gen(function*() {
    const dir = makeTempDir("aof")
    const port = yield* Effect.promise(() => freePort())
    const args = (fsync: Mode["fsync"]) => [
      "--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--appendfsync", fsync,
      "--save", "", "--loglevel", "warning", "--maxclients", "1000"
    ]
    let redis = yield* Effect.promise(() => spawnRedis(args("everysec"), { port }))
    yield* Effect.addFinalizer(() => Effect.promise(async () => { await redis.stop(); removeTempDir(dir) }))
    const raw = yield* rawClient({ port, host: "127.0.0.1", maxRetriesPerRequest: null })

    const prefix = uniquePrefix("restart")
    const backend = Bananas.layerRedis({ url: `redis://127.0.0.1:${port}`, prefix})
    const log = makeRunLog()
    const submissions = makeSubmissions()
    const resumes: Array<number> = []
    const downMs: Array<number> = []
    const started = Date.now()
    let stop = false

    yield* Effect.gen(function*() {
      const submitter = yield* Effect.forkChild(submitLoop("r", submissions, () => stop))
      for (let i = 0; i < restarts; i++) {
        const mode = modes[i % modes.length]!
        yield* Effect.sleep(long ? "1200 millis" : "700 millis")
        const down = Date.now()
        yield* Effect.promise(() => stopWith(redis, mode.signal))
        yield* Effect.sleep("150 millis")
        redis = yield* Effect.promise(() => spawnRedis(args(mode.fsync), { port }))
        const up = Date.now()
        downMs.push(up - down)
        let resumed = resumedAfter(submissions, up)
        while (resumed === undefined && Date.now() - up < 5_000) {
          yield* Effect.sleep("20 millis")
          resumed = resumedAfter(submissions, up)
        }
        yield* Effect.sleep("300 millis")
        assert.isDefined(resumed, `the client submitted again after restart ${i + 1} (${mode.fsync}, ${mode.signal})`)
        resumes.push(resumed!)
      }
      yield* Effect.sleep("300 millis")
      stop = true
      yield* Fiber.join(submitter)
      yield* allFinished(raw, prefix, submissions)
    }).pipe(Effect.provide(
      Worker.layer({
        handlers: workHandlers(log, "w1"),
        workerId: "w1",
        concurrency: 8,
        leaseDuration: "5 seconds",
        reclaimInterval: "500 millis",
        reaperInterval: "500 millis",
        schedulerInterval: "200 millis"
      }).pipe(Layer.provideMerge(backend))
    ))

    const report = yield* Effect.promise(() =>
      auditFaults(
        { fault: "redis-restart-aof", redis: raw, prefix, ...submissions, runs: log.entries, expect: expectOf },
        {
          restarts,
          modes: "everysec+always, SIGKILL+SIGTERM",
          resumeMsMax: Math.max(...resumes),
          resumeMsMedian: [...resumes].sort((a, b) => a - b)[Math.floor(resumes.length / 2)],
          // per restart, in order (modes cycle everysec/SIGKILL, everysec/SIGTERM, always/SIGKILL, always/SIGTERM)
          resumeMsEach: resumes,
          downMsEach: downMs,
          submitErrors: submissions.errors,
          durationMs: Date.now() - started
        }
      )
    )
    record(report.figures)
    assert.strictEqual(failures(report), "")
    assert.strictEqual(report.figures.duplicated, 0, "no job ran again after a successful run")
    assert.isAbove(report.figures.completed, 100)
    assert.isAbove(report.figures.dead, 5)
    // ioredis reconnects with a linear backoff (50 ms more per attempt): ~130 ms after the server is back, at most
    // a few hundred; ~1 s meant a reconnect during the AOF load waited out ioredis's loading ETA (test/redis/loading)
    assert.isBelow(Math.max(...resumes), 750, "the client resumed within the reconnect backoff of each restart")
  }).pipe(quiet), { timeout: long ? 120_000 : 45_000 })
