/**
 * The Promise client's conversions from the SDK's models to jobs and
 * results as it returns them (`Client.Job`, `Client.JobResult`: times as
 * `Date`s, payloads parsed, with their exact JSON text beside them).
 *
 * @since 0.2.0
 */

import * as Effect from "effect/Effect"
import type { Job } from "../domain/Job.ts"
import type { JobResult } from "../domain/JobResult.ts"
import * as RawJson from "../domain/RawJson.ts"
import * as Timestamp from "../domain/Timestamp.ts"
import type { Client } from "./Client.ts"

/**
 * A job as the client returns it.
 *
 * @category conversions
 * @since 0.2.0
 */
export const toClientJob = (job: Job) =>

  Effect.map(parsed(job.payload), (payload): Client.Job => ({
    id: job.id,
    name: job.name,
    description: job.description,
    payload,
    rawPayload: job.payload,
    status: job.status,
    priority: job.priority,
    createdAt: date(job.createdAt),
    updatedAt: date(job.updatedAt),
    scheduledFor: job.scheduledFor === undefined ? undefined : date(job.scheduledFor),
    attempts: job.attempts,
    maxRetries: job.maxRetries,
    error: job.error,
    routingKey: job.routingKey
  }))

/**
 * A result as the client returns it.
 *
 * @category conversions
 * @since 0.2.0
 */
export const toClientResult = (r: JobResult) =>

  Effect.map(r.result === undefined ? Effect.succeed(undefined) : parsed(r.result), (result): Client.JobResult => ({
    jobId: r.jobId,
    status: r.status,
    ...(r.result === undefined ? {} : { result, rawResult: r.result }),
    error: r.error,
    completedAt: date(r.completedAt),
    durationMs: r.durationMs
  }))

// Internal

const date = (t: Timestamp.Timestamp) => Timestamp.toDate(t)

const parsed = (raw: RawJson.RawJson) => Effect.fromResult(RawJson.parse(raw))
