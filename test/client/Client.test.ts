import { afterAll, assert, beforeAll, describe, it, vi } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Redis as IORedis } from "ioredis"
import { Client } from "../../src/client/Client.ts"
import { ConnectionError, JobFailedError, SerializationError, TimeoutError, ValidationError } from "../../src/domain/Errors.ts"
import * as JobCodec from "../../src/domain/JobCodec.ts"
import * as BananasMemory from "../../src/layers/memory/BananasMemory.ts"
import * as BananasRedis from "../../src/layers/redis/BananasRedis.ts"
import * as Handlers from "../../src/worker/HandlerRegistry.ts"
import * as Worker from "../../src/worker/Worker.ts"
import { freePort, startRedisServer } from "../support/RedisServer.ts"

const rejectionOf = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise
  } catch (e) {
    return e
  }
  return assert.fail("expected the promise to reject")
}

// An in-process worker answering "echo" (its payload back) and failing "boom".
const handlers = Handlers.empty.pipe(
  Handlers.addRaw("echo", (input) => input.decode),
  Handlers.addRaw("boom", () => Effect.fail(new Error("kaput")))
)
const workerOptions = { handlers, concurrency: 4, block: "50 millis", reaper: false, schedulerInterval: "50 millis" } as const
const memoryWithWorker = () => Worker.layer(workerOptions).pipe(Layer.provideMerge(BananasMemory.layer()))

describe("Client on the memory layer", () => {
  it("submits, reads the job back (parsed payload, exact raw JSON, Dates) and counts it", async () => {
    const client = new Client({ layer: BananasMemory.layer() })
    try {
      const before = Date.now()
      const id = await client.submitJob("send_email", { to: "a@b.c", subject: "Hi <3" }, "high", "welcome mail")
      assert.match(id, /^[0-9a-f-]{36}$/)
      const job = await client.getJob(id)
      assert.isNotNull(job)
      assert.strictEqual(job!.id, id)
      assert.strictEqual(job!.name, "send_email")
      assert.strictEqual(job!.status, "pending")
      assert.strictEqual(job!.priority, "high")
      assert.strictEqual(job!.description, "welcome mail")
      assert.deepStrictEqual(job!.payload, { to: "a@b.c", subject: "Hi <3" })
      assert.strictEqual(job!.rawPayload, `{"subject":"Hi \\u003c3","to":"a@b.c"}`)
      assert.instanceOf(job!.createdAt, Date)
      assert.isAtLeast(job!.createdAt.getTime(), before - 1)
      assert.strictEqual(job!.attempts, 0)
      assert.strictEqual(job!.maxRetries, 3)
      assert.isUndefined(job!.scheduledFor)
      const stats = await client.stats()
      assert.deepStrictEqual(stats.queued, { high: 1, normal: 0, low: 0 })
    } finally {
      await client.close()
    }
  })

  it("accepts the reference client's object form, and a routing key", async () => {
    const client = new Client({ layer: BananasMemory.layer() })
    try {
      const id = await client.submitJob({ name: "report", payload: [1, 2], maxRetries: 5 })
      const job = await client.getJob(id)
      assert.strictEqual(job!.priority, "normal")
      assert.strictEqual(job!.maxRetries, 5)
      assert.deepStrictEqual(job!.payload, [1, 2])
      const routed = await client.submitJobWithRoute("render", {}, "low", "gpu")
      assert.strictEqual((await client.getJob(routed))!.routingKey, "gpu")
    } finally {
      await client.close()
    }
  })

  it("pauses and resumes a queue: a running worker leaves its job queued until the resume; a bad routing key rejects with ValidationError", async () => {
    const client = new Client({ layer: memoryWithWorker() })
    try {
      assert.deepStrictEqual(await client.pauseQueue("low"), { priority: "low" })
      assert.deepStrictEqual(await client.pauseQueue({ priority: "high", routingKey: "gpu" }), { priority: "high", routingKey: "gpu" })
      const id = await client.submitJob("echo", { n: 1 }, "low")
      const other = await client.submitAndWait("echo", { n: 2 }, "normal", 10_000)
      assert.strictEqual(other.status, "completed", "other priorities flow")
      assert.strictEqual((await client.getJob(id))!.status, "pending")
      assert.deepStrictEqual((await client.stats()).paused, [{ priority: "low" }, { priority: "high", routingKey: "gpu" }])
      assert.instanceOf(await rejectionOf(client.pauseQueue({ priority: "low", routingKey: "no spaces" })), ValidationError)
      assert.deepStrictEqual(await client.resumeQueue("low"), { priority: "low" })
      let result = await client.getResult(id)
      for (let i = 0; i < 1000 && result === null; i++) result = await new Promise((r) => setTimeout(r, 10)).then(() => client.getResult(id))
      assert.strictEqual(result?.status, "completed", "run once resumed")
      assert.deepStrictEqual(await client.pausedQueues(), [{ priority: "high", routingKey: "gpu" }])
    } finally {
      await client.close()
    }
  })

  it("returns null for an unknown job or result", async () => {
    const client = new Client({ layer: BananasMemory.layer() })
    try {
      assert.isNull(await client.getJob("nope"))
      assert.isNull(await client.getResult("nope"))
    } finally {
      await client.close()
    }
  })

  it("rejects invalid input with the tagged error instances themselves", async () => {
    const client = new Client({ layer: BananasMemory.layer() })
    try {
      const badPriority = await rejectionOf(client.submitJob("x", {}, "urgent" as never))
      assert.instanceOf(badPriority, ValidationError)
      assert.instanceOf(badPriority, Error)
      assert.strictEqual((badPriority as ValidationError).field, "priority")

      const emptyName = await rejectionOf(client.submitJob("", {}))
      assert.instanceOf(emptyName, ValidationError)

      const notJson = await rejectionOf(client.submitJob("x", { n: 10n }))
      assert.instanceOf(notJson, SerializationError)

      const past = await rejectionOf(client.submitJobScheduled("x", {}, "normal", new Date(Date.now() - 60_000)))
      assert.instanceOf(past, ValidationError)
      assert.strictEqual((past as ValidationError).field, "scheduledFor")

      const badTimeout = await rejectionOf(client.submitAndWait("x", {}, "normal", 0))
      assert.instanceOf(badTimeout, ValidationError)
      assert.strictEqual((badTimeout as ValidationError).field, "timeout")
      assert.deepStrictEqual((await client.stats()).queued, { high: 0, normal: 0, low: 0 }) // nothing written
    } finally {
      await client.close()
    }
  })

  it("schedules a job for a Date", async () => {
    const client = new Client({ layer: BananasMemory.layer() })
    try {
      const at = new Date(Date.now() + 3_600_000)
      const id = await client.submitJobScheduled("reminder", { user: 1 }, "low", at, "in an hour")
      const job = await client.getJob(id)
      assert.strictEqual(job!.status, "scheduled")
      assert.strictEqual(job!.scheduledFor!.getTime(), at.getTime())
      assert.strictEqual((await client.stats()).scheduled, 1)
      const viaObject = await client.submitJobScheduled({ name: "reminder", payload: null, scheduledFor: at })
      assert.strictEqual((await client.getJob(viaObject))!.status, "scheduled")
      assert.isTrue(await client.cancel(viaObject))
      const cancelled = (await client.getJob(viaObject))!
      assert.strictEqual(cancelled.status, "failed")
      assert.strictEqual(cancelled.error, "cancelled")
      // no longer waiting (the services fail with JobConflictError / JobNotFoundError): false, as the reference client
      assert.isFalse(await client.cancel(viaObject))
      assert.isFalse(await client.cancel("no-such-job"))
    } finally {
      await client.close()
    }
  })

  it("submitAndWait resolves with the completed result from a worker in the given layer", async () => {
    const client = new Client({ layer: memoryWithWorker() })
    try {
      const result = await client.submitAndWait("echo", { n: 12345678901234567890n.toString(), list: [1, 2] }, "high", 10_000)
      assert.strictEqual(result.status, "completed")
      assert.deepStrictEqual(result.result, { list: [1, 2], n: "12345678901234567890" })
      assert.strictEqual(result.rawResult, `{"list":[1,2],"n":"12345678901234567890"}`)
      assert.instanceOf(result.completedAt, Date)
      assert.isAtLeast(result.durationMs, 0)
      const again = await client.submitAndWait({ name: "echo", payload: "x", timeout: 10_000 })
      assert.strictEqual(again.result, "x")
      const stored = await client.getResult(result.jobId)
      assert.strictEqual(stored!.status, "completed")
      assert.strictEqual(stored!.rawResult, result.rawResult)
    } finally {
      await client.close()
    }
  })

  it("submitAndWait rejects with JobFailedError when the job fails for good", async () => {
    const client = new Client({ layer: memoryWithWorker() })
    try {
      const e = await rejectionOf(client.submitAndWait({ name: "boom", payload: {}, maxRetries: 1, timeout: 10_000 }))
      assert.instanceOf(e, JobFailedError)
      assert.include((e as JobFailedError).error, "kaput")
      const job = await client.getJob((e as JobFailedError).jobId)
      assert.strictEqual(job!.status, "failed")
    } finally {
      await client.close()
    }
  })

  it("submitAndWait rejects with TimeoutError when nobody answers in time", async () => {
    const client = new Client({ layer: BananasMemory.layer() })
    try {
      const e = await rejectionOf(client.submitAndWait("nobody_home", {}, "normal", 50))
      assert.instanceOf(e, TimeoutError)
      assert.strictEqual((e as TimeoutError).timeoutMillis, 50)
    } finally {
      await client.close()
    }
  })

  it("submitAndWait waits 30 seconds by default (the TimeoutPolicy's wait; was 5 minutes)", async () => {
    const client = new Client({ layer: BananasMemory.layer() })
    await client.stats() // builds the layer before the timers are faked
    // Effect's live clock sleeps with setTimeout: fake it, and move 30 s on at once.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] })
    try {
      let settled = 0
      const byDefault = [client.submitAndWait("nobody_home", {}), client.submitAndWait({ name: "nobody_home", payload: {} })]
        .map((pending) => rejectionOf(pending).finally(() => { settled++ }))
      await vi.advanceTimersByTimeAsync(29_900)
      assert.strictEqual(settled, 0, "still waiting after 29.9 s")
      await vi.advanceTimersByTimeAsync(100)
      for (const e of await Promise.all(byDefault)) {
        assert.instanceOf(e, TimeoutError)
        assert.strictEqual((e as TimeoutError).timeoutMillis, 30_000)
      }
    } finally {
      vi.useRealTimers()
      await client.close()
    }
  })

  it("after close, calls reject with ConnectionError; close is idempotent and runs the layer's finalizers", async () => {
    let released = 0
    const tracked = Layer.effectDiscard(Effect.addFinalizer(() => Effect.sync(() => { released++ })))
    const client = new Client({ layer: Layer.merge(BananasMemory.layer(), tracked) })
    await client.stats() // builds the layer
    const pending = client.submitAndWait("nobody_home", {}, "normal", 60_000)
    await new Promise((r) => setTimeout(r, 20))
    await client.close()
    assert.strictEqual(released, 1)
    const interrupted = await rejectionOf(pending)
    assert.instanceOf(interrupted, ConnectionError)
    const after = await rejectionOf(client.submitJob("x", {}))
    assert.instanceOf(after, ConnectionError)
    assert.include((after as ConnectionError).message, "closed")
    await client.close()
    assert.strictEqual(released, 1)
  })

  it("supports await using", async () => {
    let released = false
    {
      await using client = new Client({
        layer: Layer.merge(BananasMemory.layer(), Layer.effectDiscard(Effect.addFinalizer(() => Effect.sync(() => { released = true }))))
      })
      await client.stats()
    }
    assert.isTrue(released)
  })

  it("invalid TTLs make every call reject with ValidationError (nothing thrown by the constructor)", async () => {
    for (const bad of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      const client = new Client({ redisUrl: "redis://127.0.0.1:1", successTTL: bad })
      const e = await rejectionOf(client.stats())
      assert.instanceOf(e, ValidationError, String(bad))
      assert.strictEqual((e as ValidationError).field, "successTTL")
      await client.close()
    }
  })
})

describe("Client on Redis", () => {
  let server: Awaited<ReturnType<typeof startRedisServer>>
  let raw: IORedis

  beforeAll(async () => {
    server = await startRedisServer()
    raw = new IORedis(server.url)
    raw.on("error", () => {})
  })

  afterAll(async () => {
    raw?.disconnect()
    await server?.stop()
  })

  it("writes Go's job JSON under the bananas: prefix and pushes the id", async () => {
    const client = new Client({ redisUrl: server.url })
    try {
      const id = await client.submitJob("send_email", { to: "a@b.c", subject: "Hi <3" }, "high")
      const stored = await raw.get(`bananas:job:${id}`)
      assert.isNotNull(stored)
      assert.match(stored!, new RegExp(
        `^\\{"id":"${id}","name":"send_email","payload":\\{"subject":"Hi \\\\u003c3","to":"a@b.c"\\},"status":"pending","priority":"high","created_at":"[^"]+Z","updated_at":"[^"]+Z","attempts":0,"max_retries":3\\}$`
      ))
      assert.deepStrictEqual(await raw.lrange("bananas:queue:high", 0, -1), [id])
      const job = await client.getJob(id)
      assert.strictEqual(job!.rawPayload, `{"subject":"Hi \\u003c3","to":"a@b.c"}`)
      assert.strictEqual((await client.stats()).queued.high, 1)
    } finally {
      await client.close()
    }
  })

  it("reads a job written by Go byte for byte (vector 1)", async () => {
    const v1 =
      `{"id":"go-1","name":"send_email","payload":{"order_id":12345678901234567890,"amt":1.10},"status":"pending","priority":"high","created_at":"2025-01-15T15:30:00.123456789+05:00","updated_at":"2025-01-15T15:30:00.123456789+05:00","attempts":0,"max_retries":3}`
    await raw.set("bananas:job:go-1", v1)
    const client = new Client({ redisUrl: server.url })
    try {
      const job = await client.getJob("go-1")
      assert.strictEqual(job!.rawPayload, `{"order_id":12345678901234567890,"amt":1.10}`)
      assert.strictEqual(job!.createdAt.toISOString(), "2025-01-15T10:30:00.123Z")
      assert.strictEqual(JobCodec.encode({
        id: job!.id, name: job!.name, payload: job!.rawPayload as never, status: job!.status, priority: job!.priority,
        createdAt: { seconds: 1736937000, nanos: 123456789, offsetSeconds: 18000 },
        updatedAt: { seconds: 1736937000, nanos: 123456789, offsetSeconds: 18000 },
        attempts: job!.attempts, maxRetries: job!.maxRetries
      }), v1)
    } finally {
      await client.close()
    }
  })

  it("uses keyPrefix as the reference client did (a ':' appended)", async () => {
    const client = new Client({ redisUrl: server.url, keyPrefix: "myapp" })
    try {
      const id = await client.submitJob("x", 1, "low")
      assert.strictEqual(await raw.exists(`myapp:job:${id}`), 1)
      assert.deepStrictEqual(await raw.lrange("myapp:queue:low", 0, -1), [id])
    } finally {
      await client.close()
    }
  })

  it("converts millisecond TTLs to whole seconds, rounding up (1500 ms -> 2 s, 200 ms -> 1 s, never 0)", async () => {
    for (const [failureTTL, seconds] of [[1500, 2], [200, 1], [7_200_000, 7200]] as const) {
      const client = new Client({ redisUrl: server.url, keyPrefix: `ttl${failureTTL}`, successTTL: 1, failureTTL })
      try {
        const id = await client.submitJob("x", {})
        assert.isTrue(await client.cancel(id)) // stores a failed result with the failure TTL
        const ttl = await raw.ttl(`ttl${failureTTL}:result:${id}`)
        assert.strictEqual(ttl, seconds, `failureTTL ${failureTTL} ms`)
        const result = await client.getResult(id)
        assert.strictEqual(result!.status, "failed")
        assert.strictEqual(result!.error, "cancelled")
      } finally {
        await client.close()
      }
    }
  })

  it("submitAndWait gets the result a worker (another process's runtime) stores", async () => {
    const workerRuntime = await import("effect/ManagedRuntime").then((M) =>
      M.make(Worker.layer(workerOptions).pipe(Layer.provideMerge(BananasRedis.layer({ url: server.url, prefix: "rpc:" }))))
    )
    await workerRuntime.context()
    const client = new Client({ redisUrl: server.url, keyPrefix: "rpc:" })
    try {
      const result = await client.submitAndWait("echo", { big: 1 }, "normal", 10_000)
      assert.deepStrictEqual(result.result, { big: 1 })
      const failed = await rejectionOf(client.submitAndWait({ name: "boom", payload: {}, maxRetries: 1, timeout: 10_000 }))
      assert.instanceOf(failed, JobFailedError)
      const timedOut = await rejectionOf(client.submitAndWait("nobody_home", {}, "normal", 100))
      assert.instanceOf(timedOut, TimeoutError)
    } finally {
      await client.close()
      await workerRuntime.dispose()
    }
  })

  it("rejects with ConnectionError when Redis is unreachable, and tries again on the next call", async () => {
    const port = await freePort()
    const client = new Client({ redisUrl: `redis://127.0.0.1:${port}` })
    try {
      const first = await rejectionOf(client.stats())
      assert.instanceOf(first, ConnectionError)
      const second = await rejectionOf(client.submitJob("x", {}))
      assert.instanceOf(second, ConnectionError)
      assert.notStrictEqual(second, first) // a fresh attempt, not the cached build failure
    } finally {
      await client.close()
    }
  })
})
