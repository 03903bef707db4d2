import { assert, describe, it } from "@effect/vitest"
import { Keyspace } from "../../src/layers/memory/internal/Keyspace.ts"

describe("memory Keyspace: active expiry", () => {
  it("drops expired keys that nothing reads, within max(1000, keys) operations", () => {
    const store = new Keyspace()
    store.tick(0)
    for (let i = 0; i < 500; i++) store.set(`result:${i}`, "x", 1_000)
    store.set("job:kept", "y")
    assert.strictEqual(store.size, 501)
    store.tick(2_000) // all 500 expired, none read
    assert.strictEqual(store.size, 501, "expiry is lazy between sweeps")
    for (let i = 0; i < 1_000; i++) store.tick(2_000)
    assert.strictEqual(store.size, 1)
    assert.strictEqual(store.get("job:kept"), "y")
  })
})
