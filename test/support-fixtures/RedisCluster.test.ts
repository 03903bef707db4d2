import { execFileSync } from "node:child_process"
import { readdirSync } from "node:fs"
import { tmpdir } from "node:os"
import { assert, it, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { Cluster, Redis as IORedis } from "ioredis"
import { RedisCluster, startRedisCluster } from "../support/RedisCluster.ts"
import { uniquePrefix } from "../support/RedisServer.ts"

/** An ioredis Cluster client on the fixture, ready, closed with the test's scope. */
const clusterClient = Effect.gen(function*() {
  const { startupNodes } = yield* RedisCluster
  return yield* Effect.acquireRelease(
    Effect.promise(async () => {
      const client = new Cluster(startupNodes.map((n) => ({ ...n })), { lazyConnect: true })
      client.on("error", () => {})
      await client.connect()
      return client
    }),
    (client) => Effect.sync(() => client.disconnect())
  )
})

/** A direct (non-cluster) client on one node. */
const nodeClient = (port: number) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const client = new IORedis({ host: "127.0.0.1", port, lazyConnect: true })
      client.on("error", () => {})
      await client.connect()
      return client
    }),
    (client) => Effect.sync(() => client.disconnect())
  )

/** The rejection message of a promise that must fail. */
const failure = (promise: Promise<unknown>) =>
  Effect.promise(() => promise.then((v) => `unexpected success: ${JSON.stringify(v)}`, (e: unknown) => String(e)))

layer(RedisCluster.layer, { excludeTestServices: true, timeout: "45 seconds" })("RedisCluster", (it) => {
  it.effect("3 masters on private loopback ports, all slots covered, each master owning some", () =>
    Effect.gen(function*() {
      const { nodes } = yield* RedisCluster
      assert.strictEqual(nodes.length, 3)
      const ports = nodes.flatMap((n) => [n.port, n.busPort])
      assert.strictEqual(new Set(ports).size, 6)
      assert.notInclude(ports, 6379)
      const first = yield* nodeClient(nodes[0]!.port)
      const lines = String(yield* Effect.promise(() => first.call("CLUSTER", "NODES"))).trim().split("\n")
      assert.strictEqual(lines.length, 3)
      for (const node of nodes) {
        const line = lines.find((l) => l.split(" ")[1]!.startsWith(`127.0.0.1:${node.port}@${node.busPort}`))
        assert.isDefined(line, `node ${node.port} in CLUSTER NODES`)
        assert.include(line!.split(" ")[2], "master")
        assert.isAbove(line!.split(" ").length, 8, "owns at least one slot range")
      }
      const slots = (yield* Effect.promise(() => first.call("CLUSTER", "SLOTS"))) as Array<[number, number, ...Array<unknown>]>
      assert.strictEqual(slots.reduce((sum, [from, to]) => sum + to - from + 1, 0), 16384)
    }))

  it.effect("ioredis Cluster spreads keys over all three masters", () =>
    Effect.gen(function*() {
      const { nodes } = yield* RedisCluster
      const cluster = yield* clusterClient
      const prefix = uniquePrefix("spread")
      const keys = Array.from({ length: 60 }, (_, i) => `${prefix}${i}`)
      for (const key of keys) assert.strictEqual(yield* Effect.promise(() => cluster.set(key, key)), "OK")
      let total = 0
      for (const node of nodes) {
        const direct = yield* nodeClient(node.port)
        const here = yield* Effect.promise(() => direct.keys(`${prefix}*`))
        assert.isAbove(here.length, 0, `node ${node.port} holds some of the keys`)
        total += here.length
      }
      assert.strictEqual(total, keys.length)
      for (const key of keys) assert.strictEqual(yield* Effect.promise(() => cluster.get(key)), key)
    }))

  it.effect("{tag}a and {tag}b share a slot; MULTI and EVAL over both work", () =>
    Effect.gen(function*() {
      const cluster = yield* clusterClient
      const tag = `{${uniquePrefix("tag")}}`
      const [a, b] = [`${tag}a`, `${tag}b`]
      const slotA = yield* Effect.promise(() => cluster.cluster("KEYSLOT", a))
      const slotB = yield* Effect.promise(() => cluster.cluster("KEYSLOT", b))
      assert.strictEqual(slotA, slotB)
      const exec = yield* Effect.promise(() => cluster.multi().set(a, "1").incr(b).get(a).exec())
      assert.deepStrictEqual(exec, [[null, "OK"], [null, 1], [null, "1"]])
      const evaled = yield* Effect.promise(() =>
        cluster.eval("redis.call('SET', KEYS[2], ARGV[1]); return {redis.call('GET', KEYS[1]), redis.call('GET', KEYS[2])}", 2, a, b, "x")
      )
      assert.deepStrictEqual(evaled, ["1", "x"])
    }))

  it.effect("two untagged keys in different slots give CROSSSLOT (MGET and EVAL)", () =>
    Effect.gen(function*() {
      const cluster = yield* clusterClient
      const prefix = uniquePrefix("cross")
      const a = `${prefix}a`
      let b = `${prefix}b`
      const slotA = yield* Effect.promise(() => cluster.cluster("KEYSLOT", a))
      for (let i = 0; (yield* Effect.promise(() => cluster.cluster("KEYSLOT", b))) === slotA; i++) b = `${prefix}b${i}`
      const mget = yield* failure(cluster.mget(a, b))
      assert.include(mget, "CROSSSLOT")
      const evaled = yield* failure(cluster.eval("return redis.call('GET', KEYS[1])", 2, a, b))
      assert.include(evaled, "CROSSSLOT")
    }))
})

/** redis-server processes that are children of this test process. */
const childRedisServers = (): Array<string> => {
  try {
    return execFileSync("pgrep", ["-a", "-P", String(process.pid), "-x", "redis-server"], { encoding: "utf8" }).trim().split("\n")
  } catch {
    return [] // pgrep exits 1 when nothing matches
  }
}
const clusterDirs = () => readdirSync(tmpdir()).filter((d) => d.startsWith("bananas-cluster-")).sort()

it.live("a start that fails (2 masters: redis-cli refuses) kills its nodes and removes its dir", () =>
  Effect.gen(function*() {
    const dirsBefore = clusterDirs()
    const serversBefore = childRedisServers()
    const error = yield* Effect.promise(() => startRedisCluster({ masters: 2, timeoutMs: 15_000 }).then(
      (c) => { void c.stop(); return "unexpected success" },
      (e: unknown) => String(e)
    ))
    assert.include(error, "redis-cli --cluster create")
    assert.deepStrictEqual(childRedisServers(), serversBefore)
    assert.deepStrictEqual(clusterDirs(), dirsBefore)
  }), 20_000)
