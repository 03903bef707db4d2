/**
 * The receiver's replay defence is one atomic claim per event id: four
 * concurrent, validly signed deliveries of one event — each spelling its
 * signature differently (lower case, upper case, an extra `v1=` entry,
 * another timestamp) — run the handler once; once it succeeded, more
 * deliveries are acknowledged without running it. Real receivers (Node
 * servers on loopback, `Standalone`) over HTTP, with the memory store and
 * with the Redis store shared by two receivers on a real redis-server; and
 * the store operations themselves, 50 at once, on both.
 */
import { assert, describe, layer } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { HttpServer } from "effect/http"
import * as JobModel from "../../src/domain/Job.ts"
import type { RawJson } from "../../src/domain/RawJson.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import * as Events from "../../src/protocol/Events.ts"
import * as ReplayStore from "../../src/webhooks/ReplayStore.ts"
import * as Signature from "../../src/webhooks/Signature.ts"
import * as Standalone from "../../src/webhooks/Standalone.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"

const secret = "whsec-replay"
const now = Timestamp.fromMillis(Date.now())
const job = { ...JobModel.make({ id: "pay-1", name: "charge", payload: `{"n":1}` as RawJson, priority: "normal", now, maxRetries: 3 }), status: "completed" as const }
const event = Events.make("job.completed", job, { jobId: "pay-1", status: "completed", result: `{"paid":true}` as RawJson, completedAt: now, durationMs: 1 })
const body = Events.encode(event)

/** The same delivery, its signature spelled four ways. */
const spellings = (): ReadonlyArray<Record<string, string>> => {
  const t = Math.floor(Date.now() / 1000)
  const sig = (at: number) => Signature.hmac(secret, String(at), body)
  return [
    { t: String(t), s: `v1=${sig(t)}` },
    { t: String(t), s: `v1=${sig(t).toUpperCase()}` },
    { t: String(t), s: `v1=${"0".repeat(64)} v1=${sig(t)}` },
    { t: String(t - 1), s: `v1=${sig(t - 1)}` }
  ].map(({ s, t }) => ({
    "content-type": "application/json",
    [Signature.headers.id]: event.id,
    [Signature.headers.timestamp]: t,
    [Signature.headers.signature]: s
  }))
}

const post = (port: number, headers: Record<string, string>) =>
  Effect.promise(async () => {
    const response = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", headers, body })
    return { status: response.status, body: (await response.json()) as { reason?: string; duplicate?: boolean } }
  })

/** A receiver server on a free port whose handler takes 300 ms and counts its runs. */
const receiverOn = (replay: ReplayStore.ReplayStore, runs: { n: number }) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(Standalone.layer({
      port: 0,
      host: "127.0.0.1",
      secret,
      replay,
      onJobCompleted: () => Effect.andThen(Effect.sync(() => runs.n++), Effect.sleep(300))
    }))
    const { address } = Context.get(context, HttpServer.HttpServer)
    return address._tag === "UnixPathAddress" ? 0 : address.port
  })

/** Four concurrent spellings spread over the receivers, then four more after success. */
const scenario = (ports: ReadonlyArray<number>, runs: { n: number }) =>
  Effect.gen(function*() {
    const first = yield* Effect.forEach(spellings(), (h, i) => post(ports[i % ports.length]!, h), { concurrency: "unbounded" })
    assert.strictEqual(runs.n, 1, "the handler ran once for four concurrent deliveries")
    assert.deepStrictEqual(first.map((a) => a.status).sort(), [200, 409, 409, 409])
    assert.deepStrictEqual(first.filter((a) => a.status === 409).map((a) => a.body.reason), ["InProgress", "InProgress", "InProgress"])
    const again = yield* Effect.forEach(spellings(), (h, i) => post(ports[i % ports.length]!, h), { concurrency: "unbounded" })
    assert.deepStrictEqual(again.map((a) => [a.status, a.body.duplicate]), [[200, true], [200, true], [200, true], [200, true]])
    assert.strictEqual(runs.n, 1, "not run again after success")
  })

/** 50 claims of one event at once: one wins; a stranger's release leaves it; its own release frees it. */
const storeContract = (store: ReplayStore.ReplayStore) =>
  Effect.gen(function*() {
    const claims = yield* Effect.forEach(Array.from({ length: 50 }), () => store.claim("evt_c", 10_000), { concurrency: "unbounded" })
    const won = claims.flatMap((c) => (c._tag === "Claimed" ? [c.token] : []))
    assert.strictEqual(won.length, 1)
    assert.isTrue(claims.every((c) => c._tag === "Claimed" || c._tag === "Running"))
    yield* store.release("evt_c", "someone-else")
    assert.strictEqual((yield* store.claim("evt_c", 10_000))._tag, "Running")
    yield* store.release("evt_c", won[0]!)
    const next = yield* store.claim("evt_c", 10_000)
    assert.strictEqual(next._tag, "Claimed")
    if (next._tag === "Claimed") yield* store.complete("evt_c", next.token, 10_000)
    const after = yield* Effect.forEach(Array.from({ length: 50 }), () => store.claim("evt_c", 10_000), { concurrency: "unbounded" })
    assert.isTrue(after.every((c) => c._tag === "Done"))
    // A lapsed claim (its receiver died) can be taken again.
    assert.strictEqual((yield* store.claim("evt_lapse", 50))._tag, "Claimed")
    yield* Effect.sleep(120)
    assert.strictEqual((yield* store.claim("evt_lapse", 50))._tag, "Claimed")
  })

describe("receiver replay defence (memory store)", () => {
  layer(Layer.empty, { excludeTestServices: true })((it) => {
    it.effect("four concurrent deliveries of one event, spelled four ways, run the handler once", () =>
      Effect.gen(function*() {
        const runs = { n: 0 }
        const port = yield* receiverOn(ReplayStore.memory(), runs)
        yield* scenario([port], runs)
      }).pipe(Effect.scoped), { timeout: 20_000 })

    it.effect("claim, release and complete are atomic", () => storeContract(ReplayStore.memory()))
  })
})

layer(RedisServer.layer.pipe(Layer.orDie), { timeout: 30_000, excludeTestServices: true })("receiver replay defence (Redis store)", (it) => {
  it.effect("two receivers sharing Redis: four concurrent deliveries spelled four ways run the handler once", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      const runs = { n: 0 }
      const store = ReplayStore.redis(server.raw, { prefix: uniquePrefix("replay") })
      const ports = [yield* receiverOn(store, runs), yield* receiverOn(store, runs)]
      yield* scenario(ports, runs)
    }).pipe(Effect.scoped), { timeout: 20_000 })

  it.effect("claim, release and complete are atomic", () =>
    Effect.flatMap(Effect.service(RedisServer), (server) => storeContract(ReplayStore.redis(server.raw, { prefix: uniquePrefix("replay") }))))
})
