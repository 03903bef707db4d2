/**
 * `QueueAdmin` written once over the storage port: depths, listings (SCAN,
 * never KEYS), dead letters, cancel and requeue (read, decide, apply if
 * nothing changed meanwhile), pause and resume.
 *
 * @stability internal
 * @since 0.2.0
 */

import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { JobConflictError, JobNotFoundError, SerializationError, StorageError, ValidationError } from "../domain/Errors.ts"
import type { Job } from "../domain/Job.ts"
import * as JobCodec from "../domain/JobCodec.ts"
import type { JobId } from "../domain/JobId.ts"
import * as JobPage from "../domain/JobPage.ts"
import * as JobStatus from "../domain/JobStatus.ts"
import * as QueueRef from "../domain/QueueRef.ts"
import type { QueueStats } from "../domain/QueueStats.ts"
import * as Timestamp from "../domain/Timestamp.ts"
import type { Plan } from "../protocol/Plan.ts"
import * as A from "../protocol/AdminTransitions.ts"
import { parseQueueName } from "../protocol/Keys.ts"
import type { Step } from "../protocol/Transitions.ts"
import * as Wire from "../protocol/Wire.ts"
import { QueueAdmin } from "../services/QueueAdmin.ts"
import { applyMany, applyOne } from "../store/Apply.ts"
import { JobStore, type StoreFailure } from "../store/JobStore.ts"
import * as Clock from "effect/Clock"

/**
 * The work budget of one filtered `list` page: it scans until `limit` jobs
 * matched or the keyspace ended, for at most this long (at least one SCAN
 * batch), then returns the jobs found so far (maybe none) and a cursor to
 * scan on. A rare match in a large keyspace costs a scan of it: about one
 * round trip per 100 keys.
 *
 * @category constants
 * @since 0.2.0
 */
export const listBudgetMillis = 2_000

/**
 * Builds the admin service on the `JobStore` in context.
 *
 * @category constructors
 * @since 0.2.0
 */
export const make = Effect.gen(function*() {
  const store = yield* JobStore
  const p = store.protocol
  const { keys } = p
  const jobPrefix = keys.job("")

  // Members that name no queue (written by hand) are left out.
  const paused = Effect.map(store.smembers(keys.paused), (members) =>
    [...members].sort().flatMap((member): Array<QueueRef.QueueRef> => {
      const queue = parseQueueName(member)
      return queue === undefined ? [] : [queue]
    }))

  const stats = Effect.map(
    Effect.all([
      store.sizes([keys.queue("high"), keys.queue("normal"), keys.queue("low"), keys.processing, keys.dead], [keys.scheduled]),
      paused
    ], { concurrency: "unbounded" }),
    ([{ lists, zsets }, pausedQueues]): QueueStats => ({
      queued: { high: lists[0]!, normal: lists[1]!, low: lists[2]! },
      processing: lists[3]!,
      dead: lists[4]!,
      scheduled: zsets[0]!,
      ...(pausedQueues.length > 0 ? { paused: pausedQueues } : {})
    })
  )

  /** Validates the queue, then applies the plan decided for it. */
  const pausing = (operation: string, decide: (queue: QueueRef.QueueRef) => Plan) => (queue: QueueRef.QueueRef) =>
    Effect.gen(function*() {
      const valid = yield* Effect.fromResult(QueueRef.validate(queue))
      const settled = yield* applyOne(store, operation, decide(valid))
      if (settled._tag !== "Applied") return yield* Effect.die(new Error(`${operation} refused: ${settled.reason}`))
      return valid
    })

  // A page holds at most `limit` jobs, though SCAN returns batches of any
  // size: a page that fills up in the middle of a batch ends with a cursor
  // naming the next SCAN cursor and the batch's keys it did not examine,
  // and the next page reads those first. A batch is never re-read: Redis
  // rehashes between pages (its table grows or shrinks as keys come and
  // go), and the same SCAN cursor then returns other keys.
  const list = (filter: JobPage.ListFilter) =>
    Effect.gen(function*() {
      const limit = pageSize(filter.limit)
      const cursor = decodeCursor(filter.cursor, store.isScanCursor)
      if (cursor === undefined) return yield* badCursor(filter.cursor)
      let { scan, pending } = cursor
      const jobs: Array<Job> = []
      // SCAN returns a key again when Redis shrinks its table between two
      // calls: never twice in one page (a later page may repeat one).
      const seen = new Set<string>()
      // Bounded work per page: the scan goes on until `limit` jobs matched
      // or the keyspace ended, for at most `listBudgetMillis`; past it, a
      // rare filter over a large keyspace returns what it found (maybe
      // nothing: no match in the part scanned so far) and a cursor.
      const deadline = (yield* Clock.currentTimeMillis) + listBudgetMillis
      for (let first = true; first || (yield* Clock.currentTimeMillis) < deadline; first = false) {
        let ids = pending
        pending = []
        if (ids.length === 0) {
          const [next, found] = yield* store.scan(scan, jobPrefix, scanCount)
          ids = Array.from(new Set(found), (key) => key.slice(jobPrefix.length)).sort()
          scan = next
        }
        const datas = yield* store.mget(ids.map((id) => jobPrefix + id))
        for (let i = 0; i < ids.length; i++) {
          const job = readJob(datas[i])
          if (job === undefined || !matches(job, filter) || seen.has(ids[i]!)) continue
          seen.add(ids[i]!)
          jobs.push(job)
          if (jobs.length === limit) {
            const rest = ids.slice(i + 1)
            return scan === "0" && rest.length === 0 ? { jobs } : { jobs, cursor: encodeCursor(scan, rest) }
          }
        }
        if (scan === "0") return { jobs }
      }
      return { jobs, cursor: encodeCursor(scan, []) }
    })

  const deadLetters = (page?: JobPage.PageRequest) =>
    Effect.gen(function*() {
      const limit = pageSize(page?.limit)
      const offset = parseOffset(page?.cursor)
      if (offset === undefined) return yield* badCursor(page?.cursor)
      const ids = yield* store.lrange(keys.dead, offset, offset + limit) // one more: is there a next page?
      const datas = yield* store.mget(ids.slice(0, limit).map((id) => keys.job(id)))
      // Expired (7 d) or undecodable data is left out; Go's dead-letter
      // records are listed (id and Go's error), as the dead list holds them.
      const jobs = datas.map(readDeadLetter).filter((j): j is Job => j !== undefined)
      return ids.length > limit ? { jobs, cursor: String(offset + limit) } : { jobs }
    })

  /** Reads the job, decides, applies if nothing changed meanwhile (else reads again). */
  const readDecideApply = <E>(
    operation: string,
    id: JobId,
    decide: (job: Job, data: string) => Effect.Effect<Step, E | StoreFailure>
  ): Effect.Effect<Job, E | JobNotFoundError | SerializationError | StoreFailure> =>
    Effect.gen(function*() {
      for (let attempt = 0; attempt < maxAttempts; attempt++) {
        const data = yield* store.get(keys.job(id))
        if (data === undefined) return yield* new JobNotFoundError({ jobId: id, message: `job ${id} not found` })
        const job = yield* Effect.fromResult(JobCodec.decodeAt(keys.job(id), data))
        const step = yield* decide(job, data)
        const settled = yield* applyOne(store, operation, step.plan)
        if (settled._tag === "Applied") return step.value
      }
      return yield* new StorageError({
        operation,
        reason: "Other",
        key: keys.job(id),
        message: `${operation}: job ${id} kept changing while it was being read; gave up after ${maxAttempts} attempts`
      })
    })

  const conflict = (job: Job, operation: string, why: string) =>
    new JobConflictError({ jobId: job.id, status: job.status, operation, message: `cannot ${operation} job ${job.id}: ${why}` })

  const cancel = (id: JobId, now: Timestamp.Timestamp) =>
    readDecideApply("cancel", id, (job, data) =>
      Effect.gen(function*() {
        const queued = yield* store.lpos(keys.queue(job.priority, job.routingKey), id)
        const scheduled = !queued && (yield* store.zscore(keys.scheduled, id)) !== undefined
        if (!queued && !scheduled) {
          return yield* conflict(job, "cancel", JobStatus.isFinal(job.status)
            ? `it has finished (status ${JSON.stringify(job.status)})`
            : "it is not waiting in its queue or the scheduled set (it is running)")
        }
        return A.cancel(p, { data, job, where: queued ? "queued" : "scheduled", now })
      }))

  const requeueDead = (id: JobId, now: Timestamp.Timestamp) =>
    readDecideApply("requeueDead", id, (job, data) =>
      Effect.gen(function*() {
        if (Wire.isDeadLetterRecord(data)) {
          return yield* new SerializationError({
            message: `${keys.job(id)} holds Go's dead-letter record (${Wire.deadLetterRecordError(data) ?? "no error"}), not a job: the original data is lost`,
            key: keys.job(id)
          })
        }
        if (!(yield* store.lpos(keys.dead, id))) return yield* conflict(job, "requeue", "it is not in the dead letter")
        return A.requeueDead(p, { data, job, now })
      }))

  const purgeDead = Effect.gen(function*() {
    let purged = 0
    for (let round = 0; round < 10_000; round++) {
      const ids = [...new Set(yield* store.lrange(keys.dead, 0, batch - 1))]
      if (ids.length === 0) break
      const plans: Array<Plan> = ids.map((id) => A.purgeDead(p, id))
      const outcomes = yield* applyMany(store, "purgeDead", plans)
      for (const o of outcomes) {
        if (o instanceof StorageError) return yield* Effect.fail(o)
        if (o._tag === "Applied") purged++
      }
    }
    return purged
  })

  return QueueAdmin.of({
    stats,
    list,
    deadLetters,
    cancel,
    requeueDead,
    purgeDead,
    pause: pausing("pauseQueue", (queue) => A.pause(p, queue)),
    resume: pausing("resumeQueue", (queue) => A.resume(p, queue)),
    paused
  })
})

/**
 * The admin service over whichever `JobStore` is provided.
 *
 * @category layers
 * @since 0.2.0
 */
export const layer: Layer.Layer<QueueAdmin, never, JobStore> = Layer.effect(QueueAdmin, make)

/**
 * True when the job passes every filter given (status, priority, name, and
 * `from` <= created_at < `to`).
 *
 * @category predicates
 * @since 0.2.0
 */
export const matches = (job: Job, filter: JobPage.ListFilter): boolean =>
  (filter.status === undefined || job.status === filter.status) &&
  (filter.priority === undefined || job.priority === filter.priority) &&
  (filter.name === undefined || job.name === filter.name) &&
  (filter.from === undefined || Timestamp.compare(job.createdAt, filter.from) >= 0) &&
  (filter.to === undefined || Timestamp.compare(job.createdAt, filter.to) < 0)

// Internal

const batch = 500
const maxAttempts = 10
/** SCAN's COUNT for `list`. */
const scanCount = 100
/** The most ids a `list` cursor carries: a SCAN batch is about `scanCount` keys (more on long hash chains). */
const maxPending = 10 * scanCount

const pageSize = (limit: number | undefined): number =>
  limit === undefined || !Number.isFinite(limit) ? JobPage.defaultLimit : Math.min(JobPage.maxLimit, Math.max(1, Math.floor(limit)))

/** A dead letter from data read: a job, or one of Go's dead-letter records read as one (id, error); none when absent or undecodable. */
const readDeadLetter = (data: string | undefined): Job | undefined => {
  if (data === undefined) return undefined
  const decoded = JobCodec.decode(data)
  return decoded._tag === "Success" ? decoded.success : undefined
}

/** A job from data read, or none (absent, one of Go's dead-letter records, or undecodable). */
const readJob = (data: string | undefined): Job | undefined => {
  if (data === undefined || Wire.isDeadLetterRecord(data)) return undefined
  const decoded = JobCodec.decode(data)
  return decoded._tag === "Success" ? decoded.success : undefined
}

/**
 * A `list` cursor: the SCAN cursor to go on from and the ids of the last
 * batch not yet examined (opaque to callers). `"0"` with no ids left is the
 * end, so it is never written; `"0"` alone read back is the start.
 */
const encodeCursor = (scan: string, pending: ReadonlyArray<string>): string =>
  Buffer.from(JSON.stringify([scan, ...pending]), "utf8").toString("base64url")

/** A `list` cursor read back; none when it is not one `encodeCursor` wrote over a SCAN cursor the store accepts. */
const decodeCursor = (
  cursor: string | undefined,
  isScanCursor: (scan: string) => boolean
): { scan: string; pending: ReadonlyArray<string> } | undefined => {
  if (cursor === undefined) return { scan: "0", pending: [] }
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"))
    if (Array.isArray(parsed) && parsed.length <= maxPending + 1 && parsed.every((part) => typeof part === "string")) {
      const [scan, ...pending] = parsed as ReadonlyArray<string>
      if (scan !== undefined && isScanCursor(scan)) return { scan, pending }
    }
  } catch {
    // not one of ours
  }
  return undefined
}

/** A dead-letter cursor: the offset of the next page. */
const parseOffset = (cursor: string | undefined): number | undefined =>
  cursor === undefined ? 0 : /^\d{1,15}$/.test(cursor) ? Number(cursor) : undefined

const badCursor = (cursor: string | undefined) =>
  new ValidationError({ field: "cursor", message: `not a cursor this listing returned: ${JSON.stringify(cursor)}` })
