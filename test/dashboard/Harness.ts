/**
 * The dashboard's browser tests: the real gateway on an ephemeral loopback
 * port over memory or a private redis-server, seeded with jobs in every
 * state (through `/v1` and the backend's `JobQueue`), and Debian's Chromium
 * driven by playwright-core, headless, with no network but the loopback.
 */
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { Redis as IORedis } from "ioredis"
import { type Browser, chromium, type Page } from "playwright-core"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import type { RawJson } from "../../src/domain/RawJson.ts"
import * as Gateway from "../../src/gateway/Gateway.ts"
import * as Throughput from "../../src/gateway/Throughput.ts"
import * as DirectTaskApi from "../../src/layers/DirectTaskApi.ts"
import * as BananasMemory from "../../src/layers/memory/BananasMemory.ts"
import * as BananasRedis from "../../src/layers/redis/BananasRedis.ts"
import { JobQueue } from "../../src/services/JobQueue.ts"
import * as Handlers from "../../src/worker/HandlerRegistry.ts"
import * as Worker from "../../src/worker/Worker.ts"
import { takeJob } from "../contract/Fixtures.ts"
import { apiKey, gatewayOptions } from "../http/Fixtures.ts"
import { startRedisServer, uniquePrefix } from "../support/RedisServer.ts"

export { apiKey }

/** A read-only key the test gateways also accept (id `viewer`). */
export const readOnlyKey = "viewer-secret-key"

/** The trace link template the test gateways show a job's trace id with. */
export const traceLink = "https://traces.example/trace/{traceId}?from=bananas"

/** Where Debian's `chromium` package puts the browser (`.ci/run` installs it). */
export const chromiumPath = "/usr/bin/chromium"

/** A payload whose numbers `JSON.parse` → `JSON.stringify` would change (`1.10`, 20 digits, `2.50e3`). */
export const exactPayload = `{"amount": 1.10, "big": 12345678901234567890, "nested": {"list": [1, 2.50e3, -0.0], "note": "caf\\u00e9"}}`

/** The gateway on a backend, with the backend's `JobQueue` for seeding. */
export interface Served {
  readonly url: string
  readonly queue: <A, E>(effect: Effect.Effect<A, E, JobQueue>) => Promise<A>
  /** Redis's `total_commands_processed` (each reading counts one `INFO`); undefined on memory. */
  readonly redisCommands: () => Promise<number | undefined>
  /** Calls of one Redis command so far (`INFO commandstats`; each reading counts one `INFO`); undefined on memory. */
  readonly redisCalls: (command: string) => Promise<number | undefined>
  /** Starts a worker on the gateway's backend (registered at once; `ui_ok` jobs succeed, `ui_bad` ones fail); the returned function stops it. */
  readonly startWorker: (options: { readonly workerId: string; readonly routingKey: string; readonly concurrency: number }) => Promise<() => Promise<void>>
  readonly dispose: () => Promise<void>
}

/** Starts the gateway (the dashboard on) on memory or on a private redis-server. */
export const serve = async (backend: "memory" | "redis"): Promise<Served> => {
  const redis = backend === "redis" ? await startRedisServer() : undefined
  const raw = redis === undefined ? undefined : new IORedis(redis.url)
  const store = redis === undefined ? BananasMemory.layer() : BananasRedis.layer({ url: redis.url, prefix: uniquePrefix("ui") })
  const gateway = Gateway.layer(gatewayOptions({ apiKeys: [`test:${apiKey}`, `viewer/read:${readOnlyKey}`], traceLink })).pipe(Layer.provide(DirectTaskApi.layer))
  // The throughput sampler every 250 ms (10 s in production), so a test sees what a worker did within seconds.
  const sampling = Layer.succeed(Throughput.SampleInterval, Duration.millis(250))
  const runtime = ManagedRuntime.make(gateway.pipe(Layer.provideMerge(store), Layer.provide(sampling), Layer.orDie))
  const url = await runtime.runPromise(Gateway.localUrl)
  return {
    url,
    queue: (effect) => runtime.runPromise(Effect.orDie(effect)),
    startWorker: async (options) => {
      const handlers = Handlers.empty.pipe(
        Handlers.addRaw("ui_ok", () => Effect.void),
        Handlers.addRaw("ui_bad", () => Effect.fail("the test's handler fails"))
      )
      const fiber = runtime.runFork(Effect.orDie(Worker.run({ handlers, priorities: ["high", "low"], scheduler: false, reaper: false, ...options })))
      // Registered by its first heartbeat, at start.
      for (let i = 0; i < 100; i++) {
        const { body } = await getJson(url, "workers")
        if (body.workers?.some((w: { id: string }) => w.id === options.workerId)) break
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      return () => runtime.runPromise(Fiber.interrupt(fiber))
    },
    redisCalls: async (command) =>
      raw === undefined ? undefined : Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(await raw.info("commandstats"))?.[1] ?? 0),
    redisCommands: async () => (raw === undefined ? undefined : Number(/total_commands_processed:(\d+)/.exec(await raw.info("stats"))?.[1])),
    dispose: async () => {
      await runtime.dispose()
      raw?.disconnect()
      await redis?.stop()
    }
  }
}

/** POSTs a raw JSON body to `/v1/jobs`: the job's id. */
export const submit = async (url: string, body: string): Promise<string> => {
  const response = await fetch(`${url}/v1/jobs`, { method: "POST", headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" }, body })
  const text = await response.text()
  if (response.status !== 201) throw new Error(`submit answered ${response.status}: ${text}`)
  return (JSON.parse(text) as { id: string }).id
}

/** GETs a `/v1` path: status and parsed body. */
export const getJson = async (url: string, path: string): Promise<{ status: number; body: any }> => {
  const response = await fetch(`${url}/v1/${path}`, { headers: { authorization: `Bearer ${apiKey}` } })
  return { status: response.status, body: await response.json() }
}

/** The ids the seed made, by what they show. */
export interface Seeded {
  readonly completed: string
  readonly dead: ReadonlyArray<string>
  readonly processing: string
  readonly pending: ReadonlyArray<string>
  readonly scheduled: string
}

/**
 * Jobs in every state: one completed with a result, three dead, one held by a
 * worker, five queued (high, normal ×3, low; the high one carries
 * `exactPayload`), one scheduled an hour ahead; and a schedule, `nightly`.
 */
export const seed = async (served: Served): Promise<Seeded> => {
  const { url, queue } = served
  const now = () => Timestamp.fromDate(new Date())
  const completed = await submit(url, `{"name":"charge","priority":"high","payload":{"order":42}}`)
  await queue(Effect.gen(function*() {
    const q = yield* JobQueue
    yield* q.complete(yield* takeJob(), { durationMs: 12, now: now(), result: `{"charged": 19.90, "currency": "EUR"}` as RawJson })
  }))
  const dead: Array<string> = []
  for (const n of [1, 2, 3]) {
    dead.push(await submit(url, `{"name":"resize_image","maxRetries":1,"payload":{"image":${n}}}`))
    await queue(Effect.gen(function*() {
      const q = yield* JobQueue
      yield* q.fail(yield* takeJob(), `decode: unsupported format (image ${n})`, { durationMs: 3, now: now() })
    }))
  }
  const processing = await submit(url, `{"name":"crawl","payload":{"site":"example.org"}}`)
  await queue(takeJob({ lease: { owner: "worker-a", duration: Duration.seconds(300) } }))
  const pending = [
    await submit(url, `{"name":"charge","priority":"high","payload":${exactPayload}}`),
    await submit(url, `{"name":"send_email","payload":{"to":"ada@example.org"}}`),
    await submit(url, `{"name":"send_email","payload":{"to":"grace@example.org"}}`),
    await submit(url, `{"name":"send_email","payload":{"to":"linus@example.org"}}`),
    await submit(url, `{"name":"report","priority":"low","payload":null}`)
  ]
  const scheduled = await submit(url, `{"name":"digest","delayMillis":3600000,"payload":{"day":"monday"}}`)
  // A schedule (nothing fires it here: no scheduler runs), so the schedules view has one to show and audit.
  const schedule = await fetch(`${url}/v1/schedules/nightly`, {
    method: "PUT",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ cron: "0 3 * * *", timeZone: "Europe/Paris", job: { name: "nightly_report", payload: `{"full":true}`, priority: "low", routingKey: "sched" } })
  })
  if (schedule.status !== 200) throw new Error(`PUT /v1/schedules/nightly answered ${schedule.status}: ${await schedule.text()}`)
  return { completed, dead, processing, pending, scheduled }
}

/** Chromium, headless, cut off from everything but what the page asks of the loopback. */
export const launch = (): Promise<Browser> =>
  chromium.launch({
    executablePath: chromiumPath,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
  })

/** Opens the dashboard at `url` + `path` and logs in with `key`. */
export const logIn = async (page: Page, address: string, key = apiKey): Promise<void> => {
  await page.goto(address)
  await page.getByLabel("API key").fill(key)
  await page.getByRole("button", { name: "Log in" }).click()
  await page.getByRole("heading", { name: "Overview" }).waitFor()
}

/** axe-core's source, injected into a page to audit it. */
export const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8")

/** The serious and critical accessibility violations axe-core finds on the page. */
export const seriousViolations = async (page: Page): Promise<ReadonlyArray<string>> => {
  // Evaluated through the DevTools protocol: the page's own CSP forbids inline scripts.
  await page.evaluate(axeSource)
  return page.evaluate(async () => {
    const axe = (globalThis as any).axe
    const result = await axe.run((globalThis as any).document, { resultTypes: ["violations"] })
    return (result.violations as Array<{ id: string; impact: string; nodes: Array<{ target: Array<string> }> }>)
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)
  })
}
