/**
 * Scale: 10,000 concurrent result waits on one client share one pub/sub
 * connection (at most 2 connections for the client, checked in `CLIENT
 * LIST`) and every one resolves with its own result, woken by its
 * notification (the fallback re-check is a minute away, so a lost wake-up
 * would time out).
 */
import { assert, describe, layer } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { ResultBackend } from "../../src/services/ResultBackend.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"
import { client, cmd, connectionsNamed, eventually, keys } from "./support.ts"

const N = 10_000

describe("scale", () => {
  layer(RedisServer.layer, { excludeTestServices: true })((it) => {
    it.effect(`${N} concurrent waits on one client: at most 2 connections, every wait gets its own result`, () =>
      Effect.gen(function*() {
        const rb = yield* ResultBackend
        const k = yield* keys
        const name = "scale-client"
        assert.strictEqual((yield* connectionsNamed(name)).length, 1) // no wait yet: only the command connection
        const ids = Array.from({ length: N }, (_, i) => `job-${i}`)
        const fibers = yield* Effect.forEach(ids, (id) => Effect.forkChild(rb.wait(id, Duration.seconds(30))))

        // Every channel subscribed (on the server) before any result exists.
        yield* eventually(
          "all channels subscribed",
          Effect.map(cmd((r) => r.pubsub("NUMSUB", k.notify(ids[0]!), k.notify(ids[N - 1]!))), (reply) => {
            const counts = reply as Array<unknown>
            return Number(counts[1]) === 1 && Number(counts[3]) === 1
          }),
          20_000
        )
        yield* eventually(
          "all channels subscribed",
          Effect.map(cmd((r) => r.pubsub("CHANNELS", `${k.prefix}result:notify:*`)), (chs) => (chs as Array<string>).length === N),
          20_000
        )
        const connections = yield* connectionsNamed(name)
        assert.isAtMost(connections.length, 2, connections.join("\n"))

        // A responder (another connection) writes each result and publishes, as a Go worker does.
        yield* cmd(async (r) => {
          for (let i = 0; i < N; i += 1000) {
            const p = r.pipeline()
            for (const id of ids.slice(i, i + 1000)) {
              p.hset(k.result(id), "status", "completed", "completed_at", "2025-01-15T10:30:09Z", "duration_ms", "1", "result", `"${id}"`)
              p.expire(k.result(id), 3600)
              p.publish(k.notify(id), "ready")
            }
            await p.exec()
          }
        })
        const results = yield* Fiber.joinAll(fibers)
        results.forEach((result, i) => {
          if (result.result !== `"job-${i}"`) assert.fail(`wait ${i} got ${JSON.stringify(result)}`)
        })
        assert.isAtMost((yield* connectionsNamed(name)).length, 2)
        yield* eventually(
          "all channels released",
          Effect.map(cmd((r) => r.pubsub("CHANNELS", `${k.prefix}result:notify:*`)), (chs) => (chs as Array<string>).length === 0),
          10_000
        )
      }).pipe(Effect.provide(client({ connectionName: "scale-client", prefix: uniquePrefix("scale"), waitPollInterval: Duration.minutes(1) }))), 60_000)
  })
})
