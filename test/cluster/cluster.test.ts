/**
 * The SDK on a real 3-master Redis Cluster (one cluster for the file):
 *
 * - the prefix rule: `{bananas}:` by default, an explicit prefix without a
 *   hash tag refused with a ValidationError naming `prefix`;
 * - a worker end to end: producers submit (single, batch, submit-and-wait
 *   over pub/sub) while a worker runs them; every job completes exactly once
 *   and the namespace ends empty of work;
 * - every admin operation (stats, list with pagination, dead letters,
 *   requeue, purge, cancel) and pattern subscriptions (the gateway's
 *   `PSUBSCRIBE`), on a prefix whose slot is NOT on the first node;
 * - no CROSSSLOT anywhere: `INFO errorstats` of every node shows none after
 *   all of the above, and every key of the namespace is on one node.
 */
import { assert, layer } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { Cluster, Redis } from "ioredis"
import * as DirectTaskApi from "../../src/layers/DirectTaskApi.ts"
import { RedisPort } from "../../src/layers/redis/RedisPort.ts"
import * as Topology from "../../src/layers/redis/Topology.ts"
import { JobQueue } from "../../src/services/JobQueue.ts"
import * as Tasks from "../../src/Tasks.ts"
import { Worker } from "../../src/worker/index.ts"
import { RedisCluster } from "../support/RedisCluster.ts"
import { bananas, rawCluster, scanAll } from "./support.ts"
import { countingAdd } from "../support/CountingHandlers.ts"

/** The master serving `slot`, from `CLUSTER SLOTS` of any node. */
const ownerPort = async (port: number, slot: number): Promise<number> => {
  const r = new Redis({ port, host: "127.0.0.1", lazyConnect: true })
  await r.connect()
  const ranges = (await r.call("CLUSTER", "SLOTS")) as Array<[number, number, [string, number]]>
  r.disconnect()
  const range = ranges.find(([from, to]) => slot >= from && slot <= to)
  return range![2][1]
}

/** A fresh tagged prefix whose slot is served by another master than `notPort`. */
const prefixAwayFrom = async (notPort: number, firstNodePort: number): Promise<string> => {
  for (;;) {
    const prefix = `{e2e-${crypto.randomUUID().slice(0, 8)}}:`
    if ((await ownerPort(firstNodePort, Topology.slotOf(prefix))) !== notPort) return prefix
  }
}

/** `errorstat_<CODE>:count=<n>` lines of `INFO errorstats`, summed over the nodes. */
const errorCount = async (c: Cluster, code: string): Promise<number> => {
  let total = 0
  for (const node of c.nodes("master")) {
    const info = await node.info("errorstats")
    total += Number(new RegExp(`^errorstat_${code}:count=(\\d+)`, "m").exec(info)?.[1] ?? 0)
  }
  return total
}

layer(RedisCluster.layer, { excludeTestServices: true, timeout: "45 seconds" })("Redis Cluster", (it) => {
  it.effect("the default prefix is {bananas}:, an untagged one is a ValidationError naming prefix", () =>
    Effect.gen(function*() {
      const prefix = yield* Effect.map(JobQueue, (q) => q.protocol.keys.prefix).pipe(Effect.provide(bananas().pipe(Layer.orDie)))
      assert.strictEqual(prefix, "{bananas}:")
      const error = yield* Effect.flip(Effect.provide(Effect.void, bananas({ prefix: "bananas:" })))
      assert.strictEqual(error._tag, "ValidationError")
      if (error._tag !== "ValidationError") return
      assert.strictEqual(error.field, "prefix")
      assert.include(error.message, "hash tag")
      assert.include(error.message, `"{bananas}:"`)
      assert.include(error.message, "Go workers")
      const cluster = yield* RedisCluster
      const both = yield* Effect.flip(Effect.provide(Effect.void, bananas({ url: `redis://127.0.0.1:${cluster.nodes[0]!.port}` })))
      assert.strictEqual(both._tag, "ValidationError")
    }))

  it.effect("a worker runs every job exactly once; admin, pub/sub and patterns work; no CROSSSLOT anywhere", () =>
    Effect.gen(function*() {
      const cluster = yield* RedisCluster
      const raw = yield* rawCluster
      const first = cluster.nodes[0]!.port
      const prefix = yield* Effect.promise(() => prefixAwayFrom(first, first))
      const crossSlotBefore = yield* Effect.promise(() => errorCount(raw, "CROSSSLOT"))

      const { runs, handlers } = countingAdd()
      const backend = DirectTaskApi.layer.pipe(Layer.provideMerge(bananas({ prefix, connectionName: "e2e" })))
      const worker = Worker.layer({ handlers, concurrency: 8 })

      // Pattern subscription, as the gateway's ReadyWatcher makes it.
      const patterned: Array<string> = []
      const port = yield* Effect.provide(Effect.service(RedisPort), backend.pipe(Layer.orDie))
      const sub = port.pubsub()
      yield* Effect.addFinalizer(() => Effect.sync(() => sub.close()))
      sub.onPatternMessage!((channel) => void patterned.push(channel))
      sub.onError(() => undefined)
      sub.connect()
      yield* Effect.promise(() => sub.psubscribe!([`${prefix}result:notify:*`]))

      const summary = yield* Effect.gen(function*() {
        const single = yield* Effect.forEach(
          Array.from({ length: 100 }, (_, i) => i),
          (i) => Tasks.submit("add", { a: i, b: 1 }),
          { concurrency: 100 }
        )
        const batch = yield* Tasks.submitBatch(Array.from({ length: 100 }, (_, i) => ({ name: "add", payload: { a: i, b: 2 } })))
        const waited = yield* Effect.forEach(
          Array.from({ length: 20 }, (_, i) => i),
          (i) => Tasks.submitAndWait("add", { a: i, b: 3 }, { timeout: "10 seconds" }),
          { concurrency: 20 }
        )
        const ids = [...single.map((s) => s.id), ...batch.map((s) => s.id)]
        for (const id of ids) yield* Tasks.waitForResult(id, { timeout: "10 seconds" })
        // No handler: fails for good, dead-lettered.
        const doomed = yield* Tasks.submit("never", {}, { maxRetries: 1 })
        const failed = yield* Tasks.waitForResult(doomed.id, { timeout: "10 seconds" })
        assert.strictEqual(failed.status, "failed")
        return { ids, waited, doomed: doomed.id }
      }).pipe(Effect.provide(worker.pipe(Layer.provideMerge(backend), Layer.orDie)))

      assert.strictEqual(summary.waited.length, 20)
      assert.isTrue(summary.waited.every((r) => r.status === "completed"))
      assert.strictEqual(runs.size, 220, "every job ran")
      assert.isTrue([...runs.values()].every((n) => n === 1), "exactly once")
      for (let i = 0; i < 50 && patterned.length < 220; i++) yield* Effect.sleep("20 millis")
      assert.isAtLeast(patterned.length, 220, "a pattern subscriber on any node hears every result notification")

      // Every admin operation, on the slot's node.
      yield* Effect.gen(function*() {
        const stats = yield* Tasks.stats()
        assert.deepStrictEqual(stats, { queued: { high: 0, normal: 0, low: 0 }, processing: 0, scheduled: 0, dead: 1 })
        const seen = new Set<string>()
        let cursor: string | undefined
        do {
          const page = yield* Tasks.list({ status: "completed", limit: 50, ...(cursor === undefined ? {} : { cursor }) })
          for (const job of page.jobs) seen.add(job.id)
          cursor = page.cursor
        } while (cursor !== undefined)
        assert.strictEqual(seen.size, 220, "list pages through every completed job (SCAN on the slot's node)")
        const pending = yield* Tasks.submit("add", { a: 1, b: 1 }, { priority: "low" })
        const cancelled = yield* Tasks.cancel(pending.id)
        assert.strictEqual(cancelled.error, "cancelled")
        const dead = yield* Tasks.deadLetters()
        assert.deepStrictEqual(dead.jobs.map((j) => j.id), [summary.doomed])
        assert.strictEqual((yield* Tasks.requeueDead(summary.doomed)).status, "pending")
        assert.strictEqual((yield* Tasks.stats()).queued.normal, 1)
        const again = yield* JobQueue.pipe(Effect.flatMap((q) => q.dequeue({ priorities: ["normal"], block: Duration.zero })))
        assert.isTrue(Option.isSome(again) && again.value._tag === "Job" && again.value.job.id === summary.doomed)
        assert.strictEqual(yield* Tasks.purgeDead(), 0)
        const job = yield* Tasks.getJob(summary.ids[0]!)
        assert.strictEqual(job.status, "completed")
        assert.isTrue(Option.isSome(yield* Tasks.getResult(summary.ids[0]!)))
        const live = yield* RedisPort
          // SCRIPT LOAD reaches every master (the gateway's rate limiter loads, then EVALSHAs on its key's slot).
        const sha = yield* Effect.promise(() => live.send("SCRIPT", ["LOAD", "return redis.call('EXISTS', KEYS[1])"]))
        const owners = new Set<number>()
        for (let i = 0; i < 30; i++) {
          const key = `{sha-${i}}:k`
          owners.add(yield* Effect.promise(() => ownerPort(first, Topology.slotOf(key))))
          assert.strictEqual(yield* Effect.promise(() => live.send("EVALSHA", [sha as string, 1, key])), 0, key)
        }
        assert.strictEqual(owners.size, 3, "EVALSHA ran on every master")
      }).pipe(Effect.provide(backend.pipe(Layer.orDie)))

      // The namespace lives on one node, and no node ever answered CROSSSLOT.
      const keys = yield* Effect.promise(() => scanAll(raw, prefix))
      assert.isAbove(keys.length, 0)
      const keyslot = yield* Effect.promise(() => raw.call("CLUSTER", "KEYSLOT", keys[0]!))
      assert.strictEqual(keyslot, Topology.slotOf(prefix), "our CRC16 slot is Redis's")
      const owner = yield* Effect.promise(() => ownerPort(first, Topology.slotOf(prefix)))
      assert.notStrictEqual(owner, first)
      const onOwner = yield* Effect.promise(async () => {
        const node = raw.nodes("master").find((n) => n.options.port === owner)!
        return (await node.dbsize())
      })
      assert.isAtLeast(onOwner, keys.length)
      assert.strictEqual(yield* Effect.promise(() => errorCount(raw, "CROSSSLOT")), crossSlotBefore, "no CROSSSLOT reply")
    }), { timeout: 40_000 })
})
