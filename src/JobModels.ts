/**
 * The job models programs meet, in one namespace (the root's `Job`): the
 * job and its id, status and priority; its result; listing filters and
 * pages; queue depths and queue references; submission requests and receipts; what a failed
 * write did. Each is a `Schema` and the type of its values, Go-compatible.
 *
 * @since 0.2.0
 */

export {
  /** A job as stored (Go's JSON fields). */
  Job
} from "./domain/Job.ts"
export {
  /** A job id (a UUID unless the submitter chose one). */
  JobId
} from "./domain/JobId.ts"
export {
  /** `high`, `normal` or `low`: which queue a job goes to. */
  JobPriority
} from "./domain/JobPriority.ts"
export {
  /** Whether a status is final (`completed`, `failed`, `cancelled`). */
  isFinal,
  /** Where a job is in its life: `pending`, `processing`, `completed`, ... */
  JobStatus
} from "./domain/JobStatus.ts"
export {
  /** A job's stored result. */
  JobResult,
  /** `completed` or `failed`. */
  ResultStatus
} from "./domain/JobResult.ts"
export {
  /** One page of a listing. */
  JobPage,
  /** What a listing selects: status, priority, name, creation time, page. */
  ListFilter,
  /** A page of the dead-letter list. */
  PageRequest
} from "./domain/JobPage.ts"
export {
  /** Queue depths. */
  QueueStats
} from "./domain/QueueStats.ts"
export {
  /** Which queue: a priority, of the default queue or of a routing key (pause, resume). */
  QueueRef
} from "./domain/QueueRef.ts"
export {
  /** When a scheduled job becomes due: a date, or a delay from now. */
  type ScheduleAt,
  /** A submission, as `TaskApi.submit` takes it. */
  SubmitRequest,
  /** A submission's receipt: the id, and whether it existed already. */
  Submitted
} from "./domain/Submission.ts"
export {
  /** What a failed batch submission wrote, by job id. */
  BatchReport,
  /** What a failed write did: `not-written` or `unknown`. */
  WriteOutcome
} from "./domain/WriteOutcome.ts"
