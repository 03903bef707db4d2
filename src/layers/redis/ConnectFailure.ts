/**
 * Why a connection to Redis failed, in words a person can act on: the
 * address tried, the cause's code (`ECONNREFUSED`, `ENOTFOUND`,
 * `WRONGPASS`, `NOAUTH`, a database index out of range, a TLS failure,
 * ...) and what to check. Drivers report these as an error event followed
 * by a bare "Connection is closed."; the adapter collects the events of a
 * connection attempt and this module picks the one that explains it.
 *
 * @stability unstable
 * @since 0.2.0
 */

import { ConnectionError } from "../../domain/Errors.ts"

/**
 * The code of a driver error: its `code` property (a socket or TLS error),
 * else the first word of a Redis error reply (`WRONGPASS`, `NOAUTH`), with
 * `ERR DB index is out of range` as `DB_INDEX_OUT_OF_RANGE`.
 *
 * @category getters
 * @since 0.2.0
 */
export const codeOf = (error: unknown): string | undefined => {
  if (typeof error !== "object" || error === null) return undefined
  const code = (error as { readonly code?: unknown }).code
  if (typeof code === "string" && code !== "") return code
  const message = (error as { readonly message?: unknown }).message
  if (typeof message !== "string") return undefined
  if (/DB index is out of range/i.test(message)) return "DB_INDEX_OUT_OF_RANGE"
  return /^([A-Z][A-Z_]{2,})\s/.exec(message)?.[1]
}

/**
 * What to check for a failure code (empty when there is no advice):
 * `tls` tells whether the connection used TLS (`rediss://`).
 *
 * @category getters
 * @since 0.2.0
 */
export const adviceFor = (code: string | undefined, tls: boolean): string => {
  switch (code) {
    case undefined:
      return ""
    case "ECONNREFUSED":
      return "nothing accepts connections there: is Redis running, and are the host and port right?"
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_NONAME":
      return "the host name does not resolve: check the host in the URL"
    case "ETIMEDOUT":
    case "ECONNRESET":
    case "EPIPE":
      return tls
        ? "with rediss:// the server must speak TLS on this port: use redis:// for a plain server"
        : "the server did not answer or hung up: is it a Redis (a TLS-only one needs rediss://), and is no firewall in the way?"
    case "WRONGPASS":
      return "the user name or password is wrong: check the credentials in the URL (redis://user:password@host:port)"
    case "NOAUTH":
      return "the server requires a password: give it in the URL (redis://:password@host:port)"
    case "NOPERM":
      return "the ACL user may not run the commands the SDK needs"
    case "DB_INDEX_OUT_OF_RANGE":
      return "the database number in the URL path (redis://host:port/<n>) is beyond the server's `databases` setting"
    default:
      return isTlsCode(code)
        ? "the TLS handshake failed: check the server's certificate (or pass `driverOptions: { tls: { ca, servername } }`), or use redis:// for a plain server"
        : ""
  }
}

/**
 * The `ConnectionError` of a failed connection attempt to `target`:
 * `errors` are the driver's error events during the attempt (the last one
 * explains it), `rejection` what the attempt itself failed with.
 *
 * @category constructors
 * @since 0.2.0
 */
export const toConnectionError = (
  target: string,
  tls: boolean,
  errors: ReadonlyArray<unknown>,
  rejection: unknown
): ConnectionError => {
  const cause = errors.length > 0 ? errors[errors.length - 1] : rejection
  const code = codeOf(cause)
  const advice = adviceFor(code, tls)
  const text = cause instanceof Error ? cause.message : String(cause)
  return new ConnectionError({
    operation: "connect",
    message: `cannot connect to Redis at ${target}${code === undefined ? "" : ` (${code})`}: ${text}${advice === "" ? "" : ` — ${advice}`}`,
    cause
  })
}

// Internal

const isTlsCode = (code: string): boolean => /CERT|SSL|TLS|SELF_SIGNED|ALTNAME|UNABLE_TO_VERIFY/.test(code)
