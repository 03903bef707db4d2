/**
 * The gateway's API keys: parsing them from configuration (`id:secret`,
 * `id/read:secret` for a read-only key, or a bare secret, comma-separated
 * in `BANANAS_API_KEYS`) and matching a
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
  /** Whether the key may only read (`GET`, `HEAD`): the gateway refuses its other requests and the dashboard hides its actions. */
  readonly readOnly?: boolean | undefined
}

/**
 * Parses one key: `id:secret` when the part before the first `:` is a
 * name (`[A-Za-z0-9_-]{1,32}`), `id/read:secret` for a read-only key, else
 * the whole text is the secret and the id is `key-` plus 8 hex digits of
 * its SHA-256.
 *
 * **Gotchas**: a bare secret that starts like `name/read:` is read as a
 * read-only key named `name`; give such a secret an id (`id:<secret>`).
 *
 * @category constructors
 * @since 0.2.0
 */
export const parse = (text: string): ApiKey | undefined => {
  const trimmed = text.trim()
  if (trimmed === "") return undefined
  const named = /^([A-Za-z0-9_-]{1,32})(\/read)?:(.+)$/.exec(trimmed)
  if (named !== null) {
    const key = { id: named[1]!, secret: Redacted.make(named[3]!) }
    return named[2] === undefined ? key : { ...key, readOnly: true }
  }
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
 * The key whose secret is `presented`, if any: compared with every key in
 * constant time. An empty token never matches.
 *
 * @category matching
 * @since 0.2.0
 */
export const match = (keys: ReadonlyArray<Prepared>, presented: string): Prepared | undefined => {
  const candidate = digest(presented)
  let found: Prepared | undefined
  for (const key of keys) {
    // No early exit: every key costs the same whether it matches or not.
    if (timingSafeEqual(candidate, key.digest) && found === undefined) found = key
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
  /** The key's id. */
  readonly id: string
  /** Whether it may only read. */
  readonly readOnly: boolean
  /** The SHA-256 of its secret. */
  readonly digest: Buffer
}

/**
 * Prepares keys for `match`.
 *
 * @category constructors
 * @since 0.2.0
 */
export const prepare = (keys: ReadonlyArray<ApiKey>): ReadonlyArray<Prepared> =>
  keys.map((k) => ({ id: k.id, readOnly: k.readOnly === true, digest: digest(Redacted.value(k.secret)) }))

// Internal

const digest = (s: string): Buffer => hash("sha256", s, "buffer")
