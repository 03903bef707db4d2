/**
 * What a failed write did: nothing (`not-written`), or maybe something
 * (`unknown`), and for a batch, which ids were written, which were not and
 * which are unknown (`BatchReport`). `ConnectionError` and `TimeoutError`
 * carry the outcome; a failed batch submission also carries the report.
 *
 * Job ids and creation times are fixed before the first attempt, so
 * submitting the same job again (same id) is always safe: a job written by
 * an attempt whose reply was lost is found and not written twice.
 *
 * `Progress` is how the Redis and memory backends record, per plan, what
 * became of a write while it runs, so a failure (or a deadline) can say.
 *
 * @since 0.2.0
 */

import * as Schema from "effect/Schema"

/**
 * The outcome of a failed write: `not-written` (nothing of it reached
 * Redis, e.g. the client was disconnected, so it was never sent) or
 * `unknown` (it was sent, and the reply did not come: Redis may have
 * carried it out, now or later). Reads report `unknown` too (they write
 * nothing either way).
 *
 * @category models
 * @since 0.2.0
 */
export const WriteOutcome = Schema.Literals(["not-written", "unknown"])

/**
 * The outcome of a failed write.
 *
 * @category models
 * @since 0.2.0
 */
export type WriteOutcome = typeof WriteOutcome.Type

/**
 * What a failed batch submission wrote, by job id (`ids` lists every
 * entry's id in order; each is in exactly one of the other lists). `written`: the job exists now (created by this
 * call, or found there already). `notWritten`: nothing of it reached Redis.
 * `unknown`: sent, no reply; it may exist. Submitting the `notWritten` and
 * `unknown` entries again with these ids (or the whole batch) creates no
 * duplicate.
 *
 * @category models
 * @since 0.2.0
 */
export const BatchReport = Schema.Struct({
  /** Every entry's id, in the order of the entries (for submitting them again with the same ids). */
  ids: Schema.Array(Schema.String),
  /** Ids whose job exists now. */
  written: Schema.Array(Schema.String),
  /** Ids of which nothing was written. */
  notWritten: Schema.Array(Schema.String),
  /** Ids whose write was sent but not answered. */
  unknown: Schema.Array(Schema.String)
})

/**
 * What a failed batch submission wrote.
 *
 * @category models
 * @since 0.2.0
 */
export interface BatchReport extends Schema.Schema.Type<typeof BatchReport> {}

/**
 * Per plan of one write (a submission, a batch), what became of it so far,
 * across retries of the same write: never sent, in flight, maybe written,
 * written. Filled by the store as script calls are sent and answered; the
 * `Tasks` helpers make one per batch and turn it into a `BatchReport`.
 *
 * @category models
 * @since 0.2.0
 */
export interface Progress {
  /** One fate per plan (`fate` codes). */
  readonly fates: Uint8Array
  /** Set by an implementation that records into it (one writing to the store itself); else the fates mean nothing. */
  tracked: boolean
}

/**
 * The fate codes of `Progress`.
 *
 * @category constants
 * @since 0.2.0
 * @internal
 */
export const fate = { notWritten: 0, inFlight: 1, unknown: 2, written: 3 } as const

/**
 * A progress for `plans` plans, none sent.
 *
 * @category constructors
 * @since 0.2.0
 * @internal
 */
export const makeProgress = (plans: number): Progress => ({ fates: new Uint8Array(plans), tracked: false })

/**
 * Plan `i` was handed to the connection (a plan already maybe written
 * stays so).
 *
 * @category recording
 * @since 0.2.0
 * @internal
 */
export const markSent = (p: Progress, i: number): void => {
  if (p.fates[i] === fate.notWritten) p.fates[i] = fate.inFlight
}

/**
 * Redis answered for plan `i`: it exists now (`written`), or this attempt
 * wrote nothing (then an earlier unanswered attempt still may have).
 *
 * @category recording
 * @since 0.2.0
 * @internal
 */
export const markAnswered = (p: Progress, i: number, written: boolean): void => {
  if (written) p.fates[i] = fate.written
  else if (p.fates[i] === fate.inFlight) p.fates[i] = fate.notWritten
}

/**
 * Plan `i`'s call failed without an answer: never sent (`unsent`), or
 * sent and lost (maybe written).
 *
 * @category recording
 * @since 0.2.0
 * @internal
 */
export const markLost = (p: Progress, i: number, unsent: boolean): void => {
  if (p.fates[i] === fate.inFlight) p.fates[i] = unsent ? fate.notWritten : fate.unknown
}

/**
 * The outcome of the whole write: `not-written` when no plan may have been
 * written, else `unknown`.
 *
 * @category accessors
 * @since 0.2.0
 * @internal
 */
export const outcomeOf = (p: Progress): WriteOutcome => {
  for (let i = 0; i < p.fates.length; i++) if (p.fates[i] !== fate.notWritten) return "unknown"
  return "not-written"
}

/**
 * The report of a batch from its progress: `ids[i]` is plan i's job id (a
 * plan still in flight counts as unknown).
 *
 * @category accessors
 * @since 0.2.0
 * @internal
 */
export const reportOf = (p: Progress, ids: ReadonlyArray<string>): BatchReport => {
  const written: Array<string> = []
  const notWritten: Array<string> = []
  const unknown: Array<string> = []
  for (let i = 0; i < ids.length; i++) {
    const f = p.fates[i]
    if (f === fate.written) written.push(ids[i]!)
    else if (f === fate.notWritten || f === undefined) notWritten.push(ids[i]!)
    else unknown.push(ids[i]!)
  }
  return { ids, written, notWritten, unknown }
}
