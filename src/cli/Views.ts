/**
 * How the CLI shows jobs, results and queue depths: as text for people
 * (aligned, times relative to now) or as stable JSON for scripts. Job and
 * result JSON is the wire form (Go's field names), so payloads and results
 * come out byte for byte as stored.
 *
 * @since 0.2.0
 */

import type { Job } from "../domain/Job.ts"
import * as JobCodec from "../domain/JobCodec.ts"
import * as JobResult from "../domain/JobResult.ts"
import type { JobPriority } from "../domain/JobPriority.ts"
import * as QueueRef from "../domain/QueueRef.ts"
import type { QueueStats } from "../domain/QueueStats.ts"
import * as Timestamp from "../domain/Timestamp.ts"
import * as Output from "./Output.ts"

/**
 * A job as JSON: its stored form (`id`, `name`, `payload`, `status`,
 * `priority`, `created_at`, ...), one line.
 *
 * @category json
 * @since 0.2.0
 */
export const jobJson = (job: Job): string => JobCodec.encode(job)

/**
 * A result as JSON: `{"job_id","status","result"?,"error"?,"completed_at","duration"}`
 * (`duration` in nanoseconds, as Go writes it), one line.
 *
 * @category json
 * @since 0.2.0
 */
export const resultJson = (result: JobResult.JobResult): string => JobResult.toGoJson(result)

/**
 * Queue depths as JSON: `{"queued":{"high","normal","low"},"processing","scheduled","dead"}`,
 * and `"paused":[{"priority","routingKey"?}]` when a queue is paused.
 *
 * @category json
 * @since 0.2.0
 */
export const statsJson = (stats: QueueStats): string =>
  JSON.stringify({
    queued: stats.queued,
    processing: stats.processing,
    scheduled: stats.scheduled,
    dead: stats.dead,
    ...(stats.paused === undefined || stats.paused.length === 0 ? {} : { paused: stats.paused })
  })

/**
 * A job for people: one field per line.
 *
 * @category text
 * @since 0.2.0
 */
export const jobText = (job: Job, now: number, paint: Output.Paint): string =>
  Output.fields([
    ["id", job.id],
    ["name", job.name],
    ["description", job.description],
    ["status", paintStatus(job.status, paint)],
    ["priority", job.priority],
    ["route", job.routingKey],
    ["attempts", `${job.attempts} failed of ${job.maxRetries} allowed`],
    ["created", time(job.createdAt, now)],
    ["updated", time(job.updatedAt, now)],
    ["scheduled", job.scheduledFor === undefined ? undefined : time(job.scheduledFor, now)],
    ["error", job.error === undefined ? undefined : paint("red", job.error)],
    ["payload", job.payload]
  ], paint)

/**
 * A result for people: one field per line.
 *
 * @category text
 * @since 0.2.0
 */
export const resultText = (result: JobResult.JobResult, now: number, paint: Output.Paint): string =>
  Output.fields([
    ["job", result.jobId],
    ["status", paintStatus(result.status, paint)],
    ["result", result.result],
    ["error", result.error === undefined || result.error === "" ? undefined : paint("red", result.error)],
    ["finished", time(result.completedAt, now)],
    ["duration", Output.duration(result.durationMs)]
  ], paint)

/**
 * Jobs for people: a table.
 *
 * @category text
 * @since 0.2.0
 */
export const jobTable = (jobs: ReadonlyArray<Job>, now: number, paint: Output.Paint): string =>
  Output.table(
    ["ID", "NAME", "STATUS", "PRIORITY", "FAILED RUNS", "CREATED", "ERROR"],
    jobs.map((job) => [
      job.id,
      job.name,
      job.status,
      job.priority,
      `${job.attempts}/${job.maxRetries}`,
      Output.relative(Timestamp.toMillis(job.createdAt), now),
      job.error ?? ""
    ]),
    paint
  )

/**
 * Queue depths for people: a table, one row per queue.
 *
 * @category text
 * @since 0.2.0
 */
export const statsTable = (stats: QueueStats, paint: Output.Paint): string => {
  const paused = stats.paused ?? []
  // A paused default priority says so beside its depth; routed ones (whose depths stats does not read) on a line below.
  const depth = (priority: JobPriority) =>
    paused.some((q) => q.priority === priority && q.routingKey === undefined)
      ? `${stats.queued[priority]} ${paint("yellow", "(paused)")}`
      : String(stats.queued[priority])
  const routed = paused.filter((q) => q.routingKey !== undefined)
  return Output.table(["QUEUE", "JOBS"], [
    ["high", depth("high")],
    ["normal", depth("normal")],
    ["low", depth("low")],
    ["processing", String(stats.processing)],
    ["scheduled", String(stats.scheduled)],
    ["dead", stats.dead > 0 ? paint("red", String(stats.dead)) : "0"]
  ], paint) + (routed.length === 0 ? "" : `\n${paint("yellow", "paused")}: ${routed.map(QueueRef.format).join(", ")}`)
}

// Internal

const time = (t: Timestamp.Timestamp, now: number): string =>
  Timestamp.toMillis(t) > 0 ? `${Timestamp.format(t)} (${Output.relative(Timestamp.toMillis(t), now)})` : Output.unknownTime

const paintStatus = (status: string, paint: Output.Paint): string =>
  status === "completed"
    ? paint("green", status)
    : status === "failed"
    ? paint("red", status)
    : status === "processing"
    ? paint("cyan", status)
    : status === "scheduled"
    ? paint("yellow", status)
    : status
