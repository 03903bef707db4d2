/**
 * Carrying out plans through the store port, with the one rule for a
 * wrong-typed key: it fails the operation with a `StorageError`
 * (`WrongType`) naming the key, and nothing of that plan was written.
 *
 * @stability internal
 * @since 0.2.0
 */

import * as Effect from "effect/Effect"
import { StorageError } from "../domain/Errors.ts"
import { markAnswered, type Progress } from "../domain/WriteOutcome.ts"
import type { Outcome, Plan, Reason } from "../protocol/Plan.ts"
import type { JobStore, StoreFailure } from "./JobStore.ts"

/**
 * A plan's outcome once a wrong type became an error: applied (now, or
 * found already applied), or refused for a reason.
 *
 * @category models
 * @since 0.2.0
 */
export type Settled = { readonly _tag: "Applied" } | { readonly _tag: "Refused"; readonly reason: Exclude<Reason, "alreadyApplied"> }

/**
 * The error for a key that holds another type than a step needs.
 *
 * @category errors
 * @since 0.2.0
 */
export const wrongType = (operation: string, key: string, expected: string): StorageError =>
  new StorageError({
    operation,
    reason: "WrongType",
    key,
    message: `${operation}: ${key} is not a ${expected} (another program wrote something else there); nothing was written. ` +
      `Inspect it with TYPE and repair or delete it.`
  })

/**
 * Settles one outcome: `alreadyApplied` counts as applied, a wrong type
 * fails.
 *
 * @category combinators
 * @since 0.2.0
 */
export const settle = (operation: string, outcome: Outcome): Settled | StorageError => {
  switch (outcome._tag) {
    case "Applied":
      return applied
    case "WrongType":
      return wrongType(operation, outcome.key, outcome.expected)
    case "Refused":
      return outcome.reason === "alreadyApplied" ? applied : { _tag: "Refused", reason: outcome.reason }
  }
}

/**
 * Carries out one plan; a wrong type fails the effect.
 *
 * @category combinators
 * @since 0.2.0
 */
export const applyOne = (
  store: JobStore["Service"],
  operation: string,
  plan: Plan
): Effect.Effect<Settled, StoreFailure> =>
  Effect.flatMap(store.apply(operation, [plan]), (outcomes) => {
    const settled = settle(operation, outcomes[0]!)
    return settled instanceof StorageError ? Effect.fail(settled) : Effect.succeed(settled)
  })

/**
 * Carries out plans (batched by the store); each outcome settled, a wrong
 * type kept as that plan's error so the others still count.
 *
 * @category combinators
 * @since 0.2.0
 */
export const applyMany = (
  store: JobStore["Service"],
  operation: string,
  plans: ReadonlyArray<Plan>,
  progress?: Progress
): Effect.Effect<ReadonlyArray<Settled | StorageError>, StoreFailure> => {
  if (plans.length === 0) return Effect.succeed([])
  if (progress === undefined) return Effect.map(store.apply(operation, plans), (outcomes) => outcomes.map((o) => settle(operation, o)))
  if (plans.length <= batchWindow) return applyTracked(store, operation, plans, progress)
  // A large tracked batch goes out a window at a time: at a deadline (or a
  // failure) the windows not sent yet are known not written, and no single
  // step holds the event loop for the whole batch.
  return Effect.gen(function*() {
    const out: Array<Settled | StorageError> = []
    for (let start = 0; start < plans.length; start += batchWindow) {
      const end = Math.min(plans.length, start + batchWindow)
      const window: Progress = { fates: progress.fates.subarray(start, end), tracked: progress.tracked }
      const settled = yield* applyTracked(store, operation, plans.slice(start, end), window)
      for (let i = 0; i < settled.length; i++) out.push(settled[i]!)
    }
    return out
  })
}

/**
 * Most plans of a tracked batch (a batch submission) in flight at once:
 * 10,000 (20 script calls of 500).
 *
 * @category constants
 * @since 0.2.0
 */
export const batchWindow = 10_000

/** Plans carried out with their fates recorded (every answer, also a store that records none itself). */
const applyTracked = (store: JobStore["Service"], operation: string, plans: ReadonlyArray<Plan>, progress: Progress) =>
  Effect.map(store.apply(operation, plans, progress), (outcomes) => {
    const out: Array<Settled | StorageError> = []
    for (let i = 0; i < outcomes.length; i++) {
      markAnswered(progress, i, writes(outcomes[i]!))
      out.push(settle(operation, outcomes[i]!))
    }
    return out
  })

/**
 * True when, after this outcome, what the plan writes exists: applied now
 * or before, or (a submission) an entry with the id was there already.
 *
 * @category combinators
 * @since 0.2.0
 */
export const writes = (outcome: Outcome): boolean =>
  outcome._tag === "Applied" || (outcome._tag === "Refused" && (outcome.reason === "alreadyApplied" || outcome.reason === "duplicate"))

// Internal

const applied: Settled = { _tag: "Applied" }
