/**
 * Fault suite: a TCP proxy between the SDK and Redis cuts the connection
 * right after a command reached Redis and ran (its reply is dropped), under
 * load — three times per test, for each kind of command:
 *
 * - **submit**: the enqueue script call of a submission (the client does not
 *   know whether the job was written; ioredis resends it, the plan finds it
 *   applied);
 * - **dequeue**: the worker's `takeJobs` script call (Redis moved jobs into
 *   processing under this worker's lease; the worker never got them). They
 *   come back without counting an attempt: the test bounds their recovery
 *   by the lease it configures (2 s, with a 2 s reclaim interval);
 * - **finish**: the completion script call of a job (the outcome was written;
 *   the worker does not know).
 *
 * The audit: nothing lost, no job run twice, none over its retries, nothing
 * stuck; for the dequeue cut, the recovery time of the jobs whose reply was
 * dropped is recorded and bounded.
 */
import { assert, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Bananas from "../../src/Bananas.ts"
import type { Script } from "../../src/layers/redis/Script.ts"
import * as Scripts from "../../src/layers/redis/Scripts.ts"
import * as Worker from "../../src/worker/Worker.ts"
import { auditFaults, failures, record } from "../support/FaultAudit.ts"
import { uniquePrefix } from "../support/RedisServer.ts"
import { privateRedis } from "./support/Servers.ts"
import { type CommandMatch, type CutEvent, startTcpProxy } from "../support/TcpProxy.ts"
import { allFinished, expectOf, makeRunLog, makeSubmissions, quiet, submitLoop, workHandlers } from "./support/Load.ts"

const leaseMs = 2_000
const isScript = (script: Script) => (c: { readonly name: string; readonly args: ReadonlyArray<string> }) =>
  c.name === "EVALSHA" && c.args[0] === script.sha

const kinds: ReadonlyArray<{ readonly kind: "submit" | "dequeue" | "finish"; readonly match: CommandMatch }> = [
  { kind: "submit", match: (c) => isScript(Scripts.applyPlans)(c) && c.raw.includes(`"status":"pending"`, 0, "latin1") && c.raw.includes(`"attempts":0,`, 0, "latin1") },
  { kind: "dequeue", match: isScript(Scripts.takeJobs) },
  { kind: "finish", match: (c) => isScript(Scripts.applyPlans)(c) && c.raw.includes(`"status":"completed"`, 0, "latin1") }
]

for (const { kind, match } of kinds) {
  it.live(`a connection cut after a ${kind} reached Redis (3 times, under load): nothing lost, nothing run twice, nothing stuck`, () =>
    Effect.gen(function*() {
      const { server, raw } = yield* privateRedis
      const proxy = yield* Effect.acquireRelease(Effect.promise(() => startTcpProxy({ targetPort: server.port })), (p) => Effect.promise(() => p.close()))

      const prefix = uniquePrefix(`cut-${kind}`)
      const label = `c${kind}`
      const backend = Bananas.layerRedis({ url: proxy.url, prefix })
      const log = makeRunLog()
      const submissions = makeSubmissions()
      const started = Date.now()
      let stop = false
      const cuts: Array<{ readonly at: number; readonly event: CutEvent }> = []
      const pattern = new RegExp(`${label}-\\d+`)

      yield* Effect.gen(function*() {
        // Dequeue: jobs slower than submits, so that a backlog builds and the cut takes catch jobs.
        const submitter = yield* Effect.forkChild(submitLoop(label, submissions, () => stop, { pauseMs: 5, ms: kind === "dequeue" ? 30 : 5 }))
        const withJobs = (event: CutEvent) => kind !== "dequeue" || pattern.test(event.droppedReply.toString("latin1"))
        for (let tries = 0; cuts.filter((c) => withJobs(c.event)).length < 3 && tries < 20; tries++) {
          yield* Effect.sleep(kind === "dequeue" ? "150 millis" : "400 millis")
          const event = yield* Effect.promise(() => proxy.cutAfterNextCommand(match)).pipe(Effect.timeout("5 seconds"))
          cuts.push({ at: Date.now(), event })
        }
        yield* Effect.sleep("400 millis")
        stop = true
        yield* Fiber.join(submitter)
        yield* allFinished(raw, prefix, submissions)
      }).pipe(Effect.provide(
        Worker.layer({
          handlers: workHandlers(log, "w1"),
          workerId: "w1",
          // dequeue: fewer slots than submits need, so that takes find a backlog
          concurrency: kind === "dequeue" ? 2 : 4,
          leaseDuration: `${leaseMs} millis`,
          reclaimInterval: `${leaseMs} millis`,
          reaperInterval: "500 millis",
          schedulerInterval: "200 millis"
        }).pipe(Layer.provideMerge(backend))
      ))

      // The jobs whose dequeue reply was dropped: how long until each ran to its end.
      const recoveries = cuts.flatMap(({ at, event }) =>
        [...new Set(event.droppedReply.toString("latin1").match(new RegExp(pattern, "g")) ?? [])].map((id) => {
          const ok = log.entries.find((e) => e.id === id && e.event !== "start" && e.at >= at)
          return ok === undefined ? Number.POSITIVE_INFINITY : ok.at - at
        }))
      const report = yield* Effect.promise(() =>
        auditFaults(
          { fault: `proxy-cut-after-${kind}`, redis: raw, prefix, ...submissions, runs: log.entries, expect: expectOf },
          {
            cuts: cuts.length,
            discardedCommands: cuts.reduce((n, c) => n + c.event.discardedCommands, 0),
            ...(kind === "dequeue"
              ? { jobsInDroppedReplies: recoveries.length, recoveryMsMax: recoveries.length === 0 ? 0 : Math.max(...recoveries), leaseMs }
              : {}),
            submitErrors: submissions.errors,
            durationMs: Date.now() - started
          }
        )
      )
      record(report.figures)
      assert.strictEqual(failures(report), "")
      assert.strictEqual(report.figures.duplicated, 0)
      if (kind !== "dequeue") assert.strictEqual(cuts.length, 3)
      if (kind === "dequeue") {
        assert.isAtLeast(recoveries.length, 3, "the cuts dropped replies that carried jobs")
        // Given back within the reclaim interval (= the lease), plus a dequeue and the run.
        for (const ms of recoveries) assert.isBelow(ms, 2 * leaseMs + 1_000, "a job whose dequeue reply was lost ran within the bound")
      }
    }).pipe(quiet), { timeout: 45_000 })
}
