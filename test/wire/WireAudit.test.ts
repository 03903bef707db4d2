/**
 * The wire audit itself (`test/support/WireAudit.ts`, and its CLI
 * `scripts/audit-wire.ts`): it passes what a real workload leaves behind
 * (a worker with successes, retries, dead letters, Go's dead-letter
 * records, scheduled jobs, running leased jobs) and reports each kind of
 * key Go would not accept.
 */
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { assert, describe, layer } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Tasks from "../../src/Tasks.ts"
import * as DirectTaskApi from "../../src/layers/DirectTaskApi.ts"
import * as Handlers from "../../src/worker/HandlerRegistry.ts"
import * as Worker from "../../src/worker/Worker.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"
import * as WireAudit from "../support/WireAudit.ts"
import { client, cmd, eventually, keys } from "../redis/support.ts"

const root = fileURLToPath(new URL("../../", import.meta.url))

/** Runs the CLI; resolves to its exit code and output. */
const cli = (...args: ReadonlyArray<string>) =>
  Effect.callback<{ readonly code: number; readonly stdout: string; readonly stderr: string }>((resume) => {
    execFile(process.execPath, ["scripts/audit-wire.ts", ...args], { cwd: root }, (error, stdout, stderr) => {
      resume(Effect.succeed({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr }))
    })
  })

const audit = (prefix: string) => Effect.flatMap(RedisServer, (server) => Effect.promise(() => WireAudit.audit(server.raw, prefix)))

layer(RedisServer.layer, { excludeTestServices: true })("wire audit", (it) => {
  describe("a real workload", () => {
    it.effect("passes, and the CLI agrees (exit 0, the summary line)", () => {
      const prefix = uniquePrefix("audit-ok")
      return Effect.gen(function*() {
        const k = yield* keys
        // Go's producers may push an id without data: the worker dead-letters it with Go's record.
        yield* cmd((r) => r.lpush(k.queue("high"), "ghost"))
        yield* cmd((r) => r.set(k.job("bad"), `{"id":"bad","attempts":"1"}`))
        yield* cmd((r) => r.lpush(k.queue("normal"), "bad"))
        const handlers = Handlers.empty.pipe(
          Handlers.addRaw("ok", ({ payload }) => Effect.succeed({ echo: payload })),
          Handlers.addRaw("flaky", ({ attempt }) => (attempt < 2 ? Effect.fail("try again") : Effect.succeed(attempt))),
          Handlers.addRaw("doomed", () => Effect.die(new Error("boom"))),
          Handlers.addRaw("slow", () => Effect.never)
        )
        yield* Effect.scoped(Effect.gen(function*() {
          yield* Worker.make({ handlers, concurrency: 4, schedulerInterval: "50 millis", shutdownTimeout: "100 millis" })
          const done = yield* Effect.forEach(
            [["ok", { a: 1 }], ["ok", { html: "<b>" }], ["flaky", null], ["doomed", [1, 2]]] as const,
            ([name, payload]) => Tasks.submit(name, payload, { maxRetries: 2, priority: name === "ok" ? "high" : "low" })
          )
          yield* Tasks.submit("later", { at: "noon" }, { at: Duration.hours(1) })
          yield* Tasks.submit("slow", {})
          // A paused queue (ours): the paused set's members are queue names.
          yield* Tasks.pauseQueue({ priority: "normal", routingKey: "gpu" })
          for (const { id } of done) yield* Tasks.waitForResult(id, { timeout: "20 seconds" })
          yield* eventually("the slow job runs", Effect.map(cmd((r) => r.zcard(k.leases)), (n) => n === 1))
          const report = yield* audit(prefix)
          assert.deepStrictEqual(report.problems, [])
          assert.strictEqual(report.deadLetterRecords, 2)
          assert.strictEqual(report.jobs, 6)
          assert.isAtLeast(report.results, 6)
          const url = (yield* RedisServer).url
          const run = yield* cli(url, prefix)
          assert.strictEqual(run.code, 0, run.stdout + run.stderr)
          assert.include(run.stdout, WireAudit.summary(report))
        }))
      }).pipe(Effect.provide(DirectTaskApi.layer.pipe(Layer.provideMerge(client({ prefix })))))
    }, { timeout: 30_000 })
  })

  describe("shapes Go would not accept", () => {
    const bad: ReadonlyArray<readonly [string, (prefix: string) => Effect.Effect<unknown, never, RedisServer>, string]> = [
      ["field order", (p) => cmd((r) => r.set(`${p}job:a`, `{"name":"x","id":"a","payload":1,"status":"pending","priority":"high","created_at":"2025-01-15T10:30:00Z","updated_at":"2025-01-15T10:30:00Z","attempts":0,"max_retries":3}`)), "job:a: field order name,id,"],
      ["an empty optional field", (p) => cmd((r) => r.set(`${p}job:b`, job("b", { description: "" }))), "job:b: empty description should be omitted"],
      ["a JavaScript timestamp", (p) => cmd((r) => r.set(`${p}job:c`, job("c", { created_at: "2025-01-15T10:30:00.000Z" }))), `job:c: created_at="2025-01-15T10:30:00.000Z" is not Go's RFC3339Nano`],
      ["a naive timestamp", (p) => cmd((r) => r.set(`${p}job:d`, job("d", { updated_at: "2025-01-15T10:30:00.123456" }))), "job:d: updated_at=\"2025-01-15T10:30:00.123456\" is not Go's RFC3339Nano"],
      ["an unknown status", (p) => cmd((r) => r.set(`${p}job:e`, job("e", { status: "done" }))), `job:e: status "done"`],
      ["an unknown priority", (p) => cmd((r) => r.set(`${p}job:f`, job("f", { priority: "urgent" }))), `job:f: priority "urgent"`],
      ["an id other than the key's", (p) => cmd((r) => r.set(`${p}job:g`, job("other"))), `job:g: id field "other" differs from the key`],
      ["a string attempts", (p) => cmd((r) => r.set(`${p}job:h`, job("h").replace(`"attempts":0`, `"attempts":1.5`))), "job:h: attempts=1.5 is not an integer"],
      ["a pending job with a TTL", (p) => cmd((r) => r.set(`${p}job:i`, job("i"), "EX", 100)), "job:i: a pending job with a TTL"],
      ["a completed job without a TTL", (p) => cmd((r) => r.set(`${p}job:j`, job("j", { status: "completed" }))), "job:j: a completed job without a TTL"],
      ["a malformed trace context", (p) => cmd((r) => r.set(`${p}job:k`, job("k").replace(/}$/, `,"trace_context":"nope"}`))), `job:k: trace_context "nope" is not a W3C traceparent`],
      ["a dead-letter record without a TTL", (p) => cmd((r) => r.set(`${p}job:l`, `{"error":"Job data not found (corrupted reference)","id":"l"}`)), "job:l: dead-letter record without a TTL"],
      ["a result with extra fields", (p) => result(p, "r1", { status: "completed", completed_at: "2025-01-15T10:30:09Z", duration_ms: "3", job_id: "r1" }), "result:r1: fields Go does not write: job_id"],
      ["a result time with a fraction", (p) => result(p, "r2", { status: "failed", completed_at: "2025-01-15T10:30:09.5Z", duration_ms: "3", error: "e" }), `result:r2: completed_at "2025-01-15T10:30:09.5Z" is not RFC3339 in whole seconds`],
      ["a fractional duration", (p) => result(p, "r3", { status: "completed", completed_at: "2025-01-15T10:30:09Z", duration_ms: "3.5" }), `result:r3: duration_ms "3.5" is not whole milliseconds`],
      ["a result without a TTL", (p) => cmd((r) => r.hset(`${p}result:r4`, { status: "completed", completed_at: "2025-01-15T10:30:09Z", duration_ms: "1" })), "result:r4: no TTL"],
      ["a score in milliseconds", (p) => cmd((r) => r.zadd(`${p}queue:scheduled`, 1736937007000, "m")), "queue:scheduled: member m has score 1736937007000: milliseconds"],
      ["a score that is not the job's time", (p) => Effect.andThen(cmd((r) => r.set(`${p}job:s`, job("s", { status: "scheduled", scheduled_for: "2025-01-15T10:30:07Z" }))), cmd((r) => r.zadd(`${p}queue:scheduled`, 1736937100, "s"))), "score 1736937100 of s does not match its scheduled_for"],
      ["a queued id without data", (p) => cmd((r) => r.lpush(`${p}queue:low`, "nodata")), "queued id nodata has no job data"],
      ["a lease without a token", (p) => cmd((r) => r.zadd(`${p}leases`, Date.now(), "n")), "leases: lease of n has no token in lease:tokens"],
      ["a malformed token", (p) => Effect.andThen(cmd((r) => r.hset(`${p}lease:tokens`, "t", "notoken")), cmd((r) => r.zadd(`${p}leases`, Date.now(), "t"))), `lease:tokens: token of t is "notoken", expected <owner>:<n>`],
      ["a heartbeat set without a TTL", (p) => cmd((r) => r.sadd(`${p}worker:w1`, "x")), "worker:w1: heartbeat set without a TTL"],
      ["a wrong-typed queue", (p) => cmd((r) => r.set(`${p}queue:high`, "x")), "queue:high: is a string, expected a list"],
      ["a paused member that names no queue", (p) => cmd((r) => r.sadd(`${p}paused`, "queue:urgent")), `paused: member "queue:urgent" names no queue`],
      ["a wrong-typed paused set", (p) => cmd((r) => r.set(`${p}paused`, "x")), "paused: is a string, expected a set"],
      ["a key outside the layout", (p) => cmd((r) => r.set(`${p}jobs:x`, "x")), "jobs:x: not a key of the Bananas layout"]
    ]
    for (const [label, plant, expected] of bad) {
      it.effect(`reports ${label}`, () =>
        Effect.gen(function*() {
          const prefix = uniquePrefix("audit-bad")
          yield* plant(prefix)
          const report = yield* audit(prefix)
          assert.isTrue(report.problems.some((line) => line.startsWith(prefix) ? line.slice(prefix.length).includes(expected) : line.includes(expected)), `expected "${expected}" in:\n${report.problems.join("\n")}`)
        }))
    }

    it.effect("the CLI prints every problem and exits 1; bad arguments exit 2", () =>
      Effect.gen(function*() {
        const prefix = uniquePrefix("audit-cli")
        yield* cmd((r) => r.set(`${prefix}job:x`, job("x", { status: "done" })))
        const url = (yield* RedisServer).url
        const run = yield* cli(url, prefix)
        assert.strictEqual(run.code, 1)
        assert.include(run.stdout, `${prefix}job:x: status "done"`)
        assert.include(run.stdout, "jobs=1 deadLetterRecords=0 results=0 keys=1 problems=1")
        const usage = yield* cli("not-a-url")
        assert.strictEqual(usage.code, 2)
        assert.include(usage.stderr, "usage: node scripts/audit-wire.ts <redis-url> [prefix]")
      }))
  })
})

// Internal

/** Job JSON in Go's shape, with some fields replaced. */
const job = (id: string, fields: Readonly<Record<string, string>> = {}): string => {
  const all: Record<string, unknown> = {
    id, name: "x", description: undefined, payload: { k: 1 }, status: "pending", priority: "high",
    created_at: "2025-01-15T10:30:00Z", updated_at: "2025-01-15T10:30:00Z", scheduled_for: undefined, attempts: 0, max_retries: 3
  }
  for (const [k, v] of Object.entries(fields)) all[k] = v
  return JSON.stringify(all)
}

const result = (prefix: string, id: string, hash: Readonly<Record<string, string>>) =>
  Effect.andThen(cmd((r) => r.hset(`${prefix}result:${id}`, hash)), cmd((r) => r.expire(`${prefix}result:${id}`, 100)))
