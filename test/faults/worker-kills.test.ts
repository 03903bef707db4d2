/**
 * Fault suite: several worker processes SIGKILLed at random points.
 *
 * Three worker child processes (`fixtures/logging-worker.ts`, 1 s leases,
 * concurrency 8) run the load while the test keeps submitting; every few
 * hundred ms one of them, chosen at random, is SIGKILLed — mid-dequeue,
 * mid-job or mid-completion, wherever it is — and replaced by a fresh one.
 * The survivors' reapers must recover the dead workers' jobs once their
 * heartbeats lapse. Every run is logged by the children into a Redis list
 * (outside the Bananas keys).
 *
 * The audit: nothing lost or stuck, no job over its retries, every job
 * completed or dead-lettered as planned; a job may run again only when the
 * worker of its earlier successful run was killed (its outcome may not have
 * been written: at-least-once), and the test counts those separately.
 * Default: 6 kills; `BANANAS_LONG_FAULTS=1`: 30.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { assert, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Bananas from "../../src/Bananas.ts"
import { auditFaults, failures, readRunLog, record } from "../support/FaultAudit.ts"
import { uniquePrefix } from "../support/RedisServer.ts"
import { between, random } from "../support/Seed.ts"
import { privateRedis } from "./support/Servers.ts"
import { allFinished, expectOf, long, makeSubmissions, quiet, submitLoop } from "./support/Load.ts"

const fixture = fileURLToPath(new URL("./fixtures/logging-worker.ts", import.meta.url))
const kills = long ? 30 : 6
const WORKERS = 3
/** When to kill and whom: drawn from the run's seed (BANANAS_TEST_SEED replays them). */
const draw = random("faults/worker-kills")

interface Child {
  readonly process: ChildProcess
  readonly pid: string
  readonly exited: Promise<void>
}

const startChild = (env: Record<string, string>): Promise<Child> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
    const exited = new Promise<void>((done) => child.once("exit", () => done()))
    let stderr = ""
    let stdout = ""
    child.stderr!.on("data", (chunk: Buffer) => { stderr += chunk.toString() })
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString()
      const ready = /ready (\d+)\n/.exec(stdout)
      if (ready !== null) resolve({ process: child, pid: ready[1]!, exited })
    })
    void exited.then(() => reject(new Error(`worker child exited before ready: ${stderr}`)))
  })

it.live(`${WORKERS} worker processes, ${kills} of them SIGKILLed at random points under load: the reaper recovers every job, none lost, none run beyond its retries`, () =>
  Effect.gen(function*() {
    const { server, raw } = yield* privateRedis
    const prefix = uniquePrefix("kills")
    const runLog = `runlog:${prefix}`
    const env = { REDIS_URL: server.url, BANANAS_PREFIX: prefix, RUN_LOG: runLog }
    const children = new Set<Child>()
    yield* Effect.addFinalizer(() => Effect.sync(() => { for (const c of children) c.process.kill("SIGKILL") }))
    const spawnOne = Effect.promise(() => startChild(env)).pipe(Effect.tap((c) => Effect.sync(() => children.add(c))))

    const submissions = makeSubmissions()
    const killed = new Set<string>()
    const started = Date.now()
    let stop = false
    let killedBusy = 0

    yield* Effect.gen(function*() {
      yield* Effect.all(Array.from({ length: WORKERS }, () => spawnOne), { concurrency: "unbounded" })
      const submitter = yield* Effect.forkChild(submitLoop("k", submissions, () => stop, { pauseMs: 5, ms: 80, maxRetries: 10 }))
      for (let i = 0; i < kills; i++) {
        yield* Effect.sleep(`${between(draw, 200, 500)} millis`)
        while (children.size < 2) yield* Effect.sleep("20 millis")
        const victims = [...children]
        const victim = victims[between(draw, 0, victims.length)]!
        victim.process.kill("SIGKILL")
        yield* Effect.promise(() => victim.exited)
        children.delete(victim)
        killed.add(victim.pid)
        if ((yield* Effect.promise(() => raw.scard(`${prefix}worker:child-${victim.pid}`))) > 0) killedBusy++
        // its replacement starts meanwhile (a node process takes about a second to be ready)
        yield* Effect.forkChild(spawnOne)
      }
      stop = true
      yield* Fiber.join(submitter)
      while (children.size < WORKERS) yield* Effect.sleep("20 millis")
      yield* allFinished(raw, prefix, submissions, 30_000)
      for (const c of children) c.process.kill("SIGTERM")
      yield* Effect.promise(() => Promise.all([...children].map((c) => c.exited)))
      children.clear()
    }).pipe(Effect.provide(Bananas.layerRedis({ url: server.url, prefix })))

    const runs = yield* Effect.promise(() => readRunLog(raw, runLog))
    const report = yield* Effect.promise(() =>
      auditFaults(
        { fault: "worker-processes-sigkilled", redis: raw, prefix, ...submissions, runs, expect: expectOf, killedWorkers: killed },
        { workers: WORKERS, kills, killsWithJobsHeld: killedBusy, durationMs: Date.now() - started }
      )
    )
    record(report.figures)
    assert.strictEqual(failures(report), "")
    assert.isAbove(killedBusy, 0, "at least one kill caught jobs in flight")
    assert.isAbove(report.figures.completed, 100)
  }).pipe(quiet), { timeout: long ? 180_000 : 60_000 })
