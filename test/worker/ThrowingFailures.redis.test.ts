/**
 * Issue 16.12 on a real Redis: a handler failing with a value that throws
 * when read (a `message` getter that throws, a `Proxy` whose every trap
 * throws) is recorded as a failed attempt with a safe description of the
 * value — not as "interrupted", with the cause lost.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Bananas from "../../src/Bananas.ts"
import * as Tasks from "../../src/Tasks.ts"
import * as Handlers from "../../src/worker/HandlerRegistry.ts"
import * as Worker from "../../src/worker/Worker.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"

class Hostile {
  get message(): string {
    throw new Error("getter exploded")
  }
}

const trap = () => {
  throw new Error("trap exploded")
}
const proxy = new Proxy({}, { get: trap, getPrototypeOf: trap, ownKeys: trap, has: trap, getOwnPropertyDescriptor: trap })

layer(RedisServer.layer, { timeout: 30_000, excludeTestServices: true })("16.12: failures that throw when read", (it) => {
  it.effect("a throwing message getter and a throwing Proxy, failed or died with: recorded with a safe description", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      const live = Bananas.layerRedis({ url: server.url, prefix: uniquePrefix("hostile") })
      const handlers = Handlers.empty.pipe(
        Handlers.addRaw("getter_fail", () => Effect.fail(new Hostile())),
        Handlers.addRaw("getter_die", () => Effect.die(new Hostile())),
        Handlers.addRaw("proxy_fail", () => Effect.fail(proxy)),
        Handlers.addRaw("proxy_die", () => Effect.die(proxy)),
        Handlers.addRaw("proxy_throw", () => Effect.sync(() => { throw proxy }))
      )
      const errors = yield* Effect.gen(function*() {
        const out: Record<string, string> = {}
        for (const name of ["getter_fail", "getter_die", "proxy_fail", "proxy_die", "proxy_throw"]) {
          const { id } = yield* Tasks.submit(name, {}, { maxRetries: 0 })
          const result = yield* Tasks.waitForResult(id, { timeout: "5 seconds" })
          assert.strictEqual(result.status, "failed", name)
          out[name] = result.error ?? ""
        }
        return out
      }).pipe(Effect.provide(Worker.layer({ handlers, reaper: false, scheduler: false }).pipe(Layer.provideMerge(live))))
      for (const [name, error] of Object.entries(errors)) {
        assert.notStrictEqual(error, "interrupted", `${name}: ${error}`)
        assert.notStrictEqual(error, "", name)
      }
      assert.include(errors.getter_fail, "Hostile")
      assert.include(errors.getter_fail, "getter exploded")
      assert.match(errors.getter_die!, /^PANIC: /)
      assert.include(errors.proxy_fail, "a thrown object")
      assert.match(errors.proxy_die!, /^PANIC: a thrown object/)
      assert.match(errors.proxy_throw!, /^PANIC: a thrown object/)
    }))
})
