/**
 * The job JSON codec, byte-compatible with Go's `encoding/json` on
 * `models.Job`: field order, `omitempty`, RFC 3339 nanosecond timestamps,
 * Go's string escaping, and the payload carried as raw bytes.
 *
 * Reading follows Go too: keys match case-insensitively and the last
 * duplicate wins, unknown keys are ignored, a missing `max_retries` is 0,
 * and a value of the wrong type fails the whole job with Go's message (which
 * the worker records when it dead-letters the job).
 *
 * Three fields are ours, written after Go's and only when present (Go
 * ignores them): `trace_context` (the producer's W3C traceparent, see
 * `TraceContext`), then `schedule_id` and `schedule_slot` (the schedule and
 * slot a scheduled job runs for, see `Schedule`).
 *
 * @since 0.1.0
 */

import * as Result from "effect/Result"
import { SerializationError } from "./Errors.ts"
import type { Job } from "./Job.ts"
import { isJobPriority, type JobPriority } from "./JobPriority.ts"
import { isJobStatus, type JobStatus } from "./JobStatus.ts"
import { type Member, scanObject, unquote } from "./JsonScanner.ts"
import { nullJson, quote, type RawJson } from "./RawJson.ts"
import * as Timestamp from "./Timestamp.ts"
import { isTraceparent } from "./TraceContext.ts"

/**
 * Encodes a job as Go writes it.
 *
 * @category encoding
 * @since 0.1.0
 */
export const encode = (job: Job): string => {
  let out = `{"id":${quote(job.id)},"name":${quote(job.name)}`
  if (job.description !== undefined && job.description !== "") out += `,"description":${quote(job.description)}`
  out += `,"payload":${job.payload}${statusPart(job.status)}${priorityPart(job.priority)}`
  out += `,"created_at":"${Timestamp.format(job.createdAt)}","updated_at":"${Timestamp.format(job.updatedAt)}"`
  if (job.scheduledFor !== undefined) out += `,"scheduled_for":"${Timestamp.format(job.scheduledFor)}"`
  out += `,"attempts":${job.attempts},"max_retries":${job.maxRetries}`
  if (job.error !== undefined && job.error !== "") out += `,"error":${quote(job.error)}`
  if (job.routingKey !== undefined) out += `,"routing_key":${quote(job.routingKey)}`
  // Ours, after Go's fields (Go ignores it); absent unless a trace context was carried.
  if (job.traceContext !== undefined) out += `,"trace_context":${quote(job.traceContext)}`
  // Ours too: a scheduled slot's job names its schedule and slot.
  if (job.scheduleId !== undefined) out += `,"schedule_id":${quote(job.scheduleId)}`
  if (job.scheduleSlot !== undefined) out += `,"schedule_slot":${job.scheduleSlot}`
  return out + "}"
}

/**
 * Decodes job JSON. On failure the `SerializationError` message is Go's
 * unmarshal error text, and `key` is left for the caller to fill in.
 *
 * @category decoding
 * @since 0.1.0
 */
export const decode = (text: string): Result.Result<Job, SerializationError> => {
  const scanned = scanObject(text)
  if ("error" in scanned) return Result.fail(new SerializationError({ message: scanned.error }))
  if ("kind" in scanned) {
    if (scanned.kind === "null") return Result.succeed(emptyJob())
    return Result.fail(new SerializationError({ message: `json: cannot unmarshal ${scanned.kind} into Go value of type models.Job` }))
  }
  const fields = emptyJob() as Mutable // a fresh object: filled in place
  // Like Go: a type mismatch is remembered (the first one is reported) and
  // decoding goes on; a time that does not parse stops at once.
  let typeMismatch: string | undefined
  for (const member of scanned.members) {
    const field = EXACT_FIELDS.get(member.key) ?? FIELDS.get(foldKey(member.key))
    if (field === undefined) continue
    const error = field(fields, member)
    if (error === undefined) continue
    if (error.startsWith("json: cannot unmarshal")) typeMismatch ??= error
    else return Result.fail(new SerializationError({ message: error }))
  }
  if (typeMismatch !== undefined) return Result.fail(new SerializationError({ message: typeMismatch }))
  return Result.succeed(fields as Job)
}

/**
 * Decodes job JSON read from `key`, naming the key in the error.
 *
 * @category decoding
 * @since 0.1.0
 */
export const decodeAt = (key: string, text: string): Result.Result<Job, SerializationError> =>
  Result.mapError(decode(text), (e) => new SerializationError({ message: `corrupted job data at ${key}: ${e.message}`, key }))

// Internal

// The status and priority members as `encode` writes them: the known values
// quoted once (the same bytes as `quote`), anything else quoted when written.
const statusParts = new Map<string, string>(["", "pending", "processing", "completed", "failed", "scheduled"].map((s) => [s, `,"status":${quote(s)}`]))
const priorityParts = new Map<string, string>(["high", "normal", "low"].map((p) => [p, `,"priority":${quote(p)}`]))
const statusPart = (status: string): string => statusParts.get(status) ?? `,"status":${quote(status)}`
const priorityPart = (priority: string): string => priorityParts.get(priority) ?? `,"priority":${quote(priority)}`

type Mutable = { -readonly [K in keyof Job]: Job[K] }

const emptyJob = (): Job => ({
  id: "",
  name: "",
  payload: nullJson,
  status: "",
  priority: "normal",
  createdAt: Timestamp.zero,
  updatedAt: Timestamp.zero,
  attempts: 0,
  maxRetries: 0
})

// Go names the number only when it was decoding into an integer.
const typeError = (m: Member, field: string, goType: string) =>
  `json: cannot unmarshal ${m.kind === "number" && goType === "int" ? `number ${m.raw}` : m.kind} into Go struct field Job.${field} of type ${goType}`

const INT64_MIN = -(2n ** 63n), INT64_MAX = 2n ** 63n - 1n

// Go matches keys by upper-casing each rune (ASCII letters, and simple
// mappings such as U+017F long s -> S); the field table is keyed the same way.
const foldKey = (key: string): string => {
  let out = ""
  for (const ch of key) {
    const upper = ch.toUpperCase()
    out += [...upper].length === 1 ? upper : ch
  }
  return out
}

const stringField = (field: string, set: (job: Mutable, value: string) => void) =>
(job: Mutable, m: Member): string | undefined => {
  if (m.kind === "null") return undefined
  if (m.kind !== "string") return typeError(m, field, "string")
  set(job, unquote(m.raw))
  return undefined
}

const intField = (field: string, set: (job: Mutable, value: number) => void) =>
(job: Mutable, m: Member): string | undefined => {
  if (m.kind === "null") return undefined
  if (m.kind !== "number" || !/^-?\d+$/.test(m.raw)) return typeError(m, field, "int")
  if (m.raw.length > 18) { // beyond 18 digits a value may leave int64: check exactly
    const big = BigInt(m.raw)
    if (big < INT64_MIN || big > INT64_MAX) return typeError(m, field, "int")
  }
  set(job, Number(m.raw))
  return undefined
}

const timeField = (field: string, set: (job: Mutable, value: Timestamp.Timestamp | undefined) => void) =>
(job: Mutable, m: Member): string | undefined => {
  if (m.kind === "null") {
    if (field === "scheduled_for") set(job, undefined)
    return undefined
  }
  const parsed = m.kind === "string" ? Timestamp.parse(unquote(m.raw)) : undefined
  if (parsed === undefined) {
    return m.kind === "string"
      ? `parsing time ${m.raw} as "2006-01-02T15:04:05Z07:00": cannot parse ${m.raw} as RFC 3339`
      : `Time.UnmarshalJSON: input is not a JSON string`
  }
  set(job, parsed)
  return undefined
}

type Reader = (job: Mutable, m: Member) => string | undefined

const FIELD_READERS: ReadonlyArray<readonly [string, Reader]> = [
  ["id", stringField("id", (j, v) => { j.id = v })],
  ["name", stringField("name", (j, v) => { j.name = v })],
  ["description", stringField("description", (j, v) => { j.description = v === "" ? undefined : v })],
  ["payload", (j, m) => { j.payload = m.raw as RawJson; return undefined }],
  ["status", stringField("status", (j, v) => { j.status = isJobStatus(v) ? v : ("" as JobStatus | "") })],
  ["priority", stringField("priority", (j, v) => { j.priority = isJobPriority(v) ? v : ("normal" as JobPriority) })],
  ["created_at", timeField("created_at", (j, v) => { j.createdAt = v ?? Timestamp.zero })],
  ["updated_at", timeField("updated_at", (j, v) => { j.updatedAt = v ?? Timestamp.zero })],
  ["scheduled_for", timeField("scheduled_for", (j, v) => { j.scheduledFor = v })],
  ["attempts", intField("attempts", (j, v) => { j.attempts = v })],
  ["max_retries", intField("max_retries", (j, v) => { j.maxRetries = v })],
  ["error", stringField("error", (j, v) => { j.error = v === "" ? undefined : v })],
  ["routing_key", stringField("routing_key", (j, v) => { j.routingKey = v })],
  // Not a Go field: whatever it holds never fails the job (Go ignores it); only a valid traceparent is kept.
  ["trace_context", (j, m) => {
    const text = m.kind === "string" ? (JSON.parse(m.raw) as string) : undefined
    j.traceContext = text !== undefined && isTraceparent(text) ? text : undefined
    return undefined
  }],
  // Not Go fields either: anything else than a string / an integer is ignored, never fails the job.
  ["schedule_id", (j, m) => {
    j.scheduleId = m.kind === "string" ? unquote(m.raw) : undefined
    return undefined
  }],
  ["schedule_slot", (j, m) => {
    j.scheduleSlot = m.kind === "number" && /^-?\d{1,15}$/.test(m.raw) ? Number(m.raw) : undefined
    return undefined
  }]
]

const FIELDS = new Map(FIELD_READERS.map(([name, read]) => [name.toUpperCase(), read] as const))
// The keys as Go writes them: the common case, found without folding.
const EXACT_FIELDS = new Map(FIELD_READERS)
