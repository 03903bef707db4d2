/**
 * The operations of the differential test, their generator, and how one
 * operation runs on one backend ("side"): every operation returns a
 * normalized, JSON-comparable answer (lease tokens and key prefixes
 * stripped, errors reduced to their tag, reason and key).
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import fc from "fast-check"
import type { Job } from "../../src/domain/Job.ts"
import * as JobModel from "../../src/domain/Job.ts"
import * as JobCodec from "../../src/domain/JobCodec.ts"
import type { JobPriority } from "../../src/domain/JobPriority.ts"
import type { RawJson } from "../../src/domain/RawJson.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import type { DumpEntry } from "../../src/layers/memory/MemoryStore.ts"
import type { JobDelivery, JobQueue } from "../../src/services/JobQueue.ts"
import type { QueueAdmin } from "../../src/services/QueueAdmin.ts"
import type { ResultBackend } from "../../src/services/ResultBackend.ts"

/** One backend under test. */
export interface Side {
  readonly name: string
  readonly prefix: string
  readonly queue: JobQueue["Service"]
  readonly admin: QueueAdmin["Service"]
  readonly results: ResultBackend["Service"]
  readonly set: (key: string, value: string) => Effect.Effect<void>
  readonly lpush: (key: string, member: string) => Effect.Effect<void>
  readonly del: (key: string) => Effect.Effect<void>
  readonly dump: Effect.Effect<ReadonlyArray<DumpEntry>>
  /** Every job delivery taken so far, in order (operations refer to them by index). */
  readonly deliveries: Array<JobDelivery>
}

/** Lease duration of every dequeue: the zset expiry the reaper compares with the (virtual) clock. */
export const leaseDuration = Duration.seconds(60)
/** The owners' heartbeat: longer than any test, so only `kill` ends one (virtual and real clocks agree). */
export const heartbeat = Duration.hours(100)

const priority = fc.constantFrom<JobPriority>("high", "normal", "low")
const id = fc.integer({ min: 0, max: 5 })
const owner = fc.constantFrom("A", "B")

/** The operations. */
export const operation = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant("submit" as const), id, name: fc.constantFrom("a", "b"), priority, maxRetries: fc.integer({ min: 0, max: 3 }) }), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant("schedule" as const), id, delay: fc.integer({ min: 0, max: 120 }), priority, maxRetries: fc.integer({ min: 0, max: 3 }) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant("batch" as const), ids: fc.array(id, { minLength: 1, maxLength: 3 }) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("dequeue" as const), owner: fc.constantFrom<string | null>("A", "B", null), max: fc.integer({ min: 1, max: 3 }), priorities: fc.constantFrom<ReadonlyArray<JobPriority>>(["high", "normal", "low"], ["low", "high"], ["normal"]) }), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant("complete" as const), d: fc.nat(), withResult: fc.boolean() }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant("fail" as const), d: fc.nat(), error: fc.constantFrom("boom", "smtp: timeout"), retryable: fc.boolean() }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant("release" as const), d: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("renew" as const), owner }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("reclaim" as const), owner, keep: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("reap" as const), maxAge: fc.constantFrom<number | undefined>(undefined, 0, 30) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant("promote" as const) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant("advance" as const), seconds: fc.integer({ min: 1, max: 120 }) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant("cancel" as const), id }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("requeue" as const), id }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("purgeDead" as const) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("pause" as const), priority }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("resume" as const), priority }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("kill" as const), owner }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("goCron" as const) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("goOrphan" as const), id }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("goCorrupt" as const), id }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("goProcessing" as const), id, maxRetries: fc.integer({ min: 0, max: 2 }) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("storeResult" as const), id, completed: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("read" as const), id }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("admin" as const) }), weight: 1 }
)

/** One operation. */
export type Operation = typeof operation extends fc.Arbitrary<infer A> ? A : never

/** Runs one operation on one side at virtual time `now`; returns its normalized answer. */
export const run = (side: Side, op: Operation): Effect.Effect<unknown> => {
  const { queue, admin, results } = side
  const keys = queue.protocol.keys
  const jid = (n: number) => `j${n}`
  return Effect.gen(function*() {
    const now = Timestamp.fromMillis(yield* Clock.currentTimeMillis)
    const delivery = (d: number) => (side.deliveries.length === 0 ? undefined : side.deliveries[d % side.deliveries.length]!)
    switch (op.op) {
      case "submit":
        return yield* queue.enqueue(newJob(jid(op.id), op.name, op.priority, op.maxRetries, now))
      case "schedule": {
        const due = Timestamp.addSeconds(now, op.delay)
        return yield* queue.schedule({ ...newJob(jid(op.id), "a", op.priority, op.maxRetries, now), status: "scheduled", scheduledFor: due })
      }
      case "batch":
        return yield* queue.enqueueBatch(op.ids.map((n) => newJob(jid(n), "b", "normal", 2, now)))
      case "dequeue": {
        const taken = yield* queue.dequeueMany({
          priorities: op.priorities,
          block: Duration.zero,
          max: op.max,
          lease: op.owner === null ? undefined : { owner: op.owner, duration: leaseDuration, heartbeat }
        })
        for (const d of taken) if (d._tag === "Job") side.deliveries.push(d)
        return taken.map((d) => (d._tag === "Job" ? { job: JobCodec.encode(d.job), leased: d.token !== undefined } : d))
      }
      case "complete": {
        const d = delivery(op.d)
        if (d === undefined) return "none"
        const result = op.withResult ? (`{"ok":${op.d}}` as RawJson) : undefined
        return JobCodec.encode(yield* queue.complete(d, { result, durationMs: 5, now }))
      }
      case "fail": {
        const d = delivery(op.d)
        if (d === undefined) return "none"
        const outcome = yield* queue.fail(d, op.error, { durationMs: 7, now, retryable: op.retryable })
        return { tag: outcome._tag, job: JobCodec.encode(outcome.job) }
      }
      case "release": {
        const d = delivery(op.d)
        if (d === undefined) return "none"
        return yield* queue.release(d)
      }
      case "renew": {
        const mine = side.deliveries.filter((d) => d.token?.startsWith(`${op.owner}:`) === true)
        return yield* queue.renewLeases(op.owner, mine, leaseDuration, heartbeat)
      }
      case "reclaim": {
        const mine = side.deliveries.filter((d) => d.token?.startsWith(`${op.owner}:`) === true)
        const running = new Set(mine.filter((_, i) => ((op.keep >> i) & 1) === 1).map((d) => d.job.id))
        return [...(yield* queue.reclaim(op.owner, running))].sort()
      }
      case "reap":
        return [...(yield* queue.reapExpired(op.maxAge === undefined ? undefined : { maxAge: Duration.seconds(op.maxAge) }))].sort()
      case "promote":
        return yield* queue.promoteDue(now)
      case "advance":
        return "advanced" // the caller moves the clock once, for both sides
      case "cancel":
        return JobCodec.encode(yield* admin.cancel(jid(op.id), now))
      case "requeue":
        return JobCodec.encode(yield* admin.requeueDead(jid(op.id), now))
      case "purgeDead":
        return yield* admin.purgeDead
      case "pause":
        return yield* admin.pause({ priority: op.priority })
      case "resume":
        return yield* admin.resume({ priority: op.priority })
      case "kill":
        return yield* side.del(keys.held(op.owner))
      case "goCron":
        // Go's cron scheduler: no NewJob (id "", status "", zero times, max_retries 0).
        yield* side.set(keys.job(""), `{"id":"","name":"cleanup","description":"Scheduled job: cleanup (schedule: hourly)","payload":null,"status":"","priority":"normal","created_at":"0001-01-01T00:00:00Z","updated_at":"0001-01-01T00:00:00Z","attempts":0,"max_retries":0}`)
        return yield* side.lpush(keys.queue("normal"), "")
      case "goOrphan":
        return yield* side.lpush(keys.queue("high"), jid(op.id))
      case "goCorrupt":
        yield* side.set(keys.job(jid(op.id)), `{"id":"${jid(op.id)}","attempts":"1"}`)
        return yield* side.lpush(keys.queue("low"), jid(op.id))
      case "goProcessing":
        // A Go worker took it: in processing, no lease.
        yield* side.set(keys.job(jid(op.id)), JobCodec.encode(newJob(jid(op.id), "go", "normal", op.maxRetries, now)))
        return yield* side.lpush(keys.processing, jid(op.id))
      case "storeResult":
        return yield* results.store({
          jobId: jid(op.id),
          status: op.completed ? "completed" : "failed",
          error: op.completed ? undefined : "go failed",
          result: op.completed ? (`{"go":1}` as RawJson) : undefined,
          completedAt: now,
          durationMs: 3
        })
      case "read": {
        const job = yield* queue.get(jid(op.id))
        const result = yield* results.get(jid(op.id))
        return { job: Option.map(job, JobCodec.encode), result: Option.getOrUndefined(result) }
      }
      case "admin": {
        const stats = yield* admin.stats
        const listed: Array<string> = []
        let cursor: string | undefined = undefined
        for (let i = 0; i < 100; i++) {
          const page: { readonly jobs: ReadonlyArray<Job>; readonly cursor?: string | undefined } = yield* admin.list({ limit: 2, cursor })
          listed.push(...page.jobs.map(JobCodec.encode))
          cursor = page.cursor
          if (cursor === undefined) break
        }
        const dead = yield* admin.deadLetters({ limit: 50 })
        return { stats, listed: listed.sort(), dead: dead.jobs.map(JobCodec.encode) }
      }
    }
  }).pipe(Effect.catch((error: unknown) => Effect.succeed(describeError(side.prefix, error))))
}

// Internal

const newJob = (id: string, name: string, priority: JobPriority, maxRetries: number, now: Timestamp.Timestamp): Job =>
  JobModel.make({ id, name, payload: `{"n":1}` as RawJson, priority, now, maxRetries })

/** An error as the two sides must agree on it: tag, reason, the key without its prefix. */
const describeError = (prefix: string, error: unknown) => {
  const e = error as { readonly _tag?: string; readonly reason?: string; readonly key?: string }
  return { error: e._tag ?? String(error), reason: e.reason, key: e.key?.startsWith(prefix) === true ? e.key.slice(prefix.length) : e.key }
}
