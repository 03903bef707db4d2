/**
 * Worker scenarios:
 *
 * - no-op throughput at concurrency 1, 50 and 200: a backlog written by
 *   each system's own producer (unmeasured), then drained; jobs/s;
 * - pickup latency of an idle worker per priority (submit -> handler start,
 *   p50/p99): jobs our client submits (they publish a wake-up), jobs pushed
 *   as Go producers push them (SET + LPUSH, found by the idle re-check), BullMQ
 *   (with its priorities) and a Go-style BLMOVE worker (normal only);
 * - the Redis load of one idle worker, commands/s.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Metric from "effect/Metric"
import * as References from "effect/References"
import { Worker as BullWorker } from "bullmq"
import { Redis } from "ioredis"
import * as Bananas from "../src/Bananas.ts"
import type { JobPriority } from "../src/domain/JobPriority.ts"
import * as Tasks from "../src/Tasks.ts"
import * as Handlers from "../src/worker/HandlerRegistry.ts"
import * as Metrics from "../src/worker/Metrics.ts"
import * as Worker from "../src/worker/Worker.ts"
import { drained, encodePlans, evalApply, goEnqueue, goEnqueueMany, payload, prepare, type Prepared, rawClient, startRawGoWorker, startRawOursWorker } from "./raw.ts"
import { bull } from "./submit.ts"
import { commandsProcessed, latencyStats, rate, type RunContext, type Scenario, sleep, type SystemSpec, time } from "./support.ts"

const PRIORITIES: ReadonlyArray<JobPriority> = ["high", "normal", "low"]
const bullPriority: Readonly<Record<JobPriority, number>> = { high: 1, normal: 2, low: 3 }

/** The worker scenarios. */
export const scenarios = (): Array<Scenario> => [
  ...[1, 50, 200].map((c): Scenario => ({
    id: `worker-${c}`,
    title: (s) => `worker: drain ${backlogSize(s.workerN, c)} no-op jobs, concurrency ${c}`,
    metrics: [{ key: "ops", label: "jobs/s", better: "higher" }],
    systems: throughputSystems(c)
  })),
  {
    id: "pickup",
    title: (s) => `pickup latency of an idle worker, ms (${s.latencyN} samples per priority)`,
    metrics: PRIORITIES.flatMap((p) => [
      { key: `${p}.p50`, label: `${p} p50`, better: "lower" as const, digits: 2 },
      { key: `${p}.p99`, label: `${p} p99`, better: "lower" as const, digits: 2 }
    ]),
    systems: [
      { id: "ours-redis", key: "ours-sdk", label: "(d) ours, SDK-submitted", note: "wake-up", run: (ctx) => pickupOurs(ctx, "client") },
      { id: "ours-redis", key: "ours-go", label: "(d) ours, Go-pushed", note: "SET + LPUSH, found by the 1 s re-check", run: (ctx) => pickupOurs(ctx, "go") },
      { id: "bullmq", note: "job priorities 1/2/3", run: pickupBull },
      { id: "raw-go", label: "(b) Go-style BLMOVE worker", note: "normal only", run: pickupBlmove }
    ]
  },
  {
    id: "idle-load",
    quickRounds: 1,
    title: (s) => `Redis load of one idle worker, commands/s (over ${s.idleMillis} ms)`,
    metrics: [{ key: "commandsPerSecond", label: "cmds/s", better: "lower", digits: 1 }],
    systems: [
      { id: "ours-redis", note: "our Worker (scheduler, reaper, lease upkeep on)", run: (ctx) => idleLoad(ctx, () => startOurs(ctx, 50, false)) },
      { id: "bullmq", run: (ctx) => idleLoad(ctx, async () => { const w = new BullWorker("idle", async () => {}, { connection: bullConnection(ctx), concurrency: 50 }); await w.waitUntilReady(); return { stop: () => w.close() } }) },
      { id: "raw-go", note: "50 BLMOVE lanes, 0.2 s timeout", run: (ctx) => idleLoad(ctx, () => startRawGoWorker(ctx.url, new Map(), 50, true)) }
    ]
  }
]

// Internal

/** At concurrency 1 a quarter of the backlog: the rate is steady long before, and the run 4x shorter. */
const backlogSize = (n: number, concurrency: number) => (concurrency === 1 ? Math.ceil(n / 4) : n)

const bullConnection = (ctx: RunContext) => ({ host: "127.0.0.1", port: ctx.port, maxRetriesPerRequest: null })

const quiet = Layer.succeed(References.MinimumLogLevel, "Error")

/** Our worker on a fresh Redis client (or in a memory runtime with the producer). */
const startOurs = async (ctx: RunContext, concurrency: number, memory: boolean, handler?: (id: string) => void) => {
  const handlers = Handlers.empty.pipe(
    Handlers.addRaw("noop", (input) => Effect.sync(() => handler?.(input.job.id))),
    Handlers.addRaw("ping", (input) => Effect.sync(() => handler?.(input.job.id)))
  )
  const worker = Worker.layer({ handlers, concurrency }).pipe(Layer.provide(quiet))
  const runtime = memory
    ? ManagedRuntime.make(worker.pipe(Layer.provideMerge(Bananas.layerMemory()), Layer.provideMerge(Layer.succeed(Metric.MetricRegistry, new Map()))))
    : ManagedRuntime.make(worker.pipe(Layer.provideMerge(Bananas.layerRedis({ url: ctx.url })), Layer.provideMerge(Layer.succeed(Metric.MetricRegistry, new Map()))))
  await runtime.context()
  const processed = () => runtime.runSync(Metric.value(Metrics.processed)).count
  return { runtime, processed, stop: () => runtime.dispose() }
}

const throughputSystems = (c: number): Array<SystemSpec> => [
  {
    id: "raw-ours",
    note: "take (with the data) + apply per take",
    run: async (ctx) => {
      const jobs = await backlogRaw(ctx, backlogSize(ctx.sizes.workerN, c), true)
      let worker: Awaited<ReturnType<typeof startRawOursWorker>> | undefined
      const millis = await time(async () => {
        worker = await startRawOursWorker(ctx.url, jobs, c)
        await drained(worker, jobs.size)
      })
      await worker!.stop()
      return { ops: rate(jobs.size, millis) }
    }
  },
  {
    id: "raw-go",
    note: `${c} lanes: LMOVE, GET, MULTI`,
    run: async (ctx) => {
      const jobs = await backlogRaw(ctx, backlogSize(ctx.sizes.workerN, c), false)
      let worker: Awaited<ReturnType<typeof startRawGoWorker>> | undefined
      const millis = await time(async () => {
        worker = await startRawGoWorker(ctx.url, jobs, c, false)
        await drained(worker, jobs.size)
      })
      await worker!.stop()
      return { ops: rate(jobs.size, millis) }
    }
  },
  {
    id: "bullmq",
    run: async (ctx) => {
      const n = backlogSize(ctx.sizes.workerN, c)
      const { queue, close } = await bull(ctx, "noop")
      for (let i = 0; i < n; i += 1000) await queue.addBulk(Array.from({ length: Math.min(1000, n - i) }, () => ({ name: "noop", data: payload })))
      let done = 0
      let finish: () => void = () => {}
      const finished = new Promise<void>((resolve) => { finish = resolve })
      let worker: BullWorker | undefined
      const millis = await time(async () => {
        worker = new BullWorker("noop", async () => {}, { connection: bullConnection(ctx), concurrency: c })
        worker.on("completed", () => { if (++done === n) finish() })
        await finished
      })
      await worker!.close()
      await close()
      return { ops: rate(n, millis) }
    }
  },
  ...(["ours-redis", "ours-memory"] as const).map((id): SystemSpec => ({
    id,
    ...(id === "ours-memory" ? { note: "backlog submitted inside the timed run (one process)" } : {}),
    run: async (ctx) => {
      const n = backlogSize(ctx.sizes.workerN, c)
      const memory = id === "ours-memory"
      const entries = Array.from({ length: n }, () => ({ name: "noop", payload }))
      if (!memory) {
        const client = ManagedRuntime.make(Bananas.layerRedis({ url: ctx.url }))
        await client.runPromise(Tasks.submitBatch(entries))
        await client.dispose()
      }
      let worker: Awaited<ReturnType<typeof startOurs>> | undefined
      const millis = await time(async () => {
        worker = await startOurs(ctx, c, memory)
        if (memory) await worker.runtime.runPromise(Tasks.submitBatch(entries))
        while (worker.processed() < n) await sleep(1)
      })
      await worker!.stop()
      return { ops: rate(n, millis) }
    }
  }))
]

/** A backlog of `n` jobs written by a raw producer: our scripts (a) or Go's commands (b). */
const backlogRaw = async (ctx: RunContext, n: number, ours: boolean): Promise<Map<string, Prepared>> => {
  const jobs = prepare(n)
  if (ours) {
    const redis = await rawClient(ctx.url)
    const calls = []
    for (let i = 0; i < n; i += 500) calls.push(evalApply(redis, encodePlans("enqueue", jobs.slice(i, i + 500).map((p) => p.enqueue))))
    await Promise.all(calls)
    redis.disconnect()
  } else {
    const redis = new Redis(ctx.url)
    for (let i = 0; i < n; i += 500) await goEnqueueMany(redis, jobs.slice(i, i + 500))
    redis.disconnect()
  }
  return new Map(jobs.map((p) => [p.job.id, p]))
}

/** Samples of `submit` -> handler start, `n` per priority, with a random pause between samples (the worker idles again). */
const sampleLatencies = async (n: number, priorities: ReadonlyArray<JobPriority>, started: { on: (() => void) | undefined }, submit: (priority: JobPriority) => Promise<unknown>) => {
  const out: Record<string, number> = {}
  for (const priority of priorities) {
    const samples: Array<number> = []
    for (let i = 0; i < n + 3; i++) {
      const t0 = performance.now()
      const handled = new Promise<number>((resolve) => { started.on = () => resolve(performance.now()) })
      await submit(priority)
      const t1 = await handled
      if (i >= 3) samples.push(t1 - t0) // the first few warm up
      // A random pause, so a job lands at a random point of the worker's
      // cycle rather than in step with it.
      await sleep(5 + Math.random() * 40)
    }
    const stats = latencyStats(samples)
    out[`${priority}.p50`] = stats.p50
    out[`${priority}.p99`] = stats.p99
  }
  return out
}

/**
 * Pickup latencies of jobs that publish no wake-up (Go's producers): found
 * by the idle worker's once-a-second re-check, so each sample would take
 * up to a second one at a time. Jobs are pushed every 5-45 ms instead
 * (their latencies overlap; each is its own push-to-start time), landing at
 * random points of the re-check cycle, and the last one is awaited.
 */
const sampleOverlapping = async (n: number, startedAt: ReadonlyMap<string, number>, push: (priority: JobPriority) => Promise<string>) => {
  const out: Record<string, number> = {}
  for (const priority of PRIORITIES) {
    const pushed: Array<readonly [string, number]> = []
    for (let i = 0; i < n; i++) {
      const t0 = performance.now()
      pushed.push([await push(priority), t0])
      await sleep(5 + Math.random() * 40)
    }
    while (pushed.some(([id]) => !startedAt.has(id))) await sleep(20)
    const stats = latencyStats(pushed.map(([id, t0]) => startedAt.get(id)! - t0))
    out[`${priority}.p50`] = stats.p50
    out[`${priority}.p99`] = stats.p99
  }
  return out
}

const pickupOurs = async (ctx: RunContext, producer: "client" | "go") => {
  const started: { on: (() => void) | undefined } = { on: undefined }
  const startedAt = new Map<string, number>()
  const worker = await startOurs(ctx, 10, false, (id) => {
    startedAt.set(id, performance.now())
    started.on?.()
  })
  const client = ManagedRuntime.make(Bananas.layerRedis({ url: ctx.url }))
  const raw = new Redis(ctx.url)
  try {
    await client.context()
    return producer === "client"
      ? await sampleLatencies(ctx.sizes.latencyN, PRIORITIES, started, (priority) => client.runPromise(Tasks.submit("ping", payload, { priority })))
      : await sampleOverlapping(ctx.sizes.latencyN, startedAt, async (priority) => {
        const job = prepare(1, priority, "ping")[0]!
        await goEnqueue(raw, job)
        return job.job.id
      })
  } finally {
    raw.disconnect()
    await client.dispose()
    await worker.stop()
  }
}

const pickupBull = async (ctx: RunContext) => {
  const started: { on: (() => void) | undefined } = { on: undefined }
  const { queue, close } = await bull(ctx, "pickup")
  const worker = new BullWorker("pickup", async () => { started.on?.() }, { connection: bullConnection(ctx), concurrency: 10 })
  await worker.waitUntilReady()
  try {
    return await sampleLatencies(ctx.sizes.latencyN, PRIORITIES, started, (priority) => queue.add("ping", payload, { priority: bullPriority[priority] }))
  } finally {
    await worker.close()
    await close()
  }
}

const pickupBlmove = async (ctx: RunContext) => {
  const started: { on: (() => void) | undefined } = { on: undefined }
  const jobs = new Map<string, Prepared>()
  const worker = await startRawGoWorker(ctx.url, jobs, 1, true, () => started.on?.())
  const raw = new Redis(ctx.url)
  try {
    return await sampleLatencies(ctx.sizes.latencyN, ["normal"], started, async () => {
      const p = prepare(1, "normal", "ping")[0]!
      jobs.set(p.job.id, p)
      await goEnqueue(raw, p)
    })
  } finally {
    raw.disconnect()
    await worker.stop()
  }
}

/** Commands/s Redis served while only the started worker was connected and idle (after a settling pause). */
const idleLoad = async (ctx: RunContext, start: () => Promise<{ readonly stop: () => Promise<void> }>) => {
  const worker = await start()
  try {
    await sleep(Math.min(500, ctx.sizes.idleMillis))
    const before = await commandsProcessed(ctx.admin)
    const t0 = performance.now()
    await sleep(ctx.sizes.idleMillis)
    const after = await commandsProcessed(ctx.admin)
    // minus the INFO commands of this measurement
    return { commandsPerSecond: rate(after - before - 1, performance.now() - t0) }
  } finally {
    await worker.stop()
  }
}
