/**
 * The job filter of `Queue.list`, shared by the Redis and memory layers.
 *
 * @since 0.1.0
 */
import type { Job } from "../domain/Job.ts"
import * as Timestamp from "../domain/Timestamp.ts"
import type { ListFilter } from "../services/Queue.ts"

/**
 * True when the job passes every filter given (status, priority, name, and
 * `from` <= created_at < `to`).
 *
 * @category predicates
 * @since 0.1.0
 */
export const matches = (job: Job, filter: ListFilter): boolean =>
  (filter.status === undefined || job.status === filter.status) &&
  (filter.priority === undefined || job.priority === filter.priority) &&
  (filter.name === undefined || job.name === filter.name) &&
  (filter.from === undefined || Timestamp.compare(job.createdAt, filter.from) >= 0) &&
  (filter.to === undefined || Timestamp.compare(job.createdAt, filter.to) < 0)
