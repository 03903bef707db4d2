/**
 * `Schedules` written once over the storage port: every change reads what
 * it needs, lets `ScheduleTransitions` decide, and applies the plan if
 * nothing changed meanwhile (else reads again), so memory and Redis behave
 * alike and concurrent schedulers fire each slot once.
 *
 * @stability internal
 * @since 0.2.0
 */

import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import { ScheduleNotFoundError, StorageError, ValidationError } from "../domain/Errors.ts"
import type { Job } from "../domain/Job.ts"
import * as JobCodec from "../domain/JobCodec.ts"
import * as Schedule from "../domain/Schedule.ts"
import * as Timestamp from "../domain/Timestamp.ts"
import type { Plan } from "../protocol/Plan.ts"
import * as T from "../protocol/ScheduleTransitions.ts"
import { type FireReport, Schedules, type ScheduleView } from "../services/Schedules.ts"
import { applyOne, type Settled } from "../store/Apply.ts"
import { JobStore, type StoreFailure } from "../store/JobStore.ts"
import * as Clock from "effect/Clock"

/**
 * Builds the schedules service on the `JobStore` in context.
 *
 * @category constructors
 * @since 0.2.0
 */
export const make = Effect.gen(function*() {
  const store = yield* JobStore
  const p = store.protocol
  const { keys } = p
  /** Definitions that did not decode, logged once each. */
  const badDefinitions = new Set<string>()

  const nowMillis = Clock.currentTimeMillis
  const seconds = (millis: number) => Math.floor(millis / 1000)

  /** The definition as stored (text and schedule); none when absent. */
  const readDef = (id: string) =>
    Effect.gen(function*() {
      const data = yield* store.get(keys.scheduleDef(id))
      if (data === undefined) return undefined
      const schedule = yield* Effect.fromResult(Schedule.decode(keys.scheduleDef(id), data))
      return { data, schedule }
    })

  const notFound = (id: string) => new ScheduleNotFoundError({ scheduleId: id, message: `schedule ${JSON.stringify(id)} not found` })

  const mustRead = (id: string) =>
    Effect.flatMap(readDef(id), (def) => def === undefined ? Effect.fail(notFound(id)) : Effect.succeed(def))

  const runCountOf = (state: ReadonlyArray<string | undefined>): number | undefined => {
    const text = state[0]
    return text === undefined ? undefined : Number(text)
  }

  /** The next slot of an enabled schedule after `now`, none when it ended (end, or its run limit reached). */
  const nextAfter = (schedule: Schedule.Schedule, now: number, runCount: number | undefined) =>
    schedule.limit !== undefined && (runCount ?? 0) >= schedule.limit ? undefined : Schedule.nextSlot(schedule, now)

  const view = (id: string) =>
    Effect.gen(function*() {
      const def = yield* readDef(id)
      if (def === undefined) return undefined
      const nextSlot = yield* store.zscore(keys.scheduleDue, id)
      const state = yield* store.hgetall(keys.scheduleState(id))
      return (nextSlot === undefined ? { schedule: def.schedule, state } : { schedule: def.schedule, nextSlot, state }) satisfies ScheduleView
    })

  const mustView = (id: string) => Effect.flatMap(view(id), (v) => v === undefined ? Effect.fail(notFound(id)) : Effect.succeed(v))

  /** Applies `decide`'s plan until it holds (`changed` reads again); gives up after a few rounds. */
  const retrying = <A, E>(
    operation: string,
    id: string,
    round: Effect.Effect<{ readonly plan: Plan; readonly done: (settled: Settled) => A | undefined } | { readonly result: A }, E | StoreFailure>
  ): Effect.Effect<A, E | StoreFailure> =>
    Effect.gen(function*() {
      for (let attempt = 0; attempt < maxAttempts; attempt++) {
        const step = yield* round
        if ("result" in step) return step.result
        const settled = yield* applyOne(store, operation, step.plan)
        const done = step.done(settled)
        if (done !== undefined) return done
      }
      return yield* new StorageError({
        operation,
        reason: "Other",
        key: keys.scheduleDef(id),
        message: `${operation}: schedule ${id} kept changing while it was being read; gave up after ${maxAttempts} attempts`
      })
    })

  /** Stores `schedule` over the definition read (`previous`), with its next slot from now. */
  const store_ = (operation: string, schedule: Schedule.Schedule) =>
    retrying(operation, schedule.id, Effect.gen(function*() {
      const previous = yield* store.get(keys.scheduleDef(schedule.id))
      const now = seconds(yield* nowMillis)
      const stored = previous === undefined ? undefined : Result.getOrUndefined(Schedule.decode(keys.scheduleDef(schedule.id), previous))
      // An interval keeps its anchor while its interval and start stay, so storing it again changes nothing.
      const next: Schedule.Schedule = stored !== undefined && stored.every === schedule.every && stored.start === schedule.start
        ? { ...schedule, anchor: stored.anchor }
        : schedule
      if (previous === Schedule.encode(next)) return { result: undefined }
      const runCount = runCountOf(yield* store.hmget(keys.scheduleState(schedule.id), [T.stateFields.runCount]))
      return {
        plan: T.put(p, { previous, schedule: next, next: next.enabled ? nextAfter(next, now, runCount) : undefined }),
        done: (settled: Settled) => settled._tag === "Applied" ? (true as const) : undefined
      }
    })).pipe(Effect.flatMap(() => mustView(schedule.id)), Effect.catchTag("ScheduleNotFoundError", (e) => Effect.die(e)))

  const upsert = (input: Schedule.ScheduleInput) =>
    Effect.gen(function*() {
      const schedule = yield* Effect.fromResult(Schedule.make(input, seconds(yield* nowMillis)))
      return yield* store_("upsertSchedule", schedule)
    })

  const setEnabled = (id: string, enabled: boolean) =>
    Effect.gen(function*() {
      const def = yield* mustRead(id)
      if (def.schedule.enabled === enabled) return yield* mustView(id)
      return yield* store_(enabled ? "resumeSchedule" : "pauseSchedule", { ...def.schedule, enabled })
    })

  const remove = (id: string) =>
    retrying("removeSchedule", id, Effect.gen(function*() {
      const data = yield* store.get(keys.scheduleDef(id))
      if (data === undefined) return yield* notFound(id)
      return { plan: T.remove(p, id, data), done: (settled: Settled) => settled._tag === "Applied" ? (true as const) : undefined }
    })).pipe(Effect.asVoid)

  const list = Effect.gen(function*() {
    const ids = [...(yield* store.smembers(keys.scheduleIds))].sort()
    const out: Array<ScheduleView> = []
    for (const id of ids) {
      const v = yield* view(id).pipe(Effect.catchTag("ValidationError", (e) =>
        Effect.as(Effect.logWarning(`schedule ${id}: ${e.message}`), undefined)))
      if (v !== undefined) out.push(v)
    }
    return out
  })

  const runNow = (id: string) =>
    retrying("runSchedule", id, Effect.gen(function*() {
      const def = yield* mustRead(id)
      const now = yield* nowMillis
      const runCount = runCountOf(yield* store.hmget(keys.scheduleState(id), [T.stateFields.runCount]))
      const step = T.fire(p, {
        schedule: def.schedule,
        data: def.data,
        slot: seconds(now),
        due: undefined,
        next: undefined,
        runCount,
        now: Timestamp.fromMillis(now)
      })
      return {
        plan: step.plan,
        done: (settled: Settled): Job | undefined | "existing" | "locked" =>
          settled._tag === "Applied"
            ? step.value
            : settled.reason === "duplicate"
            ? "existing"
            : settled.reason === "ownerAlive"
            ? "locked"
            : undefined
      }
    })).pipe(Effect.flatMap((job) =>
      job === "locked"
        ? Effect.fail(
          new StorageError({
            operation: "runSchedule",
            reason: "Other",
            key: keys.scheduleLock(id),
            message: `runSchedule: Go's CronScheduler holds ${keys.scheduleLock(id)} (it is running schedule ${id}); nothing was enqueued, try again`
          })
        )
        : job !== "existing"
        ? Effect.succeed(job)
        : Effect.gen(function*() {
          const now = yield* nowMillis
          const jobId = T.slotJobId(id, seconds(now))
          const data = yield* store.get(keys.job(jobId))
          if (data === undefined) return yield* new StorageError({ operation: "runSchedule", reason: "Other", key: keys.job(jobId), message: `runSchedule: job ${jobId} vanished` })
          return yield* Effect.fromResult(JobCodec.decodeAt(keys.job(jobId), data))
        })
    ))

  const preview = (id: string, count: number) =>
    Effect.gen(function*() {
      if (!Number.isSafeInteger(count) || count < 1 || count > maxPreview) {
        return yield* new ValidationError({ field: "count", message: `count must be an integer from 1 to ${maxPreview}, got ${String(count)}` })
      }
      const def = yield* mustRead(id)
      return Schedule.nextSlots(def.schedule, seconds(yield* nowMillis), count)
    })

  /** Fires what is due of one schedule (several slots under the `each` policy). */
  const fireSchedule = (id: string, nowMs: number, report: { fired: Array<FireReport["fired"][number]>; skipped: number; locked: number }) =>
    Effect.gen(function*() {
      const now = seconds(nowMs)
      for (let round = 0; round < maxRounds; round++) {
        const data = yield* store.get(keys.scheduleDef(id))
        const due = yield* store.zscore(keys.scheduleDue, id)
        if (data === undefined || due === undefined || due > now) return
        const decoded = Schedule.decode(keys.scheduleDef(id), data)
        if (Result.isFailure(decoded)) {
          if (!badDefinitions.has(data)) {
            badDefinitions.add(data)
            yield* Effect.logWarning(`schedule ${id} skipped: ${decoded.failure.message}`)
          }
          return
        }
        const schedule = decoded.success
        const runCount = runCountOf(yield* store.hmget(keys.scheduleState(id), [T.stateFields.runCount]))
        const decision = Schedule.decide(schedule, due, now)
        const step = T.fire(p, { schedule, data, slot: decision.fire, due, next: decision.next, runCount, now: Timestamp.fromMillis(nowMs) })
        const settled = yield* applyOne(store, "fireSchedule", step.plan)
        if (settled._tag === "Applied") {
          report.fired.push({ scheduleId: id, slot: decision.fire, lateMillis: nowMs - decision.fire * 1000, job: step.value })
          report.skipped += decision.skipped
          continue
        }
        switch (settled.reason) {
          case "ownerAlive":
            report.locked++
            return
          case "duplicate": {
            // The slot's job exists (fired by an earlier definition): move on without it.
            const skipped = yield* applyOne(store, "fireSchedule", T.skip(p, { schedule, data, due, next: decision.next }))
            if (skipped._tag === "Applied") report.skipped += decision.skipped + 1
            continue
          }
          default:
            continue // changed or no longer due: read again
        }
      }
    })

  const fireDue = Effect.gen(function*() {
    const nowMs = yield* nowMillis
    const report = { fired: [] as Array<FireReport["fired"][number]>, skipped: 0, locked: 0 }
    // The earliest slot first: a pass with nothing due costs this one read.
    const earliest = yield* store.zfirst(keys.scheduleDue)
    if (earliest === undefined || earliest[1] > seconds(nowMs)) return { ...report, nextDue: earliest?.[1] } satisfies FireReport
    for (let page = 0; page < maxPages; page++) {
      const ids = yield* store.zrangeByScore(keys.scheduleDue, seconds(nowMs), 0, batch)
      for (const id of ids) yield* fireSchedule(id, nowMs, report)
      if (ids.length < batch) break
    }
    const next = yield* store.zfirst(keys.scheduleDue)
    return { ...report, nextDue: next?.[1] } satisfies FireReport
  })

  return Schedules.of({
    upsert,
    get: mustView,
    list,
    remove,
    pause: (id) => setEnabled(id, false),
    resume: (id) => setEnabled(id, true),
    runNow,
    preview,
    fireDue
  })
})

/**
 * The schedules service over whichever `JobStore` is provided.
 *
 * @category layers
 * @since 0.2.0
 */
export const layer: Layer.Layer<Schedules, never, JobStore> = Layer.effect(Schedules, make)

// Internal

const maxAttempts = 10
/** Most steps for one schedule in one pass (its `each` catch-up runs on over the next passes). */
const maxRounds = 100
const batch = 100
const maxPages = 100
const maxPreview = 1000
