/**
 * Client-side benchmarks on a private redis-server: submission one by one
 * and in batches, and RPC round trips, for @bananas/effect against raw
 * ioredis sending exactly our commands (the `apply` script by `EVALSHA`,
 * with the arguments our Redis layer builds for the same jobs: the floor
 * our overhead is measured against) and BullMQ (the strongest Node peer),
 * all in the same run.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Result from "effect/Result"
import { Queue as BullQueue, QueueEvents, Worker as BullWorker } from "bullmq"
import { Redis } from "ioredis"
import * as Bananas from "../src/Bananas.ts"
import * as Submission from "../src/domain/Submission.ts"
import * as Timestamp from "../src/domain/Timestamp.ts"
import { encode } from "../src/layers/redis/RedisJobStore.ts"
import * as Scripts from "../src/layers/redis/Scripts.ts"
import type { Plan } from "../src/protocol/Plan.ts"
import * as Transitions from "../src/protocol/Transitions.ts"
import * as Wire from "../src/protocol/Wire.ts"
import * as Tasks from "../src/Tasks.ts"
import * as Handlers from "../src/worker/Handlers.ts"
import * as Worker from "../src/worker/Worker.ts"
import { pool, time, withRedis, type Row } from "./support.ts"

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

/** The protocol of our Redis layer with its defaults (prefix `bananas:`, Go's TTLs). */
const protocol = Wire.make()

/** The enqueue plans of `n` new jobs, as `Tasks.submit` makes them (payload encoded beforehand). */
const enqueuePlans = (n: number): Array<Plan> => {
  const now = Timestamp.fromMillis(Date.now())
  const json = Result.getOrThrow(Submission.toPayload(payload))
  return Array.from({ length: n }, () => {
    const { job } = Result.getOrThrow(Submission.toJob({ name: "send_email", payload: json }, now))
    return Transitions.enqueue(protocol, job)
  })
}

/** `EVALSHA apply` with the keys and arguments our Redis layer sends for these plans, checking each was applied. */
const evalApply = async (redis: Redis, call: { readonly keys: ReadonlyArray<string>; readonly args: ReadonlyArray<string | number> }, plans: number) => {
  const codes = (await redis.evalsha(Scripts.apply.sha, call.keys.length, ...call.keys, ...call.args)) as ReadonlyArray<number>
  if (codes.length !== plans || codes.some((c) => c !== 0)) throw new Error(`apply refused: ${codes.join(",")}`)
}

const rawClient = async (url: string) => {
  const redis = new Redis(url)
  await redis.script("LOAD", Scripts.apply.lua) // as our layer does when it starts
  return redis
}

const rawSingle = () =>
  withRedis(async (url) => {
    const redis = await rawClient(url)
    const calls = enqueuePlans(N).map((plan) => encode([plan]))
    const millis = await time(() => pool(N, CONCURRENCY, (i) => evalApply(redis, calls[i]!, 1)))
    redis.disconnect()
    return millis
  })

const oursSingle = () =>
  withRedis(async (url) => {
    const runtime = ManagedRuntime.make(Bananas.layerRedis({ url }))
    await runtime.context()
    const millis = await time(() =>
      runtime.runPromise(Effect.forEach(Array.from({ length: N }), () => Tasks.submit("send_email", payload), { concurrency: CONCURRENCY, discard: true }))
    )
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
    const redis = await rawClient(url)
    const plans = enqueuePlans(N)
    // One EVALSHA per chunk of CHUNK plans, all sent at once: what our layer sends for one submitBatch.
    const chunks: Array<{ readonly call: ReturnType<typeof encode>; readonly size: number }> = []
    for (let i = 0; i < N; i += CHUNK) {
      const chunk = plans.slice(i, i + CHUNK)
      chunks.push({ call: encode(chunk), size: chunk.length })
    }
    const millis = await time(() => Promise.all(chunks.map(({ call, size }) => evalApply(redis, call, size))))
    redis.disconnect()
    return millis
  })

const oursBatch = () =>
  withRedis(async (url) => {
    const runtime = ManagedRuntime.make(Bananas.layerRedis({ url, batchChunkSize: CHUNK }))
    await runtime.context()
    const entries = Array.from({ length: N }, () => ({ name: "send_email", payload }))
    const millis = await time(() => runtime.runPromise(Tasks.submitBatch(entries)))
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
    await client.context()
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
        const results = yield* Effect.forEach(Array.from({ length: RPC_N }, (_, i) => i), (i) => Tasks.submitAndWait("echo", { i }, { timeout: "120 seconds" }), { concurrency: "unbounded" })
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
  rows.push({ scenario: `submit one by one (${N} jobs, ${CONCURRENCY} in flight)`, impl: "raw ioredis EVALSHA apply", ops: N, millis: await rawSingle() })
  rows.push({ scenario: `submit one by one (${N} jobs, ${CONCURRENCY} in flight)`, impl: "@bananas/effect Tasks.submit", ops: N, millis: await oursSingle() })
  rows.push({ scenario: `submit one by one (${N} jobs, ${CONCURRENCY} in flight)`, impl: "BullMQ Queue.add", ops: N, millis: await bullSingle() })
  rows.push({ scenario: `submit in batches (${N} jobs, chunks of ${CHUNK})`, impl: "raw ioredis EVALSHA per chunk", ops: N, millis: await rawBatch() })
  rows.push({ scenario: `submit in batches (${N} jobs, chunks of ${CHUNK})`, impl: "@bananas/effect Tasks.submitBatch", ops: N, millis: await oursBatch() })
  rows.push({ scenario: `submit in batches (${N} jobs, chunks of ${CHUNK})`, impl: "BullMQ Queue.addBulk", ops: N, millis: await bullBatch() })
  const rpc = `RPC round trips (${RPC_N} concurrent submit-and-wait, worker concurrency 50)`
  rows.push({ scenario: rpc, impl: "BullMQ add + waitUntilFinished", ops: RPC_N, millis: await bullRpc() })
  const ours = await oursRpc()
  rows.push({ scenario: rpc, impl: "@bananas/effect Tasks.submitAndWait", ops: RPC_N, millis: ours.millis, note: `client connections: ${ours.connections}` })
  return rows
}
