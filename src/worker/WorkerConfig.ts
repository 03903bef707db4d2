/**
 * The worker's options: what can be set, the defaults, and the check that
 * they can run (a `ValidationError` naming the option when they cannot).
 *
 * @since 0.2.0
 */

import * as Duration from "effect/Duration"
import * as Result from "effect/Result"
import * as DurationInput from "../domain/DurationInput.ts"
import { ValidationError } from "../domain/Errors.ts"
import * as JobPriority from "../domain/JobPriority.ts"
import { isRoutingKey } from "../domain/RoutingKey.ts"
import { defaultMaxResultBytes } from "./Execution.ts"
import type * as Handlers from "./HandlerRegistry.ts"
import * as Reaper from "./Reaper.ts"
import * as Promoter from "./Promoter.ts"

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
  /**
   * Let the reaper also recover processing entries without a lease (Go
   * workers', or leftovers no worker holds) once this old, as seen by the
   * reaper (default 1 hour; `Infinity` or `Duration.infinity`: never).
   */
  readonly reaperMaxAge?: Duration.Input | undefined
  /** Run the scheduler (promotion of due scheduled jobs) in this worker (default true). */
  readonly scheduler?: boolean | undefined
  /** Time between two promotion passes (default 1 second). */
  readonly schedulerInterval?: Duration.Input | undefined
  /**
   * Run the cron scheduler (`CronScheduler`: fires the due slots of the
   * stored schedules, once per slot whatever the number of processes) in
   * this worker (default true). It runs when the backend provides
   * `Schedules` (the Redis and memory backends do); `false` leaves it to
   * other processes (`bananas scheduler`, or a worker of another fleet).
   *
   * @since 0.2.0
   */
  readonly cron?: boolean | undefined
  /** How long running jobs may take to finish at shutdown before they are returned to their queue (default 30 seconds). */
  readonly shutdownTimeout?: Duration.Input | undefined
  /** How long one dequeue waits on empty queues before polling again (default 2 seconds); pickup is immediate either way. */
  readonly block?: Duration.Input | undefined
  /** The lease owner name (default `worker-<pid>-<random>`); unique per running worker. */
  readonly workerId?: string | undefined
  /** Time between two checks for jobs held but never received, a lost dequeue reply (default 2 seconds): the longest such a job waits. */
  readonly reclaimInterval?: Duration.Input | undefined
  /** The largest result stored, in UTF-8 bytes of JSON (default 10 MiB, as payloads): a larger one fails the attempt, nothing stored. */
  readonly maxResultBytes?: number | undefined
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
  readonly cron: boolean
  readonly shutdownTimeout: Duration.Duration
  readonly reclaimInterval: Duration.Duration
  readonly maxResultBytes: number
  readonly workerId: string
  readonly dequeue: {
    readonly priorities: ReadonlyArray<JobPriority.JobPriority>
    readonly routingKey: string | undefined
    readonly block: Duration.Duration
    readonly lease: { readonly owner: string; readonly duration: Duration.Duration }
  }
}

/**
 * Fills in the defaults and checks that the options can run: a worker
 * that could not (no priorities, `block` of zero — a hot loop —, a
 * `jobTimeout` of zero or NaN — every job would fail —, a duration string
 * that does not parse, ...) is refused with a `ValidationError` naming the
 * option, before it takes any job.
 *
 * @category constructors
 * @since 0.2.0
 */
export const resolve = <R>(options: Options<R>): Result.Result<Config, ValidationError> => {
  const invalid = (field: string, message: string) => Result.fail(new ValidationError({ field, message }))
  const concurrency = options.concurrency ?? 10
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    return invalid("concurrency", `concurrency must be a positive integer, got ${String(concurrency)}`)
  }
  const priorities = options.priorities ?? JobPriority.all
  if (priorities.length === 0) return invalid("priorities", "priorities must name at least one priority")
  const unknown = priorities.find((p) => !JobPriority.isJobPriority(p))
  if (unknown !== undefined) return invalid("priorities", `unknown priority ${JSON.stringify(unknown)} (expected "high", "normal" or "low")`)
  for (const handler of options.handlers.handlers.values()) if (handler.invalid !== undefined) return Result.fail(handler.invalid)
  const maxResultBytes = options.maxResultBytes ?? defaultMaxResultBytes
  if (!Number.isSafeInteger(maxResultBytes) || maxResultBytes < 1) {
    return invalid("maxResultBytes", `maxResultBytes must be a positive whole number of bytes, got ${String(maxResultBytes)}`)
  }
  const routingKey = options.routingKey
  if (routingKey !== undefined && !isRoutingKey(routingKey)) {
    return invalid("routingKey", `routingKey must match [A-Za-z0-9_-]{1,64}, got ${JSON.stringify(routingKey)}`)
  }
  const durations = {
    jobTimeout: DurationInput.decode("jobTimeout", options.jobTimeout, "positiveOrInfinite", "5 minutes"),
    leaseDuration: DurationInput.decode("leaseDuration", options.leaseDuration, "positive", "30 seconds"),
    reaperInterval: DurationInput.decode("reaperInterval", options.reaperInterval, "positive", Reaper.defaultInterval),
    schedulerInterval: DurationInput.decode("schedulerInterval", options.schedulerInterval, "positive", Promoter.defaultInterval),
    shutdownTimeout: DurationInput.decode("shutdownTimeout", options.shutdownTimeout, "nonNegative", "30 seconds"),
    reclaimInterval: DurationInput.decode("reclaimInterval", options.reclaimInterval, "positive", "2 seconds"),
    block: DurationInput.decode("block", options.block, "positive", "2 seconds")
  }
  for (const d of Object.values(durations)) if (Result.isFailure(d)) return Result.fail(d.failure)
  const get = (d: Result.Result<Duration.Duration, ValidationError>) => (d as Result.Success<Duration.Duration, ValidationError>).success
  const leaseDuration = get(durations.leaseDuration)
  const leaseRenewInterval = DurationInput.decode(
    "leaseRenewInterval",
    options.leaseRenewInterval,
    "positive",
    Duration.millis(Math.max(1, Math.floor(Duration.toMillis(leaseDuration) / 3)))
  )
  if (Result.isFailure(leaseRenewInterval)) return Result.fail(leaseRenewInterval.failure)
  const reaperMaxAge = Reaper.decodeMaxAge(options.reaperMaxAge)
  if (Result.isFailure(reaperMaxAge)) return Result.fail(reaperMaxAge.failure)
  const workerId = options.workerId ?? `worker-${process.pid}-${crypto.randomUUID().slice(0, 8)}`
  return Result.succeed({
    concurrency,
    jobTimeout: get(durations.jobTimeout),
    leaseDuration,
    leaseRenewInterval: leaseRenewInterval.success,
    reaper: options.reaper ?? true,
    reaperInterval: get(durations.reaperInterval),
    reaperMaxAge: reaperMaxAge.success,
    scheduler: options.scheduler ?? true,
    schedulerInterval: get(durations.schedulerInterval),
    cron: options.cron ?? true,
    shutdownTimeout: get(durations.shutdownTimeout),
    reclaimInterval: get(durations.reclaimInterval),
    maxResultBytes,
    workerId,
    dequeue: {
      priorities,
      routingKey,
      block: get(durations.block),
      lease: { owner: workerId, duration: leaseDuration }
    }
  })
}
