/**
 * The synchronous in-memory Redis keyspace behind the memory layers:
 * entries of the Redis data types with their TTLs, and the commands the
 * protocol uses on them (keys, strings, lists, sorted sets, hashes, sets),
 * pub/sub channels, and watchers woken by list pushes — each command with
 * Redis's semantics, including `WRONGTYPE` for a key of another type
 * (thrown as `WrongTypeError`).
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

import type { KeyType } from "../../../protocol/Plan.ts"

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
  | { readonly type: "set"; readonly members: Set<string>; expiresAt: number | undefined }

/**
 * A command met a key of another type (Redis's `WRONGTYPE`).
 *
 * @category errors
 * @since 0.2.0
 */
export class WrongTypeError extends Error {
  readonly key: string
  readonly expected: KeyType
  constructor(key: string, expected: KeyType) {
    super(`WRONGTYPE ${key} is not a ${expected}`)
    this.key = key
    this.expected = expected
  }
}

/**
 * The keyspace. Lists keep their head (the `LPUSH` side) at index 0, as
 * `LRANGE key 0 -1` shows them.
 *
 * @category models
 * @since 0.1.0
 */
export class Keyspace {
  /** The current time in epoch milliseconds; set by the caller before each operation. */
  now = 0
  private readonly data = new Map<string, Entry>()
  private opsSinceSweep = 0
  private readonly channels = new Map<string, Set<(message: string) => void>>()
  private readonly watchers = new Map<string, Set<() => void>>()
  private wakes = 0
  private readonly publishes = new Set<(channel: string) => void>()
  private activeWatches = 0

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

  /** `TYPE`. */
  type(key: string): KeyType | "none" {
    return this.entry(key)?.type ?? "none"
  }

  /** `EXISTS` of one key. */
  exists(key: string): boolean {
    return this.entry(key) !== undefined
  }

  /** `DEL`: true when the key existed. */
  del(key: string): boolean {
    const existed = this.entry(key) !== undefined
    this.data.delete(key)
    return existed
  }

  /** Every live key starting with `prefix`, sorted (by UTF-8 bytes, as Redis compares). */
  keys(prefix: string): Array<string> {
    const out: Array<string> = []
    for (const key of [...this.data.keys()]) {
      if (key.startsWith(prefix) && this.entry(key) !== undefined) out.push(key)
    }
    return out.sort(compareBytes)
  }

  /**
   * `SCAN cursor MATCH <prefix>* COUNT count` over the sorted keyspace: the
   * cursor is the last key returned (`"0"` to start, and at the end), so
   * every key present throughout is returned once.
   */
  scan(cursor: string, prefix: string, count: number): readonly [string, Array<string>] {
    const after = cursor === "0" ? undefined : cursor.slice(1)
    const size = Math.max(1, count)
    // The `size` smallest live keys after the cursor, kept in order in one
    // pass: no sort of the whole keyspace per batch (a full scan would be
    // quadratic).
    const batch: Array<string> = []
    let more = false
    for (const key of [...this.data.keys()]) {
      if (!key.startsWith(prefix) || (after !== undefined && compareBytes(key, after) <= 0)) continue
      if (this.entry(key) === undefined) continue
      if (batch.length === size && compareBytes(key, batch[size - 1]!) > 0) {
        more = true
        continue
      }
      let i = batch.length
      while (i > 0 && compareBytes(batch[i - 1]!, key) > 0) i--
      batch.splice(i, 0, key)
      if (batch.length > size) {
        batch.pop()
        more = true
      }
    }
    return [more ? "k" + batch[batch.length - 1]! : "0", batch]
  }

  /** Whether `scan` made `cursor` (or it is `"0"`, the start). */
  isScanCursor(cursor: string): boolean {
    return cursor === "0" || (cursor.length > 1 && cursor.startsWith("k"))
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

  /** `GET`. */
  get(key: string): string | undefined {
    return this.typed(key, "string")?.value
  }

  /** `SET` (any previous value or type replaced, TTL cleared), or `SET ... PX ttl` when `ttlMillis` is given. */
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

  /** `LRANGE key start stop` (negative indexes count from the tail, as Redis). */
  lrange(key: string, start = 0, stop = -1): ReadonlyArray<string> {
    const items = this.list(key, false)?.items ?? []
    const [from, to] = span(items.length, start, stop)
    return from > to ? [] : items.slice(from, to + 1)
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

  /** `PUBLISH`: returns how many subscribers heard it (watchers of `channel` are woken too, see `watch`; `onPublish` listeners are not counted). */
  publish(channel: string, message: string): number {
    const listeners = [...(this.channels.get(channel) ?? [])]
    for (const listener of listeners) listener(message)
    this.wake(channel)
    for (const listener of [...this.publishes]) listener(channel)
    return listeners.length
  }

  /** Calls `listener` with the channel of every `PUBLISH` (as `PSUBSCRIBE *` would); returns the unsubscribe function. */
  onPublish(listener: (channel: string) => void): () => void {
    this.publishes.add(listener)
    return () => void this.publishes.delete(listener)
  }

  /** How many subscriptions are open (leak checks in tests). */
  subscriptionCount(): number {
    let n = 0
    for (const set of this.channels.values()) n += set.size
    return n
  }

  /**
   * Calls `listener` whenever a member is pushed to one of `keys`, or a
   * message is published on one of them as a channel (a wake-up that pushes
   * nothing: a resumed queue); returns the unwatch function.
   */
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

  /** How many pushes and publishes there were so far (each wakes the watchers of its key): a mark for a caller that looks before it watches. */
  wakeCount(): number {
    return this.wakes
  }

  /** How many `watch` registrations are active (leak checks in tests). */
  watcherCount(): number {
    return this.activeWatches
  }

  // Internal

  /** The live entry of `key` when it has `type`; undefined when absent; WRONGTYPE otherwise. */
  private typed<T extends KeyType>(key: string, type: T): Extract<Entry, { type: T }> | undefined {
    const e = this.entry(key)
    if (e === undefined) return undefined
    if (e.type !== type) throw new WrongTypeError(key, type)
    return e as Extract<Entry, { type: T }>
  }

  private create<T extends KeyType>(key: string, type: T, create: boolean): Extract<Entry, { type: T }> | undefined {
    const e = this.typed(key, type)
    if (e !== undefined || !create) return e
    const fresh = { type, expiresAt: undefined, ...emptyOf[type]() } as Extract<Entry, { type: T }>
    this.data.set(key, fresh)
    return fresh
  }

  /** Redis deletes a list, set or hash once it is empty. */
  private dropIfEmpty(key: string, size: number): void {
    if (size === 0) this.data.delete(key)
  }

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
    this.wakes++
    for (const listener of [...(this.watchers.get(key) ?? [])]) listener()
  }
}

/**
 * Orders strings as Redis does (by their UTF-8 bytes, which is code point
 * order; the default sort compares UTF-16 units instead).
 *
 * @category combinators
 * @since 0.2.0
 */
export const compareBytes = (a: string, b: string): number => {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!, y = b.codePointAt(i)!
    if (x !== y) return x < y ? -1 : 1
    if (x > 0xffff) i++
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1
}

const emptyOf: { readonly [T in KeyType]: () => object } = {
  string: () => ({ value: "" }),
  list: () => ({ items: [] }),
  zset: () => ({ members: new Map() }),
  hash: () => ({ fields: new Map() }),
  set: () => ({ members: new Set() })
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
