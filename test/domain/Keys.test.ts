import { assert, describe, it } from "@effect/vitest"
import * as Keys from "../../src/domain/Keys.ts"

describe("Keys", () => {
  it("uses Go's bananas: prefix by default", () => {
    const k = Keys.make()
    assert.strictEqual(Keys.defaultPrefix, "bananas:")
    assert.strictEqual(k.prefix, "bananas:")
    assert.strictEqual(k.job("J"), "bananas:job:J")
    assert.strictEqual(k.job(""), "bananas:job:") // Go's cron jobs
    assert.strictEqual(k.queue("high"), "bananas:queue:high")
    assert.strictEqual(k.queue("normal"), "bananas:queue:normal")
    assert.strictEqual(k.queue("low"), "bananas:queue:low")
    assert.strictEqual(k.processing, "bananas:queue:processing")
    assert.strictEqual(k.dead, "bananas:queue:dead")
    assert.strictEqual(k.scheduled, "bananas:queue:scheduled")
    assert.strictEqual(k.result("J"), "bananas:result:J")
    assert.strictEqual(k.notify("J"), "bananas:result:notify:J")
    assert.strictEqual(k.leases, "bananas:leases")
  })

  it("puts every key under a custom prefix (e.g. a Cluster hash tag)", () => {
    const k = Keys.make("{app}:")
    assert.strictEqual(k.job("J"), "{app}:job:J")
    assert.strictEqual(k.queue("low"), "{app}:queue:low")
    assert.strictEqual(k.queue("low", "gpu"), "{app}:route:gpu:queue:low")
    assert.strictEqual(k.processing, "{app}:queue:processing")
    assert.strictEqual(k.dead, "{app}:queue:dead")
    assert.strictEqual(k.scheduled, "{app}:queue:scheduled")
    assert.strictEqual(k.result("J"), "{app}:result:J")
    assert.strictEqual(k.notify("J"), "{app}:result:notify:J")
    assert.strictEqual(k.leases, "{app}:leases")
  })

  it("routes to route:{rk}:queue:{p}, except for no key, \"\" and default", () => {
    const k = Keys.make()
    assert.strictEqual(k.queue("high", "gpu-1"), "bananas:route:gpu-1:queue:high")
    assert.strictEqual(k.queue("normal", "default"), "bananas:queue:normal")
    assert.strictEqual(k.queue("normal", ""), "bananas:queue:normal")
    assert.strictEqual(k.queue("normal", undefined), "bananas:queue:normal")
  })

  it("accepts Route-Go's routing keys only", () => {
    for (const key of ["default", "gpu", "a_b-C9", "x".repeat(64)]) assert.isTrue(Keys.isRoutingKey(key), key)
    for (const key of ["", "x".repeat(65), "a b", "a:b", "ü", "a.b", "a/b"]) assert.isFalse(Keys.isRoutingKey(key), key)
  })
})
