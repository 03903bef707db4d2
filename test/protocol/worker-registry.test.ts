/** The worker registry's rules: what a heartbeat and a departure write, and how a registration reads back. */
import { assert, describe, it } from "@effect/vitest"
import type { WorkerInfo } from "../../src/domain/WorkerInfo.ts"
import * as Wire from "../../src/protocol/Wire.ts"
import * as T from "../../src/protocol/WorkerTransitions.ts"

const p = Wire.make({ prefix: "t:" })

const info: WorkerInfo = {
  id: "w1",
  host: "box",
  pid: 42,
  concurrency: 8,
  priorities: ["high", "normal"],
  routingKey: "gpu",
  startedAt: "2026-12-07T10:00:00.000Z",
  beatAt: "2026-12-07T10:00:05.000Z",
  inFlight: 3,
  processed: 1200,
  failed: 7,
  version: "0.2.0"
}

describe("WorkerTransitions", () => {
  it("a heartbeat writes the hash, renews its TTL, scores its expiry and removes the stale ids but its own", () => {
    const plan = T.beat(p, info, 1_000_000, 15_000, ["old1", "w1", "old2"])
    assert.deepStrictEqual(plan.guards, [])
    assert.deepStrictEqual(plan.writes.map((w) => w.op), ["hset", "pexpire", "zadd", "zrem", "zrem"])
    assert.deepStrictEqual(plan.writes[1], { op: "pexpire", key: "t:worker_info:w1", millis: 15_000 })
    assert.deepStrictEqual(plan.writes[2], { op: "zadd", key: "t:worker_registry", score: 1_015_000, member: "w1" })
    assert.deepStrictEqual(plan.writes.slice(3).map((w) => (w as { member: string }).member), ["old1", "old2"])
  })

  it("a worker without a routing key writes no such field (and deletes none: a worker's options never change)", () => {
    const { routingKey: _, ...unrouted } = info
    const plan = T.beat(p, unrouted, 0, 1, [])
    assert.deepStrictEqual(plan.writes.map((w) => w.op), ["hset", "pexpire", "zadd"])
    assert.isFalse(T.encode(unrouted).some(([field]) => field === "routing_key"))
  })

  it("a registration reads back as written; a partial or garbled hash reads as none", () => {
    const hash = Object.fromEntries(T.encode(info))
    assert.deepStrictEqual(T.decode(hash), info)
    const { routingKey: _, ...unrouted } = info
    assert.deepStrictEqual(T.decode(Object.fromEntries(T.encode(unrouted))), unrouted)
    assert.isUndefined(T.decode({}))
    assert.isUndefined(T.decode({ ...hash, pid: "x" }))
    assert.isUndefined(T.decode(Object.fromEntries(Object.entries(hash).filter(([k]) => k !== "beat_at"))))
  })

  it("a departure deletes the hash and its registry entry", () => {
    assert.deepStrictEqual(T.leave(p, "w1").writes, [{ op: "del", key: "t:worker_info:w1" }, { op: "zrem", key: "t:worker_registry", member: "w1" }])
  })
})
