/**
 * Worker benchmarks, each on a private redis-server:
 *
 * - pickup latency of an idle worker, per priority: time from just before a
 *   submission to the handler's first instruction, p50/p99 over
 *   BENCH_LATENCY_N samples (default 200) per priority; once for jobs
 *   submitted by our client (which publishes a wake-up) and once for jobs
 *   pushed the way Go producers do (`SET` + `LPUSH`, no wake-up: found by
 *   the idle poll);
 * - no-op throughput at concurrency 50: a backlog of BENCH_WORKER_N jobs
 *   (default 20,000) drained by our worker, against the same work done with
 *   raw ioredis commands in Go's sequence (LMOVE, GET, SET EX, LREM, HSET,
 *   EXPIRE, PUBLISH; 50 lanes), the floor our overhead is measured against,
 *   and against BullMQ's Worker (the Node peer) on the same backlog; each
 *   implementation first drains BENCH_WORKER_WARMUP jobs (default 2,000)
 *   unmeasured, so none is timed with a cold JIT;
 * - BullMQ's pickup latency, for reference.
 *
 * BENCH_WORKER_THROUGHPUT_ONLY=1 runs only the throughput rows.
 *
 * Run alone with `node bench/worker.ts`, or through `npm run bench`.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Metric from "effect/Metric"
import * as References from "effect/References"
import type * as Scope from "effect/Scope"
import { Queue as BullQueue, Worker as BullWorker } from "bullmq"
import { Redis } from "ioredis"
import * as JobModel from "../src/domain/Job.ts"
import * as JobCodec from "../src/domain/JobCodec.ts"
import type { JobPriority } from "../src/domain/JobPriority.ts"
import type { RawJson } from "../src/domain/RawJson.ts"
import * as Timestamp from "../src/domain/Timestamp.ts"
import * as BananasRedis from "../src/layers/redis/BananasRedis.ts"
import * as Wire from "../src/protocol/Wire.ts"
import { JobQueue } from "../src/services/JobQueue.ts"
import * as Handlers from "../src/worker/Handlers.ts"
import * as Metrics from "../src/worker/Metrics.ts"
import * as Worker from "../src/worker/Worker.ts"
import { withRedis, type Row } from "./support.ts"

const LATENCY_N = Number(process.env.BENCH_LATENCY_N ?? 200)
const THROUGHPUT_N = Number(process.env.BENCH_WORKER_N ?? 20_000)
/** Jobs drained first by each implementation, unmeasured, so none is timed with a cold JIT. */
const WARMUP_N = Number(process.env.BENCH_WORKER_WARMUP ?? 2_000)
const CONCURRENCY = 50
const PRIORITIES: ReadonlyArray<JobPriority> = ["high", "normal", "low"]

/** Latency percentiles of one priority, in milliseconds. */
export interface Latency {
  readonly samples: number
  readonly p50: number
  readonly p99: number
  readonly max: number
}

/** Everything the worker benchmark measured. */
export interface WorkerBenchResult {
  /** Pickup latency per priority, jobs submitted by our client. */
  readonly latency: Readonly<Record<JobPriority, Latency>>
  /** Pickup latency per priority, jobs pushed as Go producers push them (no wake-up). */
  readonly latencyGoProducer: Readonly<Record<JobPriority, Latency>>
  /** Pickup latency of an idle BullMQ worker (the peer), priority-less jobs. */
  readonly latencyBullMQ: Latency
  /** Throughput rows (ops = jobs), for `printTable`. */
  readonly rows: ReadonlyArray<Row>
}

/** Runs every worker benchmark. */
export const runWorkerBench = async (): Promise<WorkerBenchResult> => {
  const latency = await withRedis((url) => measureLatency(url, "client"))
  const latencyGoProducer = await withRedis((url) => measureLatency(url, "go"))
  const latencyBullMQ = await withRedis((url) => latencyBull(url))
  return { latency, latencyGoProducer, latencyBullMQ, rows: await runThroughputBench() }
}

/** The no-op throughput rows only (`BENCH_WORKER_THROUGHPUT_ONLY=1` when run alone). */
export const runThroughputBench = async (): Promise<ReadonlyArray<Row>> => {
  const warm = (f: (url: string, n: number) => Promise<number>) =>
    withRedis(async (url) => {
      if (WARMUP_N > 0) await f(url, WARMUP_N)
      return f(url, THROUGHPUT_N)
    })
  const ours = await warm(throughputOurs)
  const raw = await warm(throughputRaw)
  const bull = await warm(throughputBull)
  const scenario = `worker: drain ${THROUGHPUT_N} no-op jobs, concurrency ${CONCURRENCY}`
  return [
    { scenario, impl: "raw ioredis (Go's command sequence)", ops: THROUGHPUT_N, millis: raw, note: "no leases, no Lua" },
    { scenario, impl: "@bananas/effect Worker", ops: THROUGHPUT_N, millis: ours, note: "atomic Lua steps, leases" },
    { scenario, impl: "BullMQ Worker", ops: THROUGHPUT_N, millis: bull, note: "the Node peer" }
  ]
}

/** Prints the latency table (the throughput rows go through `printTable`). */
export const printLatency = (result: WorkerBenchResult): void => {
  const out = ["\n## worker: pickup latency of an idle worker (ms, submit -> handler start)"]
  out.push(`${"producer".padEnd(28)} ${"priority".padEnd(8)} ${"n".padStart(5)} ${"p50".padStart(8)} ${"p99".padStart(8)} ${"max".padStart(8)}`)
  for (const [label, table] of [["our client (wake-up)", result.latency], ["Go-style LPUSH (poll)", result.latencyGoProducer]] as const) {
    for (const p of PRIORITIES) {
      const l = table[p]
      out.push(`${label.padEnd(28)} ${p.padEnd(8)} ${String(l.samples).padStart(5)} ${l.p50.toFixed(2).padStart(8)} ${l.p99.toFixed(2).padStart(8)} ${l.max.toFixed(2).padStart(8)}`)
    }
  }
  const b = result.latencyBullMQ
  out.push(`${"BullMQ Queue.add (peer)".padEnd(28)} ${"-".padEnd(8)} ${String(b.samples).padStart(5)} ${b.p50.toFixed(2).padStart(8)} ${b.p99.toFixed(2).padStart(8)} ${b.max.toFixed(2).padStart(8)}`)
  process.stdout.write(out.join("\n") + "\n")
}

// Internal

const quiet = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(Effect.provideService(References.MinimumLogLevel, "Error"))

const makeJob = (name: string, priority: JobPriority) =>
  JobModel.make({
    id: crypto.randomUUID(),
    name,
    payload: `{"n":1}` as RawJson,
    priority,
    now: Timestamp.fromMillis(Date.now()),
    maxRetries: Wire.defaultMaxRetries
  })

const getQueue = Effect.gen(function*() {
  return yield* JobQueue
})

const percentile = (sorted: ReadonlyArray<number>, q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN

const measureLatency = async (url: string, producer: "client" | "go"): Promise<Record<JobPriority, Latency>> => {
  let onStart: ((at: number) => void) | undefined
  const handlers = Handlers.empty.pipe(Handlers.addRaw("ping", () =>
    Effect.sync(() => {
      onStart?.(performance.now())
    })))
  const runtime = ManagedRuntime.make(
    Layer.effectDiscard(quiet(Worker.make({ handlers, concurrency: 10 }))).pipe(
      Layer.provideMerge(BananasRedis.layer({ url }).pipe(Layer.orDie))
    )
  )
  const queue = await runtime.runPromise(getQueue)
  const raw = new Redis(url)
  const out = {} as Record<JobPriority, Latency>
  try {
    for (const priority of PRIORITIES) {
      const samples: Array<number> = []
      for (let i = 0; i < LATENCY_N + 10; i++) {
        const job = makeJob("ping", priority)
        const started = new Promise<number>((resolve) => { onStart = resolve })
        const t0 = performance.now()
        if (producer === "client") {
          await runtime.runPromise(queue.enqueue(job))
        } else {
          await raw.multi().set(`bananas:job:${job.id}`, JobCodec.encode(job)).lpush(`bananas:queue:${priority}`, job.id).exec()
        }
        const t1 = await started
        if (i >= 10) samples.push(t1 - t0) // the first 10 warm up
        // let the job complete and the worker go idle again (blocked on empty queues)
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 10))
      }
      samples.sort((a, b) => a - b)
      out[priority] = { samples: samples.length, p50: percentile(samples, 0.5), p99: percentile(samples, 0.99), max: samples[samples.length - 1]! }
    }
  } finally {
    raw.disconnect()
    await runtime.dispose()
  }
  return out
}

const enqueueBacklog = async (url: string, n: number): Promise<void> => {
  const runtime = ManagedRuntime.make(BananasRedis.layer({ url }).pipe(Layer.orDie))
  const jobs = Array.from({ length: n }, () => makeJob("noop", "normal"))
  await runtime.runPromise(Effect.flatMap(getQueue, (queue) => queue.enqueueBatch(jobs)))
  await runtime.dispose()
}

export const throughputOurs = async (url: string, n: number = THROUGHPUT_N): Promise<number> => {
  await enqueueBacklog(url, n)
  const handlers = Handlers.empty.pipe(Handlers.addRaw("noop", () => Effect.void))
  const program: Effect.Effect<number, never, JobQueue | Scope.Scope> = Effect.gen(function*() {
    const start = performance.now()
    yield* Effect.orDie(Worker.make({ handlers, concurrency: CONCURRENCY }))
    while ((yield* Metric.value(Metrics.processed)).count < n) yield* Effect.sleep("2 millis")
    return performance.now() - start
  })
  return Effect.runPromise(
    program.pipe(
      Effect.scoped,
      quiet,
      Effect.provideService(Metric.MetricRegistry, new Map()),
      Effect.provide(BananasRedis.layer({ url }).pipe(Layer.orDie))
    )
  )
}

const throughputRaw = async (url: string, n: number = THROUGHPUT_N): Promise<number> => {
  await enqueueBacklog(url, n)
  const redis = new Redis(url)
  let done = 0
  const start = performance.now()
  const lane = async (): Promise<void> => {
    for (;;) {
      const id = await redis.lmove("bananas:queue:normal", "bananas:queue:processing", "RIGHT", "LEFT")
      if (id === null) return
      const text = await redis.get(`bananas:job:${id}`)
      const job = JobCodec.decode(text!)
      if (job._tag !== "Success") throw new Error("bad job")
      const now = Timestamp.fromMillis(Date.now())
      const completed = JobCodec.encode({ ...job.success, status: "completed", updatedAt: now })
      await redis.multi()
        .set(`bananas:job:${id}`, completed, "EX", 86400)
        .lrem("bananas:queue:processing", 1, id)
        .hset(`bananas:result:${id}`, "status", "completed", "completed_at", Timestamp.formatSeconds(now), "duration_ms", "0")
        .expire(`bananas:result:${id}`, 3600)
        .publish(`bananas:result:notify:${id}`, "ready")
        .exec()
      done++
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, lane))
  const millis = performance.now() - start
  redis.disconnect()
  if (done !== n) throw new Error(`raw drained ${done}/${n}`)
  return millis
}

const bullConnection = (url: string) => ({ host: "127.0.0.1", port: Number(new URL(url).port), maxRetriesPerRequest: null })

const latencyBull = async (url: string): Promise<Latency> => {
  let onStart: ((at: number) => void) | undefined
  const queue = new BullQueue("latency", { connection: bullConnection(url) })
  const worker = new BullWorker("latency", async () => { onStart?.(performance.now()) }, { connection: bullConnection(url), concurrency: 10 })
  await worker.waitUntilReady()
  const samples: Array<number> = []
  try {
    for (let i = 0; i < LATENCY_N + 10; i++) {
      const started = new Promise<number>((resolve) => { onStart = resolve })
      const t0 = performance.now()
      await queue.add("ping", { n: 1 })
      const t1 = await started
      if (i >= 10) samples.push(t1 - t0)
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 10))
    }
  } finally {
    await worker.close()
    await queue.close()
  }
  samples.sort((a, b) => a - b)
  return { samples: samples.length, p50: percentile(samples, 0.5), p99: percentile(samples, 0.99), max: samples[samples.length - 1]! }
}

export const throughputBull = async (url: string, n: number = THROUGHPUT_N): Promise<number> => {
  const queue = new BullQueue("noop", { connection: bullConnection(url) })
  for (let i = 0; i < n; i += 1000) {
    await queue.addBulk(Array.from({ length: Math.min(1000, n - i) }, () => ({ name: "noop", data: { n: 1 } })))
  }
  let done = 0
  let finish: (() => void) | undefined
  const finished = new Promise<void>((resolve) => { finish = resolve })
  const start = performance.now()
  const worker = new BullWorker("noop", async () => {}, { connection: bullConnection(url), concurrency: CONCURRENCY })
  worker.on("completed", () => { if (++done === n) finish?.() })
  await finished
  const millis = performance.now() - start
  await worker.close()
  await queue.close()
  return millis
}

if (import.meta.main) {
  const { printTable } = await import("./support.ts")
  if (process.env.BENCH_WORKER_THROUGHPUT_ONLY === "1") {
    printTable(await runThroughputBench())
  } else {
    const result = await runWorkerBench()
    printLatency(result)
    printTable(result.rows)
  }
}
