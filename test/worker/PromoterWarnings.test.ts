/**
 * A scheduled record the scheduler cannot promote (a Python SDK's naive
 * `scheduled_for`, data that is gone) is left where it is, as Go leaves it,
 * and reported once per job, not silently skipped nor logged every tick;
 * due jobs beside it are promoted. On memory and on a real Redis.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import type { JobId } from "../../src/domain/JobId.ts"
import * as Promoter from "../../src/worker/Promoter.ts"
import { RedisServer } from "../support/RedisServer.ts"
import { freshMetrics, memory, newJob, Raw, redis, type Services } from "./support/Backend.ts"

const naive = (id: string) =>
  `{"id":"${id}","name":"report","payload":{},"status":"scheduled","priority":"normal","created_at":"2025-01-15T10:30:00.123456","updated_at":"2025-01-15T10:30:00.123456","scheduled_for":"2025-01-15T11:00:00","attempts":0,"max_retries":3}`

const backends: ReadonlyArray<readonly [string, Layer.Layer<Services>]> = [
  ["memory", memory],
  ["Redis", redis.pipe(Layer.provide(RedisServer.layer))]
]

describe("Promoter warnings", () => {
  for (const [name, backend] of backends) {
    it.live(`${name}: logs each unpromotable record once, leaves it in the scheduled set, and promotes the others`, () => {
      const warnings: Array<string> = []
      const logger = Logger.make((options) => {
        if (options.logLevel === "Warn") warnings.push(String(Array.isArray(options.message) ? options.message.join(" ") : options.message))
      })
      return Effect.gen(function*() {
        const raw = yield* Raw
        const python = `py-${crypto.randomUUID().slice(0, 8)}`
        const gone = `gone-${crypto.randomUUID().slice(0, 8)}`
        yield* raw.set(raw.keys.job(python), naive(python))
        yield* raw.zadd(raw.keys.scheduled, 1736938800, python)
        yield* raw.zadd(raw.keys.scheduled, 1736938800, gone) // no data at all
        const due = yield* newJob("due")
        yield* raw.set(raw.keys.job(due.id), naive(due.id).replace(/"\d{4}-[^"]*"/g, `"2025-01-15T10:30:00Z"`))
        yield* raw.zadd(raw.keys.scheduled, 1736937000, due.id)

        const warned = new Set<JobId>()
        const promoted = [yield* Promoter.promoteOnce(warned), yield* Promoter.promoteOnce(warned), yield* Promoter.promoteOnce(warned)]
        assert.deepStrictEqual(promoted, [1, 0, 0])
        assert.deepStrictEqual(yield* raw.lrange(raw.keys.queue("normal")), [due.id])
        assert.sameMembers([...(yield* raw.zmembers(raw.keys.scheduled))], [python, gone], "left where they are, as Go leaves them")

        const about = (id: string) => warnings.filter((w) => w.includes(id))
        assert.strictEqual(about(python).length, 1, warnings.join("\n"))
        assert.strictEqual(about(gone).length, 1, warnings.join("\n"))
        assert.include(about(python)[0]!, `scheduled job ${python} cannot be promoted (left in the scheduled set)`)
        assert.include(about(python)[0]!, "2025-01-15T10:30:00.123456", "the reason names the unreadable time")
      }).pipe(Effect.provide(Logger.layer([logger])), freshMetrics, Effect.provide(backend))
    })
  }
})
