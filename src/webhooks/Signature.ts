/**
 * Webhook signatures: HMAC-SHA256 over `timestamp + "." + body` with the
 * endpoint's secret, sent with the timestamp and the event id:
 *
 * ```
 * bananas-event-id:   evt_4f2c...
 * bananas-event-type: job.completed
 * bananas-timestamp:  1736937009            (unix seconds)
 * bananas-signature:  v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd
 * ```
 *
 * A receiver recomputes the HMAC over the exact bytes it received and
 * compares in constant time. Several `v1=` values (space or comma
 * separated) may be sent while secrets rotate: any one matching is enough.
 *
 * @since 0.2.0
 */

import { createHmac, timingSafeEqual } from "node:crypto"

/**
 * The header names.
 *
 * @category constants
 * @since 0.2.0
 */
export const headers = {
  /** The event id (the same on every redelivery). */
  id: "bananas-event-id",
  /** The event type (`job.completed`, ...). */
  type: "bananas-event-type",
  /** When this delivery attempt was signed, unix seconds. */
  timestamp: "bananas-timestamp",
  /** `v1=<hex HMAC-SHA256 of timestamp + "." + body>`. */
  signature: "bananas-signature"
} as const

/**
 * The hex HMAC-SHA256 of `timestamp + "." + body` under `secret`.
 *
 * @category signing
 * @since 0.2.0
 */
export const hmac = (secret: string, timestamp: string, body: string | Uint8Array): string =>
  createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest("hex")

/**
 * The `bananas-signature` header value for a delivery.
 *
 * @category signing
 * @since 0.2.0
 */
export const sign = (secret: string, timestamp: string, body: string | Uint8Array): string => `v1=${hmac(secret, timestamp, body)}`

/**
 * True when the header is a list of at most 8 `<scheme>=<value>` entries
 * (space or comma separated) with at least one `v1=<64 hex digits>`
 * (other schemes are ignored): what a receiver checks before reading the
 * body.
 *
 * @category verifying
 * @since 0.2.0
 */
export const isWellFormed = (header: string): boolean => {
  const parts = header.length <= maxHeaderLength ? entries(header) : []
  return parts.length <= maxEntries && parts.every((part) => anyEntry.test(part)) && parts.some((part) => v1Entry.test(part))
}

/**
 * True when one of the header's `v1=` signatures is the HMAC of
 * `timestamp.body` under one of `secrets`; compared in constant time.
 *
 * @category verifying
 * @since 0.2.0
 */
export const verify = (secrets: ReadonlyArray<string>, timestamp: string, body: string | Uint8Array, header: string): boolean => {
  if (!isWellFormed(header)) return false
  const presented = entries(header).filter((part) => v1Entry.test(part)).map((part) => Buffer.from(part.slice(3).toLowerCase(), "hex"))
  let ok = false
  for (const secret of secrets) {
    const expected = Buffer.from(hmac(secret, timestamp, body), "hex")
    // Every pair is compared (no early exit); lengths are fixed (32 bytes).
    for (const candidate of presented) if (timingSafeEqual(expected, candidate)) ok = true
  }
  return ok
}

// Internal

/** At most this many signatures in one header (secrets rotate one or two at a time). */
const maxEntries = 8
const maxHeaderLength = maxEntries * 70
const v1Entry = /^v1=[0-9a-f]{64}$/i
const anyEntry = /^[a-z0-9]{1,8}=[^\s,]{1,128}$/i
const entries = (header: string): Array<string> => header.split(/[\s,]+/).filter((part) => part !== "")
