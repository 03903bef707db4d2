/**
 * `JobQueue` written once over the storage port (`JobStore`): every
 * backend gets the same enqueue, dequeue, attempt ends and lease upkeep,
 * each state change a plan decided by `protocol/Transitions`. Recovery
 * (reaping, promotion, reclaiming) is in `Recovery`.
 *
 * **Dequeue.** A take moves ids into processing with their leases and
 * reads their data (one atomic step, one round trip); it is decoded here; missing or
 * corrupted data is dead-lettered at once (Go's records, plus a failed
 * result so waiters end). With `block` > 0 it opens a wait for work before
 * it looks (no lost wake-up), and looks again on every wake-up or poll
 * until `block` runs out.
 *
 * @stability internal
 * @since 0.2.0
 */

import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { JobFailedError, LeaseLostError, type SerializationError, StorageError } from "../domain/Errors.ts"
import type { Job } from "../domain/Job.ts"
import * as JobCodec from "../domain/JobCodec.ts"
import type { JobId } from "../domain/JobId.ts"
import type { Progress } from "../domain/WriteOutcome.ts"
import * as Timestamp from "../domain/Timestamp.ts"
import * as Events from "../protocol/Events.ts"
import * as Take from "../protocol/Take.ts"
import * as T from "../protocol/Transitions.ts"
import * as Wire from "../protocol/Wire.ts"
import {
  type Delivery,
  type DequeueManyOptions,
  type DequeueOptions,
  type EnqueueOutcome,
  EventQueue,
  type JobDelivery,
  JobQueue
} from "../services/JobQueue.ts"
import { applyMany, applyOne, settle, type Settled } from "../store/Apply.ts"
import { JobStore, type StoreFailure } from "../store/JobStore.ts"
import * as Recovery from "../store/Recovery.ts"

/**
 * Builds the queue on the `JobStore` in context.
 *
 * @category constructors
 * @since 0.2.0
 */
export const make = Effect.gen(function*() {
  const store = yield* JobStore
  const p = store.protocol
  const { keys } = p
  const recovery = Recovery.make(store)

  // Lease tokens are `<owner>:<n>`; n starts at a random point so a worker
  // restarted under the same id never reissues a token of its previous life.
  let nextToken = Math.floor(Math.random() * 2 ** 40)

  const created = (operation: string, job: Job) => (settled: Settled | StorageError): Effect.Effect<EnqueueOutcome, StorageError> => {
    if (settled instanceof StorageError) return Effect.fail(settled)
    if (settled._tag === "Applied") return Effect.succeed("created")
    if (settled.reason === "duplicate") return Effect.succeed("duplicate")
    return Effect.die(new Error(`${operation} of ${job.id} refused: ${settled.reason}`))
  }

  const enqueue = (job: Job) => Effect.flatMap(applyOne(store, "enqueue", T.enqueue(p, job)), created("enqueue", job))

  const schedule = (job: Job) =>
    Effect.flatMap(applyOne(store, "schedule", T.schedule(p, job, job.scheduledFor ?? job.updatedAt)), created("schedule", job))

  const enqueueBatch = (jobs: ReadonlyArray<Job>, progress?: Progress) =>
    Effect.flatMap(
      applyMany(store, "enqueueBatch", jobs.map((job) => job.scheduledFor !== undefined && job.status === "scheduled"
        ? T.schedule(p, job, job.scheduledFor)
        : T.enqueue(p, job)), progress),
      (outcomes): Effect.Effect<ReadonlyArray<EnqueueOutcome>, StorageError> => {
        // A plain loop (no Effect per job); the first storage error fails the batch, as before.
        const out: Array<EnqueueOutcome> = []
        for (let i = 0; i < outcomes.length; i++) {
          const o = outcomes[i]!
          if (o instanceof StorageError || (o._tag === "Refused" && o.reason !== "duplicate")) return Effect.as(created("enqueueBatch", jobs[i]!)(o), out) // fails (or dies)
          out.push(o._tag === "Applied" ? "created" : "duplicate")
        }
        return Effect.succeed(out as ReadonlyArray<EnqueueOutcome>)
      }
    )

  const get = (id: JobId) =>
    Effect.flatMap(store.get(keys.job(id)), (data): Effect.Effect<Option.Option<Job>, SerializationError | JobFailedError> =>
      data === undefined
        ? Effect.succeed(Option.none<Job>())
        : Wire.isDeadLetterRecord(data)
        ? Effect.fail(deadLetterRecordFailure(id, data))
        : Effect.map(Effect.fromResult(JobCodec.decodeAt(keys.job(id), data)), Option.some))

  // --- dequeue -------------------------------------------------------------

  // The last take that came back with fewer jobs than it asked for: its
  // queues were empty when it ran. The next blocking dequeue of the same
  // queues waits for a wake-up since that take instead of looking again at
  // once (under light load a job cost a second take that found nothing,
  // sent ahead of the job's outcome).
  let drained: { readonly sources: string; readonly mark: number } | undefined

  /** One take, its data read, bad data dead-lettered (plain `flatMap`s: it runs once per take on the worker's hot path). */
  const takeOnce = (options: DequeueOptions, max: number, sources: string) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => {
      const mark = store.workMark()
      const lease = options.lease === undefined ? undefined : {
        owner: options.lease.owner,
        expiresAt: now + Duration.toMillis(options.lease.duration),
        firstToken: reserveTokens(max),
        heartbeatMillis: Duration.toMillis(options.lease.heartbeat ?? options.lease.duration)
      }
      return Effect.flatMap(store.take(Take.make(p, { priorities: options.priorities, routingKey: options.routingKey, max, lease })), (taken) => {
        drained = taken.length < max && mark !== undefined ? { sources, mark } : undefined
        if (taken.length === 0) return Effect.succeed(noDeliveries)
        const out: Array<Delivery | undefined> = []
        let bad: Array<{ readonly index: number; readonly step: T.Step<string> }> | undefined
        for (let i = 0; i < taken.length; i++) {
          const { id, data } = taken[i]!
          const token = lease === undefined ? undefined : Take.tokenOf(lease, i)
          const decoded = data === undefined ? undefined : JobCodec.decode(data)
          if (decoded !== undefined && decoded._tag === "Success") {
            out.push({ _tag: "Job", job: decoded.success, token })
            continue
          }
          out.push(undefined)
          const goError = decoded === undefined ? undefined : decoded.failure.message
          bad ??= []
          bad.push({ index: i, step: T.deadLetterData(p, { id, token }, { data, goError, now: Timestamp.fromMillis(now) }) })
        }
        return bad === undefined ? Effect.succeed(out as ReadonlyArray<Delivery>) : deadLetterBad(taken, out, bad)
      })
    })

  /** Dead-letters the bad data of a take; the deliveries of the take, each bad one replaced by its dead letter (or dropped). */
  const deadLetterBad = (
    taken: ReadonlyArray<Take.Taken>,
    out: Array<Delivery | undefined>,
    bad: ReadonlyArray<{ readonly index: number; readonly step: T.Step<string> }>
  ) =>
    Effect.gen(function*() {
      // The other deliveries of this take are unaffected: should the dead
      // letter itself fail, the id stays in processing under its lease and
      // the reaper dead-letters it later.
      const outcomes = yield* applyMany(store, "dequeue", bad.map((b) => b.step.plan)).pipe(
        Effect.catch((error) => Effect.as(Effect.logWarning("bananas: could not dead-letter bad job data; the reaper will", error), undefined))
      )
      for (let j = 0; j < bad.length; j++) {
        const { index, step } = bad[j]!
        const settled = outcomes?.[j]
        if (settled === undefined || settled instanceof StorageError || settled._tag === "Refused") continue
        const id = taken[index]!.id
        out[index] = { _tag: "DeadLettered", id, reason: step.value }
        yield* Effect.logWarning(`bananas: dead-lettered ${id}: ${step.value}`)
      }
      return out.filter((d): d is Delivery => d !== undefined)
    })

  const reserveTokens = (n: number): number => {
    const first = nextToken
    nextToken += n
    return first
  }

  const dequeueMany = (options: DequeueManyOptions): Effect.Effect<ReadonlyArray<Delivery>, StoreFailure> =>
    Effect.gen(function*() {
      const max = Math.min(maxTake, Math.floor(options.max))
      if (options.priorities.length === 0 || !(max >= 1)) return noDeliveries
      const sources = options.priorities.map((pr) => keys.queue(pr, options.routingKey))
      const sourcesKey = sources.join("\n")
      const blockMillis = Duration.toMillis(options.block)
      if (!(blockMillis > 0)) return yield* takeOnce(options, max, sourcesKey)
      const deadline = (yield* Clock.currentTimeMillis) + blockMillis
      // Under backlog, a look with no wait opened: once wake-ups are
      // counted (`workMark`), the take records the mark it ran after, and a
      // take that comes back empty leaves the wait below to start from that
      // mark (as after any short take), so no wake-up is lost.
      if (drained?.sources !== sourcesKey && store.workMark() !== undefined) {
        const first = yield* takeOnce(options, max, sourcesKey)
        if (first.length > 0) return first
      }
      return yield* Effect.scoped(Effect.gen(function*() {
        // Listen first, then look: work made available in between wakes us.
        // Opening the wait is part of the wait for work: interruptible, and
        // bounded by `block` (on Redis it costs nothing once the client's
        // lasting subscription is confirmed).
        // Right after a take of these queues came back short, no look: a
        // wake-up since that take wakes the wait at once.
        // Once: a wait that ends without a take (at its deadline) leaves the
        // next dequeue to look at once.
        const since = drained?.sources === sourcesKey ? drained.mark : undefined
        drained = undefined
        const waiter = yield* Effect.interruptible(store.awaitWork(sources, blockMillis, since))
        let look = since === undefined
        while (true) {
          if (look) {
            const next = yield* takeOnce(options, max, sourcesKey)
            if (next.length > 0) return next
          }
          const remaining = deadline - (yield* Clock.currentTimeMillis)
          if (remaining <= 0) return noDeliveries
          // The only interruptible step: see JobQueue.dequeue.
          const woken = yield* Effect.interruptible(waiter.next(remaining))
          // A wait that ran out at the deadline ends without a last look:
          // the caller's next dequeue looks at once.
          if (deadline - (yield* Clock.currentTimeMillis) <= 0) return noDeliveries
          // A poll (no wake-up) is for jobs pushed without one (Go's
          // producers): a plain EXISTS says whether a take is worth it.
          look = woken || (yield* store.exists(sources)) > 0
        }
      }))
    })

  const dequeue = (options: DequeueOptions) =>
    Effect.map(dequeueMany({ ...options, max: 1 }), (taken) => Option.fromUndefinedOr(taken[0]))

  // --- the end of an attempt -----------------------------------------------

  const claim = (delivery: JobDelivery): T.Claim => ({ id: delivery.job.id, token: delivery.token })

  // One step per outcome on the worker's hot path: the store's answer
  // settled and turned into the value or the error in one `flatMap`.
  const held = <A>(operation: string, delivery: JobDelivery, step: T.Step<A>) =>
    Effect.flatMap(store.apply(operation, [step.plan]), (outcomes): Effect.Effect<A, StorageError | LeaseLostError> => {
      const settled = settle(operation, outcomes[0]!)
      if (settled instanceof StorageError) return Effect.fail(settled)
      return settled._tag === "Applied"
        ? Effect.succeed(step.value)
        : Effect.fail(new LeaseLostError({
          jobId: delivery.job.id,
          operation,
          message: `${operation} of job ${delivery.job.id} refused: this delivery no longer holds it ` +
            `(its lease was recovered and the job handed on, or it was cancelled); nothing was written`
        }))
    })

  const complete: JobQueue["Service"]["complete"] = (delivery, outcome) =>
    held("complete", delivery, T.complete(p, claim(delivery), delivery.job, outcome))

  const fail: JobQueue["Service"]["fail"] = (delivery, error, outcome) =>
    held("fail", delivery, T.fail(p, claim(delivery), delivery.job, error, outcome))

  const release = (delivery: JobDelivery) =>
    Effect.asVoid(applyOne(store, "release", T.release(p, claim(delivery), delivery.job)))

  const renewLeases = (owner: string, deliveries: ReadonlyArray<JobDelivery>, duration: Duration.Duration, heartbeat?: Duration.Duration) =>
    Effect.gen(function*() {
      const millis = Duration.toMillis(duration)
      // The heartbeat first, as its own command: Redis accepts a PEXPIRE
      // even when out of memory, so a live worker's jobs stay its own.
      const heartbeatMillis = Duration.toMillis(heartbeat ?? duration)
      yield* store.touch(keys.held(owner), heartbeatMillis)
      const leased = deliveries.filter((d): d is JobDelivery & { readonly token: string } => d.token !== undefined)
      if (leased.length === 0) return noIds
      const expiresAt = (yield* Clock.currentTimeMillis) + millis
      const outcomes = yield* applyMany(
        store,
        "renewLeases",
        leased.map((d) => T.renew(p, { id: d.job.id, token: d.token }, expiresAt, heartbeatMillis))
      )
      const lost: Array<JobId> = []
      outcomes.forEach((o, i) => {
        if (!(o instanceof StorageError) && o._tag === "Refused") lost.push(leased[i]!.job.id)
      })
      return lost as ReadonlyArray<JobId>
    })

  return JobQueue.of({
    protocol: p,
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
    reclaim: recovery.reclaim,
    reapExpired: recovery.reapExpired,
    promoteDue: recovery.promoteDue
  })
})

/**
 * The queue over whichever `JobStore` is provided.
 *
 * @category layers
 * @since 0.2.0
 */
export const layer: Layer.Layer<JobQueue, never, JobStore> = Layer.effect(JobQueue, make)

// Internal

/** Most ids one take moves (keeps each script call short). */
const maxTake = 1000

const noDeliveries: ReadonlyArray<Delivery> = []
const noIds: ReadonlyArray<JobId> = []

/** What `get` says of Go's dead-letter record: the job failed for good, and its data is lost. */
const deadLetterRecordFailure = (id: JobId, data: string): JobFailedError => {
  const error = Wire.deadLetterRecordError(data) ?? ""
  return new JobFailedError({
    jobId: id,
    error,
    message: `job ${id} was dead-lettered without its data (its data was missing or unreadable when a worker took it; only Go's dead-letter record is left): ${error}`
  })
}

/**
 * The queue on the `JobStore` in context, over the events' own namespace
 * (`Events.deliveryProtocol` of the store's protocol): `EventQueue`.
 *
 * @category constructors
 * @since 0.2.0
 */
export const makeEvents = Effect.flatMap(JobStore, (store) =>
  Effect.provideService(make, JobStore, { ...store, protocol: Events.deliveryProtocol(store.protocol) }))

/**
 * `EventQueue` over whichever `JobStore` is provided.
 *
 * @category layers
 * @since 0.2.0
 */
export const layerEvents: Layer.Layer<EventQueue, never, JobStore> = Layer.effect(EventQueue, makeEvents)
