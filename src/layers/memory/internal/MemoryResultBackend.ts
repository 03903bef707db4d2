/**
 * The `ResultBackend` service in memory: storing, reading and deleting go
 * through the shared store code (`StoreResults`); waits subscribe to the
 * keyspace's channel first (then run their `start`, if any), then check, so
 * no notification is lost. The job rewrite and the result write of an
 * attempt's end happen in one step, so a wait never sees one without the
 * other.
 *
 * Internal: exposed through `BananasMemory`.
 *
 * @since 0.1.0
 */

import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import { type SerializationError, type StorageError, timedOut } from "../../../domain/Errors.ts"
import type { JobId } from "../../../domain/JobId.ts"
import * as JobResult from "../../../domain/JobResult.ts"
import { isFinalResult } from "../../../protocol/ResultTransitions.ts"
import type { JobStore } from "../../../store/JobStore.ts"
import * as StoreResults from "../../../store/StoreResults.ts"
import { ResultBackend, type WaitStart } from "../../../services/ResultBackend.ts"
import { atomically } from "./MemoryJobStore.ts"
import type { Keyspace } from "./Keyspace.ts"

/**
 * Builds the memory `ResultBackend` over a keyspace and its store port.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (store: Keyspace, jobStore: JobStore["Service"]): ResultBackend["Service"] => {
  const { keys } = jobStore.protocol
  const shared = StoreResults.make(jobStore)

  /** The final result, if one is stored. */
  const final = (id: JobId) =>
    atomically(store, "waitForResult", () => {
      const key = keys.result(id)
      const decoded = JobResult.fromHash(id, key, store.hgetall(key))
      if (decoded._tag === "Failure" || decoded.success === undefined) return decoded
      const jobKey = keys.job(id)
      const data = store.type(jobKey) === "string" ? store.get(jobKey) : undefined
      return isFinalResult(decoded.success, data) ? decoded : { ...decoded, success: undefined }
    }).pipe(Effect.flatMap(Effect.fromResult))

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
      const loop: Effect.Effect<JobResult.JobResult, SerializationError | StorageError> = Effect.gen(function*() {
        for (;;) {
          const result = yield* final(id)
          if (result !== undefined) return result
          yield* Queue.take(signal)
        }
      })
      return yield* loop.pipe(Effect.timeoutOrElse({
        duration: timeout,
        orElse: () =>
          // One last look, as Go does, before giving up.
          final(id).pipe(Effect.flatMap((result) =>
            result !== undefined ? Effect.succeed(result) : Effect.fail(timedOut("waitForResult", timeout, id))
          ))
      }))
    }))

  return ResultBackend.of({ store: shared.store, get: shared.get, wait, delete: shared.delete })
}
