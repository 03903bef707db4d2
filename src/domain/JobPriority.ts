/**
 * Job priorities. Workers drain `high` before `normal` before `low`.
 *
 * @since 0.1.0
 */

import * as Schema from "effect/Schema"

/**
 * The three priorities of the protocol.
 *
 * @category schemas
 * @since 0.1.0
 */
export const JobPriority = Schema.Literals(["high", "normal", "low"])

/**
 * `"high" | "normal" | "low"`.
 *
 * @category models
 * @since 0.1.0
 */
export type JobPriority = typeof JobPriority.Type

/**
 * Every priority, highest first: the order workers dequeue in.
 *
 * @category constants
 * @since 0.1.0
 */
export const all: ReadonlyArray<JobPriority> = ["high", "normal", "low"]

/**
 * True for `"high"`, `"normal"` and `"low"`.
 *
 * @category guards
 * @since 0.1.0
 */
export const isJobPriority = (u: unknown): u is JobPriority => u === "high" || u === "normal" || u === "low"

/**
 * What is wrong with a priority that is not `isJobPriority` (the one text
 * of this refusal, wherever a priority is taken).
 *
 * @category errors
 * @since 0.2.0
 */
export const unknownMessage = (priority: unknown): string =>
  `unknown priority ${JSON.stringify(priority) ?? String(priority)} (expected "high", "normal" or "low")`
