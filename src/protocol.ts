/**
 * The protocol core and the building blocks under the public API
 * (`@bananas/effect/protocol`): the plans and transitions every backend
 * carries out, the wire constants and key layout, the job events, the
 * storage-level `JobQueue` service, the Redis and memory backends' own
 * layers, the port to a Redis driver, the in-memory keyspace and the Go
 * codecs. For people who implement a backend, inspect storage or test
 * against the wire format; programs use `@bananas/effect`.
 *
 * @stability unstable — any release may change it
 * @module @bananas/effect/protocol
 * @since 0.2.0
 */

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
/** What the schedules service answers: a schedule with its state, the report of a firing round, its errors. */
export type { FireReport, ScheduleError, ScheduleView } from "./services/Schedules.ts"
/** Schedules as data: cron or interval, time zone, job template, misfire policy; their slots. */
export * as Schedule from "./domain/Schedule.ts"
/** Schedule transitions: store, pause, remove, fire a slot (one job per slot). */
export * as ScheduleTransitions from "./protocol/ScheduleTransitions.ts"
/** Throughput per minute, queue latency, Redis vitals (`GET /v1/throughput`, `/v1/latency`, `/v1/redis`). */
export * as QueueHealth from "./domain/QueueHealth.ts"
/** The oldest waiting job of each queue (the latency service and its model). */
export { type Oldest, QueueLatency } from "./services/QueueLatency.ts"
/** A worker's registration and the worker list (`GET /v1/workers`). */
export * as WorkerInfo from "./domain/WorkerInfo.ts"
/** Worker registry transitions: a heartbeat, a departure, a registration read back. */
export * as WorkerTransitions from "./protocol/WorkerTransitions.ts"
/** Wire constants: TTLs, scores, error texts, dead-letter records. */
export * as Wire from "./protocol/Wire.ts"
/** Go's retry rule and backoff. */
export * as Retry from "./protocol/Retry.ts"
/** The Redis key layout. */
export * as Keys from "./protocol/Keys.ts"
/** Job events (the webhook outbox): types, ids, bodies. */
export * as Events from "./protocol/Events.ts"

/** The storage-level queue service (the worker's hot path), its options and outcomes. */
export * from "./services/JobQueue.ts"
/** How a storage operation can fail: `ConnectionError` or `StorageError`. */
export type { StoreFailure } from "./store/JobStore.ts"
/** What a result wait runs once it listens (`ResultBackend.wait`). */
export type { WaitStart } from "./services/ResultBackend.ts"
/** Why Redis refused a command (`StorageError.reason`). */
export { StorageErrorReason } from "./domain/Errors.ts"
/** What became of each write of a batch, as a store records it. */
export type { Progress } from "./domain/WriteOutcome.ts"

/** The TaskApi over the queue services. */
export * as DirectTaskApi from "./layers/DirectTaskApi.ts"
/** The Redis backend's services (without the TaskApi), and its options from the environment. */
export * as BananasRedis from "./layers/redis/BananasRedis.ts"
/** The in-memory backend's services (without the TaskApi). */
export * as BananasMemory from "./layers/memory/BananasMemory.ts"
/** The port between the Redis layers and a driver. */
export { RedisPort } from "./layers/redis/BananasRedis.ts"
/** Raw access to the in-memory keyspace (tests, inspection). */
export * as MemoryStore from "./layers/memory/MemoryStore.ts"

/** Job JSON codec, byte-compatible with Go. */
export * as JobCodec from "./domain/JobCodec.ts"
/** Results' Redis hash and Go JSON forms. */
export * as JobResult from "./domain/JobResult.ts"
/** Submissions: validation, and the job a request becomes. */
export * as Submission from "./domain/Submission.ts"
/** Limits on submitted payloads: nesting depth and size. */
export * as PayloadLimits from "./domain/PayloadLimits.ts"
