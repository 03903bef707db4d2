/**
 * The soak: a steady load on a private loopback Redis for a few minutes,
 * sampling what could grow without bound, then checking that each figure
 * levels off.
 *
 * Load, in one process: `rpc` loops each doing `submitAndWait` back to back
 * (one client, its one shared pub/sub connection), plus fire-and-forget
 * submits at `submitRate` per second, all run by an in-process worker.
 * Results and finished jobs expire after `ttl` (short, so that the keyspace
 * reaches its steady state within the run).
 *
 * Sampled every `sampleMillis`: the process's RSS and heap, Redis
 * `used_memory`, `DBSIZE`, the active pub/sub channels (`PUBSUB CHANNELS`),
 * and from `CLIENT LIST` the connections and their subscriptions. After a
 * warm-up (the TTL plus a few seconds), the run is cut into thirds: a figure
 * levels off when its mean over the last third is within a tolerance of the
 * middle third (connections and subscriptions: no higher peak at all).
 *
 * `npm run soak` (default 3 minutes, 16 loops making 800 calls/s and 200
 * submits/s, TTL 5 s; `SOAK_SECONDS`, `SOAK_RPC`, `SOAK_RPC_RATE`,
 * `SOAK_RATE`, `SOAK_TTL_SECONDS` override) prints the samples' summary as
 * JSON and exits 1 when something does not level off, something is left
 * after the TTL, or the SDK logged a warning. `runSoak` is also
 * what the short variant in `test/faults/soak.test.ts` runs.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as References from "effect/References"
import { Redis } from "ioredis"
import * as Bananas from "../src/Bananas.ts"
import * as Tasks from "../src/Tasks.ts"
import * as Handlers from "../src/worker/HandlerRegistry.ts"
import * as Worker from "../src/worker/Worker.ts"
import { parseInfo } from "../test/support/RedisProcess.ts"
import { startRedisServer } from "../test/support/RedisServer.ts"

/** What a soak run does. */
export interface SoakOptions {
  readonly durationMillis: number
  /** Concurrent submitAndWait loops. */
  readonly rpc: number
  /** submitAndWait calls per second, all loops together (paced: a steady load, not the most the machine can do). */
  readonly rpcRate: number
  /** Fire-and-forget submits per second. */
  readonly submitRate: number
  /** TTL of results and finished jobs. */
  readonly ttlSeconds: number
  readonly sampleMillis: number
}

/** One sample. */
export interface SoakSample {
  readonly t: number
  readonly rssMB: number
  readonly heapMB: number
  readonly usedMemoryMB: number
  readonly dbsize: number
  readonly channels: number
  readonly connections: number
  readonly subscriptions: number
  /** Jobs completed so far. */
  readonly done: number
}

/** Per figure: the middle- and last-third means (peaks for connections and subscriptions), and whether it levelled off. */
export interface Levels {
  readonly [figure: string]: { readonly middle: number; readonly last: number; readonly peak: number; readonly flat: boolean }
}

/** A soak's answer. */
export interface SoakReport {
  readonly options: SoakOptions
  readonly samples: ReadonlyArray<SoakSample>
  readonly levels: Levels
  readonly rpcCalls: number
  readonly submits: number
  readonly completed: number
  readonly rpcPerSecond: number
  /** After the load stopped and the TTL passed: what is left. */
  readonly after: { readonly dbsize: number; readonly channels: number; readonly subscriptions: number }
  /** Warnings and errors the SDK logged (a steady load on a healthy Redis should log none), and the first few. */
  readonly warnings: number
  readonly firstWarnings: ReadonlyArray<string>
  readonly flat: boolean
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10

/** How much a figure may still grow from the middle to the last third and count as level: a fraction plus an absolute slack. */
const tolerance: Readonly<Record<string, readonly [number, number]>> = {
  rssMB: [0.15, 15],
  heapMB: [0.3, 10],
  usedMemoryMB: [0.2, 0.5],
  dbsize: [0.2, 50],
  channels: [0.2, 10]
}

/** Runs a soak on a private redis-server (started and stopped here). */
export const runSoak = async (options: SoakOptions): Promise<SoakReport> => {
  const server = await startRedisServer()
  const admin = new Redis(server.url)
  try {
    const prefix = "soak:"
    const ttl = Duration.seconds(options.ttlSeconds)
    const backend = Bananas.layerRedis({ url: server.url, prefix, successTtl: ttl, failureTtl: ttl, completedJobTtl: ttl, deadJobTtl: ttl })
    let completed = 0
    let rpcCalls = 0
    let submits = 0
    let stop = false
    const handlers = Handlers.empty.pipe(Handlers.addRaw("soak", ({ payload }) => Effect.sync(() => { completed++ }).pipe(Effect.as(payload))))
    const samples: Array<SoakSample> = []
    const warnings: Array<string> = []
    let warningCount = 0
    const logger = Logger.make(({ logLevel, message }) => {
      warningCount++
      if (warnings.length < 5) warnings.push(`${logLevel}: ${Array.isArray(message) ? message.join(" ") : String(message)}`)
    })
    const started = Date.now()
    const sample = async (): Promise<SoakSample> => {
      // with --expose-gc (npm run soak) the heap figure is the live heap, not where the GC sawtooth happens to be
      ;(globalThis as { gc?: () => void }).gc?.()
      const memory = process.memoryUsage()
      const [info, dbsize, channels, clients] = await Promise.all([
        admin.info("memory"),
        admin.dbsize(),
        admin.call("PUBSUB", "CHANNELS") as Promise<Array<string>>,
        admin.call("CLIENT", "LIST") as Promise<string>
      ])
      const lines = clients.trim().split("\n")
      const subscriptions = lines.reduce((n, line) => n + Number(/ sub=(\d+)/.exec(line)?.[1] ?? 0) + Number(/ psub=(\d+)/.exec(line)?.[1] ?? 0), 0)
      return {
        t: Date.now() - started,
        rssMB: mb(memory.rss),
        heapMB: mb(memory.heapUsed),
        usedMemoryMB: mb(Number(parseInfo(info).used_memory)),
        dbsize,
        channels: channels.length,
        connections: lines.length - 1, // not counting the sampler's own
        subscriptions,
        done: completed
      }
    }

    const program = Effect.gen(function*() {
      const loops = yield* Effect.forEach(Array.from({ length: options.rpc }, (_, i) => i), (i) =>
        Effect.forkChild(Effect.gen(function*() {
          const every = (options.rpc * 1000) / Math.max(1, options.rpcRate)
          let next = Date.now() + Math.random() * every
          for (let n = 0; !stop; n++) {
            const wait = next - Date.now()
            if (wait > 0) yield* Effect.sleep(Duration.millis(wait))
            next = Math.max(next + every, Date.now() - every)
            yield* Tasks.submitAndWait("soak", { i, n }, { timeout: "30 seconds" })
            rpcCalls++
          }
        })))
      const submitter = yield* Effect.forkChild(Effect.gen(function*() {
        const every = 1000 / Math.max(1, options.submitRate)
        while (!stop) {
          yield* Tasks.submit("soak", { fire: submits })
          submits++
          yield* Effect.sleep(Duration.millis(every))
        }
      }))
      while (Date.now() - started < options.durationMillis) {
        yield* Effect.sleep(Duration.millis(options.sampleMillis))
        samples.push(yield* Effect.promise(sample))
      }
      stop = true
      yield* Fiber.joinAll([...loops, submitter])
    }).pipe(
      Effect.provide(Worker.layer({ handlers, concurrency: 20, reaperInterval: "1 second" }).pipe(Layer.provideMerge(backend))),
      Effect.provide(Logger.layer([logger])),
      Effect.provideService(References.MinimumLogLevel, "Warn")
    )
    await Effect.runPromise(program)
    // Everything the load wrote expires with the TTL: wait it out, then look.
    await new Promise((r) => setTimeout(r, options.ttlSeconds * 1000 + 1500))
    const afterChannels = (await admin.call("PUBSUB", "CHANNELS")) as Array<string>
    const afterClients = (await admin.call("CLIENT", "LIST")) as string
    const after = {
      dbsize: await admin.dbsize(),
      channels: afterChannels.length,
      subscriptions: afterClients.split("\n").reduce((n, line) => n + Number(/ sub=(\d+)/.exec(line)?.[1] ?? 0), 0)
    }
    const levels = levelsOf(samples, options.ttlSeconds * 1000 + 3000)
    const seconds = (samples[samples.length - 1]?.t ?? 1) / 1000
    return {
      options,
      samples,
      levels,
      rpcCalls,
      submits,
      completed,
      rpcPerSecond: Math.round(rpcCalls / seconds),
      after,
      warnings: warningCount,
      firstWarnings: warnings,
      flat: Object.values(levels).every((l) => l.flat)
    }
  } finally {
    admin.disconnect()
    await server.stop()
  }
}

/** The level check over the samples after `warmupMillis`. */
export const levelsOf = (samples: ReadonlyArray<SoakSample>, warmupMillis: number): Levels => {
  const steady = samples.filter((s) => s.t >= warmupMillis)
  const third = Math.max(1, Math.floor(steady.length / 3))
  const middle = steady.slice(third, 2 * third)
  const last = steady.slice(steady.length - third)
  const mean = (xs: ReadonlyArray<SoakSample>, f: keyof SoakSample) => xs.reduce((a, s) => a + s[f], 0) / Math.max(1, xs.length)
  const peak = (xs: ReadonlyArray<SoakSample>, f: keyof SoakSample) => Math.max(0, ...xs.map((s) => s[f]))
  const out: Record<string, Levels[string]> = {}
  for (const [f, [frac, slack]] of Object.entries(tolerance)) {
    const key = f as keyof SoakSample
    const m = mean(middle, key), l = mean(last, key)
    out[f] = { middle: round(m), last: round(l), peak: peak(steady, key), flat: l <= m * (1 + frac) + slack }
  }
  for (const f of ["connections", "subscriptions"] as const) {
    const m = peak(middle, f), l = peak(last, f)
    // a connection or subscription count may not climb: the last third's peak is at most the middle third's (plus the waits in flight for subscriptions)
    out[f] = { middle: m, last: l, peak: peak(steady, f), flat: l <= m + (f === "subscriptions" ? 10 : 0) }
  }
  return out
}

const round = (x: number) => Math.round(x * 10) / 10

if (import.meta.main) {
  const env = (name: string, fallback: number) => {
    const value = Number(process.env[name] ?? fallback)
    return Number.isFinite(value) && value > 0 ? value : fallback
  }
  const report = await runSoak({
    durationMillis: env("SOAK_SECONDS", 180) * 1000,
    rpc: env("SOAK_RPC", 16),
    rpcRate: env("SOAK_RPC_RATE", 800),
    submitRate: env("SOAK_RATE", 200),
    ttlSeconds: env("SOAK_TTL_SECONDS", 5),
    sampleMillis: 1000
  })
  const { samples, ...summary } = report
  const every = Math.max(1, Math.floor(samples.length / 12))
  console.log(JSON.stringify({ ...summary, samples: samples.filter((_, i) => i % every === 0 || i === samples.length - 1) }, null, 2))
  process.exitCode = report.flat && report.after.dbsize === 0 && report.after.channels === 0 && report.warnings === 0 ? 0 : 1
}
