/**
 * The synchronous in-memory keyspace behind the memory layers: the Redis
 * data types the protocol uses (strings, lists, sorted sets, hashes), key
 * TTLs, pub/sub channels, and watchers woken by list pushes.
 *
 * Every method is synchronous, so an operation built from several calls
 * runs as one uninterrupted state change (the memory counterpart of a
 * MULTI/EXEC or Lua script). Time is not read here: the caller sets `now`
 * (epoch milliseconds, from Effect's `Clock`) before each operation, and
 * expired keys are dropped lazily when touched, as Redis does.
 *
 * Internal: not part of the public API.
 *
 * @since 0.1.0
 */

/**
 * A stored value and its expiry (epoch ms, `undefined` = no TTL).
 *
 * @category models
 * @since 0.1.0
 */
export type Entry =
  | { readonly type: "string"; value: string; expiresAt: number | undefined }
  | { readonly type: "list"; readonly items: Array<string>; expiresAt: number | undefined }
  | { readonly type: "zset"; readonly members: Map<string, number>; expiresAt: number | undefined }
  | { readonly type: "hash"; readonly fields: Map<string, string>; expiresAt: number | undefined }

/**
 * The keyspace. Lists keep their head (the `LPUSH` side) at index 0, as
 * `LRANGE key 0 -1` shows them.
 *
 * @category models
 * @since 0.1.0
 */
export class Store {
  /** The current time in epoch milliseconds; set by the caller before each operation. */
  now = 0
  private readonly data = new Map<string, Entry>()
  private readonly channels = new Map<string, Set<(message: string) => void>>()
  private readonly watchers = new Map<string, Set<() => void>>()
  private activeWatches = 0
  private opsSinceSweep = 0

  /**
   * Sets the time for the next operation, and now and then drops every
   * expired key (as Redis's active expiry does), so a long-running process
   * does not keep finished jobs and results forever. A sweep runs once per
   * max(1000, keys) operations: amortized O(1) per operation.
   */
  tick(now: number): void {
    this.now = now
    if (++this.opsSinceSweep < Math.max(1000, this.data.size)) return
    this.opsSinceSweep = 0
    for (const [key, e] of this.data) {
      if (e.expiresAt !== undefined && now > e.expiresAt) this.data.delete(key)
    }
  }

  /** Entries held, expired ones not yet dropped included (for tests of expiry). */
  get size(): number {
    return this.data.size
  }

  // --- keys -----------------------------------------------------------------

  /** The live entry at `key`, dropping it when its TTL has passed (Redis: expired when now > expiry). */
  entry(key: string): Entry | undefined {
    const e = this.data.get(key)
    if (e === undefined) return undefined
    if (e.expiresAt !== undefined && this.now > e.expiresAt) {
      this.data.delete(key)
      return undefined
    }
    return e
  }

  /** `DEL`: true when the key existed. */
  del(key: string): boolean {
    const existed = this.entry(key) !== undefined
    this.data.delete(key)
    return existed
  }

  /** Every live key starting with `prefix`, sorted. */
  keys(prefix: string): Array<string> {
    const out: Array<string> = []
    for (const key of [...this.data.keys()]) {
      if (key.startsWith(prefix) && this.entry(key) !== undefined) out.push(key)
    }
    return out.sort()
  }

  /** `PEXPIRE`: true when the key exists. */
  expire(key: string, ttlMillis: number): boolean {
    const e = this.entry(key)
    if (e === undefined) return false
    e.expiresAt = this.now + ttlMillis
    this.entry(key) // a TTL that already elapsed deletes the key, as Redis does
    return true
  }

  /** `PTTL`: remaining milliseconds, -1 without a TTL, -2 when the key does not exist. */
  pttl(key: string): number {
    const e = this.entry(key)
    if (e === undefined) return -2
    return e.expiresAt === undefined ? -1 : e.expiresAt - this.now
  }

  // --- strings --------------------------------------------------------------

  /** `GET` (a key of another type reads as absent). */
  get(key: string): string | undefined {
    const e = this.entry(key)
    return e?.type === "string" ? e.value : undefined
  }

  /** `SET` (clears any TTL), or `SET ... PX ttl` when `ttlMillis` is given. */
  set(key: string, value: string, ttlMillis?: number): void {
    if (ttlMillis !== undefined && ttlMillis <= 0) {
      this.data.delete(key) // as SET with a non-positive expiry never leaves the key behind
      return
    }
    this.data.set(key, { type: "string", value, expiresAt: ttlMillis === undefined ? undefined : this.now + ttlMillis })
  }

  // --- lists ----------------------------------------------------------------

  /** `LPUSH` one member (the tail of the FIFO: popped last). */
  lpush(key: string, member: string): void {
    this.list(key, true)!.items.unshift(member)
    this.wake(key)
  }

  /** `RPUSH` one member (the head of the FIFO: popped next). */
  rpush(key: string, member: string): void {
    this.list(key, true)!.items.push(member)
    this.wake(key)
  }

  /** `RPOP`: the oldest member, or undefined. */
  rpop(key: string): string | undefined {
    const l = this.list(key, false)
    if (l === undefined) return undefined
    const member = l.items.pop()
    this.dropIfEmpty(key, l.items.length)
    return member
  }

  /** `LREM key count member` (count 0 = all, > 0 from the head); returns how many were removed. */
  lrem(key: string, count: number, member: string): number {
    const l = this.list(key, false)
    if (l === undefined) return 0
    let removed = 0
    for (let i = 0; i < l.items.length && (count === 0 || removed < count);) {
      if (l.items[i] === member) {
        l.items.splice(i, 1)
        removed++
      } else {
        i++
      }
    }
    this.dropIfEmpty(key, l.items.length)
    return removed
  }

  /** `LRANGE key 0 -1`: head (newest `LPUSH`) first. */
  lrange(key: string): ReadonlyArray<string> {
    return [...(this.list(key, false)?.items ?? [])]
  }

  /** `LLEN`. */
  llen(key: string): number {
    return this.list(key, false)?.items.length ?? 0
  }

  // --- sorted sets ----------------------------------------------------------

  /** `ZADD` (`xx`: only update existing members); returns true when written. */
  zadd(key: string, score: number, member: string, xx = false): boolean {
    const z = this.zset(key, !xx)
    if (z === undefined || (xx && !z.members.has(member))) return false
    z.members.set(member, score)
    return true
  }

  /** `ZREM`: true when the member was there. */
  zrem(key: string, member: string): boolean {
    const z = this.zset(key, false)
    if (z === undefined) return false
    const removed = z.members.delete(member)
    this.dropIfEmpty(key, z.members.size)
    return removed
  }

  /** `ZSCORE`. */
  zscore(key: string, member: string): number | undefined {
    return this.zset(key, false)?.members.get(member)
  }

  /** `ZCARD`. */
  zcard(key: string): number {
    return this.zset(key, false)?.members.size ?? 0
  }

  /** `ZRANGEBYSCORE key -inf max WITHSCORES`: ordered by score, then member. */
  zrangeByScore(key: string, max: number): Array<readonly [string, number]> {
    const z = this.zset(key, false)
    if (z === undefined) return []
    return [...z.members.entries()]
      .filter(([, score]) => score <= max)
      .sort(([am, as], [bm, bs]) => (as !== bs ? as - bs : am < bm ? -1 : am > bm ? 1 : 0))
  }

  // --- hashes ---------------------------------------------------------------

  /** `HSET` (merges into existing fields, keeps the TTL). */
  hset(key: string, fields: ReadonlyArray<readonly [string, string]>): void {
    let e = this.entry(key)
    if (e === undefined || e.type !== "hash") {
      e = { type: "hash", fields: new Map(), expiresAt: undefined }
      this.data.set(key, e)
    }
    for (const [field, value] of fields) e.fields.set(field, value)
  }

  /** `HGETALL` (empty when absent). */
  hgetall(key: string): Record<string, string> {
    const e = this.entry(key)
    return e?.type === "hash" ? Object.fromEntries(e.fields) : {}
  }

  // --- pub/sub and watchers -------------------------------------------------

  /** `SUBSCRIBE`: returns the unsubscribe function. */
  subscribe(channel: string, listener: (message: string) => void): () => void {
    return addListener(this.channels, channel, listener)
  }

  /** `PUBLISH`: returns how many subscribers heard it. */
  publish(channel: string, message: string): number {
    const listeners = [...(this.channels.get(channel) ?? [])]
    for (const listener of listeners) listener(message)
    return listeners.length
  }

  /** How many subscriptions are open (leak checks in tests). */
  subscriptionCount(): number {
    let n = 0
    for (const set of this.channels.values()) n += set.size
    return n
  }

  /** Calls `listener` whenever a member is pushed to one of `keys`; returns the unwatch function. */
  watch(keys: ReadonlyArray<string>, listener: () => void): () => void {
    const undo = keys.map((key) => addListener(this.watchers, key, listener))
    this.activeWatches++
    let done = false
    return () => {
      if (done) return
      done = true
      this.activeWatches--
      undo.forEach((f) => f())
    }
  }

  /** How many `watch` registrations are active (leak checks in tests). */
  watcherCount(): number {
    return this.activeWatches
  }

  // Internal

  private list(key: string, create: boolean): Extract<Entry, { type: "list" }> | undefined {
    const e = this.entry(key)
    if (e?.type === "list") return e
    if (!create) return undefined
    const fresh = { type: "list" as const, items: [], expiresAt: undefined }
    this.data.set(key, fresh)
    return fresh
  }

  private zset(key: string, create: boolean): Extract<Entry, { type: "zset" }> | undefined {
    const e = this.entry(key)
    if (e?.type === "zset") return e
    if (!create) return undefined
    const fresh = { type: "zset" as const, members: new Map<string, number>(), expiresAt: undefined }
    this.data.set(key, fresh)
    return fresh
  }

  /** Redis deletes a list, set or hash once it is empty. */
  private dropIfEmpty(key: string, size: number): void {
    if (size === 0) this.data.delete(key)
  }

  private wake(key: string): void {
    for (const listener of [...(this.watchers.get(key) ?? [])]) listener()
  }
}

const addListener = <F>(registry: Map<string, Set<F>>, key: string, listener: F): () => void => {
  let set = registry.get(key)
  if (set === undefined) {
    set = new Set()
    registry.set(key, set)
  }
  set.add(listener)
  return () => {
    const current = registry.get(key)
    if (current === undefined) return
    current.delete(listener)
    if (current.size === 0) registry.delete(key)
  }
}
