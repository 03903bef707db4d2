import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { RedisServer } from "./support/RedisServer.ts"

layer(RedisServer.layer)("RedisServer harness", (it) => {
  it.effect("starts a private redis-server on a loopback port other than 6379", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      assert.notStrictEqual(server.port, 6379)
      const pong = yield* Effect.promise(() => server.raw.ping())
      assert.strictEqual(pong, "PONG")
    }))
})
