/**
 * The background steps of the worker runtime, written once over the
 * storage port: reaping (jobs of dead workers), reclaiming (jobs a worker
 * holds but never received, its dequeue reply lost) and promoting due
 * scheduled jobs. Each reads, lets `protocol/Transitions` decide, and
 * applies guarded plans, so a step that raced with another changes nothing.
 *
 * @stability internal
 * @since 0.2.0
 */

import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { StorageError } from "../domain/Errors.ts"
import * as JobCodec from "../domain/JobCodec.ts"
import type { JobId } from "../domain/JobId.ts"
import * as Timestamp from "../domain/Timestamp.ts"
import type { Plan } from "../protocol/Plan.ts"
import { ownerOf } from "../protocol/Take.ts"
import * as R from "../protocol/RecoveryTransitions.ts"
import * as T from "../protocol/Transitions.ts"
import * as Wire from "../protocol/Wire.ts"
import { applyMany } from "./Apply.ts"
import type { JobStore, StoreFailure } from "./JobStore.ts"

/**
 * The recovery steps over one store.
 *
 * @category constructors
 * @since 0.2.0
 */
export const make = (store: JobStore["Service"]) => {
  const p = store.protocol
  const { keys } = p

  const reapExpired = (options?: { readonly maxAge?: Duration.Duration | undefined }): Effect.Effect<ReadonlyArray<JobId>, StoreFailure> =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      if (options?.maxAge !== undefined) {
        // Entries without a lease (Go workers, takes without lease) get one
        // starting now: recovered once older than maxAge as seen here.
        const inFlight = [...new Set(yield* store.lrange(keys.processing, 0, -1))]
        if (inFlight.length > 0) {
          const tokens = yield* store.hmget(keys.tokens, inFlight)
          const unleased = inFlight.filter((_, i) => tokens[i] === undefined)
          const expiresAt = now + Duration.toMillis(options.maxAge)
          if (unleased.length > 0) {
            const stamped = yield* applyMany(store, "reapExpired", unleased.map((id) => R.stampUnleased(p, id, expiresAt)))
            const failure = stamped.find((o): o is StorageError => o instanceof StorageError)
            if (failure !== undefined) return yield* Effect.fail(failure)
          }
        }
      }
      const recovered: Array<JobId> = []
      // Refused entries (a worker that still heartbeats) stay expired:
      // skip past them so every expired lease is looked at once per pass.
      let offset = 0
      for (let round = 0; round < maxRounds; round++) {
        const expired = yield* store.zrangeByScore(keys.leases, now, offset, batch)
        if (expired.length === 0) break
        const [tokens, datas, processing] = yield* Effect.all([
          store.hmget(keys.tokens, expired),
          store.mget(expired.map((id) => keys.job(id))),
          store.lrange(keys.processing, 0, -1)
        ], { concurrency: "unbounded" })
        const inProcessing = new Set(processing)
        const plans: Array<Plan> = expired.map((id, i) => {
          const claim = { id, token: tokens[i] }
          return inProcessing.has(id)
            ? R.reap(p, { ...claim, data: datas[i], nowMillis: now }).plan
            : R.dropLease(p, claim, now)
        })
        const outcomes = yield* applyMany(store, "reapExpired", plans)
        outcomes.forEach((o, i) => {
          if (o instanceof StorageError || o._tag === "Refused") offset++
          else if (inProcessing.has(expired[i]!)) recovered.push(expired[i]!)
        })
        const failure = outcomes.find((o): o is StorageError => o instanceof StorageError)
        if (failure !== undefined) return yield* Effect.fail(failure)
        if (expired.length < batch) break
      }
      return recovered as ReadonlyArray<JobId>
    })

  const reclaim = (owner: string, running: { readonly has: (id: JobId) => boolean }): Effect.Effect<ReadonlyArray<JobId>, StoreFailure> =>
    Effect.gen(function*() {
      const members = yield* store.smembers(keys.held(owner))
      // Sorted: SMEMBERS has no order (Redis's hash order is not memory's
      // insertion order), and the strays go back to their queues in this order.
      const strays = members.filter((id) => !running.has(id)).sort()
      if (strays.length === 0) return noIds
      const [tokens, datas] = yield* Effect.all([
        store.hmget(keys.tokens, strays),
        store.mget(strays.map((id) => keys.job(id)))
      ], { concurrency: "unbounded" })
      const now = Timestamp.fromMillis(yield* Clock.currentTimeMillis)
      const plans: Array<Plan> = []
      const ids: Array<JobId> = []
      strays.forEach((id, i) => {
        const token = tokens[i]
        if (token === undefined || ownerOf(token) !== owner) return // no longer ours
        const claim = { id, token }
        const data = datas[i]
        const decoded = data === undefined ? undefined : JobCodec.decode(data)
        ids.push(id)
        plans.push(
          decoded !== undefined && decoded._tag === "Success"
            ? T.release(p, claim, decoded.success)
            : T.deadLetterData(p, claim, { data, goError: decoded?._tag === "Failure" ? decoded.failure.message : undefined, now }).plan
        )
      })
      const outcomes = yield* applyMany(store, "reclaim", plans)
      return ids.filter((_, i) => {
        const o = outcomes[i]
        return o !== undefined && !(o instanceof StorageError) && o._tag === "Applied"
      })
    })

  const promoteDue = (now: Timestamp.Timestamp) =>
    Effect.gen(function*() {
      const maxScore = Wire.scheduleScore(now)
      let promoted = 0
      const skipped: Array<{ readonly id: JobId; readonly reason: string }> = []
      // Entries left in the set (bad data, or refused because another
      // promoter or a canceller got there first) are skipped past.
      let offset = 0
      for (let round = 0; round < maxRounds; round++) {
        const due = yield* store.zrangeByScore(keys.scheduled, maxScore, offset, batch)
        if (due.length === 0) break
        const datas = yield* store.mget(due.map((id) => keys.job(id)))
        const plans: Array<Plan> = []
        due.forEach((id, i) => {
          const data = datas[i]
          const decoded = data === undefined ? undefined : JobCodec.decode(data)
          if (data === undefined || decoded === undefined || decoded._tag === "Failure") {
            // Missing or unparsable data: left in the set, as Go does.
            offset++
            skipped.push({ id, reason: data === undefined ? Wire.errorText.missingData : Wire.errorText.unmarshal(decoded!._tag === "Failure" ? decoded!.failure.message : "") })
            return
          }
          plans.push(R.promote(p, { data, job: decoded.success, maxScore }))
        })
        const outcomes = yield* applyMany(store, "promoteDue", plans)
        for (const o of outcomes) {
          if (o instanceof StorageError) return yield* Effect.fail(o)
          if (o._tag === "Applied") promoted++
        }
        if (due.length < batch) break
      }
      return { promoted, skipped }
    })

  return { reapExpired, reclaim, promoteDue }
}

// Internal

const batch = 500
/** Bounds one pass (a keyspace changing under it cannot keep it going forever). */
const maxRounds = 100
const noIds: ReadonlyArray<JobId> = []
