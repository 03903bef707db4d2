/**
 * The short soak (the full one is `npm run soak`, bench/soak.ts): 12 s of
 * steady submit-and-wait (8 loops, 400 calls/s) plus fire-and-forget submits
 * (100/s) on a private Redis, results and finished jobs expiring after 2 s.
 * After the warm-up, the process's RSS and heap, Redis `used_memory`,
 * `DBSIZE` and the active channels must level off (last third within a
 * tolerance of the middle third), connections and subscriptions must not
 * climb, and once the load stops and the TTL passes nothing is left: no key,
 * no channel, no subscription. And the SDK logs no warning meanwhile.
 */
import { assert, describe, it } from "@effect/vitest"
import { runSoak } from "../../bench/soak.ts"

describe("soak (short)", () => {
  it("12 s of steady load: memory, keys, channels and connections level off; nothing is left after the TTL", async () => {
    const report = await runSoak({ durationMillis: 12_000, rpc: 8, rpcRate: 400, submitRate: 100, ttlSeconds: 2, sampleMillis: 500 })
    const why = JSON.stringify(report.levels)
    assert.isAbove(report.rpcCalls, 3_000, "the load ran")
    for (const [figure, level] of Object.entries(report.levels)) assert.isTrue(level.flat, `${figure} did not level off: ${why}`)
    assert.isAtMost(report.levels.connections!.peak, 2, "one command and one pub/sub connection")
    assert.deepStrictEqual(report.firstWarnings, [], "a steady load on a healthy Redis logs no warning")
    assert.deepStrictEqual(report.after, { dbsize: 0, channels: 0, subscriptions: 0 }, "everything expired or was unsubscribed")
  }, 40_000)
})
