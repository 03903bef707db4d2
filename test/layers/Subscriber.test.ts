/**
 * The shared subscriber over a stub pub/sub connection whose driver loses a
 * SUBSCRIBE (never confirmed, never refused, no reconnect: what ioredis 5's
 * Cluster does when it replaces its subscriber node): the channels still
 * waiting are sent again after 2 s, then 4 s, and their listeners are
 * confirmed by the resend.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as Exit from "effect/Exit"
import { TestClock } from "effect/testing"
import { type PubSubConnection, RedisPort } from "../../src/layers/redis/RedisPort.ts"
import * as Subscriber from "../../src/layers/redis/Subscriber.ts"

/** A connection that answers the SUBSCRIBEs whose index is in `answered`, and logs each. */
const stubPort = (answered: (index: number) => boolean) => {
  const sent: Array<ReadonlyArray<string>> = []
  let ready: () => void = () => {}
  const connection: PubSubConnection = {
    isReady: () => true,
    subscribe: (channels) => {
      sent.push(channels)
      return answered(sent.length - 1) ? Promise.resolve() : new Promise<void>(() => {})
    },
    unsubscribe: () => Promise.resolve(),
    onMessage: () => {},
    onReady: (listener) => {
      ready = listener
    },
    onError: () => {},
    connect: () => setImmediate(() => ready()),
    close: () => {}
  }
  const layer = Layer.succeed(RedisPort, RedisPort.of({
    target: "stub",
    isCluster: false,
    send: () => Promise.reject(new Error("not used")),
    evalScript: () => Promise.reject(new Error("not used")),
    pubsub: () => connection
  }))
  return { sent, layer: Subscriber.layer.pipe(Layer.provide(layer)) }
}

/** Lets the subscriber's macrotask flush and the stub's promises run. */
const settle = Effect.promise(() => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve))))

describe("Subscriber", () => {
  it.effect("a SUBSCRIBE lost by the driver is sent again (after 2 s, then 4 s) until Redis answers", () => {
    const stub = stubPort((index) => index >= 2)
    return Effect.gen(function*() {
      const subscriber = yield* Subscriber.Subscriber
      const confirmations: Array<string> = []
      subscriber.listenUnsafe("a", () => {}, (error) => confirmations.push(`a ${error?._tag ?? "ok"}`))
      subscriber.listenUnsafe("b", () => {}, (error) => confirmations.push(`b ${error?._tag ?? "ok"}`))
      yield* settle
      assert.deepStrictEqual(stub.sent, [["a", "b"]])
      yield* TestClock.adjust("1999 millis")
      yield* settle
      assert.strictEqual(stub.sent.length, 1, "not before 2 s")
      yield* TestClock.adjust("1 millis")
      yield* settle
      assert.deepStrictEqual(stub.sent, [["a", "b"], ["a", "b"]], "sent again after 2 s")
      assert.deepStrictEqual(confirmations, [])
      yield* TestClock.adjust("3999 millis")
      yield* settle
      assert.strictEqual(stub.sent.length, 2, "the next one waits 4 s")
      yield* TestClock.adjust("1 millis")
      yield* settle
      assert.deepStrictEqual(stub.sent.length, 3)
      assert.deepStrictEqual(confirmations, ["a ok", "b ok"], "confirmed by the third")
      yield* TestClock.adjust("1 minute")
      yield* settle
      assert.strictEqual(stub.sent.length, 3, "nothing more once answered")
    }).pipe(Effect.provide(stub.layer))
  })

  it.effect("an answered SUBSCRIBE is not sent again, and a channel left meanwhile is not resent", () => {
    const stub = stubPort((index) => index !== 0)
    return Effect.gen(function*() {
      const subscriber = yield* Subscriber.Subscriber
      const remove = subscriber.listenUnsafe("gone", () => {}, () => {})
      subscriber.listenUnsafe("kept", () => {}, () => {})
      yield* settle
      assert.deepStrictEqual(stub.sent, [["gone", "kept"]])
      const confirmed: Array<string> = []
      subscriber.listenUnsafe("later", () => {}, (error) => confirmed.push(`later ${error?._tag ?? "ok"}`))
      yield* settle
      assert.deepStrictEqual(stub.sent, [["gone", "kept"], ["later"]])
      assert.deepStrictEqual(confirmed, ["later ok"])
      remove()
      yield* settle
      yield* TestClock.adjust("2 seconds")
      yield* settle
      assert.deepStrictEqual(stub.sent, [["gone", "kept"], ["later"], ["kept"]], "only the channel someone listens on")
      yield* TestClock.adjust("1 minute")
      yield* settle
      assert.strictEqual(stub.sent.length, 3)
    }).pipe(Effect.provide(stub.layer))
  })

  it.effect("closing the subscriber fails an unanswered wait and sends nothing again", () => {
    const stub = stubPort(() => false)
    return Effect.gen(function*() {
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(stub.layer, scope)
      const confirmations: Array<string> = []
      Context.get(context, Subscriber.Subscriber).listenUnsafe("a", () => {}, (error) => confirmations.push(error?._tag ?? "ok"))
      yield* settle
      assert.strictEqual(stub.sent.length, 1)
      yield* Scope.close(scope, Exit.void)
      assert.deepStrictEqual(confirmations, ["ConnectionError"], "the wait learns the client closed")
      yield* TestClock.adjust("1 minute")
      yield* settle
      assert.strictEqual(stub.sent.length, 1, "nothing sent after close")
    })
  })
})
