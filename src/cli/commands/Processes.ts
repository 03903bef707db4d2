/**
 * The long-running commands: `worker` (runs jobs with the handlers of a
 * module; by default it also promotes due jobs, fires schedules and
 * recovers dead workers' jobs), `scheduler` (makes jobs due without running
 * any: fires the slots of stored schedules and promotes due scheduled
 * jobs), `reaper` (recovers jobs of dead workers). They talk to Redis directly and stop
 * gracefully on SIGINT / SIGTERM: running jobs get `--shutdown-timeout`
 * to finish, the rest go back to their queue.
 *
 * @since 0.2.0
 */

import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import type { ValidationError } from "../../domain/Errors.ts"
import * as JobPriority from "../../domain/JobPriority.ts"
import { Schedules } from "../../services/Schedules.ts"
import { Backend, requireRedis, withQueue } from "../Backend.ts"
import { CliFailure, ExitCode, fromError, usage } from "../Failures.ts"
import * as Input from "../Input.ts"
import * as Lifetime from "../Lifetime.ts"
import * as Output from "../Output.ts"
import { settings } from "../Root.ts"

const intervalFlag = (name: string, fallback: string, what: string) =>
  Flag.String(name).pipe(Flag.withDescription(what), Flag.withDefault(fallback))

/**
 * `worker --handlers MODULE`.
 *
 * @category commands
 * @since 0.2.0
 */
export const worker = Command.make("worker", {
  handlers: Flag.String("handlers").pipe(
    Flag.withDescription("ES module exporting `handlers` (or default) and optionally a `layer`"),
    Flag.withMetavar("module")
  ),
  concurrency: Flag.Int("concurrency").pipe(Flag.withAlias("c"), Flag.withDescription("Jobs run at once"), Flag.withDefault(10)),
  priorities: Flag.String("priorities").pipe(
    Flag.withDescription("Priorities to take, in order (comma-separated)"),
    Flag.withDefault(JobPriority.all.join(","))
  ),
  route: Flag.String("route").pipe(Flag.withDescription("Take jobs of this routing key only"), Flag.optional),
  jobTimeout: intervalFlag("job-timeout", "5m", "Timeout of a handler without its own"),
  shutdownTimeout: intervalFlag("shutdown-timeout", "30s", "How long running jobs may finish after SIGINT/SIGTERM"),
  scheduler: Flag.Boolean("scheduler").pipe(Flag.withDescription("Also promote due scheduled jobs"), Flag.withDefault(true)),
  cron: Flag.Boolean("cron").pipe(Flag.withDescription("Also fire the slots of stored schedules (the cron scheduler)"), Flag.withDefault(true)),
  reaper: Flag.Boolean("reaper").pipe(Flag.withDescription("Also recover jobs of dead workers"), Flag.withDefault(true)),
  workerId: Flag.String("worker-id").pipe(Flag.withDescription("Lease owner name (default worker-<pid>-<random>)"), Flag.optional),
  events: Flag.Boolean("events").pipe(
    Flag.withDescription("Write job events (the gateway's webhooks and its job-outcome metrics read them)"),
    Flag.withDefault(false)
  )
}, (input) =>
  Effect.gen(function*() {
    const options = yield* settings
    yield* requireRedis(options, "worker")
    const priorities = yield* parsePriorities(input.priorities)
    const jobTimeout = yield* Effect.fromResult(Input.duration(input.jobTimeout, "--job-timeout"))
    const shutdownTimeout = yield* Effect.fromResult(Input.duration(input.shutdownTimeout, "--shutdown-timeout"))
    const [HandlerModule, HandlerRegistry, Worker, WorkerConfig] = yield* load(() =>
      Promise.all([import("../HandlerModule.ts"), import("../../worker/HandlerRegistry.ts"), import("../../worker/Worker.ts"), import("../../worker/WorkerConfig.ts")])
    )
    const loaded = yield* HandlerModule.load(input.handlers)
    const backend = yield* Backend
    const config = {
      handlers: loaded.handlers,
      concurrency: input.concurrency,
      priorities,
      routingKey: Option.getOrUndefined(input.route),
      jobTimeout,
      shutdownTimeout,
      scheduler: input.scheduler,
      cron: input.cron,
      reaper: input.reaper,
      workerId: Option.getOrUndefined(input.workerId)
    }
    // Checked before connecting: bad options are a usage error whether or not Redis is up.
    yield* Effect.fromResult(WorkerConfig.resolve(config)).pipe(Effect.mapError((e) => fromError(e, options, "redis")))
    yield* Lifetime.runsUntilStopped
    const run = Effect.gen(function*() {
      yield* Worker.make(config)
      yield* Output.note(
        `worker on ${backend.describe(options)}: ${HandlerRegistry.names(loaded.handlers).join(", ")}; ` +
          `concurrency ${input.concurrency}, priorities ${priorities.join(",")}${Option.isSome(input.route) ? `, route ${input.route.value}` : ""}. Ctrl+C stops it.`
      )
      return yield* Effect.never
    })
    yield* withQueue(options, loaded.layer === undefined ? run : Effect.provide(run, loaded.layer), { events: input.events })
  })).pipe(Command.withDescription("Run jobs with the handlers of a module until SIGINT/SIGTERM (graceful)."))

/**
 * `scheduler`: what makes jobs due, without running any: the cron
 * scheduler (the slots of stored schedules) and the promoter (due scheduled
 * jobs and retries), each of which `--no-cron` / `--no-promote` turns off.
 *
 * @category commands
 * @since 0.2.0
 */
export const scheduler = Command.make("scheduler", {
  interval: intervalFlag("interval", "1s", "Time between two promotion passes"),
  cron: Flag.Boolean("cron").pipe(Flag.withDescription("Fire the slots of stored schedules (the cron scheduler)"), Flag.withDefault(true)),
  promote: Flag.Boolean("promote").pipe(Flag.withDescription("Promote due scheduled jobs and retries"), Flag.withDefault(true))
}, ({ cron, interval, promote }) =>
  Effect.gen(function*() {
    const options = yield* settings
    yield* requireRedis(options, "scheduler")
    if (!cron && !promote) return yield* usage("--no-cron and --no-promote together leave the scheduler nothing to do: drop one")
    const every = yield* Effect.fromResult(Input.duration(interval, "--interval"))
    const [Promoter, CronScheduler] = yield* load(() => Promise.all([import("../../worker/Promoter.ts"), import("../../worker/CronScheduler.ts")]))
    const backend = yield* Backend
    yield* Lifetime.runsUntilStopped
    const doing = [cron ? "firing schedules" : undefined, promote ? `promoting due jobs every ${interval}` : undefined].filter((d) => d !== undefined)
    yield* Output.note(`scheduler on ${backend.describe(options)}: ${doing.join(", ")}. Ctrl+C stops it.`)
    const fireSchedules = Effect.flatMap(Effect.serviceOption(Schedules), (found): Effect.Effect<never, ValidationError | CliFailure> =>
      Option.isSome(found)
        ? Effect.provideService(CronScheduler.run(), Schedules, found.value)
        : Effect.fail(new CliFailure({ message: "this backend does not provide schedules: run the scheduler with --no-cron", exitCode: ExitCode.failed })))
    const loops = [...(cron ? [fireSchedules] : []), ...(promote ? [Promoter.run({ interval: every })] : [])]
    yield* withQueue(options, Effect.all(loops, { concurrency: "unbounded", discard: true }))
  })).pipe(Command.withDescription("Make jobs due until interrupted: fire the slots of stored schedules and promote due scheduled jobs (and retries)."))

/**
 * `reaper`: recovers the jobs of dead workers.
 *
 * @category commands
 * @since 0.2.0
 */
export const reaper = Command.make("reaper", {
  interval: intervalFlag("interval", "5s", "Time between two passes"),
  maxAge: Flag.String("max-age").pipe(
    Flag.withDescription("Also recover unleased (e.g. Go workers') processing jobs older than this"),
    Flag.optional
  )
}, ({ interval, maxAge }) =>
  Effect.gen(function*() {
    const options = yield* settings
    yield* requireRedis(options, "reaper")
    const every = yield* Effect.fromResult(Input.duration(interval, "--interval"))
    const age = Option.isSome(maxAge) ? yield* Effect.fromResult(Input.duration(maxAge.value, "--max-age")) : undefined
    const Reaper = yield* load(() => import("../../worker/Reaper.ts"))
    const backend = yield* Backend
    yield* Lifetime.runsUntilStopped
    yield* Output.note(`reaper on ${backend.describe(options)}: a pass every ${interval}. Ctrl+C stops it.`)
    yield* withQueue(options, Reaper.run({ interval: every, maxAge: age }))
  })).pipe(Command.withDescription("Recover jobs whose worker died (expired leases), until interrupted."))

// Internal

/**
 * Loads the modules of a command when it runs (the worker, the promoter,
 * the reaper): the other commands start without them.
 */
const load = <A>(modules: () => Promise<A>): Effect.Effect<A> => Effect.promise(modules)

const parsePriorities = (text: string) => {
  const list = text.split(",").map((s) => s.trim()).filter((s) => s !== "")
  const bad = list.find((p) => !JobPriority.isJobPriority(p))
  return bad !== undefined || list.length === 0
    ? Effect.fail(usage(`--priorities: ${JSON.stringify(bad ?? text)} is not a priority (high, normal, low, comma-separated)`))
    : Effect.succeed(list as ReadonlyArray<JobPriority.JobPriority>)
}
