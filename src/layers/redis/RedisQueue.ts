/**
 * The `Queue` service on Redis, wire-compatible with the Go reference
 * (PROTOCOL.md §3): the same keys, job JSON (via `JobCodec`, payload bytes
 * untouched), unix-second scores and TTLs. Every state change is one Lua
 * script (see `Scripts`), so a crash never leaves a job half-moved.
 *
 * **Dequeue design.** A fast path script tries each list in priority order,
 * `LMOVE`s the oldest id into `queue:processing` (the `BRPOPLPUSH` direction
 * Go uses), records the lease and reads the data: one round trip, and the id
 * is never held only in process memory (a `BLMPOP`/`BRPOP` would lose the
 * job on a crash between pop and push, and Go's one-list-at-a-time
 * `BRPOPLPUSH` makes a lower priority wait seconds behind an empty higher
 * one). When every list is empty and `block` > 0, the caller waits for work
 * without blocking a connection:
 *
 * - every write of this SDK that makes work available (enqueue, batch,
 *   promotion, release, reaping, requeue) publishes `{prefix}queue:wake
 *   <priority>` in the same atomic step; the idle dequeue listens on that
 *   channel through the client's shared `Subscriber` (subscribed, then
 *   re-checked, so no wake-up is lost) and retries the fast path at once;
 * - jobs pushed by Go producers publish nothing, so the fast path also
 *   re-runs every `dequeuePollInterval` (default 25 ms): pickup takes
 *   milliseconds for every priority, at the cost of one cheap script call
 *   per interval per idle worker.
 *
 * `dequeueMany` runs the same fast path for up to N ids in one script
 * (strict priority across the lists), and the ends of jobs that finish in
 * the same burst (completions, final failures) share one `finish` script,
 * each job's steps exactly Go's: a worker under backlog pays about one
 * command per burst instead of two per job.
 *
 * Leases (`{prefix}leases`, a zset scored by expiry in epoch ms) are ours
 * only; Go keeps none. `reapExpired` recovers jobs whose lease ran out.
 *
 * @stability unstable
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import { ConnectionError, SerializationError } from "../../domain/Errors.ts"
import * as JobModel from "../../domain/Job.ts"
import type { Job } from "../../domain/Job.ts"
import * as JobCodec from "../../domain/JobCodec.ts"
import * as ListFilters from "../ListFilter.ts"
import type { JobId } from "../../domain/JobId.ts"
import * as JobResult from "../../domain/JobResult.ts"
import type { RawJson } from "../../domain/RawJson.ts"
import * as Timestamp from "../../domain/Timestamp.ts"
import { Queue, type Delivery, type DequeueManyOptions, type DequeueOptions, type FailOutcome, type JobPage, type ListFilter } from "../../services/Queue.ts"
import { RedisConnection } from "./RedisConnection.ts"
import * as Scripts from "./Scripts.ts"
import * as Settings from "./Settings.ts"
import { Subscriber } from "./Subscriber.ts"
import * as WakeSignal from "./WakeSignal.ts"

/**
 * Options of the Redis queue.
 *
 * @category models
 * @since 0.1.0
 */
export interface RedisQueueOptions extends Settings.SettingsOptions {}

/**
 * The error text recorded on a job recovered from an expired lease.
 *
 * @category constants
 * @since 0.1.0
 */
export const leaseExpiredError = "lease expired: worker lost"

/**
 * The error text recorded on a cancelled job.
 *
 * @category constants
 * @since 0.1.0
 */
export const cancelledError = "cancelled"

/**
 * Builds the queue on the `RedisConnection` and `Subscriber` in context.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function*(options: RedisQueueOptions = {}) {
  const connection = yield* RedisConnection
  const subscriber = yield* Subscriber
  const settings = Settings.make(options)
  const { keys, wakeChannel } = settings
  const jobKeyPrefix = keys.job("")

  yield* connection.use("scriptLoad", Scripts.loadAll)

  const script = (operation: string, s: Scripts.Script, keyList: ReadonlyArray<string>, args: ReadonlyArray<string | number>) =>
    connection.use(operation, (c) => Scripts.run(c, s, keyList, args))

  const nowMillis = Clock.currentTimeMillis

  // --- writes that make work available -------------------------------------

  const enqueue = (job: Job) =>
    script("enqueue", Scripts.enqueue, [keys.job(job.id), queueOf(job)], [JobCodec.encode(job), job.id, wakeChannel, job.priority])
      .pipe(Effect.asVoid)

  const enqueueBatch = (jobs: ReadonlyArray<Job>) =>
    Effect.forEach(chunks(jobs, settings.batchChunkSize), (chunk) =>
      connection.use("enqueueBatch", async (c) => {
        // One MULTI per chunk: one round trip, every job (SET before LPUSH) atomic.
        const tx = c.multi()
        const priorities = new Set<string>()
        for (const job of chunk) {
          tx.set(keys.job(job.id), JobCodec.encode(job))
          tx.lpush(queueOf(job), job.id)
          priorities.add(job.priority)
        }
        for (const p of priorities) tx.publish(wakeChannel, p)
        const replies = await tx.exec()
        if (replies === null) throw new Error("transaction aborted")
        for (const [error] of replies) if (error) throw error
      }), { discard: true }).pipe(Effect.withSpan("RedisQueue.enqueueBatch", { attributes: { "jobs.count": jobs.length } }))

  const schedule = (job: Job) => {
    // The contract requires scheduled_for; without one the job is due at once.
    const due = job.scheduledFor ?? job.updatedAt
    return script("schedule", Scripts.schedule, [keys.job(job.id), keys.scheduled], [
      JobCodec.encode(job),
      score(due),
      job.id
    ]).pipe(Effect.asVoid)
  }

  const get = (id: JobId) =>
    connection.use("get", (c) => c.get(keys.job(id))).pipe(
      Effect.flatMap((data) =>
        data === null ? Effect.succeed(Option.none<Job>()) : Effect.map(Effect.fromResult(JobCodec.decodeAt(keys.job(id), data)), Option.some)
      )
    )

  // --- dequeue -------------------------------------------------------------

  const dequeueOnce = (queues: ReadonlyArray<string>, lease: DequeueOptions["lease"], max: number) =>
    Effect.gen(function*() {
      const expiry = lease === undefined ? "" : String((yield* nowMillis) + Duration.toMillis(lease.duration))
      const reply = (yield* script("dequeue", Scripts.dequeue, [...queues, keys.processing, keys.leases], [jobKeyPrefix, expiry, max])) as
        | [ReadonlyArray<string>, ReadonlyArray<string | null>]
        | null
      if (reply === null) return noDeliveries
      const [ids, datas] = reply
      const out: Array<Delivery> = []
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]! as JobId
        const data = datas[i] ?? null
        if (data === null) {
          const dead = yield* deadLetterAt(id, JobCodec.missingDataRecord(id), missingDataError)
          if (dead !== undefined) out.push(dead)
          continue
        }
        const decoded = JobCodec.decode(data)
        if (Result.isFailure(decoded)) {
          const record = JobCodec.corruptedDataRecord(id, data, decoded.failure.message)
          const dead = yield* deadLetterAt(id, record, `Failed to unmarshal job: ${decoded.failure.message}`)
          if (dead !== undefined) out.push(dead)
          continue
        }
        out.push({ _tag: "Job", job: decoded.success })
      }
      return out as ReadonlyArray<Delivery>
    })

  const deadLetterAt = (id: JobId, record: string, reason: string) =>
    script("dequeue", Scripts.deadLetter, [keys.job(id), keys.dead, keys.processing, keys.leases], [record, id]).pipe(
      Effect.as<Delivery | undefined>({ _tag: "DeadLettered", id, reason }),
      Effect.tap(() => Effect.logWarning(`bananas: dead-lettered ${id}: ${reason}`)),
      // The other jobs of the batch are delivered: this id stays in
      // processing under its lease, and the reaper dead-letters it later.
      Effect.catch((error) =>
        Effect.as(Effect.logWarning(`bananas: could not dead-letter ${id} (${reason}); the reaper will`, error), undefined)
      )
    )

  const dequeueMany = (options: DequeueManyOptions) =>
    Effect.gen(function*() {
      const max = Math.min(maxDequeueBatch, Math.floor(options.max))
      if (options.priorities.length === 0 || !(max >= 1)) return noDeliveries
      const queues = options.priorities.map((p) => keys.queue(p, options.routingKey))
      const blockMillis = Duration.toMillis(options.block)
      const deadline = (yield* nowMillis) + blockMillis
      const first = yield* dequeueOnce(queues, options.lease, max)
      if (first.length > 0 || !(blockMillis > 0)) return first
      return yield* Effect.scoped(Effect.gen(function*() {
        const signal = WakeSignal.make()
        // Listen first, then re-check: a job pushed in between wakes us. The
        // wait for Redis's confirmation is part of the wait for work:
        // interruptible, and bounded by `block` (then one last look below).
        const left = Math.max(0, deadline - (yield* nowMillis))
        yield* Effect.interruptible(Effect.timeoutOption(subscriber.listen(wakeChannel, signal.notify), left))
        while (true) {
          const next = yield* dequeueOnce(queues, options.lease, max)
          if (next.length > 0) return next
          const remaining = deadline - (yield* nowMillis)
          if (remaining <= 0) return noDeliveries
          // The only interruptible step: see Queue.dequeue.
          yield* Effect.interruptible(signal.awaitFor(Math.min(settings.dequeuePollMillis, remaining)))
        }
      }))
    })

  const dequeue = (options: DequeueOptions) =>
    Effect.map(dequeueMany({ ...options, max: 1 }), (taken) => Option.fromUndefinedOr(taken[0]))

  // --- the end of an attempt -----------------------------------------------

  // Jobs finishing together (a burst of completions in one turn of the
  // event loop) share one `finish` call: their steps, each Go's sequence,
  // run as one atomic step, and the worker pays one command per burst.
  let finishing: Array<Finishing> = []

  const flushFinishing = () => {
    const batch = finishing
    finishing = []
    for (let i = 0; i < batch.length; i += finishBatch) {
      const chunk = batch.slice(i, i + finishBatch)
      const keyList = [keys.processing, keys.leases, keys.dead]
      const args: Array<string | number> = []
      for (const f of chunk) {
        keyList.push(f.jobKey, f.resultKey)
        for (const arg of f.args) args.push(arg)
      }
      Scripts.run(connection.client, Scripts.finish, keyList, args).then(
        () => {
          for (const f of chunk) f.resume(Effect.void)
        },
        (cause: unknown) => {
          for (const f of chunk) {
            f.resume(Effect.fail(new ConnectionError({ operation: f.operation, message: `Redis ${f.operation} failed: ${describe(cause)}`, cause })))
          }
        }
      )
    }
  }

  const finish = (operation: string, job: Job, result: JobResult.JobResult, toDead: boolean) =>
    Effect.callback<void, ConnectionError>((resume) => {
      const fields = JobResult.toHashFields(result)
      finishing.push({
        operation,
        jobKey: keys.job(job.id),
        resultKey: keys.result(job.id),
        args: [
          JobCodec.encode(job),
          job.id,
          toDead ? deadJobTtlSeconds : completedJobTtlSeconds,
          result.status === "completed" ? settings.successTtlSeconds : settings.failureTtlSeconds,
          keys.notify(job.id),
          toDead ? "1" : "0",
          fields.length,
          ...fields
        ],
        resume
      })
      // A microtask: every completion of the current burst joins the call.
      if (finishing.length === 1) queueMicrotask(flushFinishing)
    })

  const complete = (job: Job, outcome: { readonly result?: RawJson | undefined; readonly durationMs: number; readonly now: Timestamp.Timestamp }) => {
    const done: Job = { ...job, status: "completed", updatedAt: outcome.now }
    const result: JobResult.JobResult = {
      jobId: job.id,
      status: "completed",
      result: outcome.result,
      completedAt: outcome.now,
      durationMs: outcome.durationMs
    }
    return finish("complete", done, result, false).pipe(Effect.as(done))
  }

  const fail = (job: Job, error: string, outcome: { readonly durationMs: number; readonly now: Timestamp.Timestamp }) => {
    const attempts = job.attempts + 1
    if (attempts < job.maxRetries) {
      const scheduledFor = Timestamp.addSeconds(outcome.now, JobModel.backoffSeconds(attempts))
      const retried: Job = { ...job, status: "pending", attempts, error, updatedAt: outcome.now, scheduledFor }
      return script("fail", Scripts.retry, [keys.job(job.id), keys.scheduled, keys.processing, keys.leases], [
        JobCodec.encode(retried),
        Math.floor(Timestamp.toUnixSeconds(scheduledFor)),
        job.id
      ]).pipe(Effect.as<FailOutcome>({ _tag: "Retrying", job: retried }))
    }
    const dead: Job = { ...job, status: "failed", attempts, error, updatedAt: outcome.now, scheduledFor: undefined }
    const result: JobResult.JobResult = {
      jobId: job.id,
      status: "failed",
      error,
      completedAt: outcome.now,
      durationMs: outcome.durationMs
    }
    return finish("fail", dead, result, true).pipe(Effect.as<FailOutcome>({ _tag: "Dead", job: dead }))
  }

  const release = (job: Job) =>
    script("release", Scripts.release, [keys.processing, queueOf(job), keys.leases], [job.id, wakeChannel, job.priority]).pipe(Effect.asVoid)

  const renewLeases = (ids: ReadonlyArray<JobId>, duration: Duration.Duration) =>
    ids.length === 0
      ? Effect.void
      : Effect.gen(function*() {
        const expiry = (yield* nowMillis) + Duration.toMillis(duration)
        const args: Array<string | number> = []
        for (const id of ids) args.push(expiry, id)
        // XX: a lease already dropped (job finished or reaped) is not revived.
        yield* connection.use("renewLeases", (c) => c.zadd(keys.leases, "XX", ...args))
      })

  // --- crash recovery --------------------------------------------------------

  const reapExpired = (options?: { readonly maxAge?: Duration.Duration | undefined }) =>
    Effect.gen(function*() {
      const now = yield* nowMillis
      if (options?.maxAge !== undefined) {
        // Entries without a lease (Go workers, lease-less dequeues) get one
        // starting now: they are recovered once older than maxAge as seen here.
        const inFlight = yield* connection.use("reapExpired", (c) => c.lrange(keys.processing, 0, -1))
        if (inFlight.length > 0) {
          const expiry = now + Duration.toMillis(options.maxAge)
          const args: Array<string | number> = []
          for (const id of new Set(inFlight)) args.push(expiry, id)
          yield* connection.use("reapExpired", (c) => c.zadd(keys.leases, "NX", ...args))
        }
      }
      const recovered: Array<JobId> = []
      while (true) {
        const expired = yield* connection.use("reapExpired", (c) =>
          c.zrangebyscore(keys.leases, "-inf", now, "LIMIT", 0, reapBatch))
        if (expired.length === 0) break
        const data = yield* connection.use("reapExpired", (c) => c.mget(...expired.map((id) => keys.job(id))))
        const outcomes = yield* Effect.forEach(expired, (id, i) => reapOne(id, data[i] ?? null, now), { concurrency: "unbounded" })
        let progress = 0
        outcomes.forEach((ok, i) => {
          if (ok) {
            recovered.push(expired[i]!)
            progress++
          }
        })
        if (expired.length < reapBatch || progress === 0) break
      }
      return recovered as ReadonlyArray<JobId>
    })

  const reapOne = (id: JobId, data: string | null, nowMs: number) => {
    const now = Timestamp.fromMillis(nowMs)
    const base = [keys.job(id), keys.processing, keys.leases]
    const read = data === null ? ["0", ""] : ["1", data]
    let args: Array<string | number>
    let keyList: Array<string>
    const decoded = data === null ? undefined : JobCodec.decode(data)
    if (decoded === undefined || Result.isFailure(decoded)) {
      const record = decoded === undefined
        ? JobCodec.missingDataRecord(id)
        : JobCodec.corruptedDataRecord(id, data!, decoded.failure.message)
      keyList = [...base, keys.dead, keys.result(id)]
      args = [id, nowMs, ...read, record, deadJobTtlSeconds, "L", "", "", "0"]
    } else {
      const job = decoded.success
      const attempts = job.attempts + 1
      if (attempts < job.maxRetries) {
        const retried: Job = { ...job, status: "pending", attempts, error: leaseExpiredError, updatedAt: now, scheduledFor: undefined }
        keyList = [...base, queueOf(job), keys.result(id)]
        args = [id, nowMs, ...read, JobCodec.encode(retried), "0", "R", wakeChannel, job.priority, "0"]
      } else {
        const dead: Job = { ...job, status: "failed", attempts, error: leaseExpiredError, updatedAt: now, scheduledFor: undefined }
        const result: JobResult.JobResult = { jobId: id, status: "failed", error: leaseExpiredError, completedAt: now, durationMs: 0 }
        keyList = [...base, keys.dead, keys.result(id)]
        args = [id, nowMs, ...read, JobCodec.encode(dead), deadJobTtlSeconds, "L", keys.notify(id), "ready", settings.failureTtlSeconds, ...JobResult.toHashFields(result)]
      }
    }
    return script("reapExpired", Scripts.reap, keyList, args).pipe(Effect.map((r) => r === 1))
  }

  // --- scheduled jobs --------------------------------------------------------

  const promoteDue = (now: Timestamp.Timestamp) =>
    Effect.gen(function*() {
      const max = Timestamp.toUnixSeconds(now)
      let promoted = 0
      let offset = 0
      while (true) {
        const due = yield* connection.use("promoteDue", (c) =>
          c.zrangebyscore(keys.scheduled, "-inf", max, "LIMIT", offset, promoteBatch))
        if (due.length === 0) break
        const data = yield* connection.use("promoteDue", (c) => c.mget(...due.map((id) => keys.job(id))))
        const outcomes = yield* Effect.forEach(due, (id, i) => {
          const text = data[i] ?? null
          const decoded = text === null ? undefined : JobCodec.decode(text)
          // Missing or unparsable data: skipped and left in the set, as Go does.
          if (decoded === undefined || Result.isFailure(decoded)) return Effect.succeed<PromoteOutcome>("skipped")
          const job: Job = { ...decoded.success, scheduledFor: undefined }
          return script("promoteDue", Scripts.promote, [keys.scheduled, keys.job(id), queueOf(job)], [
            id,
            max,
            JobCodec.encode(job),
            wakeChannel,
            job.priority
          ]).pipe(Effect.map((r): PromoteOutcome => (r === 1 ? "promoted" : "lost")))
        }, { concurrency: "unbounded" })
        for (const o of outcomes) {
          if (o === "promoted") promoted++
          else if (o === "skipped") offset++
        }
        if (due.length < promoteBatch) break
      }
      return promoted
    }).pipe(Effect.withSpan("RedisQueue.promoteDue"))

  // --- management -------------------------------------------------------------

  /** Read, rewrite in TypeScript, apply if unchanged (-1 from the script: changed meanwhile, read again). */
  const readModifyWrite = (
    operation: string,
    id: JobId,
    step: (job: Job, data: string) => Effect.Effect<unknown, ConnectionError | SerializationError>
  ): Effect.Effect<boolean, ConnectionError | SerializationError> =>
    Effect.gen(function*() {
      for (let attempt = 0; attempt < 10; attempt++) {
        const data = yield* connection.use(operation, (c) => c.get(keys.job(id)))
        if (data === null) return false
        const job = yield* Effect.fromResult(JobCodec.decodeAt(keys.job(id), data))
        const r = Number(yield* step(job, data))
        if (r !== -1) return r === 1
      }
      return yield* Effect.fail(new ConnectionError({ operation, message: `job ${id} kept changing; gave up after 10 attempts` }))
    })

  const cancel = (id: JobId, now: Timestamp.Timestamp) =>
    readModifyWrite("cancel", id, (job, data) => {
      const cancelled: Job = { ...job, status: "failed", error: cancelledError, updatedAt: now, scheduledFor: undefined }
      const result: JobResult.JobResult = { jobId: id, status: "failed", error: cancelledError, completedAt: now, durationMs: 0 }
      return script("cancel", Scripts.cancel, [keys.job(id), queueOf(job), keys.scheduled, keys.result(id)], [
        id,
        data,
        JobCodec.encode(cancelled),
        settings.failureTtlSeconds,
        keys.notify(id),
        ...JobResult.toHashFields(result)
      ])
    })

  const requeueDead = (id: JobId, now: Timestamp.Timestamp) =>
    readModifyWrite("requeueDead", id, (job, data) => {
      if (JobCodec.isDeadLetterRecord(data)) {
        return Effect.fail(new SerializationError({
          message: `${keys.job(id)} holds Go's dead-letter record, not a job: the original data is lost`,
          key: keys.job(id)
        }))
      }
      const requeued: Job = { ...job, status: "pending", attempts: 0, error: undefined, updatedAt: now, scheduledFor: undefined }
      return script("requeueDead", Scripts.requeueDead, [keys.job(id), keys.dead, queueOf(job)], [
        id,
        data,
        JobCodec.encode(requeued),
        wakeChannel,
        job.priority
      ])
    })

  const stats = connection.use("stats", async (c) => {
    const replies = await c.multi()
      .llen(keys.queue("high"))
      .llen(keys.queue("normal"))
      .llen(keys.queue("low"))
      .llen(keys.processing)
      .zcard(keys.scheduled)
      .llen(keys.dead)
      .exec()
    if (replies === null) throw new Error("transaction aborted")
    const n = replies.map(([error, value]) => {
      if (error) throw error
      return Number(value)
    })
    return {
      queued: { high: n[0]!, normal: n[1]!, low: n[2]! },
      processing: n[3]!,
      scheduled: n[4]!,
      dead: n[5]!
    }
  })

  // A page holds at most `limit` jobs, though SCAN returns batches of any
  // size: each batch is sorted, and a page that fills up in the middle of
  // one ends with a cursor naming the SCAN cursor that produced the batch
  // and the last key examined. The next page re-reads that batch (SCAN
  // with the same cursor and COUNT visits the same buckets) and skips the
  // keys up to it, so every key present throughout is still seen once.
  const list = (filter: ListFilter) =>
    Effect.gen(function*() {
      const limit = Math.max(1, Math.floor(filter.limit ?? 100))
      const pattern = escapeGlob(jobKeyPrefix) + "*"
      let { scan, after } = parseListCursor(filter.cursor)
      const jobs: Array<Job> = []
      // Bounded work per page: a rare filter over a large keyspace returns
      // short (even empty) pages with a cursor rather than one long call.
      for (let scans = 0; scans < maxScansPerPage; scans++) {
        const [next, found] = yield* connection.use("list", (c) => c.scan(scan, "MATCH", pattern, "COUNT", scanCount))
        const batch = Array.from(new Set(found)).sort()
        const start = after === undefined ? 0 : batch.findIndex((key) => key > after!)
        after = undefined
        const keyList = start < 0 ? [] : batch.slice(start)
        const data = keyList.length === 0 ? [] : yield* connection.use("list", (c) => c.mget(...keyList))
        for (let i = 0; i < keyList.length; i++) {
          const text = data[i] ?? null
          if (text === null || JobCodec.isDeadLetterRecord(text)) continue
          const decoded = JobCodec.decode(text)
          if (!Result.isSuccess(decoded) || !ListFilters.matches(decoded.success, filter)) continue
          jobs.push(decoded.success)
          if (jobs.length === limit) {
            if (i < keyList.length - 1) return { jobs, cursor: `${scan}:${keyList[i]!}` } satisfies JobPage
            return (next === "0" ? { jobs } : { jobs, cursor: next }) satisfies JobPage
          }
        }
        scan = next
        if (scan === "0") return { jobs } satisfies JobPage
      }
      return { jobs, cursor: scan } satisfies JobPage
    })

  const deadLetters = (options?: { readonly cursor?: string | undefined; readonly limit?: number | undefined }) =>
    Effect.gen(function*() {
      const limit = Math.max(1, Math.floor(options?.limit ?? 100))
      const offset = Math.max(0, Math.floor(Number(options?.cursor ?? "0")) || 0)
      const ids = yield* connection.use("deadLetters", (c) => c.lrange(keys.dead, offset, offset + limit))
      const page = ids.slice(0, limit)
      const data = page.length === 0 ? [] : yield* connection.use("deadLetters", (c) => c.mget(...page.map((id) => keys.job(id))))
      const jobs: Array<Job> = []
      data.forEach((text) => {
        if (text === null) return // expired (dead data lives 7 days)
        const decoded = JobCodec.decode(text)
        if (Result.isSuccess(decoded)) jobs.push(decoded.success)
      })
      return (ids.length > limit ? { jobs, cursor: String(offset + limit) } : { jobs }) satisfies JobPage
    })

  const purge = Effect.gen(function*() {
    const pattern = escapeGlob(keys.prefix) + "*"
    let cursor = "0"
    do {
      const [next, found] = yield* connection.use("purge", (c) => c.scan(cursor, "MATCH", pattern, "COUNT", 1000))
      cursor = next
      if (found.length > 0) yield* connection.use("purge", (c) => c.unlink(...found))
    } while (cursor !== "0")
  })

  const queueOf = (job: Job) => keys.queue(job.priority, job.routingKey)

  return Queue.of({
    keys,
    enqueue,
    enqueueBatch,
    schedule,
    get,
    dequeue,
    dequeueMany,
    complete,
    fail,
    release,
    renewLeases,
    reapExpired,
    promoteDue,
    cancel,
    stats,
    list,
    deadLetters,
    requeueDead,
    purge
  })
})

/**
 * The Redis queue as a layer (needs `RedisConnection` and `Subscriber`).
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: RedisQueueOptions = {}): Layer.Layer<Queue, ConnectionError, RedisConnection | Subscriber> =>
  Layer.effect(Queue, make(options))

// Internal

type PromoteOutcome = "promoted" | "lost" | "skipped"

/** A job end waiting for the next shared `finish` call. */
interface Finishing {
  readonly operation: string
  readonly jobKey: string
  readonly resultKey: string
  readonly args: ReadonlyArray<string | number>
  readonly resume: (effect: Effect.Effect<void, ConnectionError>) => void
}

/** Most jobs one `finish` call ends (bounds the time Redis spends in one script). */
const finishBatch = 64

const describe = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

const missingDataError = "Job data not found (corrupted reference)"
const completedJobTtlSeconds = 86_400
const deadJobTtlSeconds = 604_800
const reapBatch = 500
const promoteBatch = 500
const maxScansPerPage = 20
/** SCAN's COUNT for `list`: constant, so a cursor's batch is the same when re-read. */
const scanCount = 100
/** Most ids one dequeue script takes (keeps its `unpack` far below Lua's stack limit). */
const maxDequeueBatch = 1000
const noDeliveries: ReadonlyArray<Delivery> = []

/** A zset score: unix seconds (fractional allowed), never milliseconds. */
const score = (t: Timestamp.Timestamp): string => String(Timestamp.toUnixSeconds(t))

const chunks = <A>(items: ReadonlyArray<A>, size: number): Array<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** A `list` cursor: `<SCAN cursor>` or `<SCAN cursor>:<last key examined in its batch>`. */
const parseListCursor = (cursor: string | undefined): { readonly scan: string; readonly after: string | undefined } => {
  if (cursor === undefined) return { scan: "0", after: undefined }
  const colon = cursor.indexOf(":")
  return colon < 0 ? { scan: cursor, after: undefined } : { scan: cursor.slice(0, colon), after: cursor.slice(colon + 1) }
}

const escapeGlob = (s: string): string => s.replace(/[*?[\]\\]/g, "\\$&")

