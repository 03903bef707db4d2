/**
 * The load every fault test runs under: a `work` handler that logs each run
 * (in-process run log, or a Redis list for child workers), fails for good
 * when its payload says so, and sleeps a little; a submitter that keeps
 * submitting jobs with known ids (so that an unacknowledged submit can be
 * found later) and records which were acknowledged and when.
 */
import { assert } from "@effect/vitest"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as References from "effect/References"
import * as Schedule from "effect/Schedule"
import * as Tasks from "../../../src/Tasks.ts"
import type { TaskApi } from "../../../src/services/TaskApi.ts"
import * as Handlers from "../../../src/worker/HandlerRegistry.ts"
import type { Redis } from "ioredis"
import { type RunEntry, settle } from "../../support/FaultAudit.ts"

/** The payload of a `work` job. */
export interface Work {
  /** Fail every run (the job ends dead-lettered after its max_retries runs). */
  readonly fail?: boolean
  /** How long a run takes. */
  readonly ms?: number
}

/** An in-process run log. */
export const makeRunLog = () => {
  const entries: Array<RunEntry & { readonly at: number }> = []
  return {
    entries,
    add: (entry: RunEntry) => void entries.push({ ...entry, at: Date.now() })
  }
}

/** A run log. */
export type RunLog = ReturnType<typeof makeRunLog>

/** The `work` handler, logging into `log` as worker `worker`. */
export const workHandlers = (log: RunLog, worker: string) =>
  Handlers.empty.pipe(Handlers.addRaw("work", ({ job, payload }) =>
    Effect.gen(function*() {
      const work = JSON.parse(payload) as Work
      log.add({ event: "start", id: job.id, attempt: job.attempts, worker })
      yield* Effect.sleep(`${work.ms ?? 5} millis`)
      if (work.fail === true) {
        log.add({ event: "fail", id: job.id, attempt: job.attempts, worker })
        return yield* Effect.fail(new Error("planned failure"))
      }
      log.add({ event: "ok", id: job.id, attempt: job.attempts, worker })
      return { ok: job.id }
    })))

/** Every tenth job of a load fails for good after two runs. */
export const isPlannedDead = (id: string): boolean => /-\d*9$/.test(id)

/** What a submitter did. */
export interface Submissions {
  readonly acknowledged: Array<string>
  readonly unacknowledged: Array<string>
  /** Of those, the ones whose error said nothing was written (`outcome: "not-written"`). */
  readonly notWritten: Array<string>
  /** When each acknowledgement arrived (epoch ms), in order. */
  readonly ackedAt: Array<number>
  /** Failed submits by error tag (and StorageError reason). */
  readonly errors: Record<string, number>
}

/** An empty record of submissions. */
export const makeSubmissions = (): Submissions => ({ acknowledged: [], unacknowledged: [], notWritten: [], ackedAt: [], errors: {} })

/**
 * Submits `work` jobs `label-0`, `label-1`, ... one at a time, `pauseMs`
 * apart, until `stop()` says so. Failed submits are not retried (each
 * counts as unacknowledged); `operationTimeout` bounds one submit.
 */
export const submitLoop = (
  label: string,
  into: Submissions,
  stop: () => boolean,
  options: {
    readonly pauseMs?: number
    readonly operationTimeout?: Duration.Input
    readonly ms?: number
    /** max_retries of the jobs that should complete (default 5; planned failures get 2). */
    readonly maxRetries?: number
  } = {}
): Effect.Effect<void, never, TaskApi> =>
  Effect.gen(function*() {
    for (let n = 0; !stop(); n++) {
      const id = `${label}-${n}`
      const fail = isPlannedDead(id)
      const outcome = yield* Effect.result(Tasks.submit("work", { fail, ms: options.ms ?? 5 } satisfies Work, {
        id,
        maxRetries: fail ? 2 : options.maxRetries ?? 5,
        retry: Schedule.recurs(0),
        operationTimeout: options.operationTimeout ?? "2 seconds"
      }))
      if (outcome._tag === "Success") {
        into.acknowledged.push(id)
        into.ackedAt.push(Date.now())
      } else {
        into.unacknowledged.push(id)
        const e = outcome.failure as { readonly _tag: string; readonly reason?: string; readonly outcome?: string }
        if (e.outcome === "not-written") into.notWritten.push(id)
        const key = e.reason === undefined ? e._tag : `${e._tag}(${e.reason})`
        into.errors[key] = (into.errors[key] ?? 0) + 1
      }
      yield* Effect.sleep(`${options.pauseMs ?? 3} millis`)
    }
  })

/** Waits until every job the submitter tried (acknowledged or not) has finished, or fails the test after `timeoutMs`. */
export const allFinished = (raw: Redis, prefix: string, into: Submissions, timeoutMs = 20_000): Effect.Effect<void> =>
  Effect.map(
    Effect.promise(() => settle(raw, prefix, [...into.acknowledged, ...into.unacknowledged], timeoutMs)),
    (finished) => assert.isTrue(finished, "every job finished")
  )

/** The first acknowledgement at or after `since`, minus `since` (ms); undefined if none came. */
export const resumedAfter = (into: Submissions, since: number): number | undefined => {
  const first = into.ackedAt.find((t) => t >= since)
  return first === undefined ? undefined : first - since
}

/** Expected outcome of a load job. */
export const expectOf = (id: string): "completed" | "dead" => (isPlannedDead(id) ? "dead" : "completed")

/** Whether the long variants run (`BANANAS_LONG_FAULTS=1`). */
export const long = process.env.BANANAS_LONG_FAULTS === "1"

/** Runs `effect` with logging off (fault tests record figures and print nothing). */
export const quiet = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.provideService(effect, References.MinimumLogLevel, "None")

/** CPU time this process used while `body` ran, as a fraction of one core. */
export const cpuDuring = <A, E, R>(body: Effect.Effect<A, E, R>): Effect.Effect<{ readonly value: A; readonly cpu: number }, E, R> =>
  Effect.gen(function*() {
    const wall = Date.now()
    const before = process.cpuUsage()
    const value = yield* body
    const used = process.cpuUsage(before)
    return { value, cpu: (used.user + used.system) / 1000 / Math.max(1, Date.now() - wall) }
  })
