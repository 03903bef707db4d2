/**
 * Listing jobs: the filter of a listing, a page request, and one page.
 *
 * @since 0.2.0
 */

import * as Schema from "effect/Schema"
import { Job } from "./Job.ts"
import { JobPriority } from "./JobPriority.ts"
import { JobStatus } from "./JobStatus.ts"
import * as Timestamp from "./Timestamp.ts"

/**
 * The most jobs one page may hold.
 *
 * @category constants
 * @since 0.2.0
 */
export const maxLimit = 10_000

/**
 * The page size when none is given.
 *
 * @category constants
 * @since 0.2.0
 */
export const defaultLimit = 100

const Limit = Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 1, maximum: maxLimit })))

/**
 * The schema of a page request: where to continue and how many at most.
 *
 * @category schemas
 * @since 0.2.0
 */
export const PageRequest = Schema.Struct({
  /** The opaque cursor of the previous page; omit for the first page. */
  cursor: Schema.optional(Schema.String),
  /** Most jobs in the page, 1 to 10,000 (default 100); a page may hold fewer and still have a cursor. */
  limit: Schema.optional(Limit)
})

/**
 * A page request.
 *
 * @category models
 * @since 0.2.0
 */
export interface PageRequest extends Schema.Schema.Type<typeof PageRequest> {}

/**
 * The schema of a listing filter. Omitted filters match everything.
 *
 * @category schemas
 * @since 0.2.0
 */
export const ListFilter = Schema.Struct({
  ...PageRequest.fields,
  /** Only jobs with this status. */
  status: Schema.optional(JobStatus),
  /** Only jobs with this priority. */
  priority: Schema.optional(JobPriority),
  /** Only jobs with this name. */
  name: Schema.optional(Schema.String),
  /** Only jobs created at or after this instant. */
  from: Schema.optional(Timestamp.FromString),
  /** Only jobs created before this instant. */
  to: Schema.optional(Timestamp.FromString)
})

/**
 * A listing filter.
 *
 * @category models
 * @since 0.1.0
 */
export interface ListFilter extends Schema.Schema.Type<typeof ListFilter> {}

/**
 * The schema of one page of jobs.
 *
 * @category schemas
 * @since 0.2.0
 */
export const JobPage = Schema.Struct({
  /** The jobs of this page. */
  jobs: Schema.Array(Job),
  /** Present while more pages may follow: pass it as the next request's `cursor`. */
  cursor: Schema.optional(Schema.String)
})

/**
 * One page of jobs.
 *
 * @category models
 * @since 0.1.0
 */
export interface JobPage extends Schema.Schema.Type<typeof JobPage> {}
