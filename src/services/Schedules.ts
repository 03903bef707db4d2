/**
 * Schedules: cron and interval schedules stored with the queue, managed
 * from code (and, over the same interface, any transport), and fired by
 * schedulers (`fireDue`) exactly once per slot whatever the number of
 * schedulers. Written once over the storage port (`layers/StoreSchedules`)
 * for every backend, and over HTTP through a gateway (`http/HttpTaskApi`),
 * where every operation but `fireDue` is served.
 *
 * @since 0.2.0
 */

import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { ScheduleNotFoundError, SerializationError, ValidationError } from "../domain/Errors.ts"
import type { Job } from "../domain/Job.ts"
import type { ScheduleInput, View } from "../domain/Schedule.ts"
import type { TransportError } from "./TaskApi.ts"

/**
 * A stored schedule and its state (`Schedule.View`).
 *
 * @category models
 * @since 0.2.0
 */
export type ScheduleView = View

/**
 * What one pass of a scheduler did.
 *
 * @category models
 * @since 0.2.0
 */
export interface FireReport {
  /** The slots fired: schedule, slot (unix seconds), how late (ms after the slot), the job. */
  readonly fired: ReadonlyArray<{ readonly scheduleId: string; readonly slot: number; readonly lateMillis: number; readonly job: Job }>
  /** Slots passed over: by the misfire policy, or because their job existed already. */
  readonly skipped: number
  /** Firings refused because Go's `CronScheduler` held the schedule's lock (tried again on the next pass). */
  readonly locked: number
  /** The earliest next slot of any enabled schedule (unix seconds), none when there is none. */
  readonly nextDue: number | undefined
}

/**
 * Errors of the operations naming a schedule. On Redis and in memory the
 * transport errors are only the storage's (`ConnectionError`,
 * `StorageError`); over HTTP any of `TransportError`.
 *
 * @category models
 * @since 0.2.0
 */
export type ScheduleError = ScheduleNotFoundError | ValidationError | SerializationError | TransportError

/**
 * The schedules service.
 *
 * @category services
 * @since 0.2.0
 */
export class Schedules extends Context.Service<Schedules, {
  /**
   * Creates or replaces a schedule (validated first: `ValidationError`
   * naming the field). Its next slot counts from now; storing the same
   * definition again changes nothing. Its state hash (run count, last run)
   * is kept.
   */
  readonly upsert: (input: ScheduleInput) => Effect.Effect<ScheduleView, ValidationError | SerializationError | TransportError>
  /** A schedule and its state. */
  readonly get: (id: string) => Effect.Effect<ScheduleView, ScheduleError>
  /** Every schedule, by id. */
  readonly list: Effect.Effect<ReadonlyArray<ScheduleView>, SerializationError | TransportError>
  /** Removes a schedule and its state (the jobs it enqueued stay). */
  readonly remove: (id: string) => Effect.Effect<void, ScheduleError>
  /** Pauses a schedule: no slot runs until it is resumed. */
  readonly pause: (id: string) => Effect.Effect<ScheduleView, ScheduleError>
  /** Resumes a paused schedule from its next slot after now (slots missed while paused are skipped). */
  readonly resume: (id: string) => Effect.Effect<ScheduleView, ScheduleError>
  /**
   * Enqueues the schedule's job now, for the current second's slot (a job
   * for that slot existing already is returned as is), counted in its state;
   * the schedule's slots are unchanged.
   */
  readonly runNow: (id: string) => Effect.Effect<Job, ScheduleError>
  /** The next `count` slots (unix seconds) of a schedule after now. */
  readonly preview: (id: string, count: number) => Effect.Effect<ReadonlyArray<number>, ScheduleError>
  /**
   * One scheduler pass: fires every due slot (each in one atomic step with
   * its state, so any number of concurrent passes fire each slot once).
   * Not served over HTTP (an `ApiError` saying so): run the cron scheduler
   * next to the storage (`bananas worker`, `bananas scheduler`).
   */
  readonly fireDue: Effect.Effect<FireReport, TransportError>
}>()("@bananas/effect/Schedules") {}
