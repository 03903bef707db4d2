/**
 * What a webhook receiver remembers so that one event's handler runs at
 * most once at a time, and not again once it succeeded — whatever the
 * delivery looks like (a redelivery, a replayed request, another spelling
 * of its signature): the record is keyed by the event id alone.
 *
 * Each check-and-set is one atomic operation:
 *
 * - `claim`: the event is not running and not done → it is now running,
 *   held by the returned token for `leaseMillis` (should the receiver die
 *   mid-handler, the claim lapses and a redelivery runs it);
 * - `complete`: the handler succeeded → done, for `doneMillis`;
 * - `release`: the handler failed → the claim is dropped (only by its own
 *   token), so the next delivery runs it again.
 *
 * The default is in memory (one process); `redis` shares the records
 * between the receivers of one endpoint.
 *
 * @since 0.2.0
 */

import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { randomUUID } from "node:crypto"

/**
 * What a claim found.
 *
 * @category models
 * @since 0.2.0
 */
export type Claim =
  /** This caller runs the event; `token` completes or releases it. */
  | { readonly _tag: "Claimed"; readonly token: string }
  /** Another delivery of the event is running it now. */
  | { readonly _tag: "Running" }
  /** The event was processed already. */
  | { readonly _tag: "Done" }

/**
 * The store could not be read or written (e.g. Redis unreachable).
 *
 * @category errors
 * @since 0.2.0
 */
export class ReplayStoreError extends Schema.TaggedError<ReplayStoreError>()("ReplayStoreError", {
  /** What failed. */
  message: Schema.String
}) {}

/**
 * The replay records of a receiver.
 *
 * @category models
 * @since 0.2.0
 */
export interface ReplayStore {
  /** Claims `eventId` for `leaseMillis` unless it is running or done (one atomic step). */
  readonly claim: (eventId: string, leaseMillis: number) => Effect.Effect<Claim, ReplayStoreError>
  /** Marks `eventId` done for `doneMillis` (its handler succeeded). */
  readonly complete: (eventId: string, token: string, doneMillis: number) => Effect.Effect<void, ReplayStoreError>
  /** Drops the claim `token` holds on `eventId` (its handler failed); another's claim is left alone. */
  readonly release: (eventId: string, token: string) => Effect.Effect<void, ReplayStoreError>
}

/**
 * An in-memory store holding at most `maxEntries` events (the oldest are
 * dropped first).
 *
 * @category constructors
 * @since 0.2.0
 */
export const memory = (maxEntries = 100_000): ReplayStore => {
  const records = new Map<string, { readonly value: string; readonly until: number }>()
  const live = (eventId: string, now: number) => {
    const record = records.get(eventId)
    if (record === undefined || record.until > now) return record
    records.delete(eventId)
    return undefined
  }
  const put = (eventId: string, value: string, until: number) => {
    records.delete(eventId) // re-inserted last: Maps iterate in insertion order, the first keys are the oldest
    records.set(eventId, { value, until })
    for (const old of records.keys()) {
      if (records.size <= maxEntries) break
      records.delete(old)
    }
  }
  return {
    claim: (eventId, leaseMillis) =>
      Effect.sync(() => {
        const now = Date.now()
        const record = live(eventId, now)
        if (record !== undefined) return record.value === done ? doneClaim : runningClaim
        const token = randomUUID()
        put(eventId, token, now + leaseMillis)
        return { _tag: "Claimed", token }
      }),
    complete: (eventId, _token, doneMillis) => Effect.sync(() => put(eventId, done, Date.now() + doneMillis)),
    release: (eventId, token) =>
      Effect.sync(() => {
        if (live(eventId, Date.now())?.value === token) records.delete(eventId)
      })
  }
}

/**
 * The commands a Redis client must offer (ioredis's `Redis` and `Cluster`
 * do: `call`).
 *
 * @category models
 * @since 0.2.0
 */
export interface RedisCommands {
  /** Sends one command; resolves with its reply. */
  readonly call: (command: string, ...args: Array<string | number>) => Promise<unknown>
}

/**
 * A store on Redis, shared by every receiver of an endpoint: one string
 * key per event, `<prefix><event id>` (default prefix
 * `bananas:webhook:event:`), holding the claim's token while it runs and
 * `done` after (`SET PX`). A claim is one script (`GET`, and `SET PX` when
 * absent); a release deletes the key only while it still holds the token
 * (a compare-and-delete script).
 *
 * @category constructors
 * @since 0.2.0
 */
export const redis = (client: RedisCommands, options: {
  /** The key prefix (default `bananas:webhook:event:`). */
  readonly prefix?: string | undefined
} = {}): ReplayStore => {
  const prefix = options.prefix ?? "bananas:webhook:event:"
  const run = <A>(what: string, f: () => Promise<A>) =>
    Effect.tryPromise({ try: f, catch: (e) => new ReplayStoreError({ message: `could not ${what}: ${e instanceof Error ? e.message : String(e)}` }) })
  return {
    claim: (eventId, leaseMillis) =>
      run("claim the event", async () => {
        const token = randomUUID()
        const previous = await client.call("EVAL", claimScript, 1, prefix + eventId, token, Math.max(1, Math.ceil(leaseMillis)))
        if (previous === null) return { _tag: "Claimed", token } as const
        return String(previous) === done ? doneClaim : runningClaim
      }),
    complete: (eventId, _token, doneMillis) =>
      Effect.asVoid(run("record the event as done", () => client.call("SET", prefix + eventId, done, "PX", Math.max(1, Math.ceil(doneMillis))))),
    release: (eventId, token) => Effect.asVoid(run("release the event", () => client.call("EVAL", releaseScript, 1, prefix + eventId, token)))
  }
}

// Internal

const done = "done"
const doneClaim: Claim = { _tag: "Done" }
const runningClaim: Claim = { _tag: "Running" }

/** Sets the key to the token unless it exists; returns what it held (nil: claimed). */
const claimScript = "local v = redis.call('GET', KEYS[1]) if v then return v end redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return false"

/** Deletes the key only while it holds the releasing claim's token. */
const releaseScript = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"
