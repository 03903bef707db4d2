import { assert, describe, it, layer } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type { RawJson } from "../../src/domain/RawJson.ts"
import * as Wire from "../../src/protocol/Wire.ts"
import { ResultBackend } from "../../src/services/ResultBackend.ts"
import { RedisServer } from "../support/RedisServer.ts"
import { client, cmd, keys, ts } from "./support.ts"

describe("Wire.wholeSeconds", () => {
  it("rounds up to whole seconds, never below 1, and caps an infinite TTL", () => {
    assert.strictEqual(Wire.wholeSeconds(Duration.millis(1)), 1)
    assert.strictEqual(Wire.wholeSeconds(Duration.millis(1500)), 2)
    assert.strictEqual(Wire.wholeSeconds(Duration.hours(1)), 3600)
    assert.strictEqual(Wire.wholeSeconds(Duration.infinity), 2 ** 31 - 1)
  })
})

describe("result TTLs on Redis", () => {
  layer(RedisServer.layer, { excludeTestServices: true })((it) => {
    it.effect("an infinite success TTL stores the result (capped TTL) instead of failing on EXPIRE", () =>
      Effect.gen(function*() {
        const rb = yield* ResultBackend
        const k = yield* keys
        yield* rb.store({ jobId: "forever", status: "completed", result: "1" as RawJson, completedAt: ts("2025-01-15T10:30:09Z"), durationMs: 1 })
        const ttl = yield* cmd((r) => r.ttl(k.result("forever")))
        assert.isAbove(ttl, 86400 * 365)
      }).pipe(Effect.provide(client({ successTtl: Duration.infinity }))))
  })
})
