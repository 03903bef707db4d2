import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { Redis as IORedis, type RedisOptions as DriverRedisOptions } from "ioredis"
import { RedisSentinel } from "../support/RedisSentinel.ts"
import { uniquePrefix } from "../support/RedisServer.ts"

/** ioredis options without `replyMapping` (ioredis 6 types it `| undefined` in the options but not in its constructors). */
type RedisOptions = Omit<DriverRedisOptions, "replyMapping">

const connected = (options: RedisOptions) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const client = new IORedis({ lazyConnect: true, ...options })
      client.on("error", () => {})
      await client.connect()
      return client
    }),
    (client) => Effect.sync(() => client.disconnect())
  )

const direct = (port: number) => connected({ host: "127.0.0.1", port, retryStrategy: () => null })

/** A promise bounded by `ms`: its value, its error, or "timeout". */
const bounded = <A>(promise: Promise<A>, ms: number) =>
  Promise.race([
    promise.then((value) => ({ _tag: "ok" as const, value }), (e: unknown) => ({ _tag: "error" as const, error: String(e) })),
    new Promise<{ _tag: "timeout" }>((r) => setTimeout(() => r({ _tag: "timeout" }), ms).unref())
  ])

layer(RedisSentinel.layer, { excludeTestServices: true, timeout: "45 seconds" })("RedisSentinel", (it) => {
  it.effect("master + replica + 3 sentinels on private loopback ports, all agreeing on the master", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisSentinel
      const ports = [fixture.masterPort, fixture.replicaPort, ...fixture.sentinels.map((s) => s.port)]
      assert.strictEqual(new Set(ports).size, 5)
      assert.notInclude(ports, 6379)
      assert.strictEqual(yield* fixture.currentMasterPort, fixture.masterPort)
      const replica = yield* direct(fixture.replicaPort)
      const info = yield* Effect.promise(() => replica.info("replication"))
      assert.include(info, "role:slave")
      assert.include(info, `master_port:${fixture.masterPort}`)
    }))

  it.effect("a write through ioredis { sentinels, name } survives a SIGKILLed master: failover, then the same client writes to the promoted replica", () =>
    Effect.gen(function*() {
      const fixture = yield* RedisSentinel
      const client = yield* connected({ sentinels: fixture.sentinels.map((s) => ({ ...s })), name: fixture.name })
      const prefix = uniquePrefix("sentinel")
      assert.strictEqual(yield* Effect.promise(() => client.set(`${prefix}before`, "1")), "OK")
      const master = yield* direct(fixture.masterPort)
      assert.strictEqual(yield* Effect.promise(() => master.get(`${prefix}before`)), "1")
      master.disconnect()
      // the replica has it too before the master dies (WAIT: 1 replica acked)
      assert.strictEqual(yield* Effect.promise(() => client.wait(1, 5_000)), 1)

      let reconnects = 0
      client.on("reconnecting", () => { reconnects++ })
      const killedAt = Date.now()
      const oldPort = yield* fixture.killMaster
      assert.strictEqual(oldPort, fixture.masterPort)
      // issued right away: ioredis must ride through the failover on its own
      const write = bounded(client.set(`${prefix}after`, "2"), 25_000)
      const newPort = yield* fixture.waitForFailover(oldPort, 20_000)
      const failoverMs = Date.now() - killedAt
      const outcome = yield* Effect.promise(() => write)
      const writeMs = Date.now() - killedAt
      console.log(`[RedisSentinel] SIGKILL master ${oldPort} -> sentinels agree on ${newPort} after ${failoverMs} ms; ioredis write issued at the kill: ${JSON.stringify(outcome)} after ${writeMs} ms, ${reconnects} reconnect attempts`)

      assert.strictEqual(newPort, fixture.replicaPort)
      assert.deepStrictEqual(outcome, { _tag: "ok", value: "OK" })
      assert.isBelow(writeMs, 25_000)
      const promoted = yield* direct(newPort)
      assert.include(yield* Effect.promise(() => promoted.info("replication")), "role:master")
      assert.strictEqual(yield* Effect.promise(() => promoted.get(`${prefix}before`)), "1")
      assert.strictEqual(yield* Effect.promise(() => promoted.get(`${prefix}after`)), "2")
      // and the client keeps working on the new master
      assert.strictEqual(yield* Effect.promise(() => client.incr(`${prefix}n`)), 1)
      assert.strictEqual(yield* Effect.promise(() => promoted.get(`${prefix}n`)), "1")
      assert.strictEqual(yield* fixture.currentMasterPort, newPort)
    }), 45_000)
})
