/**
 * The parts of `ResultBackend` that every backend shares, over the storage
 * port: storing (a plan: `HSET`, `EXPIRE`, `PUBLISH ready`), reading and
 * deleting a result. Waiting is each backend's own (it depends on how
 * notifications arrive).
 *
 * @stability internal
 * @since 0.2.0
 */

import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { SerializationError } from "../domain/Errors.ts"
import type { JobId } from "../domain/JobId.ts"
import * as JobResult from "../domain/JobResult.ts"
import * as T from "../protocol/ResultTransitions.ts"
import { applyOne } from "./Apply.ts"
import type { JobStore, StoreFailure } from "./JobStore.ts"

/**
 * Store, get and delete over one store.
 *
 * @category constructors
 * @since 0.2.0
 */
export const make = (store: JobStore["Service"]) => {
  const p = store.protocol
  return {
    store: (result: JobResult.JobResult): Effect.Effect<void, StoreFailure> =>
      Effect.asVoid(applyOne(store, "storeResult", T.storeResult(p, result))),
    get: (id: JobId): Effect.Effect<Option.Option<JobResult.JobResult>, StoreFailure | SerializationError> =>
      store.hgetall(p.keys.result(id)).pipe(
        Effect.flatMap((hash) => Effect.fromResult(JobResult.fromHash(id, p.keys.result(id), hash))),
        Effect.map(Option.fromUndefinedOr)
      ),
    delete: (id: JobId): Effect.Effect<boolean, StoreFailure> =>
      Effect.map(applyOne(store, "deleteResult", T.deleteResult(p, id)), (settled) => settled._tag === "Applied")
  }
}
