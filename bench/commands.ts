/**
 * Redis commands per job on the worker path: a backlog of no-op jobs (our
 * client, a batch submit, not counted) drained by our Worker at concurrency
 * 1 and 50 on a private redis-server, with `INFO commandstats` read before
 * and after the drain. Commands run inside scripts count one each (Redis
 * counts them so); round trips are the top-level calls (`EVALSHA`, and any
 * plain command the worker sends). Then the same for submit-and-wait at
 * one call in flight, our client and our Worker (concurrency 50) on one
 * Redis, per call: the script calls on its path and every command.
 *
 *   node bench/commands.ts          # BENCH_COMMANDS_N jobs (default 5000), 1,000 calls
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Metric from "effect/Metric"
import * as References from "effect/References"
import { Redis } from "ioredis"
import * as Bananas from "../src/Bananas.ts"
import * as Tasks from "../src/Tasks.ts"
import * as Handlers from "../src/worker/HandlerRegistry.ts"
import * as Metrics from "../src/worker/Metrics.ts"
import * as Worker from "../src/worker/Worker.ts"
import { startRedisServer } from "../test/support/RedisServer.ts"

const N = Number(process.env.BENCH_COMMANDS_N ?? 5000)

/** Calls per command name from `INFO commandstats`. */
const commandStats = async (redis: Redis): Promise<Map<string, number>> => {
  const out = new Map<string, number>()
  for (const match of (await redis.info("commandstats")).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out.set(match[1]!, Number(match[2]))
  return out
}

/** Commands per job of one drain at `concurrency`. */
const drain = async (url: string, concurrency: number): Promise<Map<string, number>> => {
  const admin = new Redis(url)
  const quiet = Layer.succeed(References.MinimumLogLevel, "Error")
  const client = ManagedRuntime.make(Bananas.layerRedis({ url }).pipe(Layer.provide(quiet)))
  try {
    await admin.flushall()
    for (let i = 0; i < N; i += 1000) {
      await client.runPromise(Tasks.submitBatch(Array.from({ length: Math.min(1000, N - i) }, () => ({ name: "noop", payload: { n: 1 } }))))
    }
    await admin.config("RESETSTAT")
    const handlers = Handlers.empty.pipe(Handlers.addRaw("noop", () => Effect.void))
    const worker = ManagedRuntime.make(
      Worker.layer({ handlers, concurrency, scheduler: false, reaper: false }).pipe(
        Layer.provideMerge(Bananas.layerRedis({ url })),
        Layer.provideMerge(Layer.succeed(Metric.MetricRegistry, new Map())),
        Layer.provide(quiet)
      )
    )
    await worker.context()
    while (worker.runSync(Metric.value(Metrics.processed)).count < N) await new Promise((resolve) => setTimeout(resolve, 20))
    const stats = await commandStats(admin)
    await worker.dispose()
    stats.delete("config")
    stats.delete("info")
    return new Map([...stats].map(([name, calls]) => [name, calls / N]))
  } finally {
    await client.dispose()
    admin.disconnect()
  }
}

/** Commands per submit-and-wait call, one call in flight, after a warm-up. */
const calls = async (url: string, count: number): Promise<Map<string, number>> => {
  const admin = new Redis(url)
  const quiet = Layer.succeed(References.MinimumLogLevel, "Error")
  const handlers = Handlers.empty.pipe(Handlers.addRaw("echo", (input) => Effect.succeed(input.payload)))
  const worker = ManagedRuntime.make(
    Worker.layer({ handlers, concurrency: 50, scheduler: false, reaper: false }).pipe(Layer.provideMerge(Bananas.layerRedis({ url })), Layer.provide(quiet))
  )
  const client = ManagedRuntime.make(Bananas.layerRedis({ url }).pipe(Layer.provide(quiet)))
  try {
    await admin.flushall()
    await worker.context()
    const call = (i: number) => client.runPromise(Tasks.submitAndWait("echo", { i }, { timeout: "30 seconds" }))
    for (let i = 0; i < 100; i++) await call(i)
    await admin.config("RESETSTAT")
    for (let i = 0; i < count; i++) await call(i)
    const stats = await commandStats(admin)
    stats.delete("config")
    stats.delete("info")
    return new Map([...stats].map(([name, n]) => [name, n / count]))
  } finally {
    await client.dispose()
    await worker.dispose()
    admin.disconnect()
  }
}

if (import.meta.main) {
  const server = await startRedisServer()
  try {
    const runs = [[1, await drain(server.url, 1)], [50, await drain(server.url, 50)]] as const
    const names = [...new Set(runs.flatMap(([, stats]) => [...stats.keys()]))].sort((a, b) => (runs[1][1].get(b) ?? 0) - (runs[1][1].get(a) ?? 0))
    const lines = [
      `Redis commands per job, our Worker draining ${N} no-op jobs (INFO commandstats; commands inside scripts count one each)`,
      `${"command".padEnd(16)} ${"concurrency 1".padStart(14)} ${"concurrency 50".padStart(15)}`,
      ...names.map((name) => `${name.padEnd(16)} ${(runs[0][1].get(name) ?? 0).toFixed(2).padStart(14)} ${(runs[1][1].get(name) ?? 0).toFixed(2).padStart(15)}`),
      `${"all".padEnd(16)} ${[...runs[0][1].values()].reduce((a, b) => a + b, 0).toFixed(2).padStart(14)} ${[...runs[1][1].values()].reduce((a, b) => a + b, 0).toFixed(2).padStart(15)}`,
      `${"round trips".padEnd(16)} ${(runs[0][1].get("evalsha") ?? 0).toFixed(2).padStart(14)} ${(runs[1][1].get("evalsha") ?? 0).toFixed(2).padStart(15)}  (EVALSHA calls: takes and batches of outcomes)`
    ]
    const rpc = await calls(server.url, 1000)
    lines.push(
      "",
      "Redis commands per submit-and-wait call, 1 in flight (1,000 calls; client and Worker at concurrency 50)",
      ...[...rpc].filter(([, n]) => n >= 0.005).sort((a, b) => b[1] - a[1]).map(([name, n]) => `${name.padEnd(16)} ${n.toFixed(2).padStart(14)}`),
      `${"all".padEnd(16)} ${[...rpc.values()].reduce((a, b) => a + b, 0).toFixed(2).padStart(14)}`,
      `${"script calls".padEnd(16)} ${(rpc.get("evalsha") ?? 0).toFixed(2).padStart(14)}  (submit, take, outcome, read)`
    )
    process.stdout.write(lines.join("\n") + "\n")
  } finally {
    await server.stop()
  }
}
