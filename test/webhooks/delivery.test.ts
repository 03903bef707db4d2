/**
 * Webhooks end to end: SDK workers finish jobs on a private Redis with
 * events on (the outbox), the gateway — a real `src/gateway/main.ts`
 * process — delivers the events to a receiver built on `WebhookHandler`.
 * The gateway is SIGKILLed in the middle of the deliveries and a new one
 * started: every event arrives, each dispatched once, none lost. Then a
 * job finished the way Go finishes one (no outbox) is picked up from its
 * `ready` notification, and the delivery log is bounded.
 */
import type { ChildProcess } from "node:child_process"
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { HttpServer } from "effect/http"
import * as Bananas from "../../src/Bananas.ts"
import * as Tasks from "../../src/Tasks.ts"
import * as Standalone from "../../src/webhooks/Standalone.ts"
import type { WebhookEvent } from "../../src/webhooks/WebhookEvent.ts"
import { Failure, Handlers, Worker } from "../../src/worker/index.ts"
import { freePort, RedisServer, uniquePrefix } from "../support/RedisServer.ts"
import * as Support from "./support.ts"
import { kill, until } from "./support.ts"

const secret = "whsec-e2e"
const apiKey = "e2e-key"
const prefix = uniquePrefix("hooks")

/** What the receiver dispatched: event id -> event, and how many times each. */
const received = new Map<string, WebhookEvent>()
const dispatches = new Map<string, number>()
let receiverDelayMillis = 0

const record = (event: WebhookEvent) =>
  Effect.gen(function*() {
    yield* Effect.sleep(receiverDelayMillis)
    received.set(event.id, event)
    dispatches.set(event.id, (dispatches.get(event.id) ?? 0) + 1)
  })

const receiver = Standalone.layer({ port: 0, host: "127.0.0.1", secret, onJobCompleted: record, onJobDead: record, onJobFailed: record })

/** A gateway process on `port`, delivering to the receiver. */
const startGateway = (redisUrl: string, receiverPort: number, port: number) =>
  Support.startGateway({
    redisUrl,
    prefix,
    apiKey,
    secret,
    receiverPort,
    port,
    env: { BANANAS_WEBHOOK_LEASE: "2 seconds", BANANAS_WEBHOOK_CONCURRENCY: "4", BANANAS_WEBHOOK_LOG_SIZE: "10" }
  })

const handlers = Handlers.empty.pipe(
  Handlers.addRaw("ok", ({ payload }) => Effect.succeed({ echoed: JSON.parse(payload) as unknown })),
  Handlers.addRaw("bad", () => Effect.fail(new Failure.JobError({ message: "kaput" })))
)

const backend = Layer.unwrap(Effect.map(Effect.service(RedisServer), (server) => Bananas.layerRedis({ url: server.url, prefix, events: true })))

layer(Layer.mergeAll(backend, receiver).pipe(Layer.provideMerge(RedisServer.layer), Layer.orDie), { timeout: 30_000, excludeTestServices: true })("webhooks end to end", (it) => {
  it.effect("a gateway killed in the middle of the deliveries loses no event: a new one delivers the rest, each once", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      const { address } = yield* HttpServer.HttpServer
      const receiverPort = address._tag === "UnixPathAddress" ? 0 : address.port
      receiverDelayMillis = 300
      const first = yield* Effect.promise(async () => startGateway(server.url, receiverPort, await freePort()))
      const gateways: Array<ChildProcess> = [first.child]
      yield* Effect.addFinalizer(() => Effect.promise(() => Promise.all(gateways.map(kill))))

      yield* Worker.make({ handlers, concurrency: 8, workerId: "e2e-worker" })
      const ok = yield* Effect.forEach(Array.from({ length: 16 }, (_, i) => i), (i) =>
        Effect.map(Tasks.submit("ok", { i, big: 12345678901234567890n.toString() }), (s) => s.id))
      const bad = yield* Effect.forEach(Array.from({ length: 8 }, (_, i) => i), (i) =>
        Effect.map(Tasks.submit("bad", { i }, { maxRetries: 1 }), (s) => s.id))

      yield* until("the first deliveries", 30_000, () => received.size >= 4)
      yield* Effect.promise(() => kill(first.child))
      const killedAt = received.size
      assert.isBelow(killedAt, 24, "killed in the middle of the deliveries")

      const second = yield* Effect.promise(async () => startGateway(server.url, receiverPort, await freePort()))
      gateways.push(second.child)
      receiverDelayMillis = 0
      yield* until("every event", 60_000, () => received.size >= 24)

      const byJob = new Map([...received.values()].map((e) => [e.jobId, e]))
      assert.deepStrictEqual([...byJob.keys()].sort(), [...ok, ...bad].sort(), "one event per job, none lost")
      for (const id of ok) {
        const event = byJob.get(id)!
        assert.strictEqual(event.type, "job.completed")
        assert.include(event.result.result ?? "", `"echoed":`)
      }
      for (const id of bad) {
        assert.strictEqual(byJob.get(id)!.type, "job.dead")
        assert.strictEqual(byJob.get(id)!.result.error, "kaput")
      }
      assert.deepStrictEqual([...dispatches.values()].filter((n) => n !== 1), [], "each event dispatched once")

      // The delivery log is bounded (BANANAS_WEBHOOK_LOG_SIZE=10) and names each attempt.
      const port = (second.output().match(/listening on 127\.0\.0\.1:(\d+)/) ?? [])[1]
      const log = yield* Effect.promise(async () => {
        const response = await fetch(`http://127.0.0.1:${port}/v1/webhooks/deliveries?limit=100`, { headers: { authorization: `Bearer ${apiKey}` } })
        return (await response.json()) as { deliveries: ReadonlyArray<{ ok: boolean; status: number; eventId: string }> }
      })
      assert.strictEqual(log.deliveries.length, 10)
      assert.isTrue(log.deliveries.every((d) => d.ok && d.status === 200 && d.eventId.startsWith("evt_")))

      // A job finished the way Go finishes one: result hash, `ready`, then the job rewritten; no outbox.
      const goId = "go-finished-1"
      yield* Effect.promise(async () => {
        const r = server.raw
        await r.set(`${prefix}job:${goId}`, `{"id":"${goId}","name":"go_job","payload":{"n":1},"status":"pending","priority":"normal","created_at":"2025-01-15T10:30:00Z","updated_at":"2025-01-15T10:30:00Z","attempts":0,"max_retries":3}`)
        await r.hset(`${prefix}result:${goId}`, "status", "completed", "completed_at", "2025-01-15T10:30:09Z", "duration_ms", "12")
        await r.publish(`${prefix}result:notify:${goId}`, "ready")
        await r.set(`${prefix}job:${goId}`, `{"id":"${goId}","name":"go_job","payload":{"n":1},"status":"completed","priority":"normal","created_at":"2025-01-15T10:30:00Z","updated_at":"2025-01-15T10:30:09.5Z","attempts":0,"max_retries":3}`, "EX", 86400)
      })
      yield* until("the Go-finished job's event", 20_000, () => [...received.values()].some((e) => e.jobId === goId))
      const goEvent = [...received.values()].find((e) => e.jobId === goId)!
      assert.strictEqual(goEvent.type, "job.completed")
      assert.strictEqual(goEvent.job?.name, "go_job")
    }).pipe(Effect.scoped), { timeout: 120_000 })
})
