/**
 * Load on the HTTP Task API (loopback only, bounded in time): 1,000
 * concurrent keep-alive connections (autocannon) against a real gateway
 * (`src/gateway/main.ts --processes <cores>`, its rate limiter on but set
 * out of reach, access log on) over a private redis-server, for three scenarios —
 * submit (`POST /v1/jobs`), read (`GET /v1/jobs/{id}`) and call
 * (`POST /v1/jobs/call`, a worker process answering; it starts for this
 * scenario only, the jobs submitted before it removed from the queue) —
 * every connection sending again as soon as it is answered — with req/s,
 * latency p50/p99/max/mean and errors; and, in the same run, direct Redis
 * submission (`Tasks.submit` on `Bananas.layerRedis`, 1,000 in flight) for
 * the ratio of gateway to direct submit throughput. A 3-second warm-up of
 * the gateway (JIT, pools) comes first, and one of the worker before the
 * call scenario; neither is measured.
 *
 * Each scenario also reports the gateway's CPU per request: the CPU time
 * (user + system, from `/proc`) its processes used during the scenario,
 * divided by the requests answered, so the figures can be projected to a
 * machine with more cores (req/s per core ≈ 10^6 / µs per request). With
 * `BENCH_HTTP_PIN=1` on a machine of 4 or more cores, the load generator
 * (this process), the worker and Redis each get a core of their own and the
 * gateway the others (`taskset`), so they do not compete.
 *
 *   node bench/http.ts                 # BENCH_HTTP_SECONDS (default 10) per scenario,
 *                                      # BENCH_HTTP_CONNECTIONS (default 1000),
 *                                      # BENCH_HTTP_PROCESSES (gateway processes, default one per core,
 *                                      #   or per gateway core when pinned)
 *                                      # BENCH_HTTP_PIN=1 (pin, see above)
 *
 * `runHttpBench()` returns the rows for `bench/run.ts`.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { availableParallelism } from "node:os"
import { fileURLToPath } from "node:url"
import autocannon from "autocannon"
import { Redis } from "ioredis"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as References from "effect/References"
import * as Bananas from "../src/Bananas.ts"
import * as Tasks from "../src/Tasks.ts"
import * as JobPriority from "../src/domain/JobPriority.ts"
import * as Keys from "../src/protocol/Keys.ts"
import { Handlers, Worker } from "../src/worker/index.ts"
import { Gateway } from "../src/gateway/index.ts"
import { freePort, startRedisServer } from "../test/support/RedisServer.ts"
import { pool, rate, type RunContext, type Sample, type SystemSpec, time } from "./support.ts"
import { payload } from "./raw.ts"

const root = fileURLToPath(new URL("../", import.meta.url))
const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 10)
const CONNECTIONS = Number(process.env.BENCH_HTTP_CONNECTIONS ?? 1000)
const DIRECT_N = Number(process.env.BENCH_HTTP_DIRECT_N ?? 20_000)
/** Cores given to each process when pinning (`BENCH_HTTP_PIN=1`, 4 cores or more), else none. */
const PINS = pins()
/** Gateway processes sharing the port (`--processes`): one per (gateway) core by default. */
const PROCESSES = Number(process.env.BENCH_HTTP_PROCESSES ?? (PINS?.gateway.length ?? availableParallelism()))
const KEY = "bench-key"
const body = `{"name":"bench","payload":{"to":"user@example.com","subject":"Welcome","n":42}}`

/** One scenario's figures. */
export interface HttpFigures {
  readonly scenario: string
  readonly requests: number
  readonly seconds: number
  readonly rps: number
  readonly p50: number
  readonly p99: number
  readonly max: number
  readonly mean: number
  readonly errors: number
  /** Gateway CPU time (user + system, all its processes) per request answered, µs; undefined where `/proc` is not readable. */
  readonly cpuMicrosPerRequest: number | undefined
}

/**
 * The HTTP system of the suite's scenarios (`bench/run.ts`): `Tasks.submit`
 * through a gateway (in this process, on the run's Redis) at 100 in flight.
 */
export const httpSystems = async (): Promise<ReadonlyArray<{ readonly scenario: string; readonly system: SystemSpec }>> => [
  {
    scenario: "submit-100",
    system: {
      id: "ours-http",
      note: "Tasks.submit over HTTP, one gateway process in this process",
      run: (ctx: RunContext): Promise<Sample> => throughGateway(ctx, ctx.sizes.submitN, 100)
    }
  }
]

/** Runs the 1,000-connection load scenarios and the direct baseline. */
export const runHttpBench = async (): Promise<{ readonly figures: ReadonlyArray<HttpFigures>; readonly directRate: number }> => {
  const redis = await startRedisServer()
  const url = redis.url
  if (PINS !== undefined) {
    pin(process.pid, PINS.load)
    pin(redis.child.pid!, PINS.redis)
  }
  try {
    const prefix = "bench-http:"
    const directRate = await direct(url, prefix)
    const port = await freePort()
    const gateway = await start(["src/gateway/main.ts"], {
      REDIS_URL: url,
      BANANAS_PREFIX: prefix,
      BANANAS_API_KEYS: `bench:${KEY}`,
      BANANAS_PORT: String(port),
      BANANAS_HOST: "127.0.0.1",
      BANANAS_RATE_LIMIT: "100000000",
      BANANAS_PROCESSES: String(PROCESSES)
    }, "bananas gateway listening", PINS?.gateway)
    const load = (scenario: string, options: Partial<autocannon.Options> & { readonly url: string }) => loadOn(gateway.pid!, scenario, options)
    const base = `http://127.0.0.1:${port}`
    // The worker starts for the call scenario only: until then the gateway has the machine, as direct submission had.
    let worker: ChildProcess | undefined
    try {
      const figures: Array<HttpFigures> = []
      // Warm-up (JIT, connection pools), not measured.
      await load("warm-up", { url: `${base}/v1/jobs`, method: "POST", body, duration: 3 })
      figures.push(await load("submit: POST /v1/jobs", { url: `${base}/v1/jobs`, method: "POST", body }))
      const ids = await seed(base, 1000)
      let next = 0
      figures.push(await load("get job: GET /v1/jobs/{id}", {
        url: base,
        requests: [{ method: "GET", setupRequest: (req) => ({ ...req, path: `/v1/jobs/${ids[next++ % ids.length]}` }) }]
      }))
      // The submissions so far are left unrun: their queue is emptied, so calls do not wait behind them.
      await emptyQueues(url, prefix)
      worker = await start(["bench/http.ts", "--worker"], { REDIS_URL: url, BANANAS_PREFIX: prefix }, "bench worker ready", PINS?.worker)
      const call = { url: `${base}/v1/jobs/call?wait=30s`, method: "POST" as const, body }
      await load("warm-up (worker)", { ...call, duration: 3 })
      figures.push(await load("call: POST /v1/jobs/call (worker)", call))
      return { figures, directRate }
    } finally {
      if (worker !== undefined) await stop(worker)
      await stop(gateway)
    }
  } finally {
    await redis.stop()
  }
}

// Internal

/** `n` submissions, `inFlight` at a time, through a gateway on the run's Redis: jobs/s. */
const throughGateway = async (ctx: RunContext, n: number, inFlight: number): Promise<Sample> => {
  // Its start/stop lines would interleave with the tables: warnings only.
  const server = ManagedRuntime.make(
    Gateway.layerRedis({ insecure: true, port: 0, host: "127.0.0.1", accessLog: false, rateLimit: false, redis: { url: ctx.url } }).pipe(
      Layer.provide(Layer.succeed(References.MinimumLogLevel, "Warn"))
    )
  )
  try {
    const address = await server.runPromise(Gateway.localUrl)
    const client = ManagedRuntime.make(Bananas.layerHttp({ url: address }))
    try {
      await client.runPromise(Tasks.submit("warm", payload))
      const millis = await time(() =>
        client.runPromise(Effect.forEach(Array.from({ length: n }), () => Tasks.submit("noop", payload), { concurrency: inFlight, discard: true }))
      )
      return { ops: rate(n, millis) }
    } finally {
      await client.dispose()
    }
  } finally {
    await server.dispose()
  }
}

const headers = { authorization: `Bearer ${KEY}`, "content-type": "application/json" }

/** One autocannon run against the gateway whose first process is `gatewayPid`, with the gateway's CPU per request. */
const loadOn = (gatewayPid: number, scenario: string, options: Partial<autocannon.Options> & { readonly url: string }): Promise<HttpFigures> =>
  new Promise((resolve, reject) => {
    const before = cpuMicros(gatewayPid)
    autocannon({ connections: CONNECTIONS, duration: SECONDS, timeout: 30, headers, ...options }, (error, r) => {
      if (error !== null && error !== undefined) return reject(error)
      const after = cpuMicros(gatewayPid)
      const answered = r.requests.total
      resolve({
        cpuMicrosPerRequest: before === undefined || after === undefined || answered === 0 ? undefined : (after - before) / answered,
        scenario,
        requests: r.requests.total,
        seconds: r.duration,
        rps: r.requests.total / r.duration,
        p50: r.latency.p50,
        p99: r.latency.p99,
        max: r.latency.max,
        mean: r.latency.average,
        errors: r.errors + r.timeouts + r.non2xx
      })
    })
  })

/** Empties the priority lists under `prefix`. */
const emptyQueues = async (url: string, prefix: string): Promise<void> => {
  const redis = new Redis(url)
  try {
    await redis.del(...JobPriority.all.map((p) => Keys.make(prefix).queue(p)))
  } finally {
    redis.disconnect()
  }
}

/** Submits `n` jobs; their ids. */
const seed = async (base: string, n: number): Promise<Array<string>> => {
  const ids: Array<string> = []
  await pool(n, 50, async () => {
    const response = await fetch(`${base}/v1/jobs`, { method: "POST", headers, body })
    ids.push(((await response.json()) as { id: string }).id)
  })
  return ids
}

/** Direct submission throughput on Redis, 1,000 in flight: jobs per second. */
const direct = async (url: string, prefix: string): Promise<number> => {
  const runtime = ManagedRuntime.make(Bananas.layerRedis({ url, prefix: `${prefix}direct:` }))
  try {
    await runtime.runPromise(Tasks.submit("warm", {}))
    const payload = { to: "user@example.com", subject: "Welcome", n: 42 }
    const millis = await time(() => pool(DIRECT_N, CONNECTIONS, () => runtime.runPromise(Tasks.submit("bench", payload))))
    return (DIRECT_N / millis) * 1000
  } finally {
    await runtime.dispose()
  }
}

const start = (args: ReadonlyArray<string>, env: Record<string, string>, ready: string, cores?: ReadonlyArray<number>): Promise<ChildProcess> =>
  new Promise((resolve, reject) => {
    const child = cores === undefined
      ? spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
      : spawn("taskset", ["-c", cores.join(","), process.execPath, ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    const onData = (d: Buffer) => {
      if (output.length < 100_000) output += d.toString()
      if (output.includes(ready)) {
        child.stdout!.removeListener("data", onData)
        child.stdout!.resume() // keep draining the access log
        resolve(child)
      }
    }
    child.stdout!.on("data", onData)
    child.stderr!.on("data", onData)
    child.once("exit", (code) => reject(new Error(`${args.join(" ")} exited ${code}:\n${output}`)))
  })

const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve()
    child.once("exit", () => resolve())
    child.kill("SIGTERM")
  })

/** The cores of each process when pinning is asked for and the machine has 4 cores or more. */
function pins(): { readonly load: ReadonlyArray<number>; readonly worker: ReadonlyArray<number>; readonly redis: ReadonlyArray<number>; readonly gateway: ReadonlyArray<number> } | undefined {
  const cores = availableParallelism()
  if (process.env.BENCH_HTTP_PIN !== "1" || cores < 4) return undefined
  return { load: [cores - 1], worker: [cores - 2], redis: [cores - 3], gateway: Array.from({ length: cores - 3 }, (_, i) => i) }
}

/** Pins a running process (and its threads) to `cores`. */
const pin = (pid: number, cores: ReadonlyArray<number>) => execFileSync("taskset", ["-a", "-p", "-c", cores.join(","), String(pid)], { stdio: "ignore" })

/** CPU time (user + system) of `pid` and every process under it, µs; undefined without `/proc`. */
const cpuMicros = (pid: number): number | undefined => {
  try {
    const stats = readdirSync("/proc").filter((d) => /^\d+$/.test(d)).flatMap((d) => {
      try {
        // pid (comm) state ppid ... utime(14) stime(15): fields after the last ')'.
        const text = readFileSync(`/proc/${d}/stat`, "utf8")
        const rest = text.slice(text.lastIndexOf(")") + 2).split(" ")
        return [{ pid: Number(d), ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]) }]
      } catch {
        return [] // the process ended meanwhile
      }
    })
    const tree = new Set([pid])
    for (let grew = true; grew;) {
      grew = false
      for (const s of stats) if (!tree.has(s.pid) && tree.has(s.ppid)) { tree.add(s.pid); grew = true }
    }
    const ticks = stats.filter((s) => tree.has(s.pid)).reduce((sum, s) => sum + s.ticks, 0)
    return (ticks * 1_000_000) / clockTicks
  } catch {
    return undefined
  }
}

/** Clock ticks per second of `/proc/<pid>/stat` (`getconf CLK_TCK`; 100 on Linux). */
const clockTicks = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100
  } catch {
    return 100
  }
})()

/** The worker process of the call scenario: answers `bench` jobs; stops on SIGTERM. */
const runWorker = async () => {
  const handlers = Handlers.empty.pipe(Handlers.addRaw("bench", ({ payload }) => Effect.succeed({ echoed: payload.length })))
  const backend = Bananas.layerRedis({ url: process.env.REDIS_URL, prefix: process.env.BANANAS_PREFIX })
  const runtime = ManagedRuntime.make(Worker.layer({ handlers, concurrency: 500, reaper: false, scheduler: false }).pipe(Layer.provide(backend)))
  await runtime.runPromise(Effect.void)
  process.on("SIGTERM", () => void runtime.dispose().then(() => process.exit(0)))
  process.stdout.write("bench worker ready\n")
}

if (process.argv.includes("--worker")) {
  await runWorker()
} else if (import.meta.main) {
  const { figures, directRate } = await runHttpBench()
  const lines = [
    `HTTP Task API, ${CONNECTIONS} connections, ${SECONDS} s per scenario (loopback, ${PROCESSES} gateway process(es) on ${availableParallelism()} cores)`,
    `${"scenario".padEnd(40)} ${"req/s".padStart(8)} ${"p50".padStart(6)} ${"p99".padStart(6)} ${"max".padStart(6)} ${"mean".padStart(7)} ${"errors".padStart(7)} ${"gw CPU µs/req".padStart(14)}`,
    ...figures.map((f) =>
      `${f.scenario.padEnd(40)} ${f.rps.toFixed(0).padStart(8)} ${String(f.p50).padStart(6)} ${String(f.p99).padStart(6)} ${String(f.max).padStart(6)} ${f.mean.toFixed(1).padStart(7)} ${String(f.errors).padStart(7)} ${(f.cpuMicrosPerRequest === undefined ? "n/a" : f.cpuMicrosPerRequest.toFixed(0)).padStart(14)}`),
    `direct Tasks.submit on Redis: ${directRate.toFixed(0)} jobs/s; gateway submit / direct submit = x${(figures[0]!.rps / directRate).toFixed(2)}`,
    `gateway CPU per request: user + system time of the gateway's ${PROCESSES} process(es) during the scenario / requests answered; ` +
      `one core answers about 10^6 / (µs per request) requests a second${PINS === undefined ? "" : `; pinned: gateway on cores ${PINS.gateway.join(",")}, Redis ${PINS.redis}, worker ${PINS.worker}, load ${PINS.load}`}`
  ]
  process.stdout.write(lines.join("\n") + "\n")
}
