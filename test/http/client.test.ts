/**
 * The HTTP TaskApi on an unreliable network (a fault proxy in front of the
 * real gateway, over a private Redis): a submission whose response is lost
 * is retried with the same id and stored once; a load balancer's 502/503
 * is retried; one that never ends becomes `ApiError(502)`; an unreachable
 * gateway a retryable `ConnectionError`; and the Promise `Client` works
 * over HTTP with the same errors.
 */
import { assert, layer } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import { Client, JobFailedError, ValidationError } from "../../src/index.ts"
import * as Gateway from "../../src/gateway/Gateway.ts"
import * as HttpTaskApi from "../../src/http/HttpTaskApi.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import { JobQueue } from "../../src/services/JobQueue.ts"
import * as Tasks from "../../src/Tasks.ts"
import { Raw } from "../contract/Raw.ts"
import { respond } from "../contract/Fixtures.ts"
import * as RedisRaw from "../redis/RedisRaw.ts"
import { freePort, RedisServer } from "../support/RedisServer.ts"
import { type FaultProxy, startFaultProxy } from "./FaultProxy.ts"
import { apiKey, gateway, redisBackend } from "./Fixtures.ts"

const retry = { retry: Schedule.spaced("20 millis").pipe(Schedule.upTo({ times: 3 })) }

/** The HTTP TaskApi through a fault proxy in front of `url`. */
const viaProxy = (proxy: FaultProxy) => HttpTaskApi.layerFetch({ url: proxy.url, apiKey })

const services = Layer.mergeAll(RedisRaw.layer).pipe(
  Layer.provideMerge(gateway()),
  Layer.provideMerge(redisBackend()),
  Layer.provideMerge(RedisServer.layer),
  Layer.orDie
)

const withProxy = <A, E, R>(body: (proxy: FaultProxy) => Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const base = yield* Gateway.localUrl
    const proxy = yield* Effect.acquireRelease(Effect.promise(() => startFaultProxy(base)), (p) => Effect.promise(p.close))
    return yield* body(proxy)
  })

const fresh = Effect.gen(function*() {
  const queue = yield* JobQueue
  const raw = yield* Raw
  yield* raw.purge(queue.protocol.keys.prefix)
  return { keys: queue.protocol.keys, raw }
})

layer(services, { timeout: 30_000, excludeTestServices: true })("HTTP TaskApi on a faulty network", (it) => {
  it.effect("a submission whose response was lost is retried with the same id: one job, reported created", () =>
    withProxy((proxy) =>
      Effect.gen(function*() {
        const { keys, raw } = yield* fresh
        proxy.plan("lose")
        const submitted = yield* Tasks.submit("once", { n: 1 }, retry).pipe(Effect.provide(viaProxy(proxy)))
        assert.isFalse(submitted.duplicate, "the resend is recognized as the same job")
        assert.strictEqual(proxy.requests(), 2)
        assert.deepStrictEqual(yield* raw.lrange(keys.queue("normal")), [submitted.id], "queued once")
        const jobs = (yield* raw.keys(keys.prefix)).filter((k) => k.startsWith(keys.job("")))
        assert.deepStrictEqual(jobs, [keys.job(submitted.id)])
      })).pipe(Effect.scoped))

  it.effect("a load balancer's 502 and 503 are retried; a 502 that never ends is ApiError(502)", () =>
    withProxy((proxy) =>
      Effect.gen(function*() {
        yield* fresh
        proxy.plan("502", "503")
        const stats = yield* Tasks.stats(retry).pipe(Effect.provide(viaProxy(proxy)))
        assert.strictEqual(stats.processing, 0)
        assert.strictEqual(proxy.requests(), 3)
        proxy.plan("502", "502", "502", "502", "502")
        const error = yield* Effect.flip(Tasks.getJob("x", retry).pipe(Effect.provide(viaProxy(proxy))))
        assert.strictEqual(error._tag, "ApiError")
        if (error._tag === "ApiError") assert.strictEqual(error.status, 502)
        assert.strictEqual(proxy.requests(), 7, "1 + 3 retries")
      })).pipe(Effect.scoped))

  it.effect("an unreachable gateway: a retryable ConnectionError naming it", () =>
    Effect.gen(function*() {
      const port = yield* Effect.promise(freePort)
      const error = yield* Effect.flip(Tasks.stats(retry).pipe(Effect.provide(HttpTaskApi.layerFetch({ url: `http://127.0.0.1:${port}`, apiKey }))))
      assert.strictEqual(error._tag, "ConnectionError")
      assert.isTrue(error.isRetryable)
      assert.include(error.message, `127.0.0.1:${port}`)
      assert.strictEqual(error._tag === "ConnectionError" && error.outcome, "not-written", "refused: the request was never sent")
    }))

  it.effect("a batch the gateway could not store: the error reports every id (here: none written)", () =>
    Effect.gen(function*() {
      const { keys, raw } = yield* fresh
      yield* raw.set(keys.queue("normal"), "not a list")
      const base = yield* Gateway.localUrl
      const error = yield* Effect.flip(Tasks.submitBatch([{ name: "a", payload: 1 }, { name: "b", payload: 2, options: { id: "mine" } }], retry).pipe(
        Effect.provide(HttpTaskApi.layerFetch({ url: base, apiKey }))
      ))
      assert.strictEqual(error._tag, "StorageError")
      const batch = error._tag === "StorageError" ? error.batch : undefined
      assert.strictEqual(batch?.ids.length, 2)
      assert.strictEqual(batch?.ids[1], "mine")
      assert.deepStrictEqual(batch?.notWritten, batch?.ids)
      assert.deepStrictEqual([batch?.written, batch?.unknown], [[], []])
      yield* raw.del(keys.queue("normal"))
    }))

  it.effect("a wrong key: AuthenticationError, not retried", () =>
    withProxy((proxy) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(Tasks.stats(retry).pipe(Effect.provide(HttpTaskApi.layerFetch({ url: proxy.url, apiKey: "nope" }))))
        assert.strictEqual(error._tag, "AuthenticationError")
        assert.strictEqual(proxy.requests(), 1)
      })).pipe(Effect.scoped))

  it.effect("the Promise Client over HTTP (apiUrl, apiKey): the same methods and error classes", () =>
    Effect.gen(function*() {
      yield* fresh
      yield* respond((job) => (job.name === "add" ? { _tag: "Complete", result: job.payload } : { _tag: "Fail", error: "nope" }))
      const url = yield* Gateway.localUrl
      yield* Effect.promise(async () => {
        const client = new Client({ apiUrl: url, apiKey })
        try {
          const id = await client.submitJob("queued", { big: 1 }, "high")
          assert.strictEqual((await client.getJob(id))?.priority, "high")
          assert.isNull(await client.getJob("missing-job"))
          const result = await client.submitAndWait("add", { a: 1 }, "normal", 10_000)
          assert.strictEqual(result.rawResult, `{"a":1}`)
          const failed = await client.submitAndWait({ name: "fail", payload: {}, maxRetries: 1, timeout: 10_000 }).catch((e: unknown) => e)
          assert.instanceOf(failed, JobFailedError)
          assert.isTrue(await client.cancel(id))
          assert.strictEqual((await client.stats()).dead, 1)
        } finally {
          await client.close()
        }
        const bad = new Client({ apiUrl: "localhost:8080" })
        assert.instanceOf(await bad.stats().catch((e: unknown) => e), ValidationError)
        await bad.close()
      })
    }))
})

/** A gateway whose long-polls last 300 ms at most. */
const shortPolls = Layer.mergeAll(RedisRaw.layer).pipe(
  Layer.provideMerge(gateway({ maxWait: "300 millis", callWait: "300 millis" })),
  Layer.provideMerge(redisBackend()),
  Layer.provideMerge(RedisServer.layer),
  Layer.orDie
)

layer(shortPolls, { timeout: 30_000, excludeTestServices: true })("HTTP TaskApi: waits longer than the gateway's longest poll", (it) => {
  it.effect("waitForResult and submitAndWait poll again until their own timeout, and get the result a worker stores late", () =>
    Effect.gen(function*() {
      yield* fresh
      const url = yield* Gateway.localUrl
      const client = HttpTaskApi.layerFetch({ url, apiKey, maxPoll: "10 seconds" })
      const queue = yield* JobQueue
      // A worker that answers each job 800 ms after taking it (past two polls).
      yield* Effect.forkScoped(Effect.forever(Effect.gen(function*() {
        const taken = yield* queue.dequeue({ priorities: ["normal"], block: Duration.millis(50) })
        if (taken._tag === "None" || taken.value._tag !== "Job") return
        yield* Effect.sleep(800)
        yield* queue.complete(taken.value, { result: taken.value.job.payload, durationMs: 800, now: Timestamp.fromMillis(Date.now()) })
      })))
      const { id } = yield* Tasks.submit("slow", { n: 1 }).pipe(Effect.provide(client))
      const waited = yield* Tasks.waitForResult(id, { timeout: "5 seconds" }).pipe(Effect.provide(client))
      assert.strictEqual(waited.result, `{"n":1}`)
      const called = yield* Tasks.submitAndWait("slow", { n: 2 }, { timeout: "5 seconds" }).pipe(Effect.provide(client))
      assert.strictEqual(called.result, `{"n":2}`)
      const expired = yield* Effect.flip(Tasks.waitForResult("never-runs", { timeout: "700 millis" }).pipe(Effect.provide(client)))
      assert.strictEqual(expired._tag, "TimeoutError")
    }).pipe(Effect.scoped))
})
