/**
 * Plans: what one atomic state change does, decided in TypeScript by the
 * transition functions (`Transitions`) and carried out unchanged by a
 * backend — the Redis layer turns a plan into the arguments of one Lua
 * interpreter script, the memory layer applies it to its keyspace. Both
 * follow the same rules:
 *
 * 1. every key's type is checked first: a key that exists with another type
 *    than the plan needs refuses the plan (`WrongType`, naming the key);
 * 2. guards are checked in order: the first that does not hold refuses the
 *    plan with its `reason` (or `alreadyApplied`, see `Guard.appliedIf`);
 * 3. only then are the writes applied, in order.
 *
 * A refused plan writes nothing. The operations are Redis commands with
 * Redis's semantics, so a plan reads like the command sequence it stands for.
 *
 * @since 0.2.0
 */

/**
 * The Redis types a plan can require of a key.
 *
 * @category models
 * @since 0.2.0
 */
export type KeyType = "string" | "list" | "zset" | "hash" | "set"

/**
 * Why a plan was refused (the `reason` of its failing guard).
 *
 * - `alreadyApplied`: the state already is what the plan would write (a
 *   resent command, or our own earlier attempt): a success, nothing written.
 * - `duplicate`: a job with this id exists already.
 * - `notHeld`: the job is no longer held by this delivery (its lease was
 *   recovered and the job handed to another worker, or it finished).
 * - `changed`: the job data changed since it was read (read again).
 * - `notDue`: a scheduled job is no longer due (rescheduled or gone).
 * - `notWaiting`: the job is not in the list or set the plan expected.
 * - `ownerAlive`: the lease expired but its worker still heartbeats.
 *
 * @category models
 * @since 0.2.0
 */
export type Reason = "alreadyApplied" | "duplicate" | "notHeld" | "changed" | "notDue" | "notWaiting" | "ownerAlive"

/**
 * A condition a plan needs (each a read of one key), and why the plan is
 * refused when it does not hold: `reason`, unless `appliedIf` says the
 * state already is what the plan writes (`GET key` equals `value`: a
 * resend, or our own earlier attempt), then `alreadyApplied`. Checking that
 * only when the guard fails keeps the common path one read shorter.
 *
 * @category models
 * @since 0.2.0
 */
export type Guard = GuardTest & {
  /** Why the plan is refused when the test does not hold. */
  readonly reason: Reason
  /** When the test fails but `GET key` equals `value`, the plan counts as `alreadyApplied`. */
  readonly appliedIf?: {
    /** The key to read. */
    readonly key: string
    /** The value meaning "already applied". */
    readonly value: string
  } | undefined
}

/**
 * The read of a guard.
 *
 * @category models
 * @since 0.2.0
 */
export type GuardTest =
  /** `EXISTS key` is 0. */
  | { readonly op: "absent"; readonly key: string }
  /** `EXISTS key` is 1. */
  | { readonly op: "exists"; readonly key: string }
  /** `GET key` equals `value`. */
  | { readonly op: "eq"; readonly key: string; readonly value: string }
  /** `GET key` differs from `value` (an absent key differs). */
  | { readonly op: "ne"; readonly key: string; readonly value: string }
  /** `HGET key field` equals `value`. */
  | { readonly op: "heq"; readonly key: string; readonly field: string; readonly value: string }
  /** `HEXISTS key field` is 0. */
  | { readonly op: "hnil"; readonly key: string; readonly field: string }
  /** `LPOS key member` finds it. */
  | { readonly op: "lhas"; readonly key: string; readonly member: string }
  /** `ZSCORE key member` exists. */
  | { readonly op: "zhas"; readonly key: string; readonly member: string }
  /** `ZSCORE key member` exists and is at most `max`. */
  | { readonly op: "zle"; readonly key: string; readonly member: string; readonly max: number }
  /** `SISMEMBER key member` is 0. */
  | { readonly op: "snot"; readonly key: string; readonly member: string }

/**
 * A write (each one Redis command).
 *
 * @category models
 * @since 0.2.0
 */
export type Write =
  /** `SET key value` (clears any TTL), or `SET key value EX ttl` with `ttl` (seconds). */
  | { readonly op: "set"; readonly key: string; readonly value: string; readonly ttl?: number | undefined }
  /** `DEL key`. */
  | { readonly op: "del"; readonly key: string }
  /** `LPUSH key value`: the tail of the FIFO (popped last). */
  | { readonly op: "lpush"; readonly key: string; readonly value: string }
  /** `RPUSH key value`: the head of the FIFO (popped next). */
  | { readonly op: "rpush"; readonly key: string; readonly value: string }
  /** `LREM key count value` (0: every occurrence; < 0 from the tail). */
  | { readonly op: "lrem"; readonly key: string; readonly count: number; readonly value: string }
  /** `LTRIM key start stop`: keeps the members from index `start` to `stop` (negative: from the tail). */
  | { readonly op: "ltrim"; readonly key: string; readonly start: number; readonly stop: number }
  /** `ZADD key score member`, or `ZADD key NX ...` with `nx`. */
  | { readonly op: "zadd"; readonly key: string; readonly score: number; readonly member: string; readonly nx?: boolean | undefined }
  /** `ZREM key member`. */
  | { readonly op: "zrem"; readonly key: string; readonly member: string }
  /** `HSET key field value ...` (merges into existing fields). */
  | { readonly op: "hset"; readonly key: string; readonly fields: ReadonlyArray<readonly [string, string]> }
  /** `HDEL key field`. */
  | { readonly op: "hdel"; readonly key: string; readonly field: string }
  /** `SADD key member`. */
  | { readonly op: "sadd"; readonly key: string; readonly member: string }
  /** `SREM key member`. */
  | { readonly op: "srem"; readonly key: string; readonly member: string }
  /** `EXPIRE key seconds`. */
  | { readonly op: "expire"; readonly key: string; readonly seconds: number }
  /** `PEXPIRE key millis`. */
  | { readonly op: "pexpire"; readonly key: string; readonly millis: number }
  /** `PUBLISH channel message` (a channel, not a key). */
  | { readonly op: "publish"; readonly channel: string; readonly message: string }
  /**
   * `PUBLISH channel message` announcing the result hash `key`; when a
   * subscriber got it, also `PUBLISH data` with the hash itself (`tag`, a
   * newline, then `HGETALL key` as a JSON array), so that our waiters need
   * no read (`Keys.resultData`).
   */
  | {
    readonly op: "announce"
    readonly key: string
    readonly channel: string
    readonly message: string
    readonly data: string
    readonly tag: string
  }

/**
 * One atomic state change.
 *
 * @category models
 * @since 0.2.0
 */
export interface Plan {
  /** Checked in order before anything is written. */
  readonly guards: ReadonlyArray<Guard>
  /** Applied in order once every guard holds. */
  readonly writes: ReadonlyArray<Write>
}

/**
 * What became of a plan.
 *
 * @category models
 * @since 0.2.0
 */
export type Outcome =
  /** Every guard held; the writes were applied. */
  | { readonly _tag: "Applied" }
  /** A guard did not hold (`reason`); nothing was written. */
  | { readonly _tag: "Refused"; readonly reason: Reason }
  /** `key` exists with another type than the plan needs (`expected`); nothing was written. */
  | { readonly _tag: "WrongType"; readonly key: string; readonly expected: KeyType }

/**
 * The outcome of an applied plan.
 *
 * @category constructors
 * @since 0.2.0
 */
export const applied: Outcome = { _tag: "Applied" }

/**
 * True when the plan took effect: applied now, or found already applied.
 *
 * @category guards
 * @since 0.2.0
 */
export const tookEffect = (outcome: Outcome): boolean =>
  outcome._tag === "Applied" || (outcome._tag === "Refused" && outcome.reason === "alreadyApplied")

/**
 * The type each key of the plan must have (or not exist with), in the order
 * the keys first appear. A plan that uses one key as two types is a bug:
 * it throws (`findKeyTypes` reports it instead).
 *
 * @category accessors
 * @since 0.2.0
 */
export const keyTypes = (plan: Plan): ReadonlyArray<readonly [string, KeyType]> => {
  const found = findKeyTypes(plan)
  if ("conflict" in found) throw new Error(found.conflict)
  return found
}

/**
 * The type each key of the plan must have (or not exist with), in the order
 * the keys first appear; or, for a plan that uses one key as two types,
 * which key and types.
 *
 * @category accessors
 * @since 0.2.0
 */
export const findKeyTypes = (plan: Plan): ReadonlyArray<readonly [string, KeyType]> | { readonly conflict: string } => {
  const types: Array<readonly [string, KeyType]> = []
  let conflict: string | undefined
  const need = (key: string, type: KeyType | undefined) => {
    if (type === undefined) return
    for (const [k, t] of types) {
      if (k !== key) continue
      if (t !== type) conflict ??= `plan uses ${key} as ${t} and ${type}`
      return
    }
    types.push([key, type])
  }
  for (const g of plan.guards) {
    need(g.key, guardType[g.op])
    if (g.appliedIf !== undefined) need(g.appliedIf.key, "string")
  }
  for (const w of plan.writes) if (w.op !== "publish") need(w.key, writeType[w.op])
  return conflict === undefined ? types : { conflict }
}

/**
 * The key type each guard operation reads (`absent` works on any type).
 *
 * @category constants
 * @since 0.2.0
 */
export const guardType: Readonly<Record<Guard["op"], KeyType | undefined>> = {
  absent: undefined,
  exists: undefined,
  eq: "string",
  ne: "string",
  heq: "hash",
  hnil: "hash",
  lhas: "list",
  zhas: "zset",
  zle: "zset",
  snot: "set"
}

/**
 * The key type each write operation needs (`del`, `expire` and `pexpire`
 * work on any type).
 *
 * @category constants
 * @since 0.2.0
 */
export const writeType: Readonly<Record<Exclude<Write["op"], "publish">, KeyType | undefined>> = {
  set: "string",
  del: undefined,
  lpush: "list",
  rpush: "list",
  lrem: "list",
  ltrim: "list",
  zadd: "zset",
  zrem: "zset",
  hset: "hash",
  hdel: "hash",
  sadd: "set",
  srem: "set",
  expire: undefined,
  pexpire: undefined,
  announce: "hash"
}
