/**
 * The worker's Node CPU per job, without the full bench: a backlog of no-op
 * jobs submitted first (unmeasured), then drained by our `Worker`; prints
 * jobs/s and the process CPU per job (µs) of the drain. On memory
 * (`Bananas.layerMemory`, no Redis: the CPU-only proxy) by default, or on a
 * private redis-server (`--redis`), where it also runs (a), raw ioredis
 * sending our scripts, in the same process for the ratio. `--stub`: on a
 * trivial in-process `JobQueue` (takes hand out prepared jobs at once,
 * outcomes are accepted at once), so only the worker's own per-job cost is
 * measured (the least noisy figure on a shared machine: take the minimum).
 *
 *   node bench/worker-cpu.ts [--redis | --stub] [--async] [--concurrency 50] [--n 20000] [--rounds 3] [--prof file.cpuprofile]
 */
import { writeFile } from "node:fs/promises"
import { Session } from "node:inspector/promises"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Metric from "effect/Metric"
import * as References from "effect/References"
import { Redis } from "ioredis"
import * as Bananas from "../src/Bananas.ts"
import * as JobModel from "../src/domain/Job.ts"
import type { RawJson } from "../src/domain/RawJson.ts"
import * as Timestamp from "../src/domain/Timestamp.ts"
import * as Wire from "../src/protocol/Wire.ts"
import { type Delivery, JobQueue } from "../src/services/JobQueue.ts"
import * as Tasks from "../src/Tasks.ts"
import * as Handlers from "../src/worker/HandlerRegistry.ts"
import * as Metrics from "../src/worker/Metrics.ts"
import * as Worker from "../src/worker/Worker.ts"
import { startRedisServer } from "../test/support/RedisServer.ts"
import { drained, encodePlans, evalApply, payload, prepare, type Prepared, rawClient, startRawOursWorker } from "./raw.ts"
import { sleep } from "./support.ts"

const args = process.argv.slice(2)
const flag = (name: string, fallback: string): string => {
  const i = args.indexOf(name)
  return i < 0 ? fallback : args[i + 1] ?? fallback
}
const redis = args.includes("--redis")
const stub = args.includes("--stub")
const concurrency = Number(flag("--concurrency", "50"))
const n = Number(flag("--n", "20000"))
const rounds = Number(flag("--rounds", "3"))
const profileOut = args.includes("--prof") ? flag("--prof", "worker-cpu.cpuprofile") : undefined

const server = redis ? await startRedisServer() : undefined
const admin = server === undefined ? undefined : new Redis(server.url)
const quiet = Layer.succeed(References.MinimumLogLevel, "Error")
// `--async`: a handler that yields once (not done when it first yields: the worker waits for it, under its deadline).
const handlers = Handlers.empty.pipe(Handlers.addRaw("noop", () => (args.includes("--async") ? Effect.yieldNow : Effect.void)))

interface Measured {
  readonly ops: number
  readonly cpuMicrosPerJob: number
  /** Redis calls per job, by command (script calls by name of command: evalsha), when on Redis. */
  calls?: string
  /** redis-server's CPU per job (µs, user + system from `INFO cpu`), when on Redis. */
  redisMicrosPerJob?: number
}

/** redis-server's CPU time so far (µs). */
const redisCpu = async (): Promise<number> => {
  const info = await admin!.info("cpu")
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0)
  return (field("used_cpu_user") + field("used_cpu_sys")) * 1e6
}

/** Redis's `INFO commandstats` calls, by command. */
const commandCalls = async (): Promise<Map<string, number>> => {
  const out = new Map<string, number>()
  for (const m of (await admin!.info("commandstats")).matchAll(/cmdstat_([^:]+):calls=(\d+)/g)) out.set(m[1]!, Number(m[2]))
  return out
}

/** Calls per job between two `commandCalls`. */
const perJob = (before: Map<string, number>, after: Map<string, number>): string =>
  [...after].map(([cmd, calls]) => [cmd, (calls - (before.get(cmd) ?? 0)) / n] as const).filter(([, c]) => c >= 0.005)
    .sort((a, b) => b[1] - a[1]).map(([cmd, c]) => `${cmd} ${c.toFixed(2)}`).join(", ")

const measure = async (body: () => Promise<void>): Promise<Measured> => {
  const calls0 = admin === undefined ? undefined : await commandCalls()
  const redis0 = admin === undefined ? undefined : await redisCpu()
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await body()
  const millis = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  const measured: Measured = { ops: (n / millis) * 1000, cpuMicrosPerJob: (cpu.user + cpu.system) / n }
  if (redis0 !== undefined) measured.redisMicrosPerJob = (await redisCpu() - redis0) / n
  if (calls0 !== undefined) measured.calls = perJob(calls0, await commandCalls())
  return measured
}

const ours = async (): Promise<Measured> => {
  const backend = server === undefined ? Bananas.layerMemory() : Bananas.layerRedis({ url: server.url })
  const runtime = ManagedRuntime.make(Layer.mergeAll(backend, Layer.succeed(Metric.MetricRegistry, new Map()), quiet))
  const entries = Array.from({ length: n }, () => ({ name: "noop", payload }))
  await runtime.runPromise(Tasks.submitBatch(entries))
  const processed = () => runtime.runSync(Metric.value(Metrics.processed)).count
  const result = await measure(async () => {
    await runtime.runPromise(Effect.scoped(Effect.gen(function*() {
      yield* Worker.make({ handlers, concurrency })
      while (processed() < n) yield* Effect.promise(() => sleep(1))
    })))
  })
  await runtime.dispose()
  return result
}

/** A `JobQueue` that hands out `n` prepared jobs and accepts every outcome at once. */
const stubQueue = (jobs: Array<Delivery>, done: { count: number }) => {
  const none = Effect.succeed([] as ReadonlyArray<never>)
  let next = 0
  return JobQueue.of({
    protocol: Wire.make(),
    enqueue: () => Effect.succeed("created"),
    enqueueBatch: () => Effect.succeed([]),
    schedule: () => Effect.succeed("created"),
    get: () => Effect.die("unused"),
    dequeue: () => Effect.die("unused"),
    dequeueMany: (options) =>
      Effect.suspend(() => {
        if (next >= jobs.length) return Effect.as(Effect.sleep(5), [])
        const taken = jobs.slice(next, next + options.max)
        next += taken.length
        return Effect.succeed(taken)
      }),
    complete: (delivery) => Effect.sync(() => { done.count++; return delivery.job }),
    fail: () => Effect.die("unused"),
    release: () => Effect.void,
    renewLeases: () => none,
    reclaim: () => none,
    reapExpired: () => none,
    promoteDue: () => Effect.succeed({ promoted: 0, skipped: [] })
  })
}

const stubbed = async (): Promise<Measured> => {
  const now = Timestamp.fromMillis(Date.now())
  const jobs: Array<Delivery> = Array.from({ length: n }, (_, i) => ({
    _tag: "Job" as const,
    job: JobModel.make({ id: crypto.randomUUID(), name: "noop", payload: JSON.stringify(payload) as RawJson, priority: "normal", now, maxRetries: 3 }),
    token: `w:${i}`
  }))
  const done = { count: 0 }
  const runtime = ManagedRuntime.make(Layer.mergeAll(Layer.succeed(JobQueue, stubQueue(jobs, done)), Layer.succeed(Metric.MetricRegistry, new Map()), quiet))
  const result = await measure(async () => {
    await runtime.runPromise(Effect.scoped(Effect.gen(function*() {
      yield* Worker.make({ handlers, concurrency, scheduler: false, reaper: false })
      while (done.count < n) yield* Effect.promise(() => sleep(1))
    })))
  })
  await runtime.dispose()
  return result
}

const raw = async (): Promise<Measured> => {
  const jobs = prepare(n)
  const client = await rawClient(server!.url)
  const calls = []
  for (let i = 0; i < n; i += 500) calls.push(evalApply(client, encodePlans("enqueue", jobs.slice(i, i + 500).map((p) => p.enqueue))))
  await Promise.all(calls)
  client.disconnect()
  const map = new Map<string, Prepared>(jobs.map((p) => [p.job.id, p]))
  let worker: Awaited<ReturnType<typeof startRawOursWorker>> | undefined
  const result = await measure(async () => {
    worker = await startRawOursWorker(server!.url, map, concurrency)
    await drained(worker, n)
  })
  await worker!.stop()
  return result
}

const show = (label: string, m: Measured) =>
  `${label.padEnd(10)} ${m.ops.toFixed(0).padStart(7)} jobs/s  ${m.cpuMicrosPerJob.toFixed(1).padStart(6)} µs CPU/job${m.redisMicrosPerJob === undefined ? "" : `  redis ${m.redisMicrosPerJob.toFixed(1)} µs/job`}${m.calls === undefined ? "" : ` (calls/job: ${m.calls})`}`

const run = stub ? stubbed : ours
await run() // warm-up
await admin?.flushall()
let session: Session | undefined
if (profileOut !== undefined) {
  session = new Session()
  session.connect()
  await session.post("Profiler.enable")
  await session.post("Profiler.setSamplingInterval", { interval: 200 })
  await session.post("Profiler.start")
}
for (let r = 0; r < rounds; r++) {
  const line = [show("ours", await run())]
  await admin?.flushall()
  if (server !== undefined) {
    const a = await raw()
    await admin?.flushall()
    line.push(show("(a)", a))
  }
  process.stdout.write(`${redis ? "redis" : stub ? "stub" : "memory"} c=${concurrency} n=${n}: ${line.join(" | ")}\n`)
}
if (session !== undefined) {
  const { profile } = (await session.post("Profiler.stop")) as unknown as { profile: unknown }
  await writeFile(profileOut!, JSON.stringify(profile))
  session.disconnect()
}
admin?.disconnect()
await server?.stop()
process.exit(0)
