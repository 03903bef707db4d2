/**
 * `WorkerRegistry` written once over the storage port: a heartbeat is one
 * plan (`WorkerTransitions.beat`) after one read of the ids expired long
 * ago; the listing reads `worker_registry`, each live registration, and
 * the lease tokens of the first 1000 processing jobs (their owners that
 * did not register are unknown workers; jobs with no token at all were
 * taken by workers that keep no lease, such as Go's).
 *
 * @stability internal
 * @since 0.2.0
 */

import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { Lease, WorkerInfo } from "../domain/WorkerInfo.ts"
import { ownerOf } from "../protocol/Take.ts"
import * as T from "../protocol/WorkerTransitions.ts"
import { WorkerRegistry } from "../services/WorkerRegistry.ts"
import { applyOne } from "../store/Apply.ts"
import { JobStore } from "../store/JobStore.ts"

/**
 * Builds the registry on the `JobStore` in context.
 *
 * @category constructors
 * @since 0.2.0
 */
export const make = Effect.gen(function*() {
  const store = yield* JobStore
  const p = store.protocol
  const { keys } = p

  // The sweep of long-expired ids runs on one heartbeat in `sweepEvery`
  // (an idle worker's Redis load counts every read).
  let beats = 0
  const beat = (info: WorkerInfo, ttl: Duration.Duration) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const stale = beats++ % sweepEvery === 0 ? yield* store.zrangeByScore(keys.workerRegistry, now - T.staleAfterMillis, 0, maxStale) : noIds
      yield* applyOne(store, "workerBeat", T.beat(p, info, now, Math.max(1, Duration.toMillis(ttl)), stale))
    })

  const leave = (id: string) => Effect.asVoid(applyOne(store, "workerLeave", T.leave(p, id)))

  const registered = Effect.gen(function*() {
    // Registrations expire with their hash; the zset keeps the id a while, so read the live ones only.
    const ids = (yield* store.zrangeByScore(keys.workerRegistry, Number.MAX_SAFE_INTEGER, 0, maxListed)).filter((id) => id !== "")
    const hashes = yield* Effect.forEach(ids, (id) => store.hgetall(keys.workerInfo(id)), { concurrency: 16 })
    return hashes.flatMap((hash) => {
      const info = T.decode(hash)
      return info === undefined ? [] : [info]
    }).sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  })

  const list = Effect.gen(function*() {
    const workers = yield* registered
    const ids = new Set(workers.map((w) => w.id))
    const processing = yield* store.lrange(keys.processing, 0, maxProcessingRead - 1)
    const tokens = processing.length === 0 ? [] : yield* store.hmget(keys.tokens, processing)
    const unknown = new Map<string, number>()
    let unleased = 0
    for (const token of tokens) {
      if (token === undefined) {
        unleased++
        continue
      }
      const owner = ownerOf(token)
      if (!ids.has(owner)) unknown.set(owner, (unknown.get(owner) ?? 0) + 1)
    }
    return {
      workers,
      unknown: Array.from(unknown, ([owner, jobs]) => ({ owner, jobs })).sort((a, b) => b.jobs - a.jobs),
      unleased,
      processingRead: processing.length
    }
  })

  const leaseOf = (id: string, processing: boolean, token: string | undefined) =>
    Effect.map(token === undefined ? Effect.succeed(undefined) : store.zscore(keys.leases, id), (expiry): Lease => ({
      id,
      processing,
      ...(token === undefined || !processing ? {} : { owner: ownerOf(token) }),
      ...(expiry === undefined || !processing ? {} : { expiresAt: new Date(expiry).toISOString() })
    }))

  const held = (offset: number, limit: number) =>
    Effect.gen(function*() {
      const total = (yield* store.sizes([keys.processing], [])).lists[0] ?? 0
      const ids = limit <= 0 ? [] : yield* store.lrange(keys.processing, offset, offset + limit - 1)
      const tokens = ids.length === 0 ? [] : yield* store.hmget(keys.tokens, ids)
      const leases = yield* Effect.forEach(ids, (id, i) => leaseOf(id, true, tokens[i]), { concurrency: 16 })
      return { total, leases }
    })

  const lease = (id: string) =>
    Effect.gen(function*() {
      const processing = yield* store.lpos(keys.processing, id)
      const [token] = processing ? yield* store.hmget(keys.tokens, [id]) : [undefined]
      return yield* leaseOf(id, processing, token)
    })

  return WorkerRegistry.of({ beat, leave, registered, list, held, lease })
})

/**
 * The registry on the `JobStore` in context, as a layer.
 *
 * @category layers
 * @since 0.2.0
 */
export const layer: Layer.Layer<WorkerRegistry, never, JobStore> = Layer.effect(WorkerRegistry, make)

// Internal

/** One heartbeat in this many also removes long-expired ids. */
const sweepEvery = 6

const noIds: ReadonlyArray<string> = []

/** Expired ids one heartbeat removes at most. */
const maxStale = 100

/** Registrations a listing reads at most. */
const maxListed = 1000

/** Processing ids a listing reads for their lease owners. */
const maxProcessingRead = 1000
