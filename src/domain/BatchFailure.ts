/**
 * What a failed write did, attached to its error: for a batch, which ids
 * were written, which were not, which are unknown (`BatchReport`), and the
 * error's `outcome` for the whole batch; for one job, its id and an
 * `outcome` that covers every attempt and step (`ofJob`).
 * The progress a batch's writes record travels in the context
 * (`BatchProgress`), not through the signature of `TaskApi.submitBatch`,
 * which also crosses HTTP.
 *
 * @since 0.2.0
 */

import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { ConnectionError, StorageError, TimeoutError } from "./Errors.ts"
import { type BatchReport, makeProgress, outcomeOf, type Progress, reportOf, type WriteOutcome } from "./WriteOutcome.ts"

/**
 * The progress of the batch submission running in this context, if one is
 * tracked: an implementation that writes the batch to the store itself
 * (`DirectTaskApi`) records into it; others ignore it.
 *
 * @category references
 * @since 0.2.0
 * @internal
 */
export const BatchProgress = Context.Reference<Progress | undefined>("@bananas/effect/BatchProgress", {
  defaultValue: () => undefined
})

/**
 * Runs `submit`, a batch submission of the jobs `ids` (in order), with a
 * fresh `BatchProgress`, kept across its retries, and adds to its failure
 * what the batch wrote (`withReport`).
 *
 * @category combinators
 * @since 0.2.0
 * @internal
 */
export const reportingBatch = <A, E, R>(ids: ReadonlyArray<string>, submit: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.suspend(() => {
    const progress = makeProgress(ids.length)
    return Effect.mapError(Effect.provideService(submit, BatchProgress, progress), (error) => withReport(error, progress, ids))
  })

/**
 * `error` with the batch's report, when it is a `ConnectionError`,
 * `TimeoutError` or `StorageError` without one and `progress` was recorded
 * (`ids[i]` is entry i's id); any other error as it is. The `outcome` of a
 * connection or timeout error becomes the batch's: `not-written` only when
 * no entry may have been written.
 *
 * @category combinators
 * @since 0.2.0
 */
export const withReport = <E>(error: E, progress: Progress, ids: ReadonlyArray<string>): E => {
  if (!progress.tracked) return error
  if (error instanceof ConnectionError && error.batch === undefined) {
    return withOutcome(error, outcomeOf(progress), reportOf(progress, ids)) as E
  }
  if (error instanceof TimeoutError && error.batch === undefined) {
    return withOutcome(error, outcomeOf(progress), reportOf(progress, ids)) as E
  }
  if (error instanceof StorageError && error.batch === undefined) {
    const { operation, reason, key, message, cause } = error
    return new StorageError({ operation, reason, key, message, cause, batch: reportOf(progress, ids) }) as E
  }
  return error
}

/**
 * A copy of a connection or timeout error with another `outcome` (and
 * batch report, when given).
 *
 * @category combinators
 * @since 0.2.0
 */
export const withOutcome = <E extends ConnectionError | TimeoutError>(
  error: E,
  outcome: WriteOutcome,
  batch?: BatchReport,
  jobId: string | undefined = error.jobId
): E => {
  const report = batch ?? error.batch
  if (error instanceof ConnectionError) {
    const { operation, message, cause } = error
    return new ConnectionError({ operation, message, cause, outcome, batch: report, jobId }) as E
  }
  const { operation, timeoutMillis, message } = error as TimeoutError
  return new TimeoutError({ operation, timeoutMillis, jobId, message, outcome, batch: report }) as E
}

/**
 * The failure of a write of one job whose id is fixed (`jobId`): a
 * `ConnectionError` or `TimeoutError` names the job and says `unknown`
 * when `maybeWritten` (a command that may have written it reached Redis,
 * in this attempt or an earlier one), whatever its own `outcome` said of
 * its last command; any other error as it is. The write-outcome rule:
 * `not-written` only when no command that could write the job was sent.
 *
 * @category combinators
 * @since 0.2.0
 */
export const ofJob = <E>(error: E, jobId: string, maybeWritten: boolean): E => {
  if (!(error instanceof ConnectionError || error instanceof TimeoutError)) return error
  const outcome = maybeWritten ? "unknown" : error.outcome
  return error.jobId === jobId && error.outcome === outcome ? error : withOutcome(error, outcome, undefined, jobId) as E
}
