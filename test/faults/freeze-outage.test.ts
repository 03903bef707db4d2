/**
 * Fault suite: Redis frozen, then unreachable, under load.
 *
 * - **Freeze**: the redis-server process is stopped with SIGSTOP (it keeps
 *   its connections but answers nothing) and resumed with SIGCONT.
 * - **Outage**: the TCP proxy between the SDK and Redis drops every
 *   connection and refuses new ones (a network partition: Redis keeps its
 *   data), then accepts again.
 *
 * A client keeps submitting (each submit bounded to 2 s, not retried: a
 * failed one counts as unacknowledged) and an in-process worker keeps
 * processing, through the proxy. Leases (20 s) outlast both faults, so no
 * job may run twice. While each fault lasts the process must not spin: its
 * CPU use is measured and must stay low (no busy loop of reconnects or
 * dequeues). The audit ends it; resume times are the first acknowledged
 * submit after each fault ends. Default: 2.5 s freeze and 3 s outage;
 * `BANANAS_LONG_FAULTS=1`: 5 s and 10 s.
 */
import { assert, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Bananas from "../../src/Bananas.ts"
import * as Worker from "../../src/worker/Worker.ts"
import { auditFaults, failures, record } from "../support/FaultAudit.ts"
import { startRedisServer } from "../support/RedisServer.ts"
import { uniquePrefix } from "../support/RedisServer.ts"
import { rawClient } from "./support/Servers.ts"
import { startTcpProxy } from "../support/TcpProxy.ts"
import { allFinished, cpuDuring, expectOf, long, makeRunLog, makeSubmissions, quiet, resumedAfter, submitLoop, workHandlers } from "./support/Load.ts"

const freezeMs = long ? 5_000 : 2_500
const outageMs = long ? 10_000 : 3_000

it.live(`Redis frozen ${freezeMs / 1000} s (SIGSTOP) and unreachable ${outageMs / 1000} s under load: no busy loop, nothing lost, nothing run twice`, () =>
  Effect.gen(function*() {
    const server = yield* Effect.acquireRelease(Effect.promise(() => startRedisServer()), (s) =>
      Effect.promise(async () => {
        s.child.kill("SIGCONT")
        await s.stop()
      }))
    const proxy = yield* Effect.acquireRelease(Effect.promise(() => startTcpProxy({ targetPort: server.port })), (p) => Effect.promise(() => p.close()))
    const raw = yield* rawClient({ port: server.port, host: "127.0.0.1", maxRetriesPerRequest: null })

    const prefix = uniquePrefix("freeze")
    const backend = Bananas.layerRedis({ url: proxy.url, prefix })
    const log = makeRunLog()
    const submissions = makeSubmissions()
    const started = Date.now()
    let stop = false

    const figures = yield* Effect.gen(function*() {
      const submitter = yield* Effect.forkChild(submitLoop("f", submissions, () => stop))
      yield* Effect.sleep("500 millis")
      // Freeze.
      const frozen = yield* cpuDuring(Effect.gen(function*() {
        server.child.kill("SIGSTOP")
        yield* Effect.sleep(`${freezeMs} millis`)
        server.child.kill("SIGCONT")
      }))
      const thawed = Date.now()
      yield* Effect.sleep("1 second")
      const resumeAfterFreeze = resumedAfter(submissions, thawed)
      // Outage.
      const down = yield* cpuDuring(Effect.gen(function*() {
        yield* Effect.promise(() => proxy.refuse(true))
        proxy.dropAll()
        yield* Effect.sleep(`${outageMs} millis`)
        yield* Effect.promise(() => proxy.refuse(false))
      }))
      const back = Date.now()
      yield* Effect.sleep("2500 millis")
      const resumeAfterOutage = resumedAfter(submissions, back)
      stop = true
      yield* Fiber.join(submitter)
      yield* allFinished(raw, prefix, submissions)
      return { cpuFrozen: frozen.cpu, cpuDown: down.cpu, resumeAfterFreeze, resumeAfterOutage }
    }).pipe(Effect.provide(
      Worker.layer({
        handlers: workHandlers(log, "w1"),
        workerId: "w1",
        concurrency: 8,
        leaseDuration: "20 seconds",
        reclaimInterval: "1 second",
        reaperInterval: "500 millis",
        schedulerInterval: "200 millis"
      }).pipe(Layer.provideMerge(backend))
    ))

    const report = yield* Effect.promise(() =>
      auditFaults(
        { fault: "redis-freeze-and-outage", redis: raw, prefix, ...submissions, runs: log.entries, expect: expectOf },
        {
          freezeMs,
          outageMs,
          resumeMsAfterFreeze: figures.resumeAfterFreeze,
          resumeMsAfterOutage: figures.resumeAfterOutage,
          cpuWhileFrozen: Number(figures.cpuFrozen.toFixed(3)),
          cpuWhileDown: Number(figures.cpuDown.toFixed(3)),
          submitErrors: submissions.errors,
          durationMs: Date.now() - started
        }
      )
    )
    record(report.figures)
    assert.strictEqual(failures(report), "")
    assert.strictEqual(report.figures.duplicated, 0)
    assert.isDefined(figures.resumeAfterFreeze, "submits resumed after the freeze")
    assert.isDefined(figures.resumeAfterOutage, "submits resumed after the outage")
    assert.isBelow(figures.resumeAfterFreeze!, 1_000)
    assert.isBelow(figures.resumeAfterOutage!, 2_500, "reconnected within ioredis's backoff cap (2 s)")
    // A busy loop would use most of a core; waiting on timers uses a few percent.
    assert.isBelow(figures.cpuFrozen, 0.25, "no busy loop while Redis is frozen")
    assert.isBelow(figures.cpuDown, 0.25, "no busy loop while Redis is unreachable")
  }).pipe(quiet), { timeout: long ? 90_000 : 45_000 })
