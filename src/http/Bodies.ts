/**
 * The exact-JSON bodies of the HTTP Task API, both ways. Payloads and
 * results cross HTTP as the JSON text that was submitted or stored — a
 * 20-digit integer, key order and escapes survive — so bodies are written
 * here from our codecs (`JobCodec`, `RawJson`) as strings, and read with
 * the scanner (`JsonScanner`) without a `JSON.parse` round trip of any
 * payload or result.
 *
 * On the wire a job is Go's job JSON (what `job:{id}` holds, payload as a
 * JSON value) and a result Go's result JSON (`{"job_id","status","result"?,
 * "error"?,"completed_at","duration"}`, duration in nanoseconds); a
 * submission is `SubmitRequest` with its payload as a JSON value.
 *
 * @since 0.2.0
 */

import * as Result from "effect/Result"
import { SerializationError, ValidationError } from "../domain/Errors.ts"
import type { Job } from "../domain/Job.ts"
import * as JobCodec from "../domain/JobCodec.ts"
import type { JobPage } from "../domain/JobPage.ts"
import type { JobResult } from "../domain/JobResult.ts"
import * as JobResultModel from "../domain/JobResult.ts"
import { memberOf, scanArray, scanObject, stringOf } from "../domain/JsonScanner.ts"
import { nullJson, quote, type RawJson } from "../domain/RawJson.ts"
import type { SubmitRequest, Submitted } from "../domain/Submission.ts"
import * as Timestamp from "../domain/Timestamp.ts"

// --- requests --------------------------------------------------------------------

/**
 * A submission as a request body: the `SubmitRequest` fields, the payload
 * as its exact JSON text (not a string), times as RFC 3339 text.
 *
 * @category encoding
 * @since 0.2.0
 */
export const encodeSubmit = (request: SubmitRequest): string => {
  let out = `{"name":${quote(request.name)},"payload":${request.payload}`
  if (request.priority !== undefined) out += `,"priority":${quote(request.priority)}`
  if (request.description !== undefined) out += `,"description":${quote(request.description)}`
  if (request.maxRetries !== undefined) out += `,"maxRetries":${number(request.maxRetries)}`
  if (request.routingKey !== undefined) out += `,"routingKey":${quote(request.routingKey)}`
  if (request.id !== undefined) out += `,"id":${quote(request.id)}`
  if (request.unique !== undefined) out += `,"unique":${request.unique ? "true" : "false"}`
  if (request.scheduledFor !== undefined) out += `,"scheduledFor":"${Timestamp.format(request.scheduledFor)}"`
  if (request.delayMillis !== undefined) out += `,"delayMillis":${number(request.delayMillis)}`
  if (request.submittedAt !== undefined) out += `,"submittedAt":"${Timestamp.format(request.submittedAt)}"`
  return out + "}"
}

/**
 * A batch as a request body: `{"entries":[<submission>...]}`.
 *
 * @category encoding
 * @since 0.2.0
 */
export const encodeBatch = (requests: ReadonlyArray<SubmitRequest>): string => `{"entries":[${requests.map(encodeSubmit).join(",")}]}`

/**
 * The exact text of a submission body's `payload` (the last one, as
 * `JSON.parse` reads duplicates), `null` when absent. For a body the
 * server already decoded; a body the scanner cannot read (nested deeper
 * than Go reads JSON) is a `ValidationError` — never stored as something else.
 *
 * @category decoding
 * @since 0.2.0
 */
export const payloadOf = (body: string, field = "payload"): Result.Result<RawJson, ValidationError> => {
  const scanned = scanObject(body)
  if (!("members" in scanned)) return Result.fail(unreadable(field, scanned))
  return Result.succeed((memberOf(scanned.members, "payload")?.raw ?? nullJson) as RawJson)
}

/**
 * The exact payload text of each entry of a batch body, in order.
 *
 * @category decoding
 * @since 0.2.0
 */
export const batchPayloadsOf = (body: string): Result.Result<ReadonlyArray<RawJson>, ValidationError> => {
  const scanned = scanObject(body)
  const entries = "members" in scanned ? memberOf(scanned.members, "entries") : undefined
  const list = entries === undefined ? undefined : scanArray(entries.raw)
  if (list === undefined || !("elements" in list)) return Result.fail(unreadable("entries", list ?? scanned))
  const out: Array<RawJson> = []
  for (const [i, element] of list.elements.entries()) {
    const payload = payloadOf(element.raw, `entries[${i}].payload`)
    if (Result.isFailure(payload)) return Result.fail(payload.failure)
    out.push(payload.success)
  }
  return Result.succeed(out)
}

/**
 * The work a request body asks of the decoder, bounded before it is parsed:
 * one pass over the text (strings skipped) that stops at the first limit
 * passed. `tokens` counts keys and values (a container counts one);
 * `objectKeys` the members of the largest object (a parser builds a large
 * object slowly, and a schema checks each member). Text that is not JSON
 * is counted as far as it goes (the parser then says what is wrong).
 *
 * @category decoding
 * @since 0.2.0
 */
export const bodyWorkExceeded = (
  text: string,
  limits: { readonly maxTokens: number; readonly maxObjectKeys: number }
): ValidationError | undefined => {
  let tokens = 1
  // Members of each open container so far; -1 for an array.
  const open: Array<number> = []
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 34) { // a string: skip it, escapes included
      for (i++; i < text.length && text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92) i++
      continue
    }
    if (c === 44 || c === 58 || c === 123 || c === 91) { // , : { [
      if (++tokens > limits.maxTokens) {
        return new ValidationError({
          field: "body",
          message: `the body holds more than ${limits.maxTokens} JSON keys and values, the gateway's limit (maxBodyTokens): store large data elsewhere and submit a reference to it`
        })
      }
      if (c === 123) open.push(0)
      else if (c === 91) open.push(-1)
      else if (c === 58 && open.length > 0 && open[open.length - 1]! >= 0 && ++open[open.length - 1]! > limits.maxObjectKeys) {
        return new ValidationError({
          field: "body",
          message: `an object of the body has more than ${limits.maxObjectKeys} keys, the gateway's limit (maxObjectKeys)`
        })
      }
    } else if (c === 125 || c === 93) { // } ]
      open.pop()
    }
  }
  return undefined
}

// --- responses ---------------------------------------------------------------------

/**
 * A receipt as a response body.
 *
 * @category encoding
 * @since 0.2.0
 */
export const encodeSubmitted = (s: Submitted): string => `{"id":${quote(s.id)},"duplicate":${s.duplicate ? "true" : "false"}}`

/**
 * Receipts as a response body: `{"jobs":[<receipt>...]}`.
 *
 * @category encoding
 * @since 0.2.0
 */
export const encodeSubmittedList = (list: ReadonlyArray<Submitted>): string => `{"jobs":[${list.map(encodeSubmitted).join(",")}]}`

/**
 * A page as a response body: `{"jobs":[<Go job JSON>...],"cursor"?}`.
 *
 * @category encoding
 * @since 0.2.0
 */
export const encodePage = (page: JobPage): string =>
  `{"jobs":[${page.jobs.map(JobCodec.encode).join(",")}]${page.cursor === undefined ? "" : `,"cursor":${quote(page.cursor)}`}}`

/**
 * A job as a response body (Go's job JSON).
 *
 * @category encoding
 * @since 0.2.0
 */
export const encodeJob: (job: Job) => string = JobCodec.encode

/**
 * A result as a response body (Go's result JSON).
 *
 * @category encoding
 * @since 0.2.0
 */
export const encodeResult: (result: JobResult) => string = JobResultModel.toGoJson

/**
 * Reads a receipt.
 *
 * @category decoding
 * @since 0.2.0
 */
export const decodeSubmitted = (text: string): Result.Result<Submitted, SerializationError> => {
  const value = parse(text) as { readonly id?: unknown; readonly duplicate?: unknown } | undefined
  return value !== undefined && typeof value.id === "string" && typeof value.duplicate === "boolean"
    ? Result.succeed({ id: value.id, duplicate: value.duplicate })
    : Result.fail(bad("a receipt {id, duplicate}", text))
}

/**
 * Reads receipts (`{"jobs":[...]}`).
 *
 * @category decoding
 * @since 0.2.0
 */
export const decodeSubmittedList = (text: string): Result.Result<ReadonlyArray<Submitted>, SerializationError> => {
  const value = parse(text) as { readonly jobs?: unknown } | undefined
  if (value === undefined || !Array.isArray(value.jobs)) return Result.fail(bad("a list of receipts", text))
  const out: Array<Submitted> = []
  for (const item of value.jobs) {
    const one = decodeSubmitted(JSON.stringify(item))
    if (Result.isFailure(one)) return Result.fail(one.failure)
    out.push(one.success)
  }
  return Result.succeed(out)
}

/**
 * Reads a job (Go's job JSON), its payload bytes untouched.
 *
 * @category decoding
 * @since 0.2.0
 */
export const decodeJob = (text: string): Result.Result<Job, SerializationError> =>
  Result.mapError(JobCodec.decode(text), (e) => new SerializationError({ message: `the gateway sent a job that does not decode: ${e.message}` }))

/**
 * Reads a page of jobs.
 *
 * @category decoding
 * @since 0.2.0
 */
export const decodePage = (text: string): Result.Result<JobPage, SerializationError> => {
  const scanned = scanObject(text)
  if (!("members" in scanned)) return Result.fail(bad("a page {jobs, cursor}", text))
  const jobsMember = memberOf(scanned.members, "jobs")
  const cursorMember = memberOf(scanned.members, "cursor")
  const list = jobsMember === undefined ? undefined : scanArray(jobsMember.raw)
  if (list === undefined || !("elements" in list)) return Result.fail(bad("a page {jobs, cursor}", text))
  const jobs: Array<Job> = []
  for (const element of list.elements) {
    const job = decodeJob(element.raw)
    if (Result.isFailure(job)) return Result.fail(job.failure)
    jobs.push(job.success)
  }
  if (cursorMember === undefined || cursorMember.kind === "null") return Result.succeed({ jobs })
  const cursor = parse(cursorMember.raw)
  return typeof cursor === "string" ? Result.succeed({ jobs, cursor }) : Result.fail(bad("a string cursor", text))
}

/**
 * Reads a result (Go's result JSON), its `result` bytes untouched.
 *
 * @category decoding
 * @since 0.2.0
 */
export const decodeResult = (text: string): Result.Result<JobResult, SerializationError> => {
  const scanned = scanObject(text)
  if (!("members" in scanned)) return Result.fail(bad("a result", text))
  const field = (key: string) => memberOf(scanned.members, key)
  const str = (key: string) => stringOf(field(key))
  const jobId = str("job_id")
  const status = str("status")
  const completedAt = Timestamp.parse(str("completed_at") ?? "")
  const duration = field("duration")
  const result = field("result")
  if (jobId === undefined || (status !== "completed" && status !== "failed") || completedAt === undefined || duration?.kind !== "number") {
    return Result.fail(bad("a result {job_id, status, completed_at, duration}", text))
  }
  return Result.succeed({
    jobId,
    status,
    result: result === undefined ? undefined : (result.raw as RawJson),
    error: str("error"),
    completedAt,
    durationMs: Math.trunc(Number(duration.raw) / 1_000_000)
  })
}

// Internal

const unreadable = (field: string, scanned: { readonly error: string } | { readonly kind: string } | { readonly members: unknown }) =>
  new ValidationError({
    field,
    message: "error" in scanned && scanned.error === "exceeded max depth"
      ? "the JSON is nested too deeply for Go to read it (at most 10000 levels)"
      : `the JSON cannot be read: ${"error" in scanned ? scanned.error : "not an object"}`
  })

const number = (n: number): string => (Number.isFinite(n) ? JSON.stringify(n) : "null")

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

const bad = (what: string, text: string) =>
  new SerializationError({ message: `the gateway's answer is not ${what}: ${text.length > 200 ? `${text.slice(0, 200)}...` : text}` })
