/**
 * Issue 16.2 on a real Redis (AOF `always`), SIGKILLed 1.5 s into a
 * submit-and-wait and started again: the job was written before the kill,
 * so the caller's error must not say `not-written` (which tells it to
 * submit again, running the job twice). It says `unknown` and carries the
 * job id, through `Tasks.submitAndWait` and through `POST /v1/jobs/call`
 * on the real gateway; and the job named is the one that exists.
 */
import { assert, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Bananas from "../../src/Bananas.ts"
import * as Gateway from "../../src/gateway/Gateway.ts"
import * as DirectTaskApi from "../../src/layers/DirectTaskApi.ts"
import * as Tasks from "../../src/Tasks.ts"
import { freePort, makeTempDir, removeTempDir, spawnRedis } from "../support/RedisProcess.ts"
import { uniquePrefix } from "../support/RedisServer.ts"
import { rawClient } from "./support/Servers.ts"

const apiKey = "call-outcome-key"

/** A redis-server with AOF `always` on a free port, and how to SIGKILL and restart it. */
const aofRedis = Effect.gen(function*() {
  const dir = makeTempDir("call-outcome")
  const port = yield* Effect.promise(() => freePort())
  const args = [
    "--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--appendfsync", "always",
    "--save", "", "--loglevel", "warning"
  ]
  let redis = yield* Effect.promise(() => spawnRedis(args, { port }))
  yield* Effect.addFinalizer(() => Effect.promise(async () => { await redis.stop(); removeTempDir(dir) }))
  const killAndRestart = (downMillis: number) => Effect.promise(async () => {
    await redis.stop()
    await new Promise((r) => setTimeout(r, downMillis))
    redis = await spawnRedis(args, { port })
  })
  return { port, url: `redis://127.0.0.1:${port}`, killAndRestart }
})

/** Every job key under `prefix`. */
const jobIds = (raw: { keys: (pattern: string) => Promise<Array<string>> }, prefix: string) =>
  Effect.promise(async () => (await raw.keys(`${prefix}job:*`)).map((k) => k.slice(`${prefix}job:`.length)))

it.live("16.2: Tasks.submitAndWait with Redis SIGKILLed (AOF always) 1.5 s in, down 4 s: unknown, with the id of the job that exists", () =>
  Effect.gen(function*() {
    const redis = yield* aofRedis
    const prefix = uniquePrefix("outcome")
    const backend = Bananas.layerRedis({ url: redis.url, prefix })
    // No worker: the job waits; a short retry budget so the outage outlasts the retries.
    const call = yield* Tasks.submitAndWait("nobody_runs_this", { n: 1 }, { timeout: "20 seconds", retry: Schedule.recurs(2) }).pipe(
      Effect.provide(backend),
      Effect.forkChild
    )
    yield* Effect.sleep("1500 millis")
    yield* redis.killAndRestart(4000)
    const exit = yield* Fiber.await(call).pipe(Effect.timeout("30 seconds"))
    const raw = yield* rawClient(redis.url)
    const ids = yield* jobIds(raw, prefix)
    assert.strictEqual(ids.length, 1, "the job was written before the kill and survived it (AOF always)")
    assert.isTrue(Exit.isFailure(exit), "the call failed")
    const error = Exit.isFailure(exit) ? exit.cause.reasons.find((r) => r._tag === "Fail") : undefined
    const failure = (error as { error?: { _tag: string; outcome?: string; jobId?: string } } | undefined)?.error
    assert.isDefined(failure, `a typed failure, got ${String(exit)}`)
    assert.oneOf(failure!._tag, ["ConnectionError", "TimeoutError"])
    assert.strictEqual(failure!.outcome, "unknown", "never not-written for a job that exists")
    assert.strictEqual(failure!.jobId, ids[0], "the error names the job")
  }).pipe(Effect.scoped), { timeout: 60_000 })

it.live("16.2: POST /v1/jobs/call with Redis SIGKILLed (AOF always) 1.5 s in, down 3 s (a result poll fails meanwhile): unknown with the job id, never not-written", () =>
  Effect.gen(function*() {
    const redis = yield* aofRedis
    const prefix = uniquePrefix("outcome")
    const services = yield* Layer.build(
      Gateway.layer({ apiKeys: [`test:${apiKey}`], port: 0, host: "127.0.0.1", accessLog: false }).pipe(
        Layer.provide(DirectTaskApi.layer),
        // Polls for the result every 500 ms: one poll falls in the outage and fails unsent.
        Layer.provide(Bananas.layerRedis({ url: redis.url, prefix, waitPollInterval: "500 millis" })),
        Layer.orDie
      )
    )
    const base = yield* Effect.provide(Gateway.localUrl, services)
    const response = yield* Effect.promise(async () => {
      const answer = fetch(`${base}/v1/jobs/call?wait=10s`, {
        method: "POST",
        headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "nobody_runs_this", payload: { n: 1 } })
      })
      await new Promise((r) => setTimeout(r, 1500))
      return answer
    }).pipe(Effect.tap(() => redis.killAndRestart(3000)), Effect.flatMap((answer) => Effect.promise(async () => {
      const res = await answer
      return { status: res.status, body: await res.json() as { _tag?: string; outcome?: string; jobId?: string } }
    })))
    const raw = yield* rawClient(redis.url)
    const ids = yield* jobIds(raw, prefix)
    assert.strictEqual(ids.length, 1, "the job was written before the kill and survived it (AOF always)")

    assert.notStrictEqual(response.status, 200, `the call could not have succeeded: ${JSON.stringify(response.body)}`)
    assert.notStrictEqual(response.body.outcome, "not-written", `never not-written for a job that exists: ${JSON.stringify(response.body)}`)
    assert.strictEqual(response.body.jobId, ids[0], `the error names the job: ${JSON.stringify(response.body)}`)
  }).pipe(Effect.scoped), { timeout: 60_000 })
