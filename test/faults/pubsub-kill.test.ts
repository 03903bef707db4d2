/**
 * Fault suite: the pub/sub connection killed under many waits.
 *
 * One client submits 1,000 jobs (10% planned to fail for good after two
 * runs) and waits for every result at once — all on its one shared pub/sub
 * connection — while a worker (its own client) runs them. Meanwhile
 * `CLIENT KILL TYPE pubsub` drops every pub/sub connection of the server
 * (the waiter's and the worker's wake-up channel) 10 times, a few hundred ms
 * apart. Every wait must end with the job's final result (completed, or
 * failed once dead-lettered — never the failed attempt that is retried),
 * none by its timeout; how long after its job finished each wait ended is
 * recorded (the reconnect re-subscribes and re-checks every wait).
 * The audit ends it. `BANANAS_LONG_FAULTS=1`: 5,000 waits, 30 kills.
 */
import { assert, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Bananas from "../../src/Bananas.ts"
import * as Tasks from "../../src/Tasks.ts"
import * as Worker from "../../src/worker/Worker.ts"
import { auditFaults, failures, record, settle } from "../support/FaultAudit.ts"
import { uniquePrefix } from "../support/RedisServer.ts"
import { between, random } from "../support/Seed.ts"
import { privateRedis } from "./support/Servers.ts"
import { expectOf, isPlannedDead, long, makeRunLog, quiet, type Work, workHandlers } from "./support/Load.ts"

const WAITS = long ? 5_000 : 1_000
const KILLS = long ? 30 : 10
/** When to kill the subscriptions: drawn from the run's seed (BANANAS_TEST_SEED replays them). */
const draw = random("faults/pubsub-kill")

it.live(`${KILLS} pub/sub connection kills under ${WAITS} concurrent waits: every wait ends with its final result`, () =>
  Effect.gen(function*() {
    const { server, raw } = yield* privateRedis
    const prefix = uniquePrefix("pubsub")
    const log = makeRunLog()
    const started = Date.now()
    const ids = Array.from({ length: WAITS }, (_, i) => `p-${i}`)
    const resolvedAt = new Map<string, number>()
    let killed = 0

    const outcomes = yield* Effect.gen(function*() {
      yield* Effect.forEach(ids, (id) => {
        const fail = isPlannedDead(id)
        return Tasks.submit("work", { fail, ms: 30 } satisfies Work, { id, maxRetries: fail ? 2 : 5, retry: Schedule.recurs(0) })
      }, { concurrency: 100, discard: true })
      const waits = yield* Effect.forEach(ids, (id) =>
        Effect.forkChild(Tasks.waitForResult(id, { timeout: "40 seconds" }).pipe(
          Effect.tap(() => Effect.sync(() => resolvedAt.set(id, Date.now()))),
          Effect.result
        )))
      yield* Effect.sleep("300 millis")
      return yield* Effect.gen(function*() {
        for (let i = 0; i < KILLS; i++) {
          yield* Effect.sleep(`${between(draw, 200, 400)} millis`)
          // Kill only once the subscriber is back from the previous kill (up to 3 s), so each kill cuts a live one.
          for (let waited = 0; waited < 3_000; waited += 20) {
            const listed = (yield* Effect.promise(() => raw.call("CLIENT", "LIST", "TYPE", "pubsub"))) as string
            if (listed.trim() !== "") break
            yield* Effect.sleep("20 millis")
          }
          killed += (yield* Effect.promise(() => raw.call("CLIENT", "KILL", "TYPE", "pubsub"))) as number
        }
        return yield* Fiber.joinAll(waits)
      }).pipe(Effect.provide(
        Worker.layer({ handlers: workHandlers(log, "w1"), workerId: "w1", concurrency: 10, schedulerInterval: "200 millis" }).pipe(
          Layer.provide(Bananas.layerRedis({ url: server.url, prefix }))
        )
      ))
    }).pipe(Effect.provide(Bananas.layerRedis({ url: server.url, prefix })))
    assert.isTrue(yield* Effect.promise(() => settle(raw, prefix, ids, 10_000)), "every job finished")

    // How long after its job's last run each wait ended.
    const lastRun = new Map<string, number>()
    for (const e of log.entries) if (e.event !== "start") lastRun.set(e.id, e.at)
    const lags = ids.map((id) => (resolvedAt.get(id) ?? Number.POSITIVE_INFINITY) - (lastRun.get(id) ?? 0)).sort((a, b) => a - b)
    const wrong = outcomes.filter((o, i) => o._tag !== "Success" || o.success.status !== expectOf(ids[i]!).replace("dead", "failed"))
    const report = yield* Effect.promise(() =>
      auditFaults(
        { fault: "pubsub-connection-killed", redis: raw, prefix, acknowledged: ids, unacknowledged: [], runs: log.entries, expect: expectOf },
        {
          waits: WAITS,
          kills: KILLS,
          connectionsKilled: killed,
          waitsEndedWrong: wrong.length,
          waitLagMsP50: lags[Math.floor(lags.length / 2)],
          waitLagMsP99: lags[Math.floor(lags.length * 0.99)],
          waitLagMsMax: lags[lags.length - 1],
          durationMs: Date.now() - started
        }
      )
    )
    record(report.figures)
    assert.strictEqual(failures(report), "")
    assert.strictEqual(wrong.length, 0, "every wait ended with its final result")
    assert.isAtLeast(killed, KILLS, "each kill dropped at least one pub/sub connection")
    // The fallback re-check is 5 s away: a lag under it means the reconnect re-checked at once.
    assert.isBelow(lags[lags.length - 1]!, 4_000)
  }).pipe(quiet), { timeout: long ? 120_000 : 45_000 })
