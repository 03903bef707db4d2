/**
 * The `ResultBackend` service in memory: result hashes (fields merged, TTL
 * by status) and the `ready` notification, as on Redis. Waits subscribe
 * first (then run their `start`, if any), then check, so no notification
 * is lost; the job rewrite and the result write of `Queue.complete`/`fail`
 * happen in one step, so a wait never sees one without the other.
 *
 * Internal: exposed through `BananasMemory`.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Result from "effect/Result"
import { type SerializationError, TimeoutError } from "../../../domain/Errors.ts"
import type { JobId } from "../../../domain/JobId.ts"
import type { JobResult } from "../../../domain/JobResult.ts"
import { ResultBackend, type WaitStart } from "../../../services/ResultBackend.ts"
import { atomically, isFinalResult, readResult, type Shared, writeResult } from "./Shared.ts"

/**
 * Builds the memory `ResultBackend` over a shared keyspace (see `BananasMemory`).
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (shared: Shared): ResultBackend["Service"] => {
  const { store, keys } = shared
  const run = <A>(f: (now: number) => A) => atomically(shared, f)

  const get = (id: JobId) => run(() => readResult(shared, id)).pipe(Effect.flatMap(Effect.fromResult), Effect.map(Option.fromUndefinedOr))

  /** The final result, if one is stored. */
  const final = (id: JobId) =>
    run(() =>
      Result.map(readResult(shared, id), (result) => (result !== undefined && isFinalResult(shared, result) ? result : undefined))
    ).pipe(Effect.flatMap(Effect.fromResult))

  const wait = <E = never>(id: JobId, timeout: Duration.Duration, start?: WaitStart<E>) =>
    Effect.scoped(Effect.gen(function*() {
      const signal = yield* Queue.sliding<void>(1)
      // Subscribe, then check: a result stored in between still wakes the loop.
      yield* Effect.acquireRelease(
        Effect.sync(() => store.subscribe(keys.notify(id), () => Queue.offerUnsafe(signal, undefined))),
        (unsubscribe) => Effect.sync(unsubscribe)
      )
      // Submitted once subscribed; checks are cheap here, so even a fresh job is checked.
      if (start !== undefined) yield* start.run
      const loop: Effect.Effect<JobResult, SerializationError> = Effect.gen(function*() {
        for (;;) {
          const result = yield* final(id)
          if (result !== undefined) return result
          yield* Queue.take(signal)
        }
      })
      const timeoutMillis = Duration.toMillis(timeout)
      return yield* loop.pipe(Effect.timeoutOrElse({
        duration: timeout,
        orElse: () =>
          // One last look, as Go does, before giving up.
          final(id).pipe(Effect.flatMap((result) =>
            result !== undefined
              ? Effect.succeed(result)
              : Effect.fail(new TimeoutError({
                operation: "ResultBackend.wait",
                timeoutMillis,
                jobId: id,
                message: `no final result for job ${id} within ${timeoutMillis} ms`
              }))
          ))
      }))
    }))

  return ResultBackend.of({
    store: (result) => run(() => writeResult(shared, result)),
    get,
    wait,
    delete: (id) => run(() => store.del(keys.result(id)))
  })
}
