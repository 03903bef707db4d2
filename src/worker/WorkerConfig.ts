/**
 * The worker's options: what can be set, the defaults, and the check that
 * they can run.
 *
 * @since 0.2.0
 */
import * as Duration from "effect/Duration"
import * as JobPriority from "../domain/JobPriority.ts"
import * as Keys from "../protocol/Keys.ts"
import type * as Handlers from "./Handlers.ts"
import * as Reaper from "./Reaper.ts"
import * as Scheduler from "./Scheduler.ts"

/**
 * Worker options. Only `handlers` is required.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options<R> {
  /** The handlers, by job name (see `Handlers`). */
  readonly handlers: Handlers.Handlers<R>
  /** Jobs run at once (default 10). */
  readonly concurrency?: number | undefined
  /** Priorities to take, in order (default high, normal, low): a lower one only when the higher are empty. */
  readonly priorities?: ReadonlyArray<JobPriority.JobPriority> | undefined
  /** Take jobs from `route:{key}:queue:{p}` instead of `queue:{p}` (`default`: unrouted). */
  readonly routingKey?: string | undefined
  /** Timeout of a handler without one of its own (default 5 minutes). */
  readonly jobTimeout?: Duration.Input | undefined
  /** How long a lease (and the worker's heartbeat) lasts without renewal (default 30 seconds): the longest a dead worker's job waits. */
  readonly leaseDuration?: Duration.Input | undefined
  /** Time between two lease renewals (default a third of `leaseDuration`). */
  readonly leaseRenewInterval?: Duration.Input | undefined
  /** Run the reaper in this worker (default true). */
  readonly reaper?: boolean | undefined
  /** Time between two reaper passes (default 5 seconds). */
  readonly reaperInterval?: Duration.Input | undefined
  /** Let the reaper also recover unleased (e.g. Go workers') processing entries older than this (default: never). */
  readonly reaperMaxAge?: Duration.Input | undefined
  /** Run the scheduler (promotion of due scheduled jobs) in this worker (default true). */
  readonly scheduler?: boolean | undefined
  /** Time between two promotion passes (default 1 second). */
  readonly schedulerInterval?: Duration.Input | undefined
  /** How long running jobs may take to finish at shutdown before they are returned to their queue (default 30 seconds). */
  readonly shutdownTimeout?: Duration.Input | undefined
  /** How long one dequeue waits on empty queues before polling again (default 2 seconds); pickup is immediate either way. */
  readonly block?: Duration.Input | undefined
  /** The lease owner name (default `worker-<pid>-<random>`); unique per running worker. */
  readonly workerId?: string | undefined
  /** Time between two checks for jobs held but never received (default 5 seconds). */
  readonly reclaimInterval?: Duration.Input | undefined
}

/**
 * The options resolved, with every default filled in.
 *
 * @category models
 * @since 0.2.0
 */
export interface Config {
  readonly concurrency: number
  readonly jobTimeout: Duration.Duration
  readonly leaseDuration: Duration.Duration
  readonly leaseRenewInterval: Duration.Duration
  readonly reaper: boolean
  readonly reaperInterval: Duration.Duration
  readonly reaperMaxAge: Duration.Duration | undefined
  readonly scheduler: boolean
  readonly schedulerInterval: Duration.Duration
  readonly shutdownTimeout: Duration.Duration
  readonly reclaimInterval: Duration.Duration
  readonly workerId: string
  readonly dequeue: {
    readonly priorities: ReadonlyArray<JobPriority.JobPriority>
    readonly routingKey: string | undefined
    readonly block: Duration.Duration
    readonly lease: { readonly owner: string; readonly duration: Duration.Duration }
  }
}

/**
 * Fills in the defaults.
 *
 * @category constructors
 * @since 0.2.0
 */
export const resolve = <R>(options: Options<R>): Config => {
  const concurrency = options.concurrency ?? 10
  const leaseDuration = Duration.fromInputUnsafe(options.leaseDuration ?? "30 seconds")
  const workerId = options.workerId ?? `worker-${process.pid}-${crypto.randomUUID().slice(0, 8)}`
  return {
    concurrency,
    jobTimeout: Duration.fromInputUnsafe(options.jobTimeout ?? "5 minutes"),
    leaseDuration,
    leaseRenewInterval: options.leaseRenewInterval !== undefined
      ? Duration.fromInputUnsafe(options.leaseRenewInterval)
      : Duration.millis(Math.max(1, Math.floor(Duration.toMillis(leaseDuration) / 3))),
    reaper: options.reaper ?? true,
    reaperInterval: Duration.fromInputUnsafe(options.reaperInterval ?? Reaper.defaultInterval),
    reaperMaxAge: options.reaperMaxAge === undefined ? undefined : Duration.fromInputUnsafe(options.reaperMaxAge),
    scheduler: options.scheduler ?? true,
    schedulerInterval: Duration.fromInputUnsafe(options.schedulerInterval ?? Scheduler.defaultInterval),
    shutdownTimeout: Duration.fromInputUnsafe(options.shutdownTimeout ?? "30 seconds"),
    reclaimInterval: Duration.fromInputUnsafe(options.reclaimInterval ?? "5 seconds"),
    workerId,
    dequeue: {
      priorities: options.priorities ?? JobPriority.all,
      routingKey: options.routingKey,
      block: Duration.fromInputUnsafe(options.block ?? "2 seconds"),
      lease: { owner: workerId, duration: leaseDuration }
    }
  }
}

/**
 * Why the options cannot run, if they cannot.
 *
 * @category validation
 * @since 0.2.0
 */
export const validate = (config: Config): string | undefined => {
  if (!Number.isSafeInteger(config.concurrency) || config.concurrency < 1) {
    return `concurrency must be a positive integer, got ${String(config.concurrency)}`
  }
  if (config.dequeue.priorities.length === 0) return "priorities must name at least one priority"
  const unknown = config.dequeue.priorities.find((p) => !JobPriority.isJobPriority(p))
  if (unknown !== undefined) return `unknown priority ${JSON.stringify(unknown)}`
  const key = config.dequeue.routingKey
  if (key !== undefined && !Keys.isRoutingKey(key)) return `routingKey must match [A-Za-z0-9_-]{1,64}, got ${JSON.stringify(key)}`
  if (!Duration.isPositive(config.leaseDuration)) return "leaseDuration must be positive"
  for (const [name, d] of [["leaseRenewInterval", config.leaseRenewInterval], ["reaperInterval", config.reaperInterval], ["schedulerInterval", config.schedulerInterval], ["reclaimInterval", config.reclaimInterval]] as const) {
    if (!Duration.isPositive(d)) return `${name} must be positive`
  }
  return undefined
}

