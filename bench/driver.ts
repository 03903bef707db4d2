/**
 * The ioredis version check (RELIABILITY.md "ioredis version"): the SDK's
 * own paths on whatever ioredis is installed, on a private redis-server:
 *
 * - submit-100: `Tasks.submit` with 100 in flight, jobs/s;
 * - worker: 5,000 queued jobs run by a Worker (concurrency 50), jobs/s;
 * - reconnect: redis-server SIGKILLed, down 200 ms, restarted on the same
 *   port; ms from the kill until a submit succeeds again.
 *
 *   node bench/driver.ts [rounds]      (median of rounds, default 5)
 *
 * Run it in a scratch copy of the repository with the other ioredis
 * installed to compare (see RELIABILITY.md for the exact commands).
 */
import { createRequire } from "node:module"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as DirectTaskApi from "../src/layers/DirectTaskApi.ts"
import * as BananasRedis from "../src/layers/redis/BananasRedis.ts"
import * as Tasks from "../src/Tasks.ts"
import { Handlers, Worker } from "../src/worker/index.ts"
import { freePort, spawnRedis, type RedisProcess } from "../test/support/RedisProcess.ts"
import { median, rate, sleep } from "./support.ts"

const rounds = Number(process.argv[2] ?? 5)
const version = (createRequire(import.meta.url)("ioredis/package.json") as { version: string }).version
const port = await freePort()
const start = () => spawnRedis(["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { port })
let proc: RedisProcess = await start()
const server = {
  url: `redis://127.0.0.1:${port}`,
  /** SIGKILL, 200 ms down, start again on the same port. */
  restart: async () => {
    await proc.stop()
    await sleep(200)
    proc = await start()
  }
}

const backend = (prefix: string) =>
  Layer.fresh(DirectTaskApi.layer).pipe(Layer.provideMerge(BananasRedis.layer({ url: server.url, prefix })), Layer.orDie)

const submit100 = (prefix: string) =>
  Effect.runPromise(Effect.gen(function*() {
    const n = 5_000
    const started = performance.now()
    yield* Effect.forEach(Array.from({ length: n }, (_, i) => i), (i) => Tasks.submit("noop", { i }), { concurrency: 100, discard: true })
    return rate(n, performance.now() - started)
  }).pipe(Effect.provide(backend(prefix))))

const worker = (prefix: string) =>
  Effect.runPromise(Effect.gen(function*() {
    const n = 5_000
    yield* Tasks.submitBatch(Array.from({ length: n }, (_, i) => ({ name: "noop", payload: { i } })))
    let done = 0
    let finished!: () => void
    const all = new Promise<void>((resolve) => (finished = resolve))
    const handlers = Handlers.empty.pipe(Handlers.addRaw("noop", () => Effect.sync(() => { if (++done === n) finished() })))
    const started = performance.now()
    yield* Effect.scoped(Effect.gen(function*() {
      yield* Layer.build(Worker.layer({ handlers, concurrency: 50 }))
      yield* Effect.promise(() => all)
    }))
    return rate(n, performance.now() - started)
  }).pipe(Effect.provide(backend(prefix))))

const reconnect = (prefix: string) =>
  Effect.runPromise(Effect.gen(function*() {
    yield* Tasks.submit("noop", {})
    const started = performance.now()
    yield* Effect.promise(() => server.restart())
    yield* Tasks.submit("noop", {}, { operationTimeout: "20 seconds" }).pipe(Effect.retry({ times: 100 }))
    return performance.now() - started
  }).pipe(Effect.provide(backend(prefix))))

const figures: Record<string, Array<number>> = { "submit-100 jobs/s": [], "worker jobs/s": [], "reconnect ms": [] }
for (let r = 0; r < rounds; r++) {
  figures["submit-100 jobs/s"]!.push(await submit100(`drv${r}a:`))
  figures["worker jobs/s"]!.push(await worker(`drv${r}b:`))
  figures["reconnect ms"]!.push(await reconnect(`drv${r}c:`))
  await sleep(100)
}
process.stdout.write(`ioredis ${version}, ${rounds} rounds (median [min..max]):\n`)
for (const [name, values] of Object.entries(figures)) {
  process.stdout.write(`  ${name}: ${median(values).toFixed(0)} [${Math.min(...values).toFixed(0)}..${Math.max(...values).toFixed(0)}]\n`)
}
await proc.stop()
