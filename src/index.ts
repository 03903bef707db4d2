/**
 * @bananas/effect — the Effect-native TypeScript SDK for the Bananas task
 * queue. What programs use: the `Tasks` functions, the `Bananas` layers
 * (Redis, memory, HTTP), the services a program calls or provides
 * (`TaskApi`, `QueueAdmin`, `ResultBackend`), typed `JobDefinition`s, the
 * job models (`Job`, `Timestamp`, `RawJson`), the tagged errors, the retry
 * and timeout `Policies`, and the Promise `Client`.
 *
 * The worker runtime is `@bananas/effect/worker`; the HTTP contract
 * `@bananas/effect/http`, the gateway (server) `@bananas/effect/gateway`,
 * the webhook receiver `@bananas/effect/webhooks`; the protocol core and
 * the backends' building blocks `@bananas/effect/protocol` (unstable).
 *
 * @module @bananas/effect
 * @since 0.1.0
 */

/** What programs call: submit, call, waitForResult, getJob, list, ... over the `TaskApi` in context. */
export * as Tasks from "./Tasks.ts"
/** Whole-client layers: `layerRedis(options)`, `layerRedisConfig()`, `layerMemory(options)` and `layerHttp(options)`. */
export * as Bananas from "./Bananas.ts"

/** The Task API service: the operations that can cross a wire. */
export { TaskApi } from "./services/TaskApi.ts"
/** The admin service: depths, listings, dead letters, cancel, requeue, purge. */
export { QueueAdmin } from "./services/QueueAdmin.ts"
/** The result backend service: result hashes and waits for them. */
export { ResultBackend } from "./services/ResultBackend.ts"
/** The schedules service: cron and interval schedules, one job per slot. */
export { Schedules } from "./services/Schedules.ts"

/** Typed job definitions (name + payload/result schemas + defaults). */
export * as JobDefinition from "./domain/JobDefinition.ts"
/** The job models: job, id, status, priority, result, pages, depths, submissions. */
export * as Job from "./JobModels.ts"
/** Go-compatible nanosecond timestamps. */
export * as Timestamp from "./domain/Timestamp.ts"
/** Raw JSON carried byte for byte. */
export * as RawJson from "./domain/RawJson.ts"

export {
  ApiError,
  AuthenticationError,
  type BananasError,
  ConnectionError,
  isRetryable,
  JobConflictError,
  JobFailedError,
  JobNotFoundError,
  LeaseLostError,
  RateLimitError,
  ScheduleNotFoundError,
  SerializationError,
  StorageError,
  TimeoutError,
  ValidationError
} from "./domain/Errors.ts"

/** Retry and timeout policies, and the payload size limit. */
export * as Policies from "./layers/Policies.ts"
/** The Promise facade for code that does not use Effect. */
export { Client } from "./client/Client.ts"
