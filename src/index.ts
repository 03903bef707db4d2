/**
 * @bananas/effect — the Effect-native TypeScript SDK for the Bananas task
 * queue: domain models and Go-compatible codecs, the protocol core, the
 * TaskApi / JobQueue / QueueAdmin / ResultBackend services, their Redis and
 * in-memory layers, and the `Tasks` helpers programs call.
 *
 * The worker runtime is exported from `@bananas/effect/worker`; the HTTP
 * contract from `@bananas/effect/http`, the gateway (server) from
 * `@bananas/effect/gateway`, the webhook receiver from
 * `@bananas/effect/webhooks`.
 *
 * @module @bananas/effect
 * @since 0.1.0
 */

/** Tagged errors (ConnectionError, StorageError, JobNotFoundError, JobFailedError, JobConflictError, LeaseLostError, TimeoutError, SerializationError, ValidationError, AuthenticationError, RateLimitError, ApiError). */
export * from "./domain/Errors.ts"
/** The job model, its schemas and Go's constructor. */
export * as Job from "./domain/Job.ts"
/** Job JSON codec, byte-compatible with Go. */
export * as JobCodec from "./domain/JobCodec.ts"
/** Typed job definitions (name + payload/result schemas + defaults). */
export * as JobDefinition from "./domain/JobDefinition.ts"
/** Job ids. */
export * as JobId from "./domain/JobId.ts"
/** Listing filters and pages. */
export * as JobPage from "./domain/JobPage.ts"
/** Priorities. */
export * as JobPriority from "./domain/JobPriority.ts"
/** Results and their hash / Go JSON forms. */
export * as JobResult from "./domain/JobResult.ts"
/** Statuses. */
export * as JobStatus from "./domain/JobStatus.ts"
/** Limits on submitted payloads: nesting depth and size. */
export * as PayloadLimits from "./domain/PayloadLimits.ts"
/** Queue depths. */
export * as QueueStats from "./domain/QueueStats.ts"
/** Raw JSON carried byte for byte. */
export * as RawJson from "./domain/RawJson.ts"
/** Schedules as data: cron or interval, time zone, job template, misfire policy; their slots. */
export * as Schedule from "./domain/Schedule.ts"
/** Submissions: the request, the receipt, validation. */
export * as Submission from "./domain/Submission.ts"
/** Go-compatible nanosecond timestamps. */
export * as Timestamp from "./domain/Timestamp.ts"

/** The Redis key layout. */
export * as Keys from "./protocol/Keys.ts"
/** Plans: what one atomic state change does. */
export * as Plan from "./protocol/Plan.ts"
/** The dequeue step. */
export * as Take from "./protocol/Take.ts"
/** Every job transition, decided once. */
export * as Transitions from "./protocol/Transitions.ts"
/** Recovery transitions: reaping, promotion. */
export * as RecoveryTransitions from "./protocol/RecoveryTransitions.ts"
/** Management transitions: cancel, requeue, purge. */
export * as AdminTransitions from "./protocol/AdminTransitions.ts"
/** Result transitions, and when a result is final. */
export * as ResultTransitions from "./protocol/ResultTransitions.ts"
/** Schedule transitions: store, pause, remove, fire a slot (one job per slot). */
export * as ScheduleTransitions from "./protocol/ScheduleTransitions.ts"
/** Wire constants: TTLs, error texts, the retry rule, backoff. */
export * as Wire from "./protocol/Wire.ts"
/** Job events (the webhook outbox): types, ids, bodies. */
export * as Events from "./protocol/Events.ts"

/** The storage-level queue service (worker hot path). */
export * from "./services/JobQueue.ts"
/** How a storage operation can fail: `ConnectionError` or `StorageError`. */
export type { StoreFailure } from "./store/JobStore.ts"
/** The admin service. */
export * from "./services/QueueAdmin.ts"
/** The result backend service. */
export * from "./services/ResultBackend.ts"
/** The schedules service: cron and interval schedules, one job per slot. */
export * from "./services/Schedules.ts"
/** The Task API service (what crosses a wire). */
export * from "./services/TaskApi.ts"
/** The helpers programs call over TaskApi: submit, call, waitForResult, ... */
export * as Tasks from "./Tasks.ts"

/** The TaskApi over the queue services. */
export * as DirectTaskApi from "./layers/DirectTaskApi.ts"
/** Retry and timeout policies. */
export * as Policies from "./layers/Policies.ts"

/** Whole-client layers: `layerRedis(options)`, `layerMemory(options)` and `layerHttp(options)`. */
export * as Bananas from "./Bananas.ts"
/** The Redis backend. */
export * as BananasRedis from "./layers/redis/BananasRedis.ts"
/** The port between the Redis layers and a driver. */
export * as RedisPort from "./layers/redis/RedisPort.ts"
/** The in-memory backend. */
export * as BananasMemory from "./layers/memory/BananasMemory.ts"
/** Raw access to the in-memory keyspace (tests, inspection). */
export * as MemoryStore from "./layers/memory/MemoryStore.ts"
/** The Promise facade for code that does not use Effect. */
export {
  Client,
  type ClientJob,
  type ClientJobResult,
  type ClientOptions,
  type SubmitAndWaitOptions,
  type SubmitJobOptions,
  type SubmitScheduledJobOptions
} from "./client/Client.ts"
