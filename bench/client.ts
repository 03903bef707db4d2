/**
 * Client-side benchmarks on a private redis-server: submission one by one
 * and in batches, and RPC round trips, for @bananas/effect against the raw
 * ioredis commands of the protocol (the floor our overhead is measured
 * against) and BullMQ (the strongest Node peer), all in the same run.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { Queue as BullQueue, QueueEvents, Worker as BullWorker } from "bullmq"
import { Redis } from "ioredis"
import * as Bananas from "../src/Bananas.ts"
import * as JobCodec from "../src/domain/JobCodec.ts"
import * as Submission from "../src/domain/Submission.ts"
import * as Timestamp from "../src/domain/Timestamp.ts"
import { TaskApi } from "../src/services/TaskApi.ts"
import * as Handlers from "../src/worker/Handlers.ts"
import * as Worker from "../src/worker/Worker.ts"
import { pool, time, withRedis, type Row } from "./support.ts"
import * as Result from "effect/Result"

const N = Number(process.env.BENCH_N ?? 20_000)
const RPC_N = Number(process.env.BENCH_RPC_N ?? 10_000)
const CONCURRENCY = 100
const CHUNK = 500
const payload = { to: "user@example.com", subject: "Welcome", n: 42 }

/** The number of connections named `name` (or `name:suffix`) in `CLIENT LIST`. */
const connectionsNamed = async (admin: Redis, name: string): Promise<number> => {
  const list = (await admin.client("LIST")) as string
  return list.split("\n").filter((line) => line.includes(` name=${name} `) || line.includes(` name=${name}:`)).length
}

const rawJobs = (n: number) => {
  const now = Timestamp.fromMillis(Date.now())
  return Array.from({ length: n }, () => {
    const job = Result.getOrThrow(Submission.toJob({ name: "send_email", payload }, now))
    return { id: job.id, json: JobCodec.encode(job) }
  })
}

const rawSingle = () =>
  withRedis(async (url) => {
    const redis = new Redis(url)
    const jobs = rawJobs(N)
    const millis = await time(() => pool(N, CONCURRENCY, (i) => redis.multi().set(`bananas:job:${jobs[i]!.id}`, jobs[i]!.json).lpush("bananas:queue:normal", jobs[i]!.id).exec()))
    redis.disconnect()
    return millis
  })

const oursSingle = () =>
  withRedis(async (url) => {
    const runtime = ManagedRuntime.make(Bananas.layerRedis({ url }))
    const api = await runtime.runPromise(Effect.gen(function*() { return yield* TaskApi }))
    const millis = await time(() => runtime.runPromise(Effect.forEach(Array.from({ length: N }), () => api.submit("send_email", payload), { concurrency: CONCURRENCY, discard: true })))
    await runtime.dispose()
    return millis
  })

const bullSingle = () =>
  withRedis(async (url) => {
    const connection = new Redis(url, { maxRetriesPerRequest: null })
    const queue = new BullQueue("bench", { connection })
    const millis = await time(() => pool(N, CONCURRENCY, () => queue.add("send_email", payload)))
    await queue.close()
    connection.disconnect()
    return millis
  })

const rawBatch = () =>
  withRedis(async (url) => {
    const redis = new Redis(url)
    const jobs = rawJobs(N)
    const millis = await time(async () => {
      for (let i = 0; i < N; i += CHUNK) {
        const m = redis.multi()
        for (const job of jobs.slice(i, i + CHUNK)) m.set(`bananas:job:${job.id}`, job.json).lpush("bananas:queue:normal", job.id)
        await m.exec()
      }
    })
    redis.disconnect()
    return millis
  })

const oursBatch = () =>
  withRedis(async (url) => {
    const runtime = ManagedRuntime.make(Bananas.layerRedis({ url, batchChunkSize: CHUNK }))
    const api = await runtime.runPromise(Effect.gen(function*() { return yield* TaskApi }))
    const entries = Array.from({ length: N }, () => ({ name: "send_email", payload }))
    const millis = await time(() => runtime.runPromise(api.submitBatch(entries)))
    await runtime.dispose()
    return millis
  })

const bullBatch = () =>
  withRedis(async (url) => {
    const connection = new Redis(url, { maxRetriesPerRequest: null })
    const queue = new BullQueue("bench", { connection })
    const millis = await time(async () => {
      for (let i = 0; i < N; i += CHUNK) {
        await queue.addBulk(Array.from({ length: Math.min(CHUNK, N - i) }, () => ({ name: "send_email", data: payload })))
      }
    })
    await queue.close()
    connection.disconnect()
    return millis
  })

/**
 * RPC: RPC_N concurrent submitAndWait against our worker (no-op handler,
 * concurrency 50). `connections` is the most connections of the client seen
 * in `CLIENT LIST`, sampled every 50 ms for the whole run.
 */
export const oursRpc = () =>
  withRedis(async (url) => {
    const name = `bench-client-${process.pid}`
    const handlers = Handlers.empty.pipe(Handlers.addRaw("echo", (input) => Effect.succeed(input.payload)))
    const workerLayer = Worker.layer({ handlers, concurrency: 50, scheduler: false, reaper: false }).pipe(
      Layer.provide(Bananas.layerRedis({ url, connectionName: `${name}-worker` }))
    )
    const worker = ManagedRuntime.make(workerLayer)
    await worker.runPromise(Effect.void)
    const client = ManagedRuntime.make(Bananas.layerRedis({ url, connectionName: name }))
    const api = await client.runPromise(Effect.gen(function*() { return yield* TaskApi }))
    const admin = new Redis(url)
    let connections = 0
    let sampling = true
    const sampler = (async () => {
      while (sampling) {
        connections = Math.max(connections, await connectionsNamed(admin, name))
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    })()
    const millis = await time(() =>
      client.runPromise(Effect.gen(function*() {
        const results = yield* Effect.forEach(Array.from({ length: RPC_N }, (_, i) => i), (i) => api.submitAndWait("echo", { i }, { timeout: "120 seconds" }), { concurrency: "unbounded" })
        if (results.length !== RPC_N) throw new Error("lost results")
      }))
    )
    sampling = false
    await sampler
    admin.disconnect()
    await client.dispose()
    await worker.dispose()
    return { millis, connections }
  })

/** RPC: RPC_N concurrent BullMQ add + waitUntilFinished against a BullMQ worker (concurrency 50). */
export const bullRpc = () =>
  withRedis(async (url) => {
    const connection = new Redis(url, { maxRetriesPerRequest: null })
    const queue = new BullQueue("rpc", { connection })
    const events = new QueueEvents("rpc", { connection: { host: "127.0.0.1", port: Number(new URL(url).port) } })
    await events.waitUntilReady()
    const worker = new BullWorker("rpc", async (job) => job.data, { connection: { host: "127.0.0.1", port: Number(new URL(url).port), maxRetriesPerRequest: null }, concurrency: 50 })
    await worker.waitUntilReady()
    const millis = await time(() => Promise.all(Array.from({ length: RPC_N }, async (_, i) => {
      const job = await queue.add("echo", { i })
      return job.waitUntilFinished(events, 120_000)
    })))
    await worker.close()
    await events.close()
    await queue.close()
    connection.disconnect()
    return millis
  })

/** Runs every client scenario and returns the rows. */
export const runClientBench = async (): Promise<Array<Row>> => {
  const rows: Array<Row> = []
  rows.push({ scenario: `submit one by one (${N} jobs, ${CONCURRENCY} in flight)`, impl: "raw ioredis MULTI SET+LPUSH", ops: N, millis: await rawSingle() })
  rows.push({ scenario: `submit one by one (${N} jobs, ${CONCURRENCY} in flight)`, impl: "@bananas/effect TaskApi.submit", ops: N, millis: await oursSingle() })
  rows.push({ scenario: `submit one by one (${N} jobs, ${CONCURRENCY} in flight)`, impl: "BullMQ Queue.add", ops: N, millis: await bullSingle() })
  rows.push({ scenario: `submit in batches (${N} jobs, chunks of ${CHUNK})`, impl: "raw ioredis MULTI per chunk", ops: N, millis: await rawBatch() })
  rows.push({ scenario: `submit in batches (${N} jobs, chunks of ${CHUNK})`, impl: "@bananas/effect TaskApi.submitBatch", ops: N, millis: await oursBatch() })
  rows.push({ scenario: `submit in batches (${N} jobs, chunks of ${CHUNK})`, impl: "BullMQ Queue.addBulk", ops: N, millis: await bullBatch() })
  const rpc = `RPC round trips (${RPC_N} concurrent submit-and-wait, worker concurrency 50)`
  rows.push({ scenario: rpc, impl: "BullMQ add + waitUntilFinished", ops: RPC_N, millis: await bullRpc() })
  const ours = await oursRpc()
  rows.push({ scenario: rpc, impl: "@bananas/effect submitAndWait", ops: RPC_N, millis: ours.millis, note: `client connections: ${ours.connections}` })
  return rows
}
