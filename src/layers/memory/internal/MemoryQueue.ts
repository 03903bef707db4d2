/**
 * The `Queue` service in memory, with the semantics of the Redis layer: the
 * same keys and values (job JSON text per key, priority lists, the
 * `queue:scheduled` zset scored in unix seconds, processing and dead lists,
 * the `leases` zset), Go's dead-letter records, backoff and TTLs.
 *
 * Each operation is one synchronous state change, so it is atomic. Time
 * comes from Effect's `Clock`: TTLs, leases and `dequeue`'s blocking wait
 * follow TestClock in tests.
 *
 * Internal: exposed through `BananasMemory`.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Result from "effect/Result"
import { SerializationError } from "../../../domain/Errors.ts"
import type { Job } from "../../../domain/Job.ts"
import * as JobModel from "../../../domain/Job.ts"
import * as JobCodec from "../../../domain/JobCodec.ts"
import * as ListFilters from "../../ListFilter.ts"
import type { JobId } from "../../../domain/JobId.ts"
import type { RawJson } from "../../../domain/RawJson.ts"
import * as Timestamp from "../../../domain/Timestamp.ts"
import { Queue as QueueService, type DequeueManyOptions, type DequeueOptions, type Delivery, type FailOutcome, type JobPage, type ListFilter } from "../../../services/Queue.ts"
import { atomically, type Shared, writeResult } from "./Shared.ts"

/**
 * TTL of a completed job's data (Go: `EX 86400`).
 *
 * @category constants
 * @since 0.1.0
 */
export const completedJobTtlMillis = 86_400_000

/**
 * TTL of a dead-lettered, cancelled or corrupted job's data (Go: `EX 604800`).
 *
 * @category constants
 * @since 0.1.0
 */
export const deadJobTtlMillis = 604_800_000

/**
 * The error recorded when the reaper recovers a job whose worker's lease
 * expired.
 *
 * @category constants
 * @since 0.1.0
 */
export const leaseExpiredError = "lease expired: worker lost"

/**
 * The error recorded on a cancelled job and its result.
 *
 * @category constants
 * @since 0.1.0
 */
export const cancelledError = "cancelled"

/**
 * Builds the memory `Queue` over a shared keyspace (see `BananasMemory`).
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (shared: Shared): QueueService["Service"] => {
  const { store, keys } = shared
  const run = <A>(f: (now: number) => A) => atomically(shared, f)

  const queueKey = (job: Job) => keys.queue(job.priority, job.routingKey)

  const put = (job: Job, ttlMillis?: number) => store.set(keys.job(job.id), JobCodec.encode(job), ttlMillis)

  const dropLease = (id: JobId) => store.zrem(keys.leases, id)

  /** Go's dead-lettering of an id whose data is missing or unreadable. */
  const deadLetterRecord = (id: JobId, record: string) => {
    store.lpush(keys.dead, id)
    store.lrem(keys.processing, 1, id)
    dropLease(id)
    store.set(keys.job(id), record, deadJobTtlMillis)
  }

  /** Reads the job of a processing entry, dead-lettering it as Go does when the data is bad. */
  const readOrDeadLetter = (id: JobId): Delivery => {
    const text = store.get(keys.job(id))
    if (text === undefined) {
      const record = JobCodec.missingDataRecord(id)
      deadLetterRecord(id, record)
      return { _tag: "DeadLettered", id, reason: "Job data not found (corrupted reference)" }
    }
    const decoded = JobCodec.decode(text)
    if (Result.isFailure(decoded)) {
      deadLetterRecord(id, JobCodec.corruptedDataRecord(id, text, decoded.failure.message))
      return { _tag: "DeadLettered", id, reason: `Failed to unmarshal job: ${decoded.failure.message}` }
    }
    return { _tag: "Job", job: decoded.success }
  }

  /** Takes up to `max` ids (strict priority, oldest first) into processing, with their leases. */
  const tryDequeue = (options: DequeueOptions, max: number, now: number): ReadonlyArray<Delivery> => {
    const out: Array<Delivery> = []
    for (const priority of options.priorities) {
      const queue = keys.queue(priority, options.routingKey)
      while (out.length < max) {
        const id = store.rpop(queue)
        if (id === undefined) break
        store.lpush(keys.processing, id)
        // The owner is not stored: like the Redis layer, only the expiry matters to the reaper.
        if (options.lease !== undefined) store.zadd(keys.leases, now + Duration.toMillis(options.lease.duration), id)
        out.push(readOrDeadLetter(id))
      }
      if (out.length >= max) break
    }
    return out
  }

  const dequeueMany = (options: DequeueManyOptions): Effect.Effect<ReadonlyArray<Delivery>> =>
    Effect.gen(function*() {
      const max = Math.floor(options.max)
      if (options.priorities.length === 0 || !(max >= 1)) return []
      const blockMillis = Duration.toMillis(options.block)
      const first = yield* run((now) => tryDequeue(options, max, now))
      if (first.length > 0 || !(blockMillis > 0)) return first
      return yield* Effect.scoped(Effect.gen(function*() {
        // Watch first, then check: a push between the check and the wait still wakes us.
        const signal = yield* Queue.sliding<void>(1)
        const watched = options.priorities.map((p) => keys.queue(p, options.routingKey))
        yield* Effect.acquireRelease(
          Effect.sync(() => store.watch(watched, () => Queue.offerUnsafe(signal, undefined))),
          (unwatch) => Effect.sync(unwatch)
        )
        const deadline = (yield* run((now) => now)) + blockMillis
        for (;;) {
          // The pop is never under the timeout, so a timeout cannot drop a popped job.
          const [taken, now] = yield* run((now) => [tryDequeue(options, max, now), now] as const)
          if (taken.length > 0) return taken
          if (now >= deadline) return []
          // The only interruptible step: see Queue.dequeue.
          yield* Effect.interruptible(Effect.timeoutOption(Queue.take(signal), deadline - now))
        }
      }))
    })

  const dequeue = (options: DequeueOptions): Effect.Effect<Option.Option<Delivery>> =>
    Effect.map(dequeueMany({ ...options, max: 1 }), (taken) => Option.fromUndefinedOr(taken[0]))

  const complete = (job: Job, outcome: { readonly result?: RawJson | undefined; readonly durationMs: number; readonly now: Timestamp.Timestamp }) =>
    run(() => {
      const updated: Job = { ...job, status: "completed", updatedAt: outcome.now }
      put(updated, completedJobTtlMillis)
      store.lrem(keys.processing, 1, job.id)
      dropLease(job.id)
      writeResult(shared, {
        jobId: job.id,
        status: "completed",
        result: outcome.result,
        completedAt: outcome.now,
        durationMs: outcome.durationMs
      })
      return updated
    })

  /** Counts a failed attempt: retried via the scheduled set, or dead-lettered with a failed result. */
  const failAttempt = (job: Job, error: string, durationMs: number, now: Timestamp.Timestamp): FailOutcome => {
    const attempts = job.attempts + 1
    store.lrem(keys.processing, 1, job.id)
    dropLease(job.id)
    if (attempts < job.maxRetries) {
      const scheduledFor = Timestamp.addSeconds(now, JobModel.backoffSeconds(attempts))
      const retried: Job = { ...job, status: "pending", attempts, error, updatedAt: now, scheduledFor }
      put(retried)
      store.zadd(keys.scheduled, scheduledFor.seconds, job.id) // floor of the unix time, as Go
      return { _tag: "Retrying", job: retried }
    }
    const dead: Job = { ...job, status: "failed", attempts, error, updatedAt: now, scheduledFor: undefined }
    put(dead, deadJobTtlMillis)
    store.lpush(keys.dead, job.id)
    writeResult(shared, { jobId: job.id, status: "failed", error, completedAt: now, durationMs })
    return { _tag: "Dead", job: dead }
  }

  const fail = (job: Job, error: string, outcome: { readonly durationMs: number; readonly now: Timestamp.Timestamp }) =>
    run(() => failAttempt(job, error, outcome.durationMs, outcome.now))

  const release = (job: Job) =>
    run(() => {
      // Only a job still held goes back, so a late release never duplicates a reaped job.
      if (store.lrem(keys.processing, 1, job.id) > 0) store.rpush(queueKey(job), job.id)
      dropLease(job.id)
    })

  const renewLeases = (ids: ReadonlyArray<JobId>, duration: Duration.Duration) =>
    run((now) => {
      const until = now + Duration.toMillis(duration)
      for (const id of ids) store.zadd(keys.leases, until, id, true)
    })

  const reapExpired = (options?: { readonly maxAge?: Duration.Duration | undefined }) =>
    run((now) => {
      const recovered: Array<JobId> = []
      const inFlight = new Set(store.lrange(keys.processing))
      for (const [id] of store.zrangeByScore(keys.leases, now)) {
        dropLease(id)
        if (!inFlight.has(id)) continue // finished by a worker that left its lease behind
        recovered.push(id)
        const delivery = readOrDeadLetter(id) // bad data is dead-lettered as dequeue does
        if (delivery._tag === "Job") {
          const job = delivery.job
          if (JobModel.willRetryAfterFailure(job)) {
            // Back to its queue at once (no backoff): the worker died, not the job.
            store.lrem(keys.processing, 1, id)
            const requeued: Job = {
              ...job,
              status: "pending",
              attempts: job.attempts + 1,
              error: leaseExpiredError,
              updatedAt: Timestamp.fromMillis(now),
              scheduledFor: undefined
            }
            put(requeued)
            store.rpush(queueKey(requeued), id) // at the head: it had already waited its turn
          } else {
            failAttempt(job, leaseExpiredError, 0, Timestamp.fromMillis(now))
          }
        }
      }
      if (options?.maxAge !== undefined) {
        // An entry without a lease (a Go worker's) has no start time: the first pass
        // that sees it gives it a lease of maxAge, so it is recovered only if it is
        // still held maxAge later.
        const maxAgeMillis = Duration.toMillis(options.maxAge)
        for (const id of store.lrange(keys.processing)) {
          if (store.zscore(keys.leases, id) === undefined && !recovered.includes(id)) {
            store.zadd(keys.leases, now + maxAgeMillis, id)
          }
        }
      }
      return recovered as ReadonlyArray<JobId>
    })

  const promoteDue = (now: Timestamp.Timestamp) =>
    run(() => {
      let promoted = 0
      for (const [id] of store.zrangeByScore(keys.scheduled, Timestamp.toUnixSeconds(now))) {
        const text = store.get(keys.job(id))
        if (text === undefined) continue // Go skips missing data and never removes it
        const decoded = JobCodec.decode(text)
        if (Result.isFailure(decoded)) continue
        const job: Job = { ...decoded.success, scheduledFor: undefined }
        put(job)
        if (store.zrem(keys.scheduled, id)) {
          store.lpush(queueKey(job), id)
          promoted++
        }
      }
      return promoted
    })

  const readJob = (id: JobId): Result.Result<Job | undefined, SerializationError> => {
    const key = keys.job(id)
    const text = store.get(key)
    return text === undefined ? Result.succeed(undefined) : JobCodec.decodeAt(key, text)
  }

  const get = (id: JobId) => run(() => readJob(id)).pipe(Effect.flatMap(Effect.fromResult), Effect.map(Option.fromUndefinedOr))

  const cancel = (id: JobId, now: Timestamp.Timestamp) =>
    run((): Result.Result<boolean, SerializationError> => {
      const read = readJob(id)
      if (Result.isFailure(read) || read.success === undefined) return Result.map(read, () => false)
      const job = read.success
      const removed = store.zrem(keys.scheduled, id) || store.lrem(queueKey(job), 0, id) > 0
      if (!removed) return Result.succeed(false)
      put({ ...job, status: "failed", error: cancelledError, updatedAt: now, scheduledFor: undefined }, deadJobTtlMillis)
      writeResult(shared, { jobId: id, status: "failed", error: cancelledError, completedAt: now, durationMs: 0 })
      return Result.succeed(true)
    }).pipe(Effect.flatMap(Effect.fromResult))

  const stats = run(() => ({
    queued: {
      high: store.llen(keys.queue("high")),
      normal: store.llen(keys.queue("normal")),
      low: store.llen(keys.queue("low"))
    },
    processing: store.llen(keys.processing),
    scheduled: store.zcard(keys.scheduled),
    dead: store.llen(keys.dead)
  }))

  const list = (filter: ListFilter) =>
    run((): JobPage => {
      const limit = pageSize(filter.limit)
      const jobPrefix = keys.job("")
      const all = store.keys(jobPrefix).filter((key) => filter.cursor === undefined || key > filter.cursor)
      const jobs: Array<Job> = []
      for (let i = 0; i < all.length; i++) {
        const key = all[i]!
        const text = store.get(key) ?? ""
        const decoded = JobCodec.decode(text)
        if (!JobCodec.isDeadLetterRecord(text) && Result.isSuccess(decoded) && ListFilters.matches(decoded.success, filter)) jobs.push(decoded.success)
        if (jobs.length === limit) return i + 1 < all.length ? { jobs, cursor: key } : { jobs }
      }
      return { jobs }
    })

  const deadLetters = (options?: { readonly cursor?: string | undefined; readonly limit?: number | undefined }) =>
    run((): JobPage => {
      const limit = pageSize(options?.limit)
      const offset = Math.max(0, Math.floor(Number(options?.cursor ?? 0)) || 0)
      const ids = store.lrange(keys.dead)
      const jobs: Array<Job> = []
      for (const id of ids.slice(offset, offset + limit)) {
        const read = readJob(id)
        if (Result.isSuccess(read) && read.success !== undefined) jobs.push(read.success)
      }
      return offset + limit < ids.length ? { jobs, cursor: String(offset + limit) } : { jobs }
    })

  const requeueDead = (id: JobId, now: Timestamp.Timestamp) =>
    run((): Result.Result<boolean, SerializationError> => {
      const read = readJob(id)
      if (Result.isFailure(read) || read.success === undefined) return Result.map(read, () => false)
      const key = keys.job(id)
      if (JobCodec.isDeadLetterRecord(store.get(key)!)) {
        return Result.fail(new SerializationError({ message: `${key} holds Go's dead-letter record, not a job: the original data is lost`, key }))
      }
      if (!store.lrange(keys.dead).includes(id)) return Result.succeed(false)
      const job: Job = { ...read.success, status: "pending", attempts: 0, error: undefined, scheduledFor: undefined, updatedAt: now }
      put(job)
      store.lrem(keys.dead, 0, id)
      store.lpush(queueKey(job), id)
      return Result.succeed(true)
    }).pipe(Effect.flatMap(Effect.fromResult))

  const purge = run(() => {
    for (const key of store.keys(keys.prefix)) store.del(key)
  })

  return QueueService.of({
    keys,
    enqueue: (job) => run(() => enqueueOne(job)),
    enqueueBatch: (jobs) => run(() => jobs.forEach(enqueueOne)),
    schedule: (job) =>
      run(() => {
        put(job)
        store.zadd(keys.scheduled, Timestamp.toUnixSeconds(job.scheduledFor ?? job.updatedAt), job.id)
      }),
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

  function enqueueOne(job: Job): void {
    put(job) // SET before LPUSH: an id without data would be dead-lettered
    store.lpush(queueKey(job), job.id)
  }
}

// Internal

const pageSize = (limit: number | undefined): number =>
  limit === undefined || !Number.isFinite(limit) ? 100 : Math.max(1, Math.floor(limit))

