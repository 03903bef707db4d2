import { assert, describe, it } from "@effect/vitest"
import * as RoutingKey from "../../src/domain/RoutingKey.ts"
import * as Keys from "../../src/protocol/Keys.ts"

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
    assert.strictEqual(k.tokens, "bananas:lease:tokens")
    assert.strictEqual(k.held("w-1"), "bananas:worker:w-1")
    assert.strictEqual(k.wake, "bananas:queue:wake")
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
    assert.strictEqual(k.tokens, "{app}:lease:tokens")
    assert.strictEqual(k.held("w-1"), "{app}:worker:w-1")
    assert.strictEqual(k.wake, "{app}:queue:wake")
  })

  it("routes to route:{rk}:queue:{p}, except for no key, \"\" and default", () => {
    const k = Keys.make()
    assert.strictEqual(k.queue("high", "gpu-1"), "bananas:route:gpu-1:queue:high")
    assert.strictEqual(k.queue("normal", "default"), "bananas:queue:normal")
    assert.strictEqual(k.queue("normal", ""), "bananas:queue:normal")
    assert.strictEqual(k.queue("normal", undefined), "bananas:queue:normal")
    for (const key of [undefined, "", "default"]) assert.isTrue(RoutingKey.isUnrouted(key), String(key))
    for (const key of ["gpu", "Default", "default-2"]) assert.isFalse(RoutingKey.isUnrouted(key), key)
  })

  it("accepts Route-Go's routing keys only", () => {
    for (const key of ["default", "gpu", "a_b-C9", "x".repeat(64)]) assert.isTrue(RoutingKey.isRoutingKey(key), key)
    for (const key of ["", "x".repeat(65), "a b", "a:b", "ü", "a.b", "a/b"]) assert.isFalse(RoutingKey.isRoutingKey(key), key)
  })

  it("hashTag finds a Cluster hash tag as Redis computes slots (first {, next }, not empty)", () => {
    assert.strictEqual(Keys.hashTag("{bananas}:"), "bananas")
    assert.strictEqual(Keys.hashTag("app:{q1}:x"), "q1")
    assert.strictEqual(Keys.hashTag("{a}{b}:"), "a")
    assert.isUndefined(Keys.hashTag("bananas:"))
    assert.isUndefined(Keys.hashTag("{}:"))
    assert.isUndefined(Keys.hashTag("{open:"))
    assert.strictEqual(Keys.hashTag("{}{x}:"), undefined) // the first { opens the only candidate: "" is no tag
  })
})
