/**
 * The gateway under hostile load (loopback only, bounded in time): how
 * much an authenticated caller suffers while others flood it. A real
 * gateway process (`src/gateway/main.ts`, one process, one key, access log
 * off) over a private redis-server; for each scenario, the flood runs
 * (autocannon) while one probe connection measures the latency of a cheap
 * request beside it:
 *
 * - `docs`: 20 unauthenticated connections fetching `GET /docs` (as a
 *   browser asks: `Accept-Encoding: gzip, deflate, br`), probe
 *   `GET /v1/stats` with the key; `docs-script` the same on Scalar's
 *   script (`GET /docs/scalar.js`, what a client ignoring caches fetches);
 * - `wide-envelope` / `wide-payload`: 4 connections with the key posting
 *   a body of 90,000 object keys (under 1 MiB) beside the submission's
 *   fields or inside its payload, probe `GET /healthz`;
 * - `wrong-keys`: 20 connections with a wrong key for 4 s: how many 401
 *   and how many 429 (the failed-authentication limit).
 *
 *   node bench/hostile.ts              # BENCH_HOSTILE_SECONDS (default 10) per scenario,
 *                                      # BENCH_HOSTILE_ONLY=docs,wrong-keys (default all)
 *   BENCH_ROOT=/path/to/checkout node bench/hostile.ts   # another checkout's gateway (before/after)
 */
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import autocannon from "autocannon"
import { freePort, startRedisServer } from "../test/support/RedisServer.ts"

const root = process.env.BENCH_ROOT ?? fileURLToPath(new URL("../", import.meta.url))
const SECONDS = Number(process.env.BENCH_HOSTILE_SECONDS ?? 10)
/** Comma-separated scenario names to run (default all). */
const ONLY = (process.env.BENCH_HOSTILE_ONLY ?? "").split(",").filter((s) => s !== "")
const KEY = "bench-key"

/** Just under 1 MiB: 90,000 object keys, beside the envelope's fields or inside the payload. */
const wideBody = (where: "envelope" | "payload"): string => {
  const members: Array<string> = []
  for (let i = 0; i < 90_000; i++) members.push(`"k${i}":1`)
  return where === "envelope" ? `{"name":"wide","payload":{},${members.join(",")}}` : `{"name":"wide","payload":{${members.join(",")}}}`
}

interface Run {
  readonly p50: number
  readonly p99: number
  readonly mean: number
  readonly requests: number
  readonly statuses: Readonly<Record<string, number>>
}

const cannon = (options: autocannon.Options): Promise<Run> =>
  new Promise((resolve, reject) => {
    const statuses: Record<string, number> = {}
    const instance = autocannon({ timeout: 30, ...options }, (error, r) => {
      if (error !== null && error !== undefined) return reject(error)
      resolve({ p50: r.latency.p50, p99: r.latency.p99, mean: r.latency.mean, requests: r.requests.total, statuses })
    })
    instance.on("response", (_client: unknown, status: number) => {
      statuses[status] = (statuses[status] ?? 0) + 1
    })
  })

/** The flood and the probe together; the probe's figures and the flood's. */
const scenario = async (name: string, flood: autocannon.Options & { readonly duration: number }, probe: autocannon.Options) => {
  if (ONLY.length > 0 && !ONLY.includes(name)) return
  const [f, p] = await Promise.all([cannon(flood), cannon({ ...probe, connections: 1, duration: flood.duration })])
  console.log(JSON.stringify({ scenario: name, probe: { url: probe.url, p50Ms: p.p50, p99Ms: p.p99, meanMs: Math.round(p.mean), requests: p.requests }, flood: { requests: f.requests, statuses: f.statuses } }))
}

const start = async (): Promise<{ readonly base: string; readonly child: ChildProcess; readonly stop: () => Promise<void> }> => {
  const redis = await startRedisServer()
  const port = await freePort()
  const child = spawn(process.execPath, ["src/gateway/main.ts", "--port", String(port), "--host", "127.0.0.1"], {
    cwd: root,
    env: { ...process.env, REDIS_URL: redis.url, BANANAS_API_KEYS: `bench:${KEY}`, BANANAS_RATE_LIMIT: "1000000" },
    stdio: ["ignore", "pipe", "inherit"]
  })
  await new Promise<void>((resolve, reject) => {
    let output = ""
    const timer = setTimeout(() => reject(new Error(`the gateway did not start: ${output}`)), 30_000)
    child.stdout!.on("data", (d: Buffer) => {
      output += d.toString()
      if (output.includes("bananas gateway listening")) {
        clearTimeout(timer)
        resolve()
      }
    })
  })
  child.stdout!.resume()
  return {
    base: `http://127.0.0.1:${port}`,
    child,
    stop: async () => {
      await new Promise<void>((resolve) => {
        child.once("exit", () => resolve())
        child.kill("SIGTERM")
      })
      await redis.stop()
    }
  }
}

const main = async () => {
  const { base, stop } = await start()
  const auth = { authorization: `Bearer ${KEY}` }
  try {
    await scenario("docs", {
      url: `${base}/docs`,
      connections: 20,
      duration: SECONDS,
      headers: { "accept-encoding": "gzip, deflate, br" }
    }, { url: `${base}/v1/stats`, headers: auth })
    await scenario("docs-script", {
      url: `${base}/docs/scalar.js`,
      connections: 20,
      duration: SECONDS,
      headers: { "accept-encoding": "gzip, deflate, br" }
    }, { url: `${base}/v1/stats`, headers: auth })
    for (const where of ["envelope", "payload"] as const) {
      await scenario(`wide-${where}`, {
        url: `${base}/v1/jobs`,
        method: "POST",
        connections: 4,
        duration: SECONDS,
        headers: { ...auth, "content-type": "application/json" },
        body: wideBody(where)
      }, { url: `${base}/healthz` })
    }
    await scenario("wrong-keys", {
      url: `${base}/v1/stats`,
      connections: 20,
      duration: 4,
      headers: { authorization: "Bearer wrong-key" }
    }, { url: `${base}/healthz` })
  } finally {
    await stop()
  }
}

await main()
