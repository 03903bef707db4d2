/**
 * The bench harness: sizes per mode, one private redis-server for the run,
 * scenarios whose systems run interleaved (A B C A B C ... over the rounds,
 * the order reversed every other round), medians, ratios against the
 * references measured in the same run, the printed table and the JSON file.
 */
import { Redis } from "ioredis"
import { startRedisServer } from "../test/support/RedisServer.ts"

/** `quick`: a smoke run (CI, `npm test`); `full`: real numbers. */
export type Mode = "quick" | "full"

/** How much each scenario does, per mode. */
export interface Sizes {
  readonly rounds: number
  /** Jobs submitted one at a time (1 in flight). */
  readonly serialN: number
  /** Jobs submitted with 100 in flight. */
  readonly submitN: number
  /** Jobs of the batch scenario. */
  readonly batchN: number
  /** Submit-and-wait calls at 1 and at 100 in flight. */
  readonly rpcSerialN: number
  readonly rpcN: number
  /** Submit-and-wait calls all at once. */
  readonly rpcConcurrentN: number
  /** Backlog drained per worker run (per concurrency). */
  readonly workerN: number
  /** Pickup samples per priority. */
  readonly latencyN: number
  /** Idle window over which Redis load is counted. */
  readonly idleMillis: number
  /** Length of the RSS soak run. */
  readonly soakMillis: number
}

/** Sizes of a mode (BENCH_ROUNDS overrides the rounds). */
export const sizesOf = (mode: Mode): Sizes => {
  const base: Sizes = mode === "full"
    ? { rounds: 3, serialN: 3_000, submitN: 20_000, batchN: 10_000, rpcSerialN: 1_000, rpcN: 10_000, rpcConcurrentN: 10_000, workerN: 20_000, latencyN: 150, idleMillis: 5_000, soakMillis: 60_000 }
    : { rounds: 2, serialN: 100, submitN: 400, batchN: 400, rpcSerialN: 40, rpcN: 200, rpcConcurrentN: 300, workerN: 300, latencyN: 8, idleMillis: 300, soakMillis: 500 }
  const rounds = Number(process.env.BENCH_ROUNDS ?? base.rounds)
  return { ...base, rounds: Number.isInteger(rounds) && rounds >= 1 ? rounds : base.rounds }
}

/** The systems compared (see BENCHMARKS.md). */
export type SystemId = "raw-ours" | "raw-go" | "bullmq" | "ours-redis" | "ours-memory" | "ours-http" | "bare"

/** Their labels in the table. */
export const systemLabel: Readonly<Record<SystemId, string>> = {
  "raw-ours": "(a) raw ioredis, our scripts",
  "raw-go": "(b) raw ioredis, Go's commands",
  bullmq: "(c) BullMQ",
  "ours-redis": "(d) @bananas/effect, Redis",
  "ours-memory": "(d) @bananas/effect, memory",
  "ours-http": "(d) @bananas/effect, HTTP",
  bare: "bare effect + ioredis process"
}

/** What one run of one system measured: metric name -> value. */
export type Sample = Readonly<Record<string, number>>

/** What a system's run gets: the run's Redis (flushed before each run) and the sizes. */
export interface RunContext {
  readonly url: string
  readonly port: number
  readonly admin: Redis
  readonly sizes: Sizes
  readonly mode: Mode
}

/** One system of a scenario. */
export interface SystemSpec {
  readonly id: SystemId
  /** Unique in its scenario when one system appears twice (default: `id`). */
  readonly key?: string
  /** Its label, when not the system's. */
  readonly label?: string
  readonly run: (ctx: RunContext) => Promise<Sample>
  /** A note printed next to its row. */
  readonly note?: string
}

/** A metric of a scenario: how to print it and which way is better. */
export interface MetricSpec {
  readonly key: string
  readonly label: string
  readonly better: "higher" | "lower"
  readonly digits?: number
}

/** A scenario: its systems, its metrics (the first is the one ratios are taken of). */
export interface Scenario {
  readonly id: string
  readonly title: (sizes: Sizes) => string
  readonly metrics: ReadonlyArray<MetricSpec>
  readonly systems: Array<SystemSpec>
  /** Rounds in quick mode, when fewer than the mode's (slow smoke runs: separate processes, idle windows). */
  readonly quickRounds?: number
}

/** A scenario's result: per system, every sample and the median of each metric. */
export interface ScenarioResult {
  readonly id: string
  readonly title: string
  /** Wall time of the scenario (every round of every system). */
  readonly durationMs: number
  readonly metrics: ReadonlyArray<MetricSpec>
  readonly systems: ReadonlyArray<{
    readonly id: SystemId
    readonly key: string
    readonly label: string
    readonly note: string | undefined
    readonly samples: ReadonlyArray<Sample>
    readonly median: Sample
    /** The first metric's median over that of (a) and of BullMQ, better-is-higher (>1 = faster than the reference). */
    readonly vsRawOurs: number | undefined
    readonly vsBullmq: number | undefined
  }>
}

/** Median of numbers (NaN for none). */
export const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const n = sorted.length
  if (n === 0) return Number.NaN
  return n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2
}

/** The q-quantile (nearest rank) of sorted numbers. */
export const quantile = (sorted: ReadonlyArray<number>, q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN

/** p50, p99 and max (ms) of latencies. */
export const latencyStats = (latencies: ReadonlyArray<number>): { p50: number; p99: number; max: number } => {
  const sorted = [...latencies].sort((a, b) => a - b)
  return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted[sorted.length - 1] ?? Number.NaN }
}

/** Runs `task(i)` for i < n with at most `concurrency` in flight. */
export const pool = async (n: number, concurrency: number, task: (i: number) => Promise<unknown>): Promise<void> => {
  let next = 0
  const lanes = Array.from({ length: Math.min(concurrency, n) }, async () => {
    while (next < n) await task(next++)
  })
  await Promise.all(lanes)
}

/** Runs around every measured section (`time`): the profiler (`bench/profile.ts`) starts and stops there. */
export const hooks: { around: (<A>(body: () => Promise<A>) => Promise<A>) | undefined } = { around: undefined }

/** Wall time of `body` in ms (the measured section of a run). */
export const time = async (body: () => Promise<unknown>): Promise<number> => {
  const measured = async () => {
    const start = performance.now()
    await body()
    return performance.now() - start
  }
  return hooks.around === undefined ? measured() : hooks.around(measured)
}

export const sleep = (millis: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, millis))

/** Throughput of `n` operations done in `millis`. */
export const rate = (n: number, millis: number): number => (n / millis) * 1000

/** The number of client connections Redis has now (INFO clients). */
export const connectedClients = async (admin: Redis): Promise<number> =>
  Number(/connected_clients:(\d+)/.exec(await admin.info("clients"))?.[1] ?? Number.NaN)

/** `connected_clients` once it stopped changing (a worker opens some connections lazily), waiting at most 2 s. */
export const settledClients = async (admin: Redis): Promise<number> => {
  let last = await connectedClients(admin)
  for (let i = 0; i < 20; i++) {
    await sleep(100)
    const now = await connectedClients(admin)
    if (now === last) return now
    last = now
  }
  return last
}

/** Commands Redis processed so far (INFO stats). */
export const commandsProcessed = async (admin: Redis): Promise<number> =>
  Number(/total_commands_processed:(\d+)/.exec(await admin.info("stats"))?.[1] ?? Number.NaN)

/**
 * Samples `connected_clients` every 20 ms while `body` runs; returns its
 * result and the most connections seen above `baseline`.
 */
export const withConnectionPeak = async <A>(admin: Redis, baseline: number, body: () => Promise<A>): Promise<{ value: A; connections: number }> => {
  let peak = baseline
  let sampling = true
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, await connectedClients(admin))
      await sleep(20)
    }
  })()
  try {
    const value = await body()
    return { value, connections: peak - baseline }
  } finally {
    sampling = false
    await sampler
  }
}

/**
 * Runs the scenarios on one private redis-server: per scenario, every
 * system once per round (reversed order every other round), the server
 * flushed before each run.
 */
export const runScenarios = async (
  scenarios: ReadonlyArray<Scenario>,
  mode: Mode,
  onResult: (result: ScenarioResult) => void
): Promise<Array<ScenarioResult>> => {
  const sizes = sizesOf(mode)
  const server = await startRedisServer()
  const admin = new Redis(server.url)
  const results: Array<ScenarioResult> = []
  try {
    for (const scenario of scenarios) {
      const samples = new Map<string, Array<Sample>>(scenario.systems.map((s) => [keyOf(s), []]))
      const started = performance.now()
      const rounds = mode === "quick" ? Math.min(sizes.rounds, scenario.quickRounds ?? sizes.rounds) : sizes.rounds
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? scenario.systems : [...scenario.systems].reverse()
        for (const system of order) {
          await admin.flushall()
          await admin.config("RESETSTAT")
          samples.get(keyOf(system))!.push(await system.run({ url: server.url, port: server.port, admin, sizes, mode }))
        }
      }
      const result = summarize(scenario, sizes, samples, performance.now() - started)
      results.push(result)
      onResult(result)
    }
  } finally {
    admin.disconnect()
    await server.stop()
  }
  return results
}

/** The table of one scenario: medians of every metric, ratios of the first against (a) and BullMQ. */
export const formatResult = (result: ScenarioResult): string => {
  const head = [`${"system".padEnd(32)}`, ...result.metrics.map((m) => m.label.padStart(11)), "  vs (a)", " vs BullMQ"]
  const lines = [`\n## ${result.title}  [${result.id}, ${(result.durationMs / 1000).toFixed(1)} s]`, head.join(" ")]
  for (const s of result.systems) {
    const cells = result.metrics.map((m) => {
      const v = s.median[m.key]
      return (v === undefined || Number.isNaN(v) ? "-" : v.toFixed(m.digits ?? 0)).padStart(11)
    })
    const ratio = (r: number | undefined) => (r === undefined ? "-" : `x${r.toFixed(2)}`).padStart(8)
    lines.push([s.label.padEnd(32), ...cells, ratio(s.vsRawOurs), " " + ratio(s.vsBullmq), s.note === undefined ? "" : ` ${s.note}`].join(" "))
  }
  return lines.join("\n")
}

// Internal

const keyOf = (s: SystemSpec): string => s.key ?? s.id

const summarize = (scenario: Scenario, sizes: Sizes, samples: ReadonlyMap<string, ReadonlyArray<Sample>>, durationMs: number): ScenarioResult => {
  const medians = new Map<string, Sample>()
  for (const [key, list] of samples) {
    const names = new Set(list.flatMap((s) => Object.keys(s)))
    medians.set(key, Object.fromEntries([...names].map((k) => [k, median(list.map((s) => s[k]).filter((v): v is number => v !== undefined))])))
  }
  const primary = scenario.metrics[0]!
  const ratioTo = (key: string, ref: SystemId): number | undefined => {
    const mine = medians.get(key)?.[primary.key]
    const theirs = medians.get(ref)?.[primary.key]
    if (key === ref || mine === undefined || theirs === undefined || !(mine > 0) || !(theirs > 0)) return undefined
    return primary.better === "higher" ? mine / theirs : theirs / mine
  }
  return {
    id: scenario.id,
    title: scenario.title(sizes),
    durationMs,
    metrics: scenario.metrics,
    systems: scenario.systems.map((s) => ({
      id: s.id,
      key: keyOf(s),
      label: s.label ?? systemLabel[s.id],
      note: s.note,
      samples: samples.get(keyOf(s))!,
      median: medians.get(keyOf(s))!,
      vsRawOurs: ratioTo(keyOf(s), "raw-ours"),
      vsBullmq: ratioTo(keyOf(s), "bullmq")
    }))
  }
}
