/**
 * A job's outcome as stored in the `result:{id}` hash, and Go's JSON form of
 * it (`models.JobResult`).
 *
 * @since 0.1.0
 */

import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { SerializationError } from "./Errors.ts"
import type { JobId } from "./JobId.ts"
import { quote, RawJson } from "./RawJson.ts"
import * as Timestamp from "./Timestamp.ts"

/**
 * The outcome statuses a result hash holds.
 *
 * @category schemas
 * @since 0.2.0
 */
export const ResultStatus = Schema.Literals(["completed", "failed"])

/**
 * `"completed" | "failed"`.
 *
 * @category models
 * @since 0.1.0
 */
export type ResultStatus = typeof ResultStatus.Type

/**
 * The schema of a job's result. Its JSON form carries `result` as its exact
 * JSON text in a string and `completedAt` as RFC 3339 text.
 *
 * @category schemas
 * @since 0.2.0
 */
export const JobResult = Schema.Struct({
  /** The job the result belongs to. */
  jobId: Schema.String,
  /** `completed` or `failed`. */
  status: ResultStatus,
  /** The JSON the handler returned, exactly as stored (completed jobs only). */
  result: Schema.optional(RawJson),
  /** The failure message; Go merges hash fields, so a completed result may keep an earlier attempt's error. */
  error: Schema.optional(Schema.String),
  /** When the outcome was recorded (whole seconds, as Go writes it). */
  completedAt: Timestamp.FromString,
  /** How long the run took, in whole milliseconds. */
  durationMs: Schema.Number
})

/**
 * A job's result. `result` is the raw JSON the handler returned (completed
 * jobs only); `error` the failure message. Go merges hash fields, so a
 * completed result may still carry the `error` of an earlier attempt.
 *
 * @category models
 * @since 0.1.0
 */
export interface JobResult extends Schema.Schema.Type<typeof JobResult> {}

/**
 * The hash fields to write, in Go's order: `status`, `completed_at` (RFC 3339
 * seconds), `duration_ms` (integer), then `result` (completed, non-empty) or
 * `error` (failed).
 *
 * @category encoding
 * @since 0.1.0
 */
export const toHashFields = (r: JobResult): Array<string> => {
  const fields = [
    "status", r.status,
    "completed_at", Timestamp.formatSeconds(r.completedAt),
    "duration_ms", String(Math.max(0, Math.trunc(r.durationMs)))
  ]
  if (r.status === "completed" && r.result !== undefined && r.result !== "") fields.push("result", r.result)
  if (r.status === "failed") fields.push("error", r.error ?? "")
  return fields
}

/**
 * Reads a result hash (`HGETALL`). An empty hash is no result (`undefined`);
 * an unknown status is corrupted data naming `key`. Like Go, an unparsable
 * `completed_at` or `duration_ms` reads as zero.
 *
 * @category decoding
 * @since 0.1.0
 */
export const fromHash = (
  jobId: JobId,
  key: string,
  hash: Readonly<Record<string, string>>
): Result.Result<JobResult | undefined, SerializationError> => {
  if (Object.keys(hash).length === 0) return Result.succeed(undefined)
  const status = hash.status
  if (status !== "completed" && status !== "failed") {
    return Result.fail(new SerializationError({ message: `corrupted result at ${key}: status ${JSON.stringify(status ?? null)}`, key }))
  }
  const duration = Number(hash.duration_ms)
  return Result.succeed({
    jobId,
    status,
    result: hash.result === undefined || hash.result === "" ? undefined : (hash.result as RawJson),
    error: hash.error === undefined || hash.error === "" ? undefined : hash.error,
    completedAt: (hash.completed_at !== undefined ? Timestamp.parse(hash.completed_at) : undefined) ?? Timestamp.zero,
    durationMs: Number.isSafeInteger(duration) && /^\d+$/.test(hash.duration_ms ?? "") ? duration : 0
  })
}

/**
 * Go's JSON form: `{"job_id","status","result"?,"error"?,"completed_at","duration"}`
 * with `duration` in nanoseconds.
 *
 * @category encoding
 * @since 0.1.0
 */
export const toGoJson = (r: JobResult): string => {
  let out = `{"job_id":${quote(r.jobId)},"status":${quote(r.status)}`
  if (r.result !== undefined) out += `,"result":${r.result}`
  if (r.error !== undefined && r.error !== "") out += `,"error":${quote(r.error)}`
  return out + `,"completed_at":"${Timestamp.format(r.completedAt)}","duration":${Math.trunc(r.durationMs) * 1_000_000}}`
}
