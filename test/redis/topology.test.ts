/**
 * The topology options, without a server: which of url / cluster / sentinel
 * (and their refusal when mixed or malformed), the prefix rule on a cluster,
 * the environment variables, the slot of a key, and a clear, prompt
 * ConnectionError when no cluster node or no sentinel answers.
 */
import { assert, describe, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as BananasRedis from "../../src/layers/redis/BananasRedis.ts"
import * as Topology from "../../src/layers/redis/Topology.ts"
import { freePort } from "../support/RedisProcess.ts"

const fromEnv = (env: Record<string, string>) =>
  Effect.provideService(
    Effect.gen(function*() {
      return yield* BananasRedis.config
    }),
    ConfigProvider.ConfigProvider,
    ConfigProvider.fromEnv({ env })
  )

describe("Topology", () => {
  it("resolves one of url, cluster and sentinel; refuses two, empty node lists, bad nodes and a missing name", () => {
    assert.deepStrictEqual(Topology.resolve({}), Result.succeed({ _tag: "Standalone" }))
    const cluster = Topology.resolve({ cluster: { nodes: ["10.0.0.1:7000", "redis://h2", { host: "h3", port: 7002 }] } })
    assert.isTrue(Result.isSuccess(cluster))
    if (Result.isSuccess(cluster) && cluster.success._tag === "Cluster") {
      assert.deepStrictEqual(cluster.success.nodes, [{ host: "10.0.0.1", port: 7000 }, { host: "h2", port: 6379 }, { host: "h3", port: 7002 }])
      assert.strictEqual(Topology.describe(cluster.success), "cluster 10.0.0.1:7000,h2:6379,h3:7002")
    }
    const sentinel = Topology.resolve({ sentinel: { sentinels: ["s1", "s2:5000"], name: "mymaster" } })
    assert.isTrue(Result.isSuccess(sentinel) && sentinel.success._tag === "Sentinel" && sentinel.success.sentinels[0]!.port === 26379)
    const field = (r: ReturnType<typeof Topology.resolve>) => (Result.isFailure(r) ? r.failure.field : "ok")
    assert.strictEqual(field(Topology.resolve({ url: "redis://x", cluster: { nodes: ["a"] } })), "cluster")
    assert.strictEqual(field(Topology.resolve({ cluster: { nodes: [] } })), "cluster.nodes")
    assert.strictEqual(field(Topology.resolve({ cluster: { nodes: ["a:notaport"] } })), "cluster.nodes[0]")
    assert.strictEqual(field(Topology.resolve({ cluster: { nodes: [{ host: "a", port: 70000 }] } })), "cluster.nodes[0]")
    assert.strictEqual(field(Topology.resolve({ sentinel: { sentinels: ["a"], name: " " } })), "sentinel.name")
  })

  it("the prefix: Go's on one server, {bananas}: on a cluster, an untagged one refused there", () => {
    assert.deepStrictEqual(Topology.prefixFor(undefined, false), Result.succeed("bananas:"))
    assert.deepStrictEqual(Topology.prefixFor("app:", false), Result.succeed("app:"))
    assert.deepStrictEqual(Topology.prefixFor(undefined, true), Result.succeed("{bananas}:"))
    assert.deepStrictEqual(Topology.prefixFor("{app}:", true), Result.succeed("{app}:"))
    for (const bad of ["app:", "{}app:", "{a*}:"]) {
      const r = Topology.prefixFor(bad, true, "BANANAS_PREFIX")
      assert.isTrue(Result.isFailure(r) && r.failure.field === "BANANAS_PREFIX" && r.failure.message.startsWith("BANANAS_PREFIX "), bad)
    }
    const r = Topology.prefixFor("app:", true)
    assert.isTrue(Result.isFailure(r) && r.failure.message.includes(`"{app}:"`), "suggests a tagged prefix")
  })

  it("slots: the hash tag decides; SCAN is routed by its pattern's tag", () => {
    assert.strictEqual(Topology.slotOf("{user1000}.following"), Topology.slotOf("{user1000}.followers"))
    assert.strictEqual(Topology.slotOf("{bananas}:job:1"), Topology.slotOf("bananas"))
    assert.strictEqual(Topology.slotOf("foo"), 12182) // CLUSTER KEYSLOT foo
    assert.strictEqual(Topology.scanSlot(["0", "MATCH", "{bananas}:job:*", "COUNT", 100]), Topology.slotOf("bananas"))
    assert.strictEqual(Topology.scanSlot(["0", "MATCH", "bananas:job:*"]), undefined)
  })

  it.effect("environment: BANANAS_REDIS_CLUSTER, BANANAS_REDIS_SENTINELS (+ _NAME)", () =>
    Effect.gen(function*() {
      const plain = yield* fromEnv({})
      assert.isUndefined(plain.url)
      assert.isUndefined(plain.cluster)
      assert.isUndefined(plain.sentinel)
      const cluster = yield* fromEnv({ BANANAS_REDIS_CLUSTER: "h1:7000, h2:7001" })
      assert.deepStrictEqual(cluster.cluster, { nodes: ["h1:7000", "h2:7001"] })
      const sentinel = yield* fromEnv({ BANANAS_REDIS_SENTINELS: "s1:26379,s2:26379" })
      assert.deepStrictEqual(sentinel.sentinel, { sentinels: ["s1:26379", "s2:26379"], name: "mymaster" })
      const named = yield* fromEnv({ BANANAS_REDIS_SENTINELS: "s1", BANANAS_REDIS_SENTINEL_NAME: "jobs" })
      assert.strictEqual(named.sentinel?.name, "jobs")
    }))

  it.effect("no node or sentinel answers: a prompt ConnectionError naming the topology", () =>
    Effect.gen(function*() {
      const port = yield* Effect.promise(() => freePort())
      const cluster = yield* Effect.flip(Effect.provide(Effect.void, BananasRedis.layer({ cluster: { nodes: [`127.0.0.1:${port}`] } })))
      assert.strictEqual(cluster._tag, "ConnectionError")
      assert.include(cluster.message, `cluster 127.0.0.1:${port}`)
      const sentinel = yield* Effect.flip(Effect.provide(Effect.void, BananasRedis.layer({ sentinel: { sentinels: [`127.0.0.1:${port}`], name: "m" } })))
      assert.strictEqual(sentinel._tag, "ConnectionError")
      assert.include(sentinel.message, `sentinel master "m" via 127.0.0.1:${port}`)
      assert.include(sentinel.message, "unreachable")
    }).pipe(Effect.timeout("10 seconds")))
})
