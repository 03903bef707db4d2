/**
 * `node scripts/dashboard-load.ts [tabs] [seconds]`: what the dashboard
 * weighs and what an open tab costs Redis (the figures in BENCHMARKS.md).
 *
 * - The page's weight: its page, script and style gzipped, as served.
 * - Redis commands per second per open tab: a gateway on a private
 *   redis-server (with a worker registered, so its throughput sampler
 *   reads as in production), then Chromium tabs logged in on the overview,
 *   for `seconds` each of: the queue idle (no tab, then `tabs` tabs), and
 *   busy (a producer submitting 20 jobs/s through the gateway on a fixed
 *   beat, a worker running them: no tab, one tab, then `tabs` tabs). Each
 *   window is measured from `INFO stats` (`total_commands_processed`) and
 *   `INFO commandstats` (the overview's reads: each sends one `INFO`), the
 *   readings' own `INFO`s taken off. The busy queue's cost of one more tab
 *   is the difference between the windows with one tab and with `tabs`
 *   tabs, over `tabs - 1`. The worker's own commands vary by tens a second
 *   from window to window on a busy queue, more than the tabs' reads, so
 *   the script also gives the cost of one overview read (its reads made 20
 *   times on the quiet queue) and the tabs' reads per second times it.
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { Redis as IORedis } from "ioredis"
import { chromium, type Page } from "playwright-core"
import * as Dashboard from "../src/gateway/Dashboard.ts"
import * as Gateway from "../src/gateway/Gateway.ts"
import * as DirectTaskApi from "../src/layers/DirectTaskApi.ts"
import * as BananasRedis from "../src/layers/redis/BananasRedis.ts"
import * as Handlers from "../src/worker/HandlerRegistry.ts"
import * as Worker from "../src/worker/Worker.ts"
import { startRedisServer } from "../test/support/RedisServer.ts"

const tabs = Number(process.argv[2] ?? 5)
const seconds = Number(process.argv[3] ?? 30)
const key = "load-test-key"

const assets = await Effect.runPromise(Dashboard.loadAssets)
const sizes = { page: assets.page.gzip.length, script: assets.script.gzip.length, style: assets.style.gzip.length }
const raw = { page: assets.page.identity.length, script: assets.script.identity.length, style: assets.style.identity.length }
console.log(`gzip: page ${sizes.page} B, script ${sizes.script} B, style ${sizes.style} B; total ${sizes.page + sizes.script + sizes.style} B (uncompressed ${raw.page + raw.script + raw.style} B)`)

const redis = await startRedisServer()
const info = new IORedis(redis.url)
const store = BananasRedis.layer({ url: redis.url, prefix: "load:" })
const gateway = Gateway.layer({ apiKeys: [`load:${key}`], port: 0, host: "127.0.0.1", accessLog: false, rateLimit: false }).pipe(Layer.provide(DirectTaskApi.layer))
const runtime = ManagedRuntime.make(gateway.pipe(Layer.provideMerge(store), Layer.orDie))
const url = await runtime.runPromise(Gateway.localUrl)
const handlers = Handlers.empty.pipe(Handlers.addRaw("load", () => Effect.void))
const worker = runtime.runFork(Effect.orDie(Worker.run({ handlers, concurrency: 4 })))
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] })

/** Commands processed, and `INFO` calls (one per overview read, and the readings' own), so far. */
const counts = async () => {
  const text = await info.info("stats") + await info.info("commandstats")
  return {
    commands: Number(/total_commands_processed:(\d+)/.exec(text)?.[1]),
    infos: Number(/cmdstat_info:calls=(\d+)/.exec(text)?.[1] ?? 0)
  }
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Commands and overview reads per second over a window (the readings' own INFOs taken off). */
const rate = async () => {
  const before = await counts()
  await sleep(seconds * 1000)
  const after = await counts()
  return { commands: (after.commands - before.commands - 2) / seconds, reads: (after.infos - before.infos - 2) / seconds }
}

/** Submits 20 jobs a second on a fixed beat (not one after another), so each window gets the same work. */
const produce = () =>
  setInterval(() => {
    void fetch(`${url}/v1/jobs`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: `{"name":"load","payload":{"n":1}}` })
  }, 50)

const openTabs = async (n: number): Promise<Array<Page>> => {
  const pages: Array<Page> = []
  for (let i = 0; i < n; i++) {
    const page = await browser.newPage()
    await page.goto(`${url}/ui/`)
    await page.getByLabel("API key").fill(key)
    await page.getByRole("button", { name: "Log in" }).click()
    await page.getByRole("heading", { name: "Overview" }).waitFor()
    await page.locator("#live", { hasText: /^live$/ }).waitFor()
    pages.push(page)
  }
  return pages
}

/** Commands of one overview read (`stats`, `latency`, `redis`, as the page asks), on the quiet queue: 20 of them, the idle rate taken off. */
const readCost = async () => {
  const started = Date.now()
  const before = await counts()
  for (let i = 0; i < 20; i++) {
    for (const path of ["stats", "latency", "redis"]) await fetch(`${url}/v1/${path}`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.text())
  }
  const after = await counts()
  return { commands: after.commands - before.commands - 2, seconds: (Date.now() - started) / 1000 }
}

try {
  await sleep(2_000)
  const idleBase = await rate()
  const cost = await readCost()
  const perRead = (cost.commands - idleBase.commands * cost.seconds) / 20
  let pages = await openTabs(tabs)
  await sleep(2_000)
  const idleTabs = await rate()
  for (const p of pages) await p.close()
  const producer = produce()
  await sleep(2_000)
  const busyBase = await rate()
  pages = await openTabs(1)
  await sleep(2_000)
  const busyOne = await rate()
  pages.push(...await openTabs(tabs - 1))
  await sleep(2_000)
  const busyTabs = await rate()
  clearInterval(producer)
  for (const p of pages) await p.close()
  const f = (r: { commands: number; reads: number }) => `${r.commands.toFixed(1)} commands/s (${r.reads.toFixed(2)} overview reads/s)`
  console.log(`${tabs} tabs, ${seconds} s windows`)
  console.log(`idle queue: no tab ${f(idleBase)}; ${tabs} tabs ${f(idleTabs)}: ${((idleTabs.commands - idleBase.commands) / tabs).toFixed(2)} per tab`)
  console.log(`busy queue (20 submits/s): no tab ${f(busyBase)}; 1 tab ${f(busyOne)}; ${tabs} tabs ${f(busyTabs)}`)
  console.log(`busy queue: the first tab ${(busyOne.commands - busyBase.commands).toFixed(1)} commands/s, each more tab ${((busyTabs.commands - busyOne.commands) / (tabs - 1)).toFixed(2)} (the worker's noise)`)
  console.log(`one overview read: ${perRead.toFixed(1)} commands; the tabs' reads: 1 tab ${(busyOne.reads * perRead).toFixed(1)} commands/s, ${tabs} tabs ${(busyTabs.reads * perRead).toFixed(1)} commands/s`)
} finally {
  await browser.close()
  await runtime.runPromise(Fiber.interrupt(worker))
  await runtime.dispose()
  info.disconnect()
  await redis.stop()
}
