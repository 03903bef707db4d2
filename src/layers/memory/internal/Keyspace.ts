/**
 * The keyspace part of the memory layers' store: entries of the Redis data
 * types with their TTLs (dropped when touched after they expire, as Redis
 * does, and swept now and then), typed access that throws `WrongTypeError`
 * like Redis's `WRONGTYPE`, and the key-level commands (`TYPE`, `EXISTS`,
 * `DEL`, `SCAN`, `PEXPIRE`, `PTTL`) and strings (`GET`, `SET`). The data-type
 * commands are in `Store`.
 *
 * Internal: not part of the public API.
 *
 * @since 0.2.0
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
 * The entries and key-level commands.
 *
 * @category models
 * @since 0.2.0
 */
export class Keyspace {
  /** The current time in epoch milliseconds; set by the caller before each operation. */
  now = 0
  protected readonly data = new Map<string, Entry>()
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
    const all = this.keys(prefix)
    const after = cursor === "0" ? undefined : cursor.slice(1)
    const start = after === undefined ? 0 : all.findIndex((k) => compareBytes(k, after) > 0)
    if (start < 0) return ["0", []]
    const batch = all.slice(start, start + Math.max(1, count))
    const done = start + batch.length >= all.length
    return [done ? "0" : "k" + batch[batch.length - 1]!, batch]
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

  // For the data-type commands

  /** The live entry of `key` when it has `type`; undefined when absent; WRONGTYPE otherwise. */
  protected typed<T extends KeyType>(key: string, type: T): Extract<Entry, { type: T }> | undefined {
    const e = this.entry(key)
    if (e === undefined) return undefined
    if (e.type !== type) throw new WrongTypeError(key, type)
    return e as Extract<Entry, { type: T }>
  }

  protected create<T extends KeyType>(key: string, type: T, create: boolean): Extract<Entry, { type: T }> | undefined {
    const e = this.typed(key, type)
    if (e !== undefined || !create) return e
    const fresh = { type, expiresAt: undefined, ...emptyOf[type]() } as Extract<Entry, { type: T }>
    this.data.set(key, fresh)
    return fresh
  }

  /** Redis deletes a list, set or hash once it is empty. */
  protected dropIfEmpty(key: string, size: number): void {
    if (size === 0) this.data.delete(key)
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

