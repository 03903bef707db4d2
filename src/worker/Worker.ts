/**
 * The worker runtime: takes jobs from the queues (strict priority order,
 * optional routing key), runs their handlers with bounded concurrency and a
 * per-job timeout, and records each outcome as one atomic `Queue` step
 * (complete; retry with Go's backoff; dead letter).
 *
 * Around that it keeps jobs safe: each job taken carries a lease (and a
 * token only this delivery has) that a background fiber renews while it
 * runs, together with the worker's heartbeat, so that when a worker dies
 * the reaper (of any worker) returns its jobs to their queue; a worker that
 * was presumed dead and comes back is fenced off (`LeaseLostError`, nothing
 * written). An outcome that cannot be written (Redis down, out of memory)
 * is retried with backoff while the job stays leased: a finished job is
 * not run again only because Redis refused writes for a while. Jobs Redis
 * says the worker holds but that it never received (a dequeue reply lost
 * on the wire) are given back within seconds, without counting an attempt.
 * The scheduler (promotion of due scheduled jobs), the cron scheduler (the
 * due slots of stored schedules, when the backend provides `Schedules`) and
 * the reaper run inside the worker by default.
 *
 * The worker lives in a `Scope`: closing it (interruption, or SIGINT /
 * SIGTERM under `NodeRuntime.runMain`) stops taking jobs, lets running ones
 * finish until `shutdownTimeout`, returns the others to their queue and then
 * stops its fibers. It needs only the `JobQueue` service: Redis or memory.
 *
 * @example
 * ```ts
 * const handlers = Handlers.empty.pipe(Handlers.add(Resize, (p) => resize(p)))
 * const main = Worker.run({ handlers, concurrency: 20 }).pipe(Effect.provide(BananasRedis.layer({ url })))
 * NodeRuntime.runMain(main)
 * ```
 *
 * @since 0.1.0
 */

import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import type * as Exit from "effect/Exit"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import * as LogLevel from "effect/LogLevel"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as References from "effect/References"
import type * as Scope from "effect/Scope"
import type { LeaseLostError, ValidationError } from "../domain/Errors.ts"
import type { Job } from "../domain/Job.ts"
import * as Timestamp from "../domain/Timestamp.ts"
import * as Retry from "../protocol/Retry.ts"
import { type Delivery, type JobDelivery, JobQueue } from "../services/JobQueue.ts"
import { Schedules } from "../services/Schedules.ts"
import type { StoreFailure } from "../store/JobStore.ts"
import * as BrokenQueues from "./BrokenQueues.ts"
import * as CronScheduler from "./CronScheduler.ts"
import * as Execution from "./Execution.ts"
import * as Failure from "./Failure.ts"
import { inJobScope } from "./JobScope.ts"
import * as Metrics from "./Metrics.ts"
import * as Reaper from "./Reaper.ts"
import * as Registry from "./Registry.ts"
import * as StrayReclaim from "./StrayReclaim.ts"
import * as Promoter from "./Promoter.ts"
import * as Slots from "./Slots.ts"
import { surviving } from "./BackgroundLoops.ts"
import { persist, renewLeases, retryBriefly } from "./LeaseUpkeep.ts"
import { type Options, resolve } from "./WorkerConfig.ts"

export type { Options } from "./WorkerConfig.ts"
export type { Snapshot as SlotsSnapshot } from "./Slots.ts"

/**
 * A running worker.
 *
 * @category services
 * @since 0.1.0
 */
export class Worker extends Context.Service<Worker, {
  /** The owner name of this worker's leases. */
  readonly id: string
  /** The jobs running right now. */
  readonly inFlight: Effect.Effect<ReadonlyArray<Job>>
  /** What its slots hold, and any broken invariant of them (none: see `Slots`). */
  readonly slots: Effect.Effect<Slots.Snapshot & { readonly violations: ReadonlyArray<string> }>
  /**
   * Stops taking jobs and drains: running jobs get until `shutdownTimeout`
   * to finish, the others go back to their queue. Idempotent; the worker's
   * scope does the same when it closes.
   */
  readonly shutdown: Effect.Effect<void>
}>()("@bananas/effect/Worker") {}

/**
 * Starts a worker in the current scope; it runs until the scope closes (or
 * `shutdown`), then drains gracefully.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = <R>(options: Options<R>): Effect.Effect<Worker["Service"], ValidationError, JobQueue | R | Scope.Scope> =>
  Effect.gen(function*() {
    const queue = yield* JobQueue
    const config = yield* Effect.fromResult(resolve(options))
    if (Duration.isGreaterThanOrEqualTo(config.leaseRenewInterval, config.leaseDuration)) {
      yield* Effect.logWarning("leaseRenewInterval >= leaseDuration: leases of running jobs will lapse between renewals")
    }
    // Slots, writers, running and writing jobs, takes: see Slots for the invariants.
    const slots = yield* Slots.make(config.concurrency)
    const running = slots.running

    // Lease renewal: keeps running during the drain, stopped last.
    yield* Effect.forkScoped(renewLeases(queue, running, slots.writing, config))

    const jobs = yield* FiberSet.make<void, never>()

    const recordOutcome = (delivery: JobDelivery, outcome: Execution.Outcome, startedAt: number, end: number, restore: Restore) => {
      const now = Timestamp.fromMillis(end)
      const durationMs = Math.max(0, end - startedAt)
      switch (outcome._tag) {
        case "Interrupted": {
          if (slots.stopping) {
            // Uninterruptible and bounded: the drain gives the job back.
            return Effect.andThen(retryBriefly(queue.release(delivery)), Effect.logInfo("job returned to its queue (shutdown)"))
          }
          return recordFailure(delivery, "interrupted", durationMs, now, restore)
        }
        case "Completed":
          return Effect.flatMap(restore(persist(queue.complete(delivery, { result: outcome.result, durationMs, now }))), () =>
            Effect.withFiber((fiber) => {
              Metrics.processed.updateUnsafe(1, fiber.context)
              return isDebugEnabled(fiber) ? Effect.logDebug(`job completed in ${durationMs} ms`) : Effect.void
            }))
        case "Failed":
          return recordFailure(delivery, outcome.error, durationMs, now, restore, outcome.retryable)
      }
    }

    const recordFailure = (delivery: JobDelivery, error: string, durationMs: number, now: Timestamp.Timestamp, restore: Restore, retryable?: false) =>
      restore(persist(queue.fail(delivery, error, { durationMs, now, retryable }))).pipe(
        Effect.flatMap((result) =>
          Effect.gen(function*() {
            yield* Metric.update(Metrics.failed, 1)
            if (result._tag === "Retrying") {
              yield* Metric.update(Metrics.retried, 1)
              yield* Effect.logWarning(`job failed, retrying in ${Retry.backoffSeconds(result.job.attempts)} s: ${error}`)
            } else {
              yield* Metric.update(Metrics.dead, 1)
              yield* Effect.logError(`job failed for good (dead letter): ${error}`)
            }
          })
        )
      )

    // Recording an outcome is interruptible only while it waits to retry (a
    // drain past its deadline stops it: the job stays leased and is
    // recovered); the write itself runs to its end.
    const guarded = (write: Effect.Effect<void, StoreFailure | LeaseLostError>) =>
      Effect.catch(write, (error) =>
        error._tag === "LeaseLostError"
          ? Effect.andThen(Metric.update(Metrics.leaseLost, 1), Effect.logWarning(`outcome discarded: ${error.message}`))
          : Effect.logError("could not record the job's outcome; its lease will expire and the reaper will retry it", error))

    /** After the handler: its outcome, then (with a writer) the slot freed and the outcome written. */
    const afterRun = (
      delivery: JobDelivery,
      exit: Exit.Exit<Execution.Outcome>,
      startedAt: number,
      clock: Clock.Clock,
      fiber: Fiber.Fiber<unknown, unknown>,
      restore: Restore
    ): Effect.Effect<void> => {
      const ran = clock.currentTimeMillisUnsafe()
      let outcome: Execution.Outcome
      let logged: Effect.Effect<void> | undefined
      if (exit._tag === "Success") {
        outcome = exit.value
        observeDuration(outcome._tag, ran - startedAt, fiber.context)
      } else if (Cause.hasInterruptsOnly(exit.cause)) {
        outcome = interruptedOutcome
      } else {
        // `execute` never fails; a defect in it (a bug) fails the attempt, logged with its cause.
        outcome = { _tag: "Failed", error: Failure.messageOfCause(exit.cause) }
        logged = Effect.logError("running the job's handler failed unexpectedly", exit.cause)
      }
      const id = delivery.job.id
      const write = slots.tryStartWriting(id)
        ? guarded(recordOutcome(delivery, outcome, startedAt, ran, restore))
        : Effect.andThen(
          slots.startWriting(id),
          Effect.suspend(() => guarded(recordOutcome(delivery, outcome, startedAt, clock.currentTimeMillisUnsafe(), restore)))
        )
      return logged === undefined ? write : Effect.andThen(logged, write)
    }

    const runJob = (delivery: JobDelivery): Effect.Effect<void, never, R> =>
      Effect.withFiber((fiber) => {
        const clock = fiber.getRef(Clock.Clock)
        const startedAt = clock.currentTimeMillisUnsafe()
        const id = delivery.job.id
        return Effect.uninterruptibleMask((restore) =>
          Effect.flatMap(
            Effect.exit(restore(Execution.execute(options.handlers, delivery.job, config.jobTimeout, config.maxResultBytes))),
            (exit) => afterRun(delivery, exit, startedAt, clock, fiber, restore)
          )
        ).pipe(Effect.onExit(() => Effect.sync(() => slots.finishUnsafe(id))))
      }).pipe((effect) => inJobScope(effect, delivery.job))

    const accept = (delivery: Delivery): Effect.Effect<void, never, R> => {
      if (delivery._tag === "DeadLettered") {
        return Effect.gen(function*() {
          yield* slots.skip
          yield* Metric.update(Metrics.dead, 1)
          yield* Effect.logError(`job data missing or corrupted, dead-lettered: ${delivery.reason}`).pipe(
            Effect.annotateLogs({ jobId: delivery.id })
          )
        })
      }
      return Effect.withFiber((fiber) => {
        slots.register(delivery)
        if (isFresh(delivery.job)) sampleLag(delivery.job, fiber)
        return FiberSet.run(jobs, runJob(delivery))
      })
    }

    // One dispatcher: waits for a free slot, grabs every other free slot too,
    // and fills them with one `dequeueMany` (one round trip on Redis), which
    // waits on empty queues. Each job taken keeps its permit; the unused
    // ones go back. Dequeues run uninterruptibly: only their wait for work
    // can be interrupted (see Queue.dequeue), so a job Redis moved into
    // processing is registered here before an interruption lands, never
    // stranded until its lease expires.
    // A wrong-typed queue key fails a take as a whole: take from the others meanwhile.
    const broken = BrokenQueues.make(config.dequeue.priorities)
    const dequeueHealthy = (max: number) =>
      Effect.gen(function*() {
        for (let round = 0; ; round++) {
          const priorities = broken.usable(yield* Clock.currentTimeMillis)
          const taken = yield* Effect.result(queue.dequeueMany({ ...config.dequeue, priorities, max }))
          if (taken._tag === "Success") return taken.success
          if (round >= config.dequeue.priorities.length || !(yield* broken.refused(taken.failure, priorities))) {
            return yield* Effect.fail(taken.failure)
          }
        }
      })
    let drainedLast = false
    const takeSize = takeSizeOf(config.concurrency)
    const takeJobs = Effect.gen(function*() {
      // While handlers run, one turn of the scheduler first: those that end
      // in the same burst free their slots, so one take asks for its full
      // size (without it, takes came out smaller than the slots freed by
      // one burst: more script calls per job). With none running there is
      // nothing to wait for, unless the last take found the queues drained:
      // then this one most likely only opens a wait, and the outcomes
      // recorded meanwhile go out first.
      if (drainedLast || slots.running.size > slots.writing.size) yield* Effect.yieldNow
      const reserved = yield* slots.beginTake(takeSize)
      const deliveries = yield* dequeueHealthy(reserved).pipe(surviving("dequeue failed; retrying", undefined))
      drainedLast = deliveries !== undefined && deliveries.length < reserved
      if (deliveries !== undefined) for (const delivery of deliveries) yield* accept(delivery)
      return deliveries
    }).pipe(
      // Interrupted while waiting for work (shutdown) too: the unused slots go back.
      Effect.ensuring(slots.endTake),
      Effect.uninterruptible
    )

    // Jobs Redis says this worker holds but that it never received (a
    // dequeue whose reply was lost): given back between two dequeues and on
    // the reclaimer's own timer (see StrayReclaim).
    const reclaimer = yield* StrayReclaim.make(queue, config, running, slots.takes)

    const dispatch = Effect.gen(function*() {
      let failures = 0
      while (!slots.stopping) {
        // One step: a slot taken is always handed to a take, whatever interrupts.
        const deliveries = yield* Effect.uninterruptibleMask((restore) => Effect.andThen(restore(slots.awaitSlot), takeJobs))
        failures = deliveries === undefined ? failures + 1 : 0
        yield* reclaimer.between(deliveries)
        if (failures > 0) yield* Effect.sleep(Duration.millis(Math.min(5_000, 100 * 2 ** Math.min(failures - 1, 6))))
      }
    })

    const dispatcher = yield* Effect.forkScoped(dispatch)
    yield* Effect.forkScoped(reclaimer.tick)
    if (config.scheduler) yield* Effect.forkScoped(Promoter.run({ interval: config.schedulerInterval }))
    const schedules = config.cron ? yield* Effect.serviceOption(Schedules) : Option.none()
    if (Option.isSome(schedules)) yield* Effect.forkScoped(Effect.provideService(CronScheduler.run(), Schedules, schedules.value))
    if (config.reaper) {
      yield* Effect.forkScoped(Reaper.run({ interval: config.reaperInterval, maxAge: config.reaperMaxAge ?? Infinity }))
    }
    yield* Registry.start({ id: config.workerId, concurrency: config.concurrency, priorities: config.dequeue.priorities, routingKey: config.dequeue.routingKey, inFlight: () => running.size })

    const drained = yield* Deferred.make<void>()
    let drainStarted = false
    const shutdown = Effect.suspend(() => {
      if (drainStarted) return Deferred.await(drained)
      drainStarted = true
      slots.stop()
      return Effect.gen(function*() {
        yield* Fiber.interrupt(dispatcher)
        const count = running.size
        if (count > 0) yield* Effect.logInfo(`worker stopping: waiting up to ${Duration.format(config.shutdownTimeout)} for ${count} running job(s)`)
        const finished = yield* FiberSet.awaitEmpty(jobs).pipe(Effect.timeoutOption(config.shutdownTimeout))
        if (Option.isNone(finished)) {
          yield* Effect.logWarning(`shutdown deadline passed: returning ${running.size} unfinished job(s) to their queue`)
          yield* FiberSet.clear(jobs)
        }
        yield* FiberSet.awaitEmpty(jobs)
        yield* Effect.logInfo("worker stopped")
      }).pipe(Effect.ensuring(Deferred.succeed(drained, undefined)), Effect.uninterruptible)
    }).pipe(Effect.annotateLogs({ module: "bananas/Worker", workerId: config.workerId }))

    yield* Effect.addFinalizer(() => shutdown)
    yield* Effect.logInfo(`worker started (concurrency ${config.concurrency}, priorities ${config.dequeue.priorities.join(",")})`)

    return Worker.of({
      id: config.workerId,
      inFlight: Effect.sync(() => Array.from(running.values(), (d) => d.job)),
      slots: Effect.sync(() => ({ ...slots.snapshot(), violations: slots.check() })),
      shutdown
    })
  }).pipe(Effect.annotateLogs({ module: "bananas/Worker" }))

/**
 * The worker as a layer: started when the layer is built, drained when it
 * is released.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = <R>(options: Options<R>): Layer.Layer<Worker, ValidationError, JobQueue | R> =>
  Layer.effect(Worker, make(options))

/**
 * Runs a worker until interrupted (then drains): the body of a worker
 * process, e.g. under `NodeRuntime.runMain`, which interrupts on SIGINT and
 * SIGTERM.
 *
 * @category constructors
 * @since 0.1.0
 */
export const run = <R>(options: Options<R>): Effect.Effect<never, ValidationError, JobQueue | R> =>
  Effect.scoped(Effect.andThen(make(options), Effect.never))

// Internal

/**
 * Most jobs one take asks for under backlog: the free slots, at most half
 * the concurrency and at most 64. With half, two takes' jobs are in the
 * pipeline: while one batch runs, the other's outcomes and the next take
 * are on Redis. A take of every slot left Node and Redis waiting for each
 * other in turn (concurrency 50: 1.4–1.6 times the jobs/s with half;
 * BENCHMARKS.md).
 */
const takeSizeOf = (concurrency: number): number => Math.min(64, Math.ceil(concurrency / 2))

type Restore = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

const lagGauges = {
  high: Metrics.queueLagOf("high"),
  normal: Metrics.queueLagOf("normal"),
  low: Metrics.queueLagOf("low")
} as const

/** A first attempt of a job submitted (not retried or promoted): its wait says how far behind the queue is. */
const isFresh = (job: Job): boolean => job.attempts === 0 && job.status === "pending" && !Timestamp.isZero(job.createdAt)

const sampleLag = (job: Job, fiber: Fiber.Fiber<unknown, unknown>): void => {
  const now = fiber.getRef(Clock.Clock).currentTimeMillisUnsafe()
  lagGauges[job.priority].updateUnsafe(Math.max(0, now - Timestamp.toMillis(job.createdAt)), fiber.context)
}

const interruptedOutcome: Execution.Outcome = { _tag: "Interrupted" }

/** `Metrics.observeDuration` as a plain call in the job fiber's context (no Effect per update). */
const observeDuration = (outcome: Execution.Outcome["_tag"], millis: number, context: Context.Context<never>): void => {
  if (outcome !== "Interrupted") (outcome === "Completed" ? Metrics.jobDurationCompleted : Metrics.jobDurationFailed).updateUnsafe(millis, context)
}

/** Whether a debug line would be logged (the message is not even built otherwise). */
const isDebugEnabled = (fiber: Fiber.Fiber<unknown, unknown>): boolean =>
  LogLevel.isGreaterThanOrEqualTo("Debug", fiber.getRef(References.MinimumLogLevel))
