/**
 * @bananas/effect — the Effect-native TypeScript SDK for the Bananas task
 * queue: domain models and Go-compatible codecs, the Queue / ResultBackend /
 * TaskApi services, and their Redis and in-memory layers.
 *
 * The worker runtime is exported from `@bananas/effect/worker`.
 *
 * @since 0.1.0
 */

/** Tagged errors (ConnectionError, JobNotFoundError, JobFailedError, TimeoutError, SerializationError, ValidationError). */
export * from "./domain/Errors.ts"
/** The job model and Go's defaults (`make`, `defaultMaxRetries`, backoff). */
export * as Job from "./domain/Job.ts"
/** Job JSON codec, byte-compatible with Go. */
export * as JobCodec from "./domain/JobCodec.ts"
/** Typed job definitions (name + payload/result schemas + defaults). */
export * as JobDefinition from "./domain/JobDefinition.ts"
/** Job ids. */
export * as JobId from "./domain/JobId.ts"
/** Priorities. */
export * as JobPriority from "./domain/JobPriority.ts"
/** Results and their hash / Go JSON forms. */
export * as JobResult from "./domain/JobResult.ts"
/** Statuses. */
export * as JobStatus from "./domain/JobStatus.ts"
/** The Redis key layout. */
export * as Keys from "./domain/Keys.ts"
/** Raw JSON carried byte for byte. */
export * as RawJson from "./domain/RawJson.ts"
/** Validation of submissions. */
export * as Submission from "./domain/Submission.ts"
/** Go-compatible nanosecond timestamps. */
export * as Timestamp from "./domain/Timestamp.ts"

/** The storage-level queue service. */
export * from "./services/Queue.ts"
/** The result backend service. */
export * from "./services/ResultBackend.ts"
/** The user-facing Task API service. */
export * from "./services/TaskApi.ts"

/** The TaskApi over Queue + ResultBackend. */
export * as DirectTaskApi from "./layers/DirectTaskApi.ts"
/** Retry and timeout policies. */
export * as Policies from "./layers/Policies.ts"

/** Whole-client layers: `layerRedis(options)` and `layerMemory(options)`. */
export * as Bananas from "./Bananas.ts"
/** The Redis backend (Queue + ResultBackend + connection). */
export * as BananasRedis from "./layers/redis/BananasRedis.ts"
/** The in-memory backend. */
export * as BananasMemory from "./layers/memory/BananasMemory.ts"
/** Raw access to the in-memory keyspace (tests, inspection). */
export * as MemoryStore from "./layers/memory/MemoryStore.ts"
/** The ioredis connection service. */
export * as RedisConnection from "./layers/redis/RedisConnection.ts"
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
