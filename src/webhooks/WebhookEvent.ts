/**
 * A job event as a webhook receives it, decoded from the exact body bytes:
 * the job as Go's job JSON (payload bytes untouched) and the result as Go's
 * result JSON (result bytes untouched). See `protocol/Events` for when each
 * type is sent.
 *
 * @since 0.2.0
 */

import * as Result from "effect/Result"
import type { Job } from "../domain/Job.ts"
import * as JobCodec from "../domain/JobCodec.ts"
import type { JobResult } from "../domain/JobResult.ts"
import { memberOf, scanObject, stringOf } from "../domain/JsonScanner.ts"
import * as Timestamp from "../domain/Timestamp.ts"
import { decodeResult } from "../http/Bodies.ts"
import { type EventType, isEventType } from "../protocol/Events.ts"

export type { EventType } from "../protocol/Events.ts"

/**
 * One job event.
 *
 * @category models
 * @since 0.2.0
 */
export interface WebhookEvent {
  /** The event id: the same on every redelivery of this event. */
  readonly id: string
  /** `job.completed`, `job.failed`, `job.dead` or `job.cancelled`. */
  readonly type: EventType
  /** When the outcome happened. */
  readonly createdAt: Timestamp.Timestamp
  /** The job's id. */
  readonly jobId: string
  /** The job as the outcome left it; none when its data was missing or corrupt. */
  readonly job: Job | undefined
  /** The outcome: the stored result, or the failed attempt. */
  readonly result: JobResult
  /** The body exactly as received. */
  readonly raw: string
}

/**
 * Decodes an event body; the reason when it is not one.
 *
 * @category decoding
 * @since 0.2.0
 */
export const decode = (body: string): Result.Result<WebhookEvent, string> => {
  const scanned = scanObject(body)
  if (!("members" in scanned)) return Result.fail("the body is not a JSON object")
  const member = (key: string) => memberOf(scanned.members, key)
  const text = (key: string) => stringOf(member(key))
  const id = text("id")
  const type = text("type")
  const jobId = text("job_id")
  const createdAt = Timestamp.parse(text("created_at") ?? "")
  if (id === undefined || jobId === undefined || createdAt === undefined) return Result.fail("the event lacks id, job_id or created_at")
  if (!isEventType(type)) return Result.fail(`unknown event type ${JSON.stringify(type)}`)
  const jobMember = member("job")
  let job: Job | undefined
  if (jobMember !== undefined && jobMember.kind !== "null") {
    const decoded = JobCodec.decode(jobMember.raw)
    if (Result.isFailure(decoded)) return Result.fail(`the event's job does not decode: ${decoded.failure.message}`)
    job = decoded.success
  }
  const resultMember = member("result")
  const result = resultMember === undefined ? undefined : decodeResult(resultMember.raw)
  if (result === undefined || Result.isFailure(result)) return Result.fail("the event's result does not decode")
  return Result.succeed({ id, type, createdAt, jobId, job, result: result.success, raw: body })
}
