/**
 * The gateway's API keys: parsing them from configuration (`id:secret` or a
 * bare secret, comma-separated in `BANANAS_API_KEYS`) and matching a
 * presented bearer token in constant time (every key is compared, on
 * fixed-length digests, without an early exit), so the time taken says
 * nothing about how close a guess was. Keys are `Redacted`: only their ids
 * ever reach a log.
 *
 * @since 0.2.0
 */

import { hash, timingSafeEqual } from "node:crypto"
import * as Redacted from "effect/Redacted"

/**
 * One API key.
 *
 * @category models
 * @since 0.2.0
 */
export interface ApiKey {
  /** A name for logs and rate limits (never the secret). */
  readonly id: string
  /** The secret a client presents as `Authorization: Bearer <secret>`. */
  readonly secret: Redacted.Redacted<string>
}

/**
 * Parses one key: `id:secret` when the part before the first `:` is a
 * name (`[A-Za-z0-9_-]{1,32}`), else the whole text is the secret and the
 * id is `key-` plus 8 hex digits of its SHA-256.
 *
 * @category constructors
 * @since 0.2.0
 */
export const parse = (text: string): ApiKey | undefined => {
  const trimmed = text.trim()
  if (trimmed === "") return undefined
  const named = /^([A-Za-z0-9_-]{1,32}):(.+)$/.exec(trimmed)
  if (named !== null) return { id: named[1]!, secret: Redacted.make(named[2]!) }
  return { id: `key-${digest(trimmed).toString("hex").slice(0, 8)}`, secret: Redacted.make(trimmed) }
}

/**
 * Parses a comma-separated list of keys (empty entries skipped).
 *
 * @category constructors
 * @since 0.2.0
 */
export const parseList = (text: string): ReadonlyArray<ApiKey> =>
  text.split(",").map(parse).filter((k): k is ApiKey => k !== undefined)

/**
 * The id of the key whose secret is `presented`, if any: compared with
 * every key in constant time. An empty token never matches.
 *
 * @category matching
 * @since 0.2.0
 */
export const match = (keys: ReadonlyArray<Prepared>, presented: string): string | undefined => {
  const candidate = digest(presented)
  let found: string | undefined
  for (const key of keys) {
    // No early exit: every key costs the same whether it matches or not.
    if (timingSafeEqual(candidate, key.digest) && found === undefined) found = key.id
  }
  return presented === "" ? undefined : found
}

/**
 * A key ready for matching (its secret's digest computed once).
 *
 * @category models
 * @since 0.2.0
 */
export interface Prepared {
  readonly id: string
  readonly digest: Buffer
}

/**
 * Prepares keys for `match`.
 *
 * @category constructors
 * @since 0.2.0
 */
export const prepare = (keys: ReadonlyArray<ApiKey>): ReadonlyArray<Prepared> =>
  keys.map((k) => ({ id: k.id, digest: digest(Redacted.value(k.secret)) }))

// Internal

const digest = (s: string): Buffer => hash("sha256", s, "buffer")
