/**
 * Submit-and-wait (RPC) scenarios: a call submits a job and waits for its
 * result, each system with its own worker (no-op handler, concurrency 50).
 * At 1 call in flight (latency), 100 in flight, and all at once; latency
 * p50/p99 per call and throughput, with the Redis connections the client
 * side opened (connected clients above those of the worker).
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as References from "effect/References"
import { QueueEvents, Worker as BullWorker } from "bullmq"
import { Redis } from "ioredis"
import * as Bananas from "../src/Bananas.ts"
import * as Scripts from "../src/layers/redis/Scripts.ts"
import * as Tasks from "../src/Tasks.ts"
import * as Handlers from "../src/worker/HandlerRegistry.ts"
import * as Worker from "../src/worker/Worker.ts"
import { encodePlans, evalApply, goEnqueue, prepare, type Prepared, protocol, rawClient, type RawWorker, startRawGoWorker, startRawOursWorker } from "./raw.ts"
import { bull } from "./submit.ts"
import { latencyStats, pool, rate, type RunContext, type Sample, type Scenario, type SystemSpec, settledClients, time, withConnectionPeak } from "./support.ts"

const WORKER_CONCURRENCY = 50

/** The RPC scenarios. */
export const scenarios = (): Array<Scenario> => [
  {
    id: "rpc-1",
    title: (s) => `submit-and-wait, 1 in flight (${s.rpcSerialN} calls)`,
    metrics: [p50, p99, ops, connections],
    systems: systems((s) => s.rpcSerialN, () => 1)
  },
  {
    id: "rpc-100",
    title: (s) => `submit-and-wait, 100 in flight (${s.rpcN} calls)`,
    metrics: [ops, p50, p99, connections],
    systems: systems((s) => s.rpcN, () => 100)
  },
  {
    id: "rpc-all",
    title: (s) => `submit-and-wait, ${s.rpcConcurrentN} at once`,
    metrics: [ops, p50, p99, connections],
    systems: systems((s) => s.rpcConcurrentN, (n) => n)
  }
]

// Internal

const ops = { key: "ops", label: "calls/s", better: "higher" } as const
const p50 = { key: "p50", label: "p50 ms", better: "lower", digits: 2 } as const
const p99 = { key: "p99", label: "p99 ms", better: "lower", digits: 2 } as const
const connections = { key: "connections", label: "client conns", better: "lower" } as const

/** One client's calls: `call(i)` for every i, `inFlight` at a time, timed one by one. */
const measure = async (n: number, inFlight: number, call: (i: number) => Promise<unknown>) => {
  const latencies: Array<number> = []
  const millis = await time(() =>
    pool(n, inFlight, async (i) => {
      const start = performance.now()
      await call(i)
      latencies.push(performance.now() - start)
    })
  )
  const stats = latencyStats(latencies)
  return { ops: rate(n, millis), p50: stats.p50, p99: stats.p99 }
}

/** Starts the worker side, then the client, then measures; the client's connections counted. */
const withClient = async <C>(
  ctx: RunContext,
  startWorker: () => Promise<{ readonly stop: () => Promise<void> }>,
  startClient: () => Promise<C & { readonly close: () => Promise<void> }>,
  body: (client: C) => Promise<Omit<Sample, "connections">>
): Promise<Sample> => {
  const worker = await startWorker()
  try {
    const baseline = await settledClients(ctx.admin)
    const client = await startClient()
    try {
      const { value, connections } = await withConnectionPeak(ctx.admin, baseline, () => body(client))
      return { ...value, connections }
    } finally {
      await client.close()
    }
  } finally {
    await worker.stop()
  }
}

/** A raw subscriber whose `wait(channel)` resolves on the first message after its (confirmed) subscription. */
const rawWaiter = (url: string) => {
  const sub = new Redis(url)
  const waiting = new Map<string, () => void>()
  sub.on("message", (channel: string) => {
    const resolve = waiting.get(channel)
    if (resolve === undefined) return
    waiting.delete(channel)
    void sub.unsubscribe(channel)
    resolve()
  })
  return {
    /** Subscribes (confirmed), then runs `submit`, then waits for a message. */
    call: async (channel: string, submit: () => Promise<unknown>) => {
      const message = new Promise<void>((resolve) => waiting.set(channel, resolve))
      await sub.subscribe(channel)
      await submit()
      await message
    },
    close: () => { sub.disconnect() }
  }
}

/** A raw system's RPC: its worker, a client and a subscriber; per call subscribe, `submit`, wait for the message, `read`. */
const rawSystem = (
  ctx: RunContext,
  n: number,
  inFlight: (n: number) => number,
  startWorker: (jobs: ReadonlyMap<string, Prepared>) => Promise<RawWorker>,
  connect: () => Promise<Redis>,
  commands: (jobs: ReadonlyArray<Prepared>) => {
    readonly submit: (redis: Redis, i: number) => Promise<unknown>
    readonly read: (redis: Redis, id: string) => Promise<unknown>
  }
): Promise<Sample> => {
  const jobs = prepare(n, "normal", "echo")
  const { submit, read } = commands(jobs)
  return withClient(ctx, () => startWorker(new Map(jobs.map((p) => [p.job.id, p]))), async () => {
    const redis = await connect()
    const waiter = rawWaiter(ctx.url)
    return { redis, waiter, close: async () => { waiter.close(); redis.disconnect() } }
  }, ({ redis, waiter }) =>
    measure(jobs.length, inFlight(jobs.length), async (i) => {
      const id = jobs[i]!.job.id
      await waiter.call(protocol.keys.notify(id), () => submit(redis, i))
      await read(redis, id)
    }))
}

const systems = (count: (s: RunContext["sizes"]) => number, inFlight: (n: number) => number): Array<SystemSpec> => [
  {
    id: "raw-ours",
    note: "EVALSHA applyPlans, SUBSCRIBE, EVALSHA readResult; raw worker on our scripts",
    run: (ctx) =>
      rawSystem(ctx, count(ctx.sizes), inFlight, (byId) => startRawOursWorker(ctx.url, byId, WORKER_CONCURRENCY), () => rawClient(ctx.url), (jobs) => {
        const calls = jobs.map((p) => encodePlans("enqueue", [p.enqueue]))
        return {
          submit: (redis, i) => evalApply(redis, calls[i]!),
          read: (redis, id) => redis.evalsha(Scripts.readResult.sha, 2, protocol.keys.result(id), protocol.keys.job(id))
        }
      })
  },
  {
    id: "raw-go",
    note: "SET + LPUSH, SUBSCRIBE, HGETALL; Go-style worker, BLMOVE lanes",
    run: (ctx) =>
      rawSystem(ctx, count(ctx.sizes), inFlight, (byId) => startRawGoWorker(ctx.url, byId, WORKER_CONCURRENCY, true), async () => new Redis(ctx.url), (jobs) => ({
        submit: (redis, i) => goEnqueue(redis, jobs[i]!),
        read: (redis, id) => redis.hgetall(protocol.keys.result(id))
      }))
  },
  {
    id: "bullmq",
    note: "add + waitUntilFinished (QueueEvents); BullMQ Worker",
    run: (ctx) => {
      const n = count(ctx.sizes)
      const connection = { host: "127.0.0.1", port: ctx.port, maxRetriesPerRequest: null }
      return withClient(ctx, async () => {
        const worker = new BullWorker("rpc", async (job) => job.data, { connection, concurrency: WORKER_CONCURRENCY })
        await worker.waitUntilReady()
        return { stop: () => worker.close() }
      }, async () => {
        const { queue, close } = await bull(ctx, "rpc")
        const events = new QueueEvents("rpc", { connection })
        await events.waitUntilReady()
        return { queue, events, close: async () => { await events.close(); await close() } }
      }, ({ queue, events }) =>
        measure(n, inFlight(n), async (i) => {
          const job = await queue.add("echo", { i })
          await job.waitUntilFinished(events, 120_000)
        }))
    }
  },
  {
    id: "ours-redis",
    note: "Tasks.submitAndWait; our Worker (own client)",
    run: (ctx) => {
      const n = count(ctx.sizes)
      return withClient(ctx, async () => {
        const runtime = ManagedRuntime.make(workerLayer.pipe(Layer.provide(Bananas.layerRedis({ url: ctx.url }))))
        await runtime.context()
        return { stop: () => runtime.dispose() }
      }, async () => {
        const runtime = ManagedRuntime.make(Bananas.layerRedis({ url: ctx.url }))
        await runtime.context()
        return { runtime, close: () => runtime.dispose() }
      }, ({ runtime }) => measure(n, inFlight(n), (i) => runtime.runPromise(Tasks.submitAndWait("echo", { i }, { timeout: "120 seconds" }))))
    }
  },
  {
    id: "ours-memory",
    note: "Tasks.submitAndWait; our Worker, same process",
    run: async (ctx) => {
      const n = count(ctx.sizes)
      const runtime = ManagedRuntime.make(workerLayer.pipe(Layer.provideMerge(Bananas.layerMemory())))
      await runtime.context()
      try {
        return await measure(n, inFlight(n), (i) => runtime.runPromise(Tasks.submitAndWait("echo", { i }, { timeout: "120 seconds" })))
      } finally {
        await runtime.dispose()
      }
    }
  }
]

/** Our worker: echoes the payload, concurrency 50, quiet (errors only). */
const workerLayer = Worker.layer({
  handlers: Handlers.empty.pipe(Handlers.addRaw("echo", (input) => Effect.succeed(input.payload))),
  concurrency: WORKER_CONCURRENCY,
  scheduler: false,
  reaper: false
}).pipe(Layer.provide(Layer.succeed(References.MinimumLogLevel, "Error")))
