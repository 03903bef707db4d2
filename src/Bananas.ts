/**
 * One-line set-ups: the whole client (TaskApi + Queue + ResultBackend) on
 * Redis or in memory. A program written against the services runs unchanged
 * on either; only the provided layer differs.
 *
 * @since 0.1.0
 */
import * as Layer from "effect/Layer"
import type { ConnectionError } from "./domain/Errors.ts"
import * as DirectTaskApi from "./layers/DirectTaskApi.ts"
import * as BananasMemory from "./layers/memory/BananasMemory.ts"
import * as BananasRedis from "./layers/redis/BananasRedis.ts"
import type { RedisConnection } from "./layers/redis/RedisConnection.ts"
import type { Queue } from "./services/Queue.ts"
import type { ResultBackend } from "./services/ResultBackend.ts"
import type { TaskApi } from "./services/TaskApi.ts"

/**
 * TaskApi, Queue and ResultBackend on Redis (one command connection, plus
 * one shared pub/sub connection on the first wait).
 *
 * @example
 * ```ts
 * const program = Effect.gen(function*() {
 *   const api = yield* TaskApi
 *   return yield* api.submit("send_email", { to: "a@b.c" }, { priority: "high" })
 * })
 * Effect.runPromise(program.pipe(Effect.provide(Bananas.layerRedis({ url: "redis://localhost:6379" }))))
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layerRedis = (
  options?: BananasRedis.Options
): Layer.Layer<TaskApi | Queue | ResultBackend | RedisConnection, ConnectionError> =>
  DirectTaskApi.layer.pipe(Layer.provideMerge(BananasRedis.layer(options)))

/**
 * TaskApi, Queue and ResultBackend in memory: for tests and demos
 * (deterministic under TestClock).
 *
 * @category layers
 * @since 0.1.0
 */
export const layerMemory = (options?: BananasMemory.Options): Layer.Layer<TaskApi | Queue | ResultBackend> =>
  DirectTaskApi.layer.pipe(Layer.provideMerge(BananasMemory.layer(options)))
