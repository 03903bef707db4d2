/**
 * Taking jobs (the dequeue step): the one transition whose outcome Redis
 * decides (which ids are next), so it is not a `Plan` but a request that
 * each backend carries out with the same rule:
 *
 * 1. every key's type is checked first (a wrong-typed key fails the whole
 *    take before anything moves, naming the key) — unless every source is
 *    absent: then nothing is taken or written, and nothing checked (the
 *    idle poll costs one `EXISTS`);
 * 2. ids are taken oldest first (`RPOP`, the end Go's `BRPOPLPUSH` pops)
 *    from the first source until it is empty, then from the next (strict
 *    priority), up to `max`; a source named in the `paused` set is skipped
 *    (its ids stay queued), in the same step (one read of the set's type
 *    when nothing is paused);
 * 3. they are pushed into processing in the order taken (`LPUSH`, so
 *    processing looks exactly as after as many `LMOVE ... RIGHT LEFT`);
 * 4. with a lease, each id gets an expiry in `leases`, a token in
 *    `lease:tokens` (`<owner>:<n>`, n counting up from `firstToken`) and a
 *    place in the owner's `worker:{owner}` set, whose TTL is renewed to the
 *    heartbeat;
 * 5. each id's job data is read in the same step (one `MGET` of `<jobs><id>`; a key
 *    that is missing or not a string reads as none), so a worker gets its
 *    jobs in one round trip.
 *
 * The job keys of step 5 are the one exception to "every key a script
 * touches is declared": they are only known once popped, so the script
 * builds them from `jobs`, the job key prefix. They share the prefix's hash
 * tag with every declared key, so on Redis Cluster they are in the same
 * slot (a prefix without a hash tag is refused there).
 *
 * @since 0.2.0
 */

import type { JobPriority } from "../domain/JobPriority.ts"
import { queueName } from "./Keys.ts"
import type { Protocol } from "./Wire.ts"

/**
 * What a backend is asked to take.
 *
 * @category models
 * @since 0.2.0
 */
export interface TakeRequest {
  /** The lists to take from, in priority order. */
  readonly sources: ReadonlyArray<string>
  /** `queue:processing`. */
  readonly processing: string
  /** The job key prefix: the data of id `x` is at `jobs + x` (`job:{id}`). */
  readonly jobs: string
  /** Most ids to take (at least 1). */
  readonly max: number
  /** The lease recorded for each id taken, if any. */
  readonly lease?: TakeLease | undefined
  /** The paused set to honour, if any (none: every source is taken from). */
  readonly paused?: TakePaused | undefined
}

/**
 * The pause part of a take: the set of paused queues and the name of each
 * source in it.
 *
 * @category models
 * @since 0.2.0
 */
export interface TakePaused {
  /** `paused`: the set of paused queue names. */
  readonly key: string
  /** Each source's queue name (`Keys.queueName`), in `sources`' order. */
  readonly names: ReadonlyArray<string>
}

/**
 * The lease part of a take.
 *
 * @category models
 * @since 0.2.0
 */
export interface TakeLease {
  /** `leases`: the expiry zset. */
  readonly leases: string
  /** `lease:tokens`: id -> token. */
  readonly tokens: string
  /** `worker:{owner}`: the owner's held set. */
  readonly held: string
  /** The owner (the worker's id). */
  readonly owner: string
  /** Lease expiry, epoch milliseconds. */
  readonly expiresAt: number
  /** The number of the first token handed out by this take. */
  readonly firstToken: number
  /** TTL of the owner's held set (its heartbeat), milliseconds. */
  readonly heartbeatMillis: number
}

/**
 * One job taken: its id and its data as read in the same step (none when
 * the key is missing or holds another type).
 *
 * @category models
 * @since 0.2.0
 */
export interface Taken {
  /** The id popped. */
  readonly id: string
  /** Its `job:{id}`, read (`MGET`) in the same step. */
  readonly data: string | undefined
}

/**
 * The token of the `i`-th id (from 0) taken by a take.
 *
 * @category accessors
 * @since 0.2.0
 */
export const tokenOf = (lease: Pick<TakeLease, "owner" | "firstToken">, i: number): string => `${lease.owner}:${lease.firstToken + i}`

/**
 * The owner a token was issued to.
 *
 * @category accessors
 * @since 0.2.0
 */
export const ownerOf = (token: string): string => token.slice(0, Math.max(0, token.lastIndexOf(":")))

/**
 * Builds a take request from what a worker asks for.
 *
 * @category constructors
 * @since 0.2.0
 */
export const make = (protocol: Protocol, options: {
  /** The priorities to take from, in order. */
  readonly priorities: ReadonlyArray<JobPriority>
  /** Take from `route:{key}:queue:{p}` (`default` or none: `queue:{p}`). */
  readonly routingKey?: string | undefined
  /** The most ids to take. */
  readonly max: number
  /** Lease what is taken (none: Go's way, no lease). */
  readonly lease?: {
    /** The worker taking them. */
    readonly owner: string
    /** When the leases expire, epoch milliseconds. */
    readonly expiresAt: number
    /** The counter of the first id's token (`<owner>:<n>`); the next ids count up. */
    readonly firstToken: number
    /** The TTL of the owner's held set (its heartbeat), milliseconds. */
    readonly heartbeatMillis: number
  } | undefined
}): TakeRequest => {
  const { keys } = protocol
  return {
    sources: options.priorities.map((p) => keys.queue(p, options.routingKey)),
    processing: keys.processing,
    jobs: keys.job(""),
    max: options.max,
    paused: { key: keys.paused, names: options.priorities.map((p) => queueName(p, options.routingKey)) },
    lease: options.lease === undefined ? undefined : {
      leases: keys.leases,
      tokens: keys.tokens,
      held: keys.held(options.lease.owner),
      ...options.lease
    }
  }
}
