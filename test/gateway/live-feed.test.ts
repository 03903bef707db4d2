/**
 * The dashboard's live feed on memory, under a test clock: a change is
 * announced once per interval with a fresh snapshot token; the requests
 * naming the latest token share one read (the dashboard's tabs reloading
 * the overview), and any other request (no token, an unknown or old one,
 * one past the interval, after a failed read) runs its own. Over HTTP, the
 * overview's `GET /v1/stats` naming the token of the change a tab heard
 * answers the one read made for it; without the token, a fresh one.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/testing/TestClock"
import { HttpRouter, HttpServer } from "effect/http"
import * as Gateway from "../../src/gateway/Gateway.ts"
import * as LiveFeed from "../../src/gateway/LiveFeed.ts"
import * as RawJson from "../../src/domain/RawJson.ts"
import * as DirectTaskApi from "../../src/layers/DirectTaskApi.ts"
import * as BananasMemory from "../../src/layers/memory/BananasMemory.ts"
import { TaskApi } from "../../src/services/TaskApi.ts"
import { apiKey, gatewayOptions } from "../http/Fixtures.ts"

const backend = Layer.provideMerge(DirectTaskApi.layer, BananasMemory.layer()).pipe(Layer.orDie)
const feedOnMemory = Layer.provideMerge(LiveFeed.layer, backend)

/** Listens to the feed; `next` submits a job and waits for the token announcing it. */
const listening = Effect.gen(function*() {
  const feed = yield* LiveFeed.LiveFeed
  const api = yield* TaskApi
  const tokens = yield* Queue.unbounded<string>()
  yield* Effect.forkScoped(Stream.runForEach(feed.changes, (token) => Queue.offer(tokens, token)))
  yield* Effect.yieldNow
  const next = Effect.gen(function*() {
    yield* Effect.orDie(api.submit({ name: "live", payload: RawJson.nullJson }))
    yield* TestClock.adjust(LiveFeed.interval)
    return yield* Queue.take(tokens)
  })
  return { feed, next }
})

describe("LiveFeed", () => {
  it.effect("a change is announced with a fresh token; requests naming the latest one share one read", () =>
    Effect.gen(function*() {
      const { feed, next } = yield* listening
      const first = yield* next
      const second = yield* next
      assert.notStrictEqual(first, second)

      let reads = 0
      const gate = yield* Deferred.make<void>()
      const read = feed.share(Effect.andThen(Deferred.await(gate), Effect.sync(() => ++reads)))
      const concurrent = yield* Effect.forkChild(Effect.all(Array.from({ length: 5 }, () => read(second)), { concurrency: "unbounded" }))
      yield* Effect.yieldNow
      yield* Deferred.succeed(gate, undefined)
      assert.deepStrictEqual(yield* Fiber.join(concurrent), [1, 1, 1, 1, 1], "five tabs, one read")
      assert.strictEqual(yield* read(second), 1, "a later request for the same change: the same read")

      assert.strictEqual(yield* read(undefined), 2, "no token: its own read")
      assert.strictEqual(yield* read(first), 3, "an older token: its own read")
      assert.strictEqual(yield* read("guessed.99"), 4, "a token the feed never gave: its own read")
      yield* TestClock.adjust(Duration.sum(LiveFeed.interval, Duration.millis(1)))
      assert.strictEqual(yield* read(second), 5, "past the interval: its own read")
    }).pipe(Effect.scoped, Effect.provide(feedOnMemory)))

  it.effect("a failed read is not kept for the next request naming the token", () =>
    Effect.gen(function*() {
      const { feed, next } = yield* listening
      const token = yield* next
      let reads = 0
      const read = feed.share(Effect.suspend(() => ++reads === 1 ? Effect.fail("down" as const) : Effect.succeed(reads)))
      assert.strictEqual(yield* Effect.flip(read(token)), "down")
      assert.strictEqual(yield* read(token), 2)
      assert.strictEqual(yield* read(token), 2)
    }).pipe(Effect.scoped, Effect.provide(feedOnMemory)))

  it.effect("without the dashboard: no feed, every read its own", () =>
    Effect.gen(function*() {
      const feed = yield* LiveFeed.LiveFeed
      let reads = 0
      const read = feed.share(Effect.sync(() => ++reads))
      assert.isFalse(feed.available)
      assert.deepStrictEqual([yield* read("a.1"), yield* read("a.1")], [1, 2])
    }).pipe(Effect.provide(LiveFeed.layerOff)))
})

describe("GET /v1/stats for a tab's snapshot", () => {
  it.live("answers the one read made for the change the tab heard; without the token, a fresh read", () =>
    Effect.gen(function*() {
      const routes = Gateway.routes(gatewayOptions()).pipe(Layer.provide(backend), Layer.provide(HttpServer.layerServices), Layer.orDie)
      const { handler, dispose } = HttpRouter.toWebHandler(routes, { disableLogger: true })
      yield* Effect.addFinalizer(() => Effect.promise(dispose))
      const auth = { authorization: `Bearer ${apiKey}` }
      const call = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
        Effect.promise(() => handler(new Request(`http://gateway.test${path}`, { method, headers: { ...auth, ...headers }, body: body ?? null })).then((r) => r.text()))
      const submit = call("POST", "/v1/jobs", { "content-type": "application/json" }, `{"name":"live","priority":"low"}`)
      const queuedLow = (headers: Record<string, string> = {}) => Effect.map(call("GET", "/v1/stats", headers), (text) => JSON.parse(text).queued.low as number)

      const token = yield* Effect.promise(async () => {
        const response = await handler(new Request("http://gateway.test/ui/events", { headers: auth }))
        const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
        let text = ""
        // The keep-alive comes once the stream listens to the feed.
        while (!text.includes(": keep-alive")) text += (await reader.read()).value ?? ""
        await Effect.runPromise(submit)
        while (!/event: change\ndata: (.*)\n\n/.test(text)) text += (await reader.read()).value ?? ""
        await reader.cancel()
        return JSON.parse(/event: change\ndata: (.*)\n\n/.exec(text)![1]!).snapshot as string
      })
      assert.match(token, /^\w+\.\d+$/)
      const snapshot = { [LiveFeed.snapshotHeader]: token }
      assert.strictEqual(yield* queuedLow(snapshot), 1, "the read for this change shows it")
      yield* submit
      assert.strictEqual(yield* queuedLow(snapshot), 1, "the same change: the same read")
      assert.strictEqual(yield* queuedLow(), 2, "no token: a fresh read")
      assert.strictEqual(yield* queuedLow({ [LiveFeed.snapshotHeader]: "guessed.1" }), 2, "an unknown token: a fresh read")
      assert.strictEqual(yield* queuedLow({ [LiveFeed.snapshotHeader]: token.replace(/\d+$/, (n) => String(Number(n) + 1)) }), 2, "a next token guessed: a fresh read")
    }).pipe(Effect.scoped))
})
