/**
 * The core SDK's acceptance at scale: 10,000 concurrent `submitAndWait`
 * calls on ONE client, answered by a worker (a responder on its own
 * connections), all complete with their own result; the client never has
 * more than 2 Redis connections open (sampled in `CLIENT LIST` throughout
 * the run); and no wake-up is lost (the waits' fallback re-check is a
 * minute away, so a lost notification would show as a timeout).
 */
import { assert, describe, layer } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as References from "effect/References"
import * as Bananas from "../../src/Bananas.ts"
import * as Tasks from "../../src/Tasks.ts"
import * as Handlers from "../../src/worker/HandlerRegistry.ts"
import * as Worker from "../../src/worker/Worker.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"
import { connectionsNamed } from "./support.ts"

const N = 10_000
const clientName = "rpc-scale-client"
const prefix = uniquePrefix("rpc")

describe("RPC at scale", () => {
  layer(RedisServer.layer, { excludeTestServices: true })((it) => {
    it.effect(`${N} concurrent submitAndWait on one client: all answered, at most 2 connections, no lost wake-up`, () =>
      Effect.gen(function*() {
        const server = yield* RedisServer
        const handlers = Handlers.empty.pipe(
          Handlers.addRaw("echo", (input) => Effect.succeed({ echoed: JSON.parse(input.payload) as unknown }))
        )
        // The responder: a worker on its own client (its connections carry another name).
        yield* Layer.build(
          Worker.layer({ handlers, concurrency: 50, scheduler: false, reaper: false }).pipe(
            Layer.provide(Bananas.layerRedis({ url: server.url, prefix, connectionName: "rpc-scale-worker" }))
          )
        )

        let maxConnections = 0
        const sampler = yield* Effect.forkChild(Effect.forever(
          connectionsNamed(clientName).pipe(
            Effect.tap((c) => Effect.sync(() => { maxConnections = Math.max(maxConnections, c.length) })),
            Effect.andThen(Effect.sleep("50 millis"))
          )
        ))

        const results = yield* Effect.forEach(
          Array.from({ length: N }, (_, i) => i),
          (i) => Tasks.submitAndWait("echo", { i }, { timeout: "60 seconds" }),
          { concurrency: "unbounded" }
        )
        yield* Fiber.interrupt(sampler)

        results.forEach((result, i) => {
          if (result.status !== "completed" || result.result !== `{"echoed":{"i":${i}}}`) {
            assert.fail(`call ${i} got ${JSON.stringify(result)}`)
          }
        })
        assert.isAtMost(maxConnections, 2, `the client had ${maxConnections} connections open`)
        assert.strictEqual(maxConnections, 2, "the sampler saw the command and the subscriber connection") // not vacuous
      }).pipe(
        Effect.scoped,
        Effect.provide(Layer.unwrap(Effect.map(RedisServer, (server) =>
          Bananas.layerRedis({ url: server.url, connectionName: clientName, prefix, waitPollInterval: Duration.minutes(1) })
        )).pipe(Layer.orDie)),
        Effect.provideService(References.MinimumLogLevel, "Error")
      ), 120_000)
  })
})
