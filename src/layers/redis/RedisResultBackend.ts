/**
 * The `ResultBackend` service on Redis: the `result:{id}` hash (Go's fields
 * and TTLs) and its `result:notify:{id}` notification.
 *
 * **Waiting.** `wait` subscribes first (through the client's shared
 * `Subscriber`, awaiting Redis's confirmation), then checks, then sleeps
 * until a notification, so a result stored at any moment after the wait
 * began is seen. Any payload is a wake-up (Go publishes `ready`, other SDKs
 * the status).
 *
 * A check reads the hash and, when it says `failed`, the job too (one
 * script call): Go stores a `failed` result on **every** failed attempt, and
 * publishes before it rewrites the job, so `failed` is final only when the
 * job is gone or itself `failed`/`completed`. While the job is still
 * pending/scheduled/processing, the wait re-checks on a short backoff (50 ms
 * doubling to 1 s) as well as on notifications. Without any result it
 * re-checks every `waitPollInterval` (default 5 s) in case a notification
 * was missed.
 *
 * @stability unstable
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import { ConnectionError, SerializationError, TimeoutError } from "../../domain/Errors.ts"
import * as JobCodec from "../../domain/JobCodec.ts"
import type { JobId } from "../../domain/JobId.ts"
import * as JobResult from "../../domain/JobResult.ts"
import { ResultBackend } from "../../services/ResultBackend.ts"
import { RedisConnection } from "./RedisConnection.ts"
import * as Scripts from "./Scripts.ts"
import * as Settings from "./Settings.ts"
import { Subscriber } from "./Subscriber.ts"
import * as WakeSignal from "./WakeSignal.ts"

/**
 * Options of the Redis result backend.
 *
 * @category models
 * @since 0.1.0
 */
export interface RedisResultBackendOptions extends Settings.SettingsOptions {
  /**
   * Test hooks, run inside `wait`: after the subscription is confirmed
   * (before the first check), and after every check. Not for production use.
   *
   * @internal
   */
  readonly testHooks?: {
    readonly afterSubscribe?: ((id: JobId) => Effect.Effect<void>) | undefined
    readonly afterCheck?: ((id: JobId, outcome: "none" | "retrying" | "final") => Effect.Effect<void>) | undefined
  } | undefined
}

/**
 * Builds the backend on the `RedisConnection` and `Subscriber` in context.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function*(options: RedisResultBackendOptions = {}) {
  const connection = yield* RedisConnection
  const subscriber = yield* Subscriber
  const settings = Settings.make(options)
  const { keys } = settings

  const decode = (id: JobId, hash: Readonly<Record<string, string>>) =>
    Effect.fromResult(JobResult.fromHash(id, keys.result(id), hash))

  const store = (result: JobResult.JobResult) =>
    connection.use("storeResult", (c) =>
      Scripts.run(c, Scripts.storeResult, [keys.result(result.jobId)], [
        result.status === "completed" ? settings.successTtlSeconds : settings.failureTtlSeconds,
        keys.notify(result.jobId),
        ...JobResult.toHashFields(result)
      ])).pipe(Effect.asVoid)

  const get = (id: JobId) =>
    connection.use("getResult", (c) => c.hgetall(keys.result(id))).pipe(
      Effect.flatMap((hash) => decode(id, hash)),
      Effect.map(Option.fromUndefinedOr)
    )

  const remove = (id: JobId) =>
    connection.use("deleteResult", (c) => c.del(keys.result(id))).pipe(Effect.map((n) => n > 0))

  /** The result and whether it is final. */
  const check = (id: JobId) =>
    connection.use("waitForResult", (c) => Scripts.run(c, Scripts.checkResult, [keys.result(id), keys.job(id)], [])).pipe(
      Effect.flatMap((reply) => {
        const [flat, data] = reply as [Array<string>, (string | null)?]
        const hash: Record<string, string> = {}
        for (let i = 0; i + 1 < flat.length; i += 2) hash[flat[i]!] = flat[i + 1]!
        return Effect.map(decode(id, hash), (result): Check => {
          if (result === undefined) return { _tag: "None" }
          if (result.status === "completed") return { _tag: "Final", result }
          return isRetryPending(data ?? null) ? { _tag: "Retrying" } : { _tag: "Final", result }
        })
      })
    )

  const wait = (id: JobId, timeout: Duration.Duration) =>
    Effect.scoped(Effect.gen(function*() {
      const signal = WakeSignal.make()
      yield* subscriber.listen(keys.notify(id), signal.notify)
      const hooks = options.testHooks
      if (hooks?.afterSubscribe !== undefined) yield* hooks.afterSubscribe(id)
      let retryPoll = retryPollStartMillis
      while (true) {
        const state = yield* check(id)
        if (hooks?.afterCheck !== undefined) {
          yield* hooks.afterCheck(id, state._tag === "Final" ? "final" : state._tag === "Retrying" ? "retrying" : "none")
        }
        if (state._tag === "Final") return state.result
        if (state._tag === "Retrying") {
          yield* signal.awaitFor(retryPoll)
          retryPoll = Math.min(retryPoll * 2, retryPollMaxMillis)
        } else {
          retryPoll = retryPollStartMillis
          yield* signal.awaitFor(settings.waitPollMillis)
        }
      }
    })).pipe(
      Effect.timeoutOrElse({
        duration: timeout,
        orElse: () =>
          Effect.fail(new TimeoutError({
            operation: "waitForResult",
            timeoutMillis: Duration.toMillis(timeout),
            jobId: id,
            message: `no final result for job ${id} within ${Duration.format(timeout)}`
          }))
      })
    ) as Effect.Effect<JobResult.JobResult, ConnectionError | SerializationError | TimeoutError>

  return ResultBackend.of({ store, get, wait, delete: remove })
})

/**
 * The Redis result backend as a layer (needs `RedisConnection` and
 * `Subscriber`).
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: RedisResultBackendOptions = {}): Layer.Layer<ResultBackend, never, RedisConnection | Subscriber> =>
  Layer.effect(ResultBackend, make(options))

// Internal

type Check =
  | { readonly _tag: "None" }
  | { readonly _tag: "Retrying" }
  | { readonly _tag: "Final"; readonly result: JobResult.JobResult }

const retryPollStartMillis = 50
const retryPollMaxMillis = 1000

/**
 * A `failed` result is not final while its job will run again: still
 * pending, scheduled or processing. A missing or unreadable job (or one of
 * Go's dead-letter records) cannot run again.
 */
const isRetryPending = (data: string | null): boolean => {
  if (data === null) return false
  const decoded = JobCodec.decode(data)
  if (Result.isFailure(decoded)) return false
  const status = decoded.success.status
  return status === "pending" || status === "scheduled" || status === "processing"
}
