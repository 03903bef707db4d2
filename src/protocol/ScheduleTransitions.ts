/**
 * The schedule transitions, decided once: storing, pausing, resuming and
 * removing a schedule, and firing one of its slots. Each returns the `Plan`
 * of one atomic step, made of the same guards and writes as the job
 * transitions, so every backend carries it out unchanged.
 *
 * Firing slot S enqueues the job `sched:<id>:<S>` through `Transitions.enqueue`
 * (a second firing of the slot is refused as `duplicate`, or
 * `alreadyApplied` for the same bytes) in the same step as the state update:
 * the next slot in `schedule_due` and Go's state hash `schedules:{id}`
 * (`last_run`, `last_success`, `next_run`, `run_count`, `last_error`
 * removed). The step is refused
 *
 * - `changed`: the definition changed since it was read (edited, paused,
 *   removed), or `run_count` did (another scheduler ran it: read again);
 * - `notDue`: another scheduler already moved the schedule past slot S;
 * - `ownerAlive`: Go's `CronScheduler` holds `schedule_lock:{id}` (we never
 *   take it, and fire nothing while it is held);
 * - `duplicate`: the slot's job exists (fired before): `skip` moves on.
 *
 * So any number of schedulers, ours or Go's, produce one job per slot.
 *
 * @since 0.2.0
 */

import type { Job } from "../domain/Job.ts"
import * as JobModel from "../domain/Job.ts"
import { isUnrouted } from "../domain/RoutingKey.ts"
import * as Schedule from "../domain/Schedule.ts"
import * as Timestamp from "../domain/Timestamp.ts"
import type { Guard, Plan, Write } from "./Plan.ts"
import { enqueue, type Step, unchanged } from "./Transitions.ts"
import type * as Wire from "./Wire.ts"

/**
 * The fields of Go's state hash `schedules:{id}`.
 *
 * @category constants
 * @since 0.2.0
 */
export const stateFields = {
  lastRun: "last_run",
  nextRun: "next_run",
  lastSuccess: "last_success",
  lastError: "last_error",
  runCount: "run_count"
} as const

/**
 * The id of the job of a slot: `sched:<schedule id>:<slot in unix seconds>`.
 *
 * @category constructors
 * @since 0.2.0
 */
export const slotJobId = (scheduleId: string, slot: number): string => `sched:${scheduleId}:${slot}`

/**
 * A time of the state hash: RFC 3339 in whole seconds (Go's `time.RFC3339`),
 * in the schedule's zone offset at that instant.
 *
 * @category constructors
 * @since 0.2.0
 */
export const stateTime = (schedule: Schedule.Schedule, unixSeconds: number): string =>
  Timestamp.formatSeconds({ seconds: unixSeconds, nanos: 0, offsetSeconds: Schedule.offsetAt(schedule, unixSeconds) })

/**
 * Store a schedule, new or replacing `previous` (the definition as read;
 * none: new), with its next slot `next` (none: nothing left to run). An
 * enabled schedule with a next slot is put in `schedule_due` and its
 * `next_run` written; a paused or ended one is taken out of it. Also
 * pausing and resuming: the same step with `enabled` changed.
 *
 * @category schedules
 * @since 0.2.0
 */
export const put = (p: Wire.Protocol, change: {
  /** The definition read before (its stored text); none when new. */
  readonly previous: string | undefined
  /** The schedule to store. */
  readonly schedule: Schedule.Schedule
  /** Its next slot (unix seconds), none when it has ended. */
  readonly next: number | undefined
}): Plan => {
  const { keys } = p
  const { schedule } = change
  const json = Schedule.encode(schedule)
  return {
    guards: [{ ...unchanged(keys.scheduleDef(schedule.id), change.previous), appliedIf: { key: keys.scheduleDef(schedule.id), value: json } }],
    writes: [
      { op: "set", key: keys.scheduleDef(schedule.id), value: json },
      { op: "sadd", key: keys.scheduleIds, member: schedule.id },
      ...advance(p, schedule, schedule.enabled ? change.next : undefined)
    ]
  }
}

/**
 * Remove a schedule (as read: `previous`): its definition, its place in
 * `schedule_ids` and `schedule_due`, and its state hash. Jobs it enqueued
 * stay; Go's lock is Go's.
 *
 * @category schedules
 * @since 0.2.0
 */
export const remove = (p: Wire.Protocol, id: string, previous: string): Plan => ({
  guards: [unchanged(p.keys.scheduleDef(id), previous)],
  writes: [
    { op: "del", key: p.keys.scheduleDef(id) },
    { op: "srem", key: p.keys.scheduleIds, member: id },
    { op: "zrem", key: p.keys.scheduleDue, member: id },
    { op: "del", key: p.keys.scheduleState(id) }
  ]
})

/**
 * What a firing reads and decided.
 *
 * @category models
 * @since 0.2.0
 */
export interface Firing {
  /** The schedule. */
  readonly schedule: Schedule.Schedule
  /** Its definition's stored text, as read. */
  readonly data: string
  /** The slot the job runs for (unix seconds). */
  readonly slot: number
  /**
   * The schedule's next slot as read in `schedule_due` (the step moves it
   * to `next`); none for a run on demand, which leaves the slots alone.
   */
  readonly due: number | undefined
  /** The slot after this firing; none: the schedule ended. */
  readonly next: number | undefined
  /** `run_count` as read (none: absent). */
  readonly runCount: number | undefined
  /** When it fires. */
  readonly now: Timestamp.Timestamp
}

/**
 * Fire a slot: enqueue its job (`slotJobId`) and, in the same step, move
 * the schedule to its next slot (none, or the run limit reached: out of
 * `schedule_due`) and record the run in Go's state hash.
 *
 * @category schedules
 * @since 0.2.0
 */
export const fire = (p: Wire.Protocol, firing: Firing): Step => {
  const { keys } = p
  const { schedule } = firing
  const job = slotJob(schedule, firing.slot, firing.now)
  const enqueued = enqueue(p, job)
  const runCount = (firing.runCount ?? 0) + 1
  const ended = schedule.limit !== undefined && runCount >= schedule.limit
  const state = keys.scheduleState(schedule.id)
  const ran = stateTime(schedule, firing.now.seconds)
  const guards: Array<Guard> = [...current(p, firing), { op: "absent", key: keys.scheduleLock(schedule.id), reason: "ownerAlive" }]
  guards.push(
    firing.runCount === undefined
      ? { op: "hnil", key: state, field: stateFields.runCount, reason: "changed" }
      : { op: "heq", key: state, field: stateFields.runCount, value: String(firing.runCount), reason: "changed" }
  )
  return {
    value: job,
    plan: {
      guards: [...guards, ...enqueued.guards],
      writes: [
        ...enqueued.writes,
        ...(firing.due === undefined && !ended ? [] : advance(p, schedule, ended ? undefined : firing.next)),
        {
          op: "hset",
          key: state,
          fields: [[stateFields.lastRun, ran], [stateFields.lastSuccess, ran], [stateFields.runCount, String(runCount)]]
        },
        { op: "hdel", key: state, field: stateFields.lastError }
      ]
    }
  }
}

/**
 * Move a schedule past slot `due` to `next` without a job: a slot whose
 * job exists already (fired before the schedule was replaced), or one the
 * misfire policy skips.
 *
 * @category schedules
 * @since 0.2.0
 */
export const skip = (p: Wire.Protocol, skipped: Pick<Firing, "schedule" | "data" | "next"> & {
  /** The slot passed over, as read in `schedule_due`. */
  readonly due: number
}): Plan => ({
  guards: current(p, skipped),
  writes: advance(p, skipped.schedule, skipped.next)
})

/**
 * The job of a slot, built from the schedule's template: id `slotJobId`,
 * Go's default description `Scheduled job: {name} (schedule: {id})`, Go's
 * default retry budget, and the schedule id and slot it runs for.
 *
 * @category constructors
 * @since 0.2.0
 */
export const slotJob = (schedule: Schedule.Schedule, slot: number, now: Timestamp.Timestamp): Job => ({
  ...JobModel.make({
    id: slotJobId(schedule.id, slot),
    name: schedule.job.name,
    payload: schedule.job.payload,
    priority: schedule.job.priority ?? "normal",
    now,
    maxRetries: schedule.job.maxRetries ?? JobModel.defaultMaxRetries,
    description: schedule.job.description ?? `Scheduled job: ${schedule.job.name} (schedule: ${schedule.id})`,
    routingKey: isUnrouted(schedule.job.routingKey) ? undefined : schedule.job.routingKey
  }),
  scheduleId: schedule.id,
  scheduleSlot: slot
})

// Internal

/** The definition unchanged and, for a slot of the due set, the schedule still at (or before) it. */
const current = (p: Wire.Protocol, read: { readonly schedule: Schedule.Schedule; readonly data: string; readonly due: number | undefined }): Array<Guard> => [
  { op: "eq", key: p.keys.scheduleDef(read.schedule.id), value: read.data, reason: "changed" },
  ...(read.due === undefined ? [] : [{ op: "zle", key: p.keys.scheduleDue, member: read.schedule.id, max: read.due, reason: "notDue" } as const])
]

/** The schedule's next slot set (in `schedule_due` and the state's `next_run`), or, without one, out of `schedule_due`. */
const advance = (p: Wire.Protocol, schedule: Schedule.Schedule, next: number | undefined): ReadonlyArray<Write> =>
  next === undefined
    ? [
      { op: "zrem", key: p.keys.scheduleDue, member: schedule.id },
      { op: "hdel", key: p.keys.scheduleState(schedule.id), field: stateFields.nextRun }
    ]
    : [
      { op: "zadd", key: p.keys.scheduleDue, score: next, member: schedule.id },
      { op: "hset", key: p.keys.scheduleState(schedule.id), fields: [[stateFields.nextRun, stateTime(schedule, next)]] }
    ]
