/**
 * Table tests of every transition of the protocol core (Transitions and
 * the Steps they share, RecoveryTransitions, AdminTransitions,
 * ResultTransitions, Take): what was read or asked -> the plan, guard by
 * guard and write by write (`PlanText`), with Go's TTLs, backoff and keys
 * under the prefix `b:`. Events are off (their writes are tested in
 * test/protocol/events.test.ts).
 */
import { assert, describe, it } from "@effect/vitest"
import * as JobModel from "../../src/domain/Job.ts"
import * as JobCodec from "../../src/domain/JobCodec.ts"
import type { RawJson } from "../../src/domain/RawJson.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import * as A from "../../src/protocol/AdminTransitions.ts"
import * as Keys from "../../src/protocol/Keys.ts"
import type { Plan } from "../../src/protocol/Plan.ts"
import * as R from "../../src/protocol/RecoveryTransitions.ts"
import * as RT from "../../src/protocol/ResultTransitions.ts"
import * as Take from "../../src/protocol/Take.ts"
import * as T from "../../src/protocol/Transitions.ts"
import * as Wire from "../../src/protocol/Wire.ts"
import { planText } from "./PlanText.ts"

const p = Wire.make({ prefix: "b:" })
const now = Timestamp.fromMillis(Date.parse("2025-01-15T10:30:00Z"))
const job = JobModel.make({ id: "7", name: "email", payload: `{"to":"a"}` as RawJson, priority: "normal", now, maxRetries: 3 })
/** Held with a lease token of worker w1. */
const held = { id: "7", token: "w1:5" }
/** Taken without a lease (Go's way). */
const bare = { id: "7", token: undefined }

const table: ReadonlyArray<readonly [name: string, input: string, plan: () => Plan, expected: ReadonlyArray<string>]> = [
  // Transitions (producers and attempts)
  ["enqueue", "a new job", () => T.enqueue(p, job), [
      "guard absent b:job:7 -> duplicate | applied-if b:job:7 job(pending attempts=0)",
      "set b:job:7 job(pending attempts=0)",
      "del b:result:7",
      "lpush b:queue:normal 7",
      "publish b:queue:wake normal",
    ]],
  ["enqueueRouted", "a new high job with routing key eu", () => T.enqueue(p, { ...job, priority: "high", routingKey: "eu" }), [
      "guard absent b:job:7 -> duplicate | applied-if b:job:7 job(pending attempts=0)",
      "set b:job:7 job(pending attempts=0)",
      "del b:result:7",
      "lpush b:route:eu:queue:high 7",
      "publish b:queue:wake high",
    ]],
  ["schedule", "a new job due in 90 s", () => T.schedule(p, { ...job, status: "scheduled", scheduledFor: Timestamp.addSeconds(now, 90) }, Timestamp.addSeconds(now, 90)), [
      "guard absent b:job:7 -> duplicate | applied-if b:job:7 job(scheduled attempts=0 scheduled_for=2025-01-15T10:31:30.000Z)",
      "set b:job:7 job(scheduled attempts=0 scheduled_for=2025-01-15T10:31:30.000Z)",
      "del b:result:7",
      "zadd b:queue:scheduled 1736937090 7",
    ]],
  ["complete", "a leased job completes with a result", () => T.complete(p, held, { ...job, status: "processing" }, { durationMs: 12, now, result: `{"ok":true}` as RawJson }).plan, [
      "guard heq b:lease:tokens 7 w1:5 -> notHeld | applied-if b:job:7 job(completed attempts=0)",
      "hset b:result:7 status=completed completed_at=2025-01-15T10:30:00Z duration_ms=12 result={\"ok\":true}",
      "expire b:result:7 3600",
      "announce b:result:notify:7 ready | b:result:7 on b:result:data:7 tag=1736937000.0",
      "set b:job:7 job(completed attempts=0) ex 86400",
      "lrem b:queue:processing -1 7",
      "zrem b:leases 7",
      "hdel b:lease:tokens 7",
      "srem b:worker:w1 7",
    ]],
  ["completeNoLease", "a job taken without a lease completes, no result", () => T.complete(p, bare, job, { durationMs: 12, now }).plan, [
      "guard hnil b:lease:tokens 7 -> notHeld | applied-if b:job:7 job(completed attempts=0)",
      "guard lhas b:queue:processing 7 -> notHeld | applied-if b:job:7 job(completed attempts=0)",
      "hset b:result:7 status=completed completed_at=2025-01-15T10:30:00Z duration_ms=12",
      "expire b:result:7 3600",
      "announce b:result:notify:7 ready | b:result:7 on b:result:data:7 tag=1736937000.0",
      "set b:job:7 job(completed attempts=0) ex 86400",
      "lrem b:queue:processing -1 7",
      "zrem b:leases 7",
      "hdel b:lease:tokens 7",
    ]],
  ["failRetry", "a first failure (retries left): backoff 2 s", () => T.fail(p, held, job, "boom", { durationMs: 3, now }).plan, [
      "guard heq b:lease:tokens 7 w1:5 -> notHeld | applied-if b:job:7 job(pending attempts=1 error=boom scheduled_for=2025-01-15T10:30:02.000Z)",
      "set b:job:7 job(pending attempts=1 error=boom scheduled_for=2025-01-15T10:30:02.000Z)",
      "zadd b:queue:scheduled 1736937002 7",
      "lrem b:queue:processing -1 7",
      "zrem b:leases 7",
      "hdel b:lease:tokens 7",
      "srem b:worker:w1 7",
    ]],
  ["failDead", "a failure with no retry left: dead-lettered", () => T.fail(p, held, { ...job, attempts: 3 }, "boom", { durationMs: 3, now }).plan, [
      "guard heq b:lease:tokens 7 w1:5 -> notHeld | applied-if b:job:7 job(failed attempts=4 error=boom)",
      "set b:job:7 job(failed attempts=4 error=boom) ex 604800",
      "lpush b:queue:dead 7",
      "lrem b:queue:processing -1 7",
      "zrem b:leases 7",
      "hdel b:lease:tokens 7",
      "srem b:worker:w1 7",
      "hset b:result:7 status=failed completed_at=2025-01-15T10:30:00Z duration_ms=3 error=boom",
      "expire b:result:7 86400",
      "announce b:result:notify:7 ready | b:result:7 on b:result:data:7 tag=1736937000.0",
    ]],
  ["release", "a held job given back", () => T.release(p, held, job), [
      "guard heq b:lease:tokens 7 w1:5 -> notHeld",
      "lrem b:queue:processing -1 7",
      "zrem b:leases 7",
      "hdel b:lease:tokens 7",
      "srem b:worker:w1 7",
      "rpush b:queue:normal 7",
      "publish b:queue:wake normal",
    ]],
  ["renew", "a lease renewed", () => T.renew(p, held, 1_736_937_030_000, 30_000), [
      "guard heq b:lease:tokens 7 w1:5 -> notHeld",
      "zadd b:leases 1736937030000 7",
      "sadd b:worker:w1 7",
      "pexpire b:worker:w1 30000",
    ]],
  ["deadLetterMissing", "a held id whose data is missing", () => T.deadLetterData(p, held, { data: undefined, now }).plan, [
      "guard absent b:job:7 -> changed | applied-if b:job:7 job( attempts=0 error=Job data not found (corrupted reference))",
      "guard heq b:lease:tokens 7 w1:5 -> notHeld | applied-if b:job:7 job( attempts=0 error=Job data not found (corrupted reference))",
      "set b:job:7 job( attempts=0 error=Job data not found (corrupted reference)) ex 604800",
      "lpush b:queue:dead 7",
      "lrem b:queue:processing -1 7",
      "zrem b:leases 7",
      "hdel b:lease:tokens 7",
      "srem b:worker:w1 7",
      "hset b:result:7 status=failed completed_at=2025-01-15T10:30:00Z duration_ms=0 error=Job data not found (corrupted reference)",
      "expire b:result:7 86400",
      "announce b:result:notify:7 ready | b:result:7 on b:result:data:7 tag=",
    ]],
  ["deadLetterCorrupt", "a held id whose data does not decode", () => T.deadLetterData(p, held, { data: "nope", goError: "invalid character 'o'", now }).plan, [
      "guard eq b:job:7 nope -> changed | applied-if b:job:7 job( attempts=0 error=Failed to unmarshal job: invalid character 'o')",
      "guard heq b:lease:tokens 7 w1:5 -> notHeld | applied-if b:job:7 job( attempts=0 error=Failed to unmarshal job: invalid character 'o')",
      "set b:job:7 job( attempts=0 error=Failed to unmarshal job: invalid character 'o') ex 604800",
      "lpush b:queue:dead 7",
      "lrem b:queue:processing -1 7",
      "zrem b:leases 7",
      "hdel b:lease:tokens 7",
      "srem b:worker:w1 7",
      "hset b:result:7 status=failed completed_at=2025-01-15T10:30:00Z duration_ms=0 error=Failed to unmarshal job: invalid character 'o'",
      "expire b:result:7 86400",
      "announce b:result:notify:7 ready | b:result:7 on b:result:data:7 tag=",
    ]],
  // RecoveryTransitions
  ["reapRetry", "an expired lease, owner gone, retries left: back at the head", () => R.reap(p, { ...held, data: JobCodec.encode(job), nowMillis: 1_736_937_000_000 }).plan, [
      "guard zle b:leases 7 1736937000000 -> changed",
      "guard heq b:lease:tokens 7 w1:5 -> changed",
      "guard eq b:job:7 job(pending attempts=0) -> changed",
      "guard lhas b:queue:processing 7 -> notWaiting",
      "guard snot b:worker:w1 7 -> ownerAlive",
      "set b:job:7 job(pending attempts=1 error=lease expired: worker lost)",
      "lrem b:queue:processing -1 7",
      "zrem b:leases 7",
      "hdel b:lease:tokens 7",
      "srem b:worker:w1 7",
      "rpush b:queue:normal 7",
      "publish b:queue:wake normal",
    ]],
  ["reapDead", "an expired unleased entry, no retry left: dead-lettered", () => R.reap(p, { ...bare, data: JobCodec.encode({ ...job, attempts: 3 }), nowMillis: 1_736_937_000_000 }).plan, [
      "guard zle b:leases 7 1736937000000 -> changed | applied-if b:job:7 job(failed attempts=4 error=lease expired: worker lost)",
      "guard hnil b:lease:tokens 7 -> changed | applied-if b:job:7 job(failed attempts=4 error=lease expired: worker lost)",
      "guard eq b:job:7 job(pending attempts=3) -> changed | applied-if b:job:7 job(failed attempts=4 error=lease expired: worker lost)",
      "guard lhas b:queue:processing 7 -> notWaiting | applied-if b:job:7 job(failed attempts=4 error=lease expired: worker lost)",
      "set b:job:7 job(failed attempts=4 error=lease expired: worker lost) ex 604800",
      "lpush b:queue:dead 7",
      "lrem b:queue:processing -1 7",
      "zrem b:leases 7",
      "hdel b:lease:tokens 7",
      "hset b:result:7 status=failed completed_at=2025-01-15T10:30:00Z duration_ms=0 error=lease expired: worker lost",
      "expire b:result:7 86400",
      "announce b:result:notify:7 ready | b:result:7 on b:result:data:7 tag=1736937000.0",
    ]],
  ["reapBad", "an expired lease whose data is missing", () => R.reap(p, { ...held, data: undefined, nowMillis: 1_736_937_000_000 }).plan, [
      "guard zle b:leases 7 1736937000000 -> changed",
      "guard heq b:lease:tokens 7 w1:5 -> changed",
      "guard absent b:job:7 -> changed",
      "guard lhas b:queue:processing 7 -> notWaiting",
      "guard snot b:worker:w1 7 -> ownerAlive",
      "set b:job:7 job( attempts=0 error=Job data not found (corrupted reference)) ex 604800",
      "lpush b:queue:dead 7",
      "lrem b:queue:processing -1 7",
      "zrem b:leases 7",
      "hdel b:lease:tokens 7",
      "srem b:worker:w1 7",
      "hset b:result:7 status=failed completed_at=2025-01-15T10:30:00Z duration_ms=0 error=Job data not found (corrupted reference)",
      "expire b:result:7 86400",
      "announce b:result:notify:7 ready | b:result:7 on b:result:data:7 tag=",
    ]],
  ["dropLease", "an expired lease of an id no longer in processing", () => R.dropLease(p, held, 1_736_937_000_000), [
      "guard zle b:leases 7 1736937000000 -> changed",
      "guard heq b:lease:tokens 7 w1:5 -> changed",
      "zrem b:leases 7",
      "hdel b:lease:tokens 7",
      "srem b:worker:w1 7",
    ]],
  ["stampUnleased", "an unleased processing entry", () => R.stampUnleased(p, "7", 1_736_937_060_000), [
      "guard lhas b:queue:processing 7 -> notWaiting",
      "guard hnil b:lease:tokens 7 -> changed",
      "zadd nx b:leases 1736937060000 7",
    ]],
  ["promote", "a due scheduled job", () => R.promote(p, { data: "DATA", job: { ...job, scheduledFor: now }, maxScore: 1_736_937_000 }), [
      "guard zle b:queue:scheduled 7 1736937000 -> notDue",
      "guard eq b:job:7 DATA -> changed",
      "zrem b:queue:scheduled 7",
      "set b:job:7 job(pending attempts=0)",
      "lpush b:queue:normal 7",
      "publish b:queue:wake normal",
    ]],
  // AdminTransitions
  ["cancelQueued", "a queued job cancelled", () => A.cancel(p, { data: "DATA", job, where: "queued", now }).plan, [
      "guard eq b:job:7 DATA -> changed",
      "guard lhas b:queue:normal 7 -> notWaiting",
      "lrem b:queue:normal 0 7",
      "set b:job:7 job(failed attempts=0 error=cancelled) ex 604800",
      "hset b:result:7 status=failed completed_at=2025-01-15T10:30:00Z duration_ms=0 error=cancelled",
      "expire b:result:7 86400",
      "announce b:result:notify:7 ready | b:result:7 on b:result:data:7 tag=1736937000.0",
    ]],
  ["cancelScheduled", "a scheduled job cancelled", () => A.cancel(p, { data: "DATA", job, where: "scheduled", now }).plan, [
      "guard eq b:job:7 DATA -> changed",
      "guard zhas b:queue:scheduled 7 -> notWaiting",
      "zrem b:queue:scheduled 7",
      "set b:job:7 job(failed attempts=0 error=cancelled) ex 604800",
      "hset b:result:7 status=failed completed_at=2025-01-15T10:30:00Z duration_ms=0 error=cancelled",
      "expire b:result:7 86400",
      "announce b:result:notify:7 ready | b:result:7 on b:result:data:7 tag=1736937000.0",
    ]],
  ["requeueDead", "a dead job requeued", () => A.requeueDead(p, { data: "DATA", job: { ...job, status: "failed", attempts: 3, error: "boom" }, now }).plan, [
      "guard eq b:job:7 DATA -> changed",
      "guard lhas b:queue:dead 7 -> notWaiting",
      "lrem b:queue:dead 0 7",
      "set b:job:7 job(pending attempts=0)",
      "del b:result:7",
      "lpush b:queue:normal 7",
      "publish b:queue:wake normal",
    ]],
  ["purgeDead", "a dead job purged", () => A.purgeDead(p, "7"), [
      "guard lhas b:queue:dead 7 -> notWaiting",
      "lrem b:queue:dead 0 7",
      "del b:job:7",
      "del b:result:7",
    ]],
  // ResultTransitions
  ["storeResult", "a completed result stored", () => RT.storeResult(p, { jobId: "7", status: "completed", result: `{"ok":true}` as RawJson, completedAt: now, durationMs: 12 }), [
      "hset b:result:7 status=completed completed_at=2025-01-15T10:30:00Z duration_ms=12 result={\"ok\":true}",
      "expire b:result:7 3600",
      "announce b:result:notify:7 ready | b:result:7 on b:result:data:7 tag=",
    ]],
  ["deleteResult", "a result deleted", () => RT.deleteResult(p, "7"), [
      "guard exists b:result:7 -> notWaiting",
      "del b:result:7",
    ]],
]

describe("transitions: input -> plan", () => {
  for (const [name, input, plan, expected] of table) {
    it(`${name}: ${input}`, () => {
      assert.deepStrictEqual(planText(plan()), expected)
    })
  }

  it("the values a step decides: the job it writes, or what it decided", () => {
    assert.strictEqual(T.complete(p, held, job, { durationMs: 1, now }).value.status, "completed")
    const retry = T.fail(p, held, job, "boom", { durationMs: 1, now }).value
    assert.deepStrictEqual([retry._tag, retry.job.attempts, retry.job.status], ["Retrying", 1, "pending"])
    const dead = T.fail(p, held, { ...job, attempts: 3 }, "boom", { durationMs: 1, now }).value
    assert.deepStrictEqual([dead._tag, dead.job.attempts, dead.job.status], ["Dead", 4, "failed"])
    // Not retryable: dead at once with the budget left, exactly as a spent budget writes it.
    const permanent = T.fail(p, held, job, "boom", { durationMs: 1, now, retryable: false })
    assert.deepStrictEqual([permanent.value._tag, permanent.value.job.attempts, permanent.value.job.status], ["Dead", 1, "failed"])
    assert.deepStrictEqual(planText(permanent.plan), planText(T.fail(p, held, { ...job, maxRetries: 1 }, "boom", { durationMs: 1, now }).plan).map((l) => l.replace(`"max_retries":1`, `"max_retries":${job.maxRetries}`)))
    assert.strictEqual(T.deadLetterData(p, held, { data: undefined, now }).value, Wire.errorText.missingData)
    assert.strictEqual(R.reap(p, { ...held, data: JobCodec.encode(job), nowMillis: 0 }).value, "retried")
    assert.strictEqual(R.reap(p, { ...held, data: JobCodec.encode({ ...job, attempts: 3 }), nowMillis: 0 }).value, "dead")
    assert.strictEqual(R.reap(p, { ...held, data: "nope", nowMillis: 0 }).value, "badData")
    assert.strictEqual(A.cancel(p, { data: "D", job, where: "queued", now }).value.error, Wire.errorText.cancelled)
    assert.deepStrictEqual(A.requeueDead(p, { data: "D", job: { ...job, attempts: 3, error: "x" }, now }).value.attempts, 0)
  })
})

describe("Take: what a worker asks -> the take request", () => {
  it("strict priority order, processing, no lease (Go's way)", () => {
    assert.deepStrictEqual(Take.make(p, { priorities: ["high", "normal", "low"], max: 4 }), {
      sources: ["b:queue:high", "b:queue:normal", "b:queue:low"],
      processing: "b:queue:processing",
      jobs: "b:job:",
      max: 4,
      paused: { key: "b:paused", names: ["queue:high", "queue:normal", "queue:low"] },
      lease: undefined
    })
  })

  it("a routing key and a lease: the routed lists, the lease keys and the owner's held set", () => {
    const lease = { owner: "w1", expiresAt: 1_736_937_030_000, firstToken: 5, heartbeatMillis: 30_000 }
    assert.deepStrictEqual(Take.make(p, { priorities: ["normal"], routingKey: "eu", max: 1, lease }), {
      sources: ["b:route:eu:queue:normal"],
      processing: "b:queue:processing",
      jobs: "b:job:",
      max: 1,
      paused: { key: "b:paused", names: ["route:eu:queue:normal"] },
      lease: { leases: "b:leases", tokens: "b:lease:tokens", held: "b:worker:w1", ...lease }
    })
    assert.deepStrictEqual(Take.make(p, { priorities: ["low"], routingKey: "default", max: 1 }).sources, ["b:queue:low"])
  })

  it("tokens count up from the first, and name their owner", () => {
    const lease = { owner: "host:1:w", firstToken: 41 }
    assert.deepStrictEqual([0, 1, 2].map((i) => Take.tokenOf(lease, i)), ["host:1:w:41", "host:1:w:42", "host:1:w:43"])
    assert.strictEqual(Take.ownerOf("host:1:w:42"), "host:1:w")
    assert.strictEqual(Take.ownerOf("nocolon"), "")
  })
})

describe("Pausing a queue: the paused set and the queue names", () => {
  it("a queue name is its list key without the prefix, and reads back", () => {
    assert.strictEqual(Keys.queueName("high"), "queue:high")
    assert.strictEqual(Keys.queueName("low", "default"), "queue:low")
    assert.strictEqual(Keys.queueName("high", "gpu"), "route:gpu:queue:high")
    assert.strictEqual(p.keys.queue("high", "gpu"), "b:" + Keys.queueName("high", "gpu"))
    assert.deepStrictEqual(Keys.parseQueueName("queue:normal"), { priority: "normal" })
    assert.deepStrictEqual(Keys.parseQueueName("route:gpu-1:queue:low"), { priority: "low", routingKey: "gpu-1" })
    assert.deepStrictEqual(Keys.parseQueueName("route:default:queue:low"), { priority: "low" })
    for (const bad of ["queue:urgent", "queue:high:x", "route::queue:high", "route:a:b:queue:high", "paused", ""]) {
      assert.isUndefined(Keys.parseQueueName(bad), bad)
    }
  })

  it("pause adds the queue's name to the paused set; resume removes it and wakes workers", () => {
    assert.deepStrictEqual(A.pause(p, { priority: "normal" }), {
      guards: [],
      writes: [{ op: "sadd", key: "b:paused", member: "queue:normal" }]
    })
    assert.deepStrictEqual(A.resume(p, { priority: "high", routingKey: "gpu" }), {
      guards: [],
      writes: [
        { op: "srem", key: "b:paused", member: "route:gpu:queue:high" },
        { op: "publish", channel: "b:queue:wake", message: "high" }
      ]
    })
  })
})
