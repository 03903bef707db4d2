/**
 * The synchronous in-memory store behind the memory layers: the keyspace
 * (`Keyspace`: entries, TTLs, strings) plus the commands of the other Redis
 * data types the protocol uses (lists, sorted sets, hashes, sets), pub/sub
 * channels, and watchers woken by list pushes — each command with Redis's
 * semantics, including `WRONGTYPE` for a key of another type (thrown as
 * `WrongTypeError`).
 *
 * Every method is synchronous, so an operation built from several calls
 * runs as one uninterrupted state change (the memory counterpart of a Lua
 * script). Time is not read here: the caller sets `now` (epoch ms, from
 * Effect's `Clock`) before each operation; expired keys are dropped when
 * touched, as Redis does, and swept now and then.
 *
 * Internal: not part of the public API.
 *
 * @since 0.1.0
 */
import { compareBytes, Keyspace } from "./Keyspace.ts"

export { compareBytes, type Entry, WrongTypeError } from "./Keyspace.ts"

/**
 * The store. Lists keep their head (the `LPUSH` side) at index 0, as
 * `LRANGE key 0 -1` shows them.
 *
 * @category models
 * @since 0.1.0
 */
export class Store extends Keyspace {
  private readonly channels = new Map<string, Set<(message: string) => void>>()
  private readonly watchers = new Map<string, Set<() => void>>()
  private activeWatches = 0

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

  /** `LREM key count member` (count 0 = all, > 0 from the head, < 0 from the tail); returns how many were removed. */
  lrem(key: string, count: number, member: string): number {
    const l = this.list(key, false)
    if (l === undefined) return 0
    const limit = count === 0 ? Infinity : Math.abs(count)
    let removed = 0
    if (count >= 0) {
      for (let i = 0; i < l.items.length && removed < limit;) {
        if (l.items[i] === member) {
          l.items.splice(i, 1)
          removed++
        } else {
          i++
        }
      }
    } else {
      for (let i = l.items.length - 1; i >= 0 && removed < limit; i--) {
        if (l.items[i] === member) {
          l.items.splice(i, 1)
          removed++
        }
      }
    }
    this.dropIfEmpty(key, l.items.length)
    return removed
  }

  /** `LTRIM key start stop`: keeps `LRANGE key start stop`, deleting the key when nothing is left. */
  ltrim(key: string, start: number, stop: number): void {
    const l = this.list(key, false)
    if (l === undefined) return
    const [from, to] = span(l.items.length, start, stop)
    if (from > to) l.items.length = 0
    else {
      l.items.length = to + 1
      l.items.splice(0, from)
    }
    this.dropIfEmpty(key, l.items.length)
  }

  /** `LRANGE key start stop` (negative indexes count from the tail, as Redis). */
  lrange(key: string, start = 0, stop = -1): ReadonlyArray<string> {
    const items = this.list(key, false)?.items ?? []
    const [from, to] = span(items.length, start, stop)
    return from > to ? [] : items.slice(from, to + 1)
  }

  /** `LLEN`. */
  llen(key: string): number {
    return this.list(key, false)?.items.length ?? 0
  }

  /** `LPOS key member` found it. */
  lpos(key: string, member: string): boolean {
    return this.list(key, false)?.items.includes(member) ?? false
  }

  // --- sorted sets ----------------------------------------------------------

  /** `ZADD` (`xx`: only update existing members, `nx`: only add new ones); returns true when written. */
  zadd(key: string, score: number, member: string, mode?: "xx" | "nx"): boolean {
    const z = this.zset(key, mode !== "xx")
    if (z === undefined) return false
    if (mode === "xx" && !z.members.has(member)) return false
    if (mode === "nx" && z.members.has(member)) return false
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

  /** `ZRANGEBYSCORE key -inf max WITHSCORES [LIMIT offset count]`: ordered by score, then member bytes. */
  zrangeByScore(key: string, max: number, offset = 0, count = Infinity): Array<readonly [string, number]> {
    const z = this.zset(key, false)
    if (z === undefined) return []
    return [...z.members.entries()]
      .filter(([, score]) => score <= max)
      .sort(([am, as], [bm, bs]) => (as !== bs ? as - bs : compareBytes(am, bm)))
      .slice(offset, offset + count)
  }

  // --- hashes ---------------------------------------------------------------

  /** `HSET` (merges into existing fields, keeps the TTL). */
  hset(key: string, fields: ReadonlyArray<readonly [string, string]>): void {
    const h = this.hash(key, true)!
    for (const [field, value] of fields) h.fields.set(field, value)
  }

  /** `HGET`. */
  hget(key: string, field: string): string | undefined {
    return this.hash(key, false)?.fields.get(field)
  }

  /** `HDEL` of one field: true when it was there. */
  hdel(key: string, field: string): boolean {
    const h = this.hash(key, false)
    if (h === undefined) return false
    const removed = h.fields.delete(field)
    this.dropIfEmpty(key, h.fields.size)
    return removed
  }

  /** `HGETALL` (empty when absent). */
  hgetall(key: string): Record<string, string> {
    const h = this.hash(key, false)
    return h === undefined ? {} : Object.fromEntries(h.fields)
  }

  // --- sets -----------------------------------------------------------------

  /** `SADD` of one member. */
  sadd(key: string, member: string): void {
    this.set_(key, true)!.members.add(member)
  }

  /** `SREM` of one member. */
  srem(key: string, member: string): boolean {
    const s = this.set_(key, false)
    if (s === undefined) return false
    const removed = s.members.delete(member)
    this.dropIfEmpty(key, s.members.size)
    return removed
  }

  /** `SISMEMBER`. */
  sismember(key: string, member: string): boolean {
    return this.set_(key, false)?.members.has(member) ?? false
  }

  /** `SMEMBERS` (sorted, for determinism). */
  smembers(key: string): Array<string> {
    return [...(this.set_(key, false)?.members ?? [])].sort(compareBytes)
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

  private list(key: string, create: boolean) {
    return this.create(key, "list", create)
  }

  private zset(key: string, create: boolean) {
    return this.create(key, "zset", create)
  }

  private hash(key: string, create: boolean) {
    return this.create(key, "hash", create)
  }

  private set_(key: string, create: boolean) {
    return this.create(key, "set", create)
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

/** The indexes `start..stop` of a list of `n` members cover, clamped (negative: from the tail, as Redis). */
const span = (n: number, start: number, stop: number): readonly [number, number] =>
  [Math.max(0, start < 0 ? n + start : start), Math.min(n - 1, stop < 0 ? n + stop : stop)]
