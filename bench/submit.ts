/**
 * Submission scenarios: one job at a time (each awaited), 100 in flight, and
 * one batch. Every system writes the same jobs (the bench payload, normal
 * priority); throughput in jobs/s.
 */
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { Queue as BullQueue } from "bullmq"
import { Redis } from "ioredis"
import * as Bananas from "../src/Bananas.ts"
import type { JobQueue } from "../src/services/JobQueue.ts"
import type { ResultBackend } from "../src/services/ResultBackend.ts"
import type { TaskApi } from "../src/services/TaskApi.ts"
import * as Tasks from "../src/Tasks.ts"
import type { EncodedPlans } from "../src/layers/redis/PlanEncoding.ts"
import { encodePlans, evalApply, goEnqueue, goEnqueueMany, payload, prepare, rawClient } from "./raw.ts"
import { pool, rate, type RunContext, type Sample, type Scenario, time } from "./support.ts"

/** The chunk size of our batches (the SDK's default `batchChunkSize`). */
const CHUNK = 500

const opsMetric = [{ key: "ops", label: "jobs/s", better: "higher" as const }]

/** The submission scenarios. */
export const scenarios = (): Array<Scenario> => [
  {
    id: "submit-serial",
    title: (s) => `submit, awaited one at a time (${s.serialN} jobs)`,
    metrics: opsMetric,
    systems: systems((ctx) => ctx.sizes.serialN, 1)
  },
  {
    id: "submit-100",
    title: (s) => `submit, 100 in flight (${s.submitN} jobs)`,
    metrics: opsMetric,
    systems: systems((ctx) => ctx.sizes.submitN, 100)
  },
  {
    id: "batch",
    title: (s) => `submit one batch of ${s.batchN} jobs`,
    metrics: opsMetric,
    systems: [
      {
        id: "raw-ours",
        note: `EVALSHA applyPlans per ${CHUNK}, all sent at once`,
        run: async (ctx) => {
          const redis = await rawClient(ctx.url)
          const jobs = prepare(ctx.sizes.batchN)
          const calls: Array<EncodedPlans> = []
          for (let i = 0; i < jobs.length; i += CHUNK) {
            const chunk = jobs.slice(i, i + CHUNK)
            calls.push(encodePlans("enqueue", chunk.map((p) => p.enqueue)))
          }
          const millis = await time(() => Promise.all(calls.map((call) => evalApply(redis, call))))
          redis.disconnect()
          return { ops: rate(jobs.length, millis) }
        }
      },
      {
        id: "raw-go",
        note: `MULTI of SET + LPUSH per ${CHUNK}`,
        run: async (ctx) => {
          const redis = new Redis(ctx.url)
          const jobs = prepare(ctx.sizes.batchN)
          const chunks: Array<typeof jobs> = []
          for (let i = 0; i < jobs.length; i += CHUNK) chunks.push(jobs.slice(i, i + CHUNK))
          const millis = await time(() => Promise.all(chunks.map((c) => goEnqueueMany(redis, c))))
          redis.disconnect()
          return { ops: rate(jobs.length, millis) }
        }
      },
      {
        id: "bullmq",
        note: "Queue.addBulk of all",
        run: async (ctx) => {
          const { queue, close } = await bull(ctx)
          const entries = Array.from({ length: ctx.sizes.batchN }, () => ({ name: "noop", data: payload }))
          const millis = await time(() => queue.addBulk(entries))
          await close()
          return { ops: rate(entries.length, millis) }
        }
      },
      ...(["ours-redis", "ours-memory"] as const).map((id) => ({
        id,
        note: "Tasks.submitBatch",
        run: (ctx: RunContext) =>
          withOurs(ctx, id === "ours-memory", async (runtime) => {
            const entries = Array.from({ length: ctx.sizes.batchN }, () => ({ name: "noop", payload }))
            const millis = await time(() => runtime.runPromise(Tasks.submitBatch(entries)))
            return { ops: rate(entries.length, millis) }
          })
      }))
    ]
  }
]

// Internal

/** The five systems of a one-job-per-call scenario with `inFlight` calls at once. */
const systems = (count: (ctx: RunContext) => number, inFlight: number): Scenario["systems"] => [
  {
    id: "raw-ours",
    note: "EVALSHA applyPlans per job",
    run: async (ctx) => {
      const redis = await rawClient(ctx.url)
      const calls = prepare(count(ctx)).map((p) => encodePlans("enqueue", [p.enqueue]))
      const millis = await time(() => pool(calls.length, inFlight, (i) => evalApply(redis, calls[i]!)))
      redis.disconnect()
      return { ops: rate(calls.length, millis) }
    }
  },
  {
    id: "raw-go",
    note: "MULTI SET + LPUSH per job",
    run: async (ctx) => {
      const redis = new Redis(ctx.url)
      const jobs = prepare(count(ctx))
      const millis = await time(() => pool(jobs.length, inFlight, (i) => goEnqueue(redis, jobs[i]!)))
      redis.disconnect()
      return { ops: rate(jobs.length, millis) }
    }
  },
  {
    id: "bullmq",
    note: "Queue.add",
    run: async (ctx) => {
      const { queue, close } = await bull(ctx)
      const n = count(ctx)
      const millis = await time(() => pool(n, inFlight, () => queue.add("noop", payload)))
      await close()
      return { ops: rate(n, millis) }
    }
  },
  ...(["ours-redis", "ours-memory"] as const).map((id) => ({
    id,
    note: "Tasks.submit",
    run: (ctx: RunContext) =>
      withOurs(ctx, id === "ours-memory", async (runtime) => {
        const n = count(ctx)
        const millis = await time(() =>
          runtime.runPromise(Effect.forEach(Array.from({ length: n }), () => Tasks.submit("noop", payload), { concurrency: inFlight, discard: true }))
        )
        return { ops: rate(n, millis) }
      })
  }))
]

/** Our client's runtime: what both backends provide. */
export type OurRuntime = ManagedRuntime.ManagedRuntime<TaskApi | JobQueue | ResultBackend, unknown>

/** Runs `body` with our client (Redis, or memory), built before and closed after. */
export const withOurs = async (ctx: RunContext, memory: boolean, body: (runtime: OurRuntime) => Promise<Sample>): Promise<Sample> => {
  const runtime = (memory ? ManagedRuntime.make(Bananas.layerMemory()) : ManagedRuntime.make(Bananas.layerRedis({ url: ctx.url }))) as OurRuntime
  await runtime.context()
  try {
    return await body(runtime)
  } finally {
    await runtime.dispose()
  }
}

/** A BullMQ queue on the run's Redis. */
export const bull = async (ctx: RunContext, name = "bench") => {
  const connection = new Redis(ctx.url, { maxRetriesPerRequest: null })
  const queue = new BullQueue(name, { connection })
  queue.setMaxListeners(0) // each waitUntilFinished adds one; not a leak here
  await queue.waitUntilReady()
  return { queue, close: async () => { await queue.close(); connection.disconnect() } }
}
