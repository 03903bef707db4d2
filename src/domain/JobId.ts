/**
 * Job identifiers: UUID v4 strings for jobs submitted here; any string read
 * from Redis (Go's cron scheduler writes `""`).
 *
 * @since 0.1.0
 */

import * as Schema from "effect/Schema"

/**
 * A job id.
 *
 * @category schemas
 * @since 0.1.0
 */
export const JobId = Schema.String

/**
 * A job id (a string, as on the wire).
 *
 * @category models
 * @since 0.1.0
 */
export type JobId = string

/**
 * A fresh random id (UUID v4), as Go's `uuid.New().String()`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (): JobId => crypto.randomUUID()
