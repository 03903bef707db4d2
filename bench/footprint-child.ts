/**
 * One footprint measurement in a process of its own (so its RSS is only
 * its own), run by `footprint.ts`: `node --expose-gc bench/footprint-child.ts
 * <kind> <redis url> <soak ms> <dist|src>`; prints one JSON line of MB
 * figures. Every kind imports `effect` (its index, as an Effect program
 * does) and ioredis; ours loads the SDK from `dist` (the built JavaScript
 * users run) or, in quick mode, from `src`.
 *
 * - `bare`: effect + an ioredis connection, nothing else (the baseline);
 * - `ours`: our client and an idle Worker (concurrency 50); then, under
 *   load, jobs submitted in batches and drained by that worker for the
 *   soak time: the peak RSS, and the growth from the end of the first
 *   tenth of the soak to its end (both after a GC);
 * - `bullmq`: a BullMQ Queue and an idle Worker, then the same load.
 */
import { Effect } from "effect"
import { Redis } from "ioredis"
// Everything else is imported by the kind that uses it (imports are RSS too).

const [kind, url, soakText, from] = process.argv.slice(2) as [string, string, string, "dist" | "src"]
const sdk = (path: string) => new URL(`../${from}/${path}.${from === "dist" ? "js" : "ts"}`, import.meta.url).href
const soakMillis = Number(soakText)
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})
const mb = () => process.memoryUsage().rss / 2 ** 20
const heapMb = () => process.memoryUsage().heapUsed / 2 ** 20
const settle = async () => {
  await new Promise((r) => setTimeout(r, 300))
  gc()
  await new Promise((r) => setTimeout(r, 100))
  gc()
  return mb()
}
const payload = { to: "user@example.com", subject: "Welcome", n: 42 }
const BATCH = 500

/** Submits batches and waits for them to be processed until `soakMillis` passed; samples RSS every 20 ms. */
const soak = async (submit: () => Promise<void>, processed: () => number) => {
  let peak = mb()
  const sampler = setInterval(() => { peak = Math.max(peak, mb()) }, 20)
  const start = performance.now()
  let sent = 0
  let warm: number | undefined
  let warmHeap = 0
  while (performance.now() - start < soakMillis) {
    await submit()
    sent += BATCH
    while (processed() < sent) await new Promise((r) => setTimeout(r, 1))
    if (warm === undefined && performance.now() - start > soakMillis / 10) {
      warm = await settle()
      warmHeap = heapMb()
    }
  }
  clearInterval(sampler)
  const end = await settle()
  // RSS growth includes the allocator keeping pages; heap growth (live objects after GC) is what a leak shows as.
  return { peak, growth: end - (warm ?? end), heapGrowth: warm === undefined ? 0 : heapMb() - warmHeap, jobs: sent }
}

const main = async () => {
  if (kind === "bare") {
    const redis = new Redis(url)
    await Effect.runPromise(Effect.promise(() => redis.ping()))
    const idle = await settle()
    redis.disconnect()
    return { idle }
  }
  if (kind === "ours") {
    const [Layer, ManagedRuntime, Metric, References] = await Promise.all([
      import("effect/Layer"), import("effect/ManagedRuntime"), import("effect/Metric"), import("effect/References")
    ])
    const Bananas = (await import(sdk("Bananas"))) as typeof import("../src/Bananas.ts")
    const Tasks = (await import(sdk("Tasks"))) as typeof import("../src/Tasks.ts")
    const Handlers = (await import(sdk("worker/HandlerRegistry"))) as typeof import("../src/worker/HandlerRegistry.ts")
    const Metrics = (await import(sdk("worker/Metrics"))) as typeof import("../src/worker/Metrics.ts")
    const Worker = (await import(sdk("worker/Worker"))) as typeof import("../src/worker/Worker.ts")
    const handlers = Handlers.empty.pipe(Handlers.addRaw("noop", () => Effect.void))
    const layer = Worker.layer({ handlers, concurrency: 50 }).pipe(
      Layer.provide(Layer.succeed(References.MinimumLogLevel, "Error")),
      Layer.provideMerge(Bananas.layerRedis({ url })),
      Layer.provideMerge(Layer.succeed(Metric.MetricRegistry, new Map()))
    )
    const runtime = ManagedRuntime.make(layer)
    await runtime.context()
    const idle = await settle()
    const entries = Array.from({ length: BATCH }, () => ({ name: "noop", payload }))
    const load = await soak(
      () => runtime.runPromise(Effect.asVoid(Tasks.submitBatch(entries))),
      () => runtime.runSync(Metric.value(Metrics.processed)).count
    )
    await runtime.dispose()
    return { idle, ...load }
  }
  const { Queue: BullQueue, Worker: BullWorker } = await import("bullmq")
  const connection = { host: "127.0.0.1", port: Number(new URL(url).port), maxRetriesPerRequest: null }
  const queue = new BullQueue("footprint", { connection })
  let done = 0
  const worker = new BullWorker("footprint", async () => {}, { connection, concurrency: 50 })
  worker.on("completed", () => { done++ })
  await worker.waitUntilReady()
  const idle = await settle()
  const load = await soak(async () => { await queue.addBulk(Array.from({ length: BATCH }, () => ({ name: "noop", data: payload }))) }, () => done)
  await worker.close()
  await queue.close()
  return { idle, ...load }
}

process.stdout.write(JSON.stringify(await main()) + "\n")
process.exit(0)
