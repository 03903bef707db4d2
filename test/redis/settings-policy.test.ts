/**
 * The Redis settings check on a private redis-server: a client (and a
 * worker's client) on a Redis with `maxmemory-policy allkeys-lru` logs one
 * loud warning saying what to set; `strict` refuses to start with a
 * `ValidationError` naming the setting; `noeviction` is silent; a Redis
 * that refuses `CONFIG` (an ACL user without it) is noted once at info
 * level and the client works.
 */
import { assert, layer } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Bananas from "../../src/Bananas.ts"
import * as BananasRedis from "../../src/layers/redis/BananasRedis.ts"
import * as Tasks from "../../src/Tasks.ts"
import * as Handlers from "../../src/worker/HandlerRegistry.ts"
import * as Worker from "../../src/worker/Worker.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"

interface Line {
  readonly level: string
  readonly message: string
}

/** A logger keeping every line, and the lines that mention the policy. */
const capture = () => {
  const lines: Array<Line> = []
  const logger = Logger.make((options) => {
    const message = Array.isArray(options.message) ? options.message.map(String).join(" ") : String(options.message)
    lines.push({ level: options.logLevel, message })
  })
  return { lines, policy: () => lines.filter((l) => l.message.includes("maxmemory-policy")), layer: Logger.layer([logger]) }
}

const setPolicy = (policy: string) => Effect.flatMap(RedisServer, (s) => Effect.promise(() => s.raw.config("SET", "maxmemory-policy", policy)))

layer(RedisServer.layer, { timeout: 30_000, excludeTestServices: true })("Redis settings: maxmemory-policy", (it) => {
  it.effect("allkeys-lru: one loud warning per client (a producer and a worker), saying what to set", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      yield* setPolicy("allkeys-lru")
      const logs = capture()
      const prefix = uniquePrefix("pol")
      yield* Effect.gen(function*() {
        yield* Tasks.submit("x", {})
        yield* Tasks.submit("x", {})
      }).pipe(Effect.provide(Bananas.layerRedis({ url: server.url, prefix })), Effect.provide(logs.layer))
      assert.strictEqual(logs.policy().length, 1, "once for the client, not per operation")
      const [warning] = logs.policy()
      assert.strictEqual(warning!.level, "Warn")
      assert.include(warning!.message, "allkeys-lru")
      assert.include(warning!.message, "CONFIG SET maxmemory-policy noeviction")
      // A worker's client warns too, once.
      const workerLogs = capture()
      yield* Effect.scoped(Layer.build(
        Worker.layer({ handlers: Handlers.empty.pipe(Handlers.addRaw("x", () => Effect.void)), reaper: false, scheduler: false }).pipe(
          Layer.provideMerge(Bananas.layerRedis({ url: server.url, prefix }))
        )
      )).pipe(Effect.provide(workerLogs.layer))
      assert.strictEqual(workerLogs.policy().length, 1)
      yield* setPolicy("noeviction")
    }))

  it.effect("strict refuses to start with a ValidationError naming maxmemory-policy (also from BANANAS_REDIS_STRICT)", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      yield* setPolicy("volatile-lru")
      const error = yield* Effect.flip(Layer.build(BananasRedis.layer({ url: server.url, strict: true })).pipe(Effect.scoped))
      assert.strictEqual(error._tag, "ValidationError")
      assert.strictEqual(error._tag === "ValidationError" && error.field, "maxmemory-policy")
      assert.include(error.message, "volatile-lru")
      assert.include(error.message, "noeviction")
      const fromEnv = yield* Effect.flip(Layer.build(BananasRedis.layerConfig()).pipe(
        Effect.scoped,
        Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ REDIS_URL: server.url, BANANAS_REDIS_STRICT: "true" })))
      ))
      assert.strictEqual(fromEnv._tag, "ValidationError")
      yield* setPolicy("noeviction")
    }))

  it.effect("noeviction: silent", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      yield* setPolicy("noeviction")
      const logs = capture()
      yield* Tasks.submit("x", {}).pipe(
        Effect.provide(Bananas.layerRedis({ url: server.url, prefix: uniquePrefix("ok"), strict: true })),
        Effect.provide(logs.layer)
      )
      assert.deepStrictEqual(logs.policy(), [])
    }))

  it.effect("a Redis that refuses CONFIG: noted once at info level, and the client works", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      yield* setPolicy("allkeys-lru")
      yield* Effect.promise(() => server.raw.call("ACL", "SETUSER", "noconfig", "on", ">secret", "~*", "&*", "+@all", "-config"))
      const logs = capture()
      const url = server.url.replace("redis://", "redis://noconfig:secret@")
      yield* Tasks.submit("x", {}).pipe(
        Effect.provide(Bananas.layerRedis({ url, prefix: uniquePrefix("acl"), strict: true })),
        Effect.provide(logs.layer)
      )
      const noted = logs.policy()
      assert.strictEqual(noted.length, 1)
      assert.strictEqual(noted[0]!.level, "Info")
      assert.include(noted[0]!.message, "cannot read maxmemory-policy")
      yield* setPolicy("noeviction")
    }))
})
