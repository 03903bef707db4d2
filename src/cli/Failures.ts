/**
 * How the CLI ends: its exit codes, and the one line on stderr that says
 * what went wrong and what to do next, for every error the SDK can raise.
 *
 * @since 0.2.0
 */

import * as Schema from "effect/Schema"
import * as Option from "effect/Option"
import { ConnectFailure } from "../layers/redis/BananasRedis.ts"
import { type Settings, defaultRedisUrl, redisTarget } from "./Settings.ts"

/**
 * The exit codes: 0 ok, 1 the job (or the operation) failed, 2 usage error
 * (bad flags or input, nothing written), 3 connection or authentication
 * error, 4 timeout.
 *
 * @category constants
 * @since 0.2.0
 */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  connection: 3,
  timeout: 4
} as const

/**
 * A failure the CLI reports: its line for stderr and its exit code.
 *
 * @category errors
 * @since 0.2.0
 */
export class CliFailure extends Schema.TaggedError<CliFailure>()("CliFailure", {
  /** The line for stderr (what failed and what to do next). */
  message: Schema.String,
  /** The process exit code (see `ExitCode`). */
  exitCode: Schema.Int,
  /** More detail, printed with `--verbose`. */
  detail: Schema.optional(Schema.String)
}) {}

/**
 * A usage error (exit code 2): bad flags or input, nothing was written.
 *
 * @category constructors
 * @since 0.2.0
 */
export const usage = (message: string): CliFailure => new CliFailure({ message, exitCode: ExitCode.usage })

/**
 * Which way a command reached the queue, for the advice in messages.
 *
 * @category models
 * @since 0.2.0
 */
export type Transport = "redis" | "http"

/**
 * The CLI failure for any error: its message with advice, and its exit code.
 *
 * @category constructors
 * @since 0.2.0
 */
export const fromError = (error: unknown, settings: Settings, transport: Transport): CliFailure => {
  if (error instanceof CliFailure) return error
  const tagged = error as { readonly _tag?: unknown; readonly message?: unknown }
  const message = typeof tagged.message === "string" ? tagged.message : String(error)
  const fail = (text: string, exitCode: number) => new CliFailure({ message: text, exitCode, detail: `${message}\n${detailOf(error) ?? ""}`.trim() })
  const redis = redisTarget(settings.redisUrl)
  const gateway = Option.getOrElse(settings.apiUrl, () => "")
  switch (tagged._tag) {
    case "ConnectionError":
      if (transport === "http") {
        return fail(`cannot reach the gateway at ${gateway}: start one with \`bananas serve\`, or fix --api-url / BANANAS_API_URL`, ExitCode.connection)
      }
      // Nothing listening: say how to start one. Any other refusal (password, TLS, database) carries its own advice.
      return refused(error)
        ? fail(`cannot reach Redis at ${redis}: start one with \`redis-server --port ${portOf(redis)}\`, or pass --redis-url (env REDIS_URL; default ${defaultRedisUrl})`, ExitCode.connection)
        : fail(`${message} (--redis-url, env REDIS_URL)`, ExitCode.connection)
    case "AuthenticationError":
      return fail(`the gateway at ${gateway} refused the API key (${message}): pass --api-key or set BANANAS_API_KEY`, ExitCode.connection)
    case "StorageError":
      return storageFailure(error as { readonly reason?: unknown }, message, redis, fail)
    case "TimeoutError":
      return fail(`${message}: the job may still finish later (check with \`bananas result ID\`), or wait longer with --timeout`, ExitCode.timeout)
    case "ValidationError": {
      const field = (error as { readonly field?: unknown }).field
      const named = typeof field !== "string" || field === "" || message.startsWith(field)
      return fail(named ? message : `invalid ${field}: ${message}`, ExitCode.usage)
    }
    case "ServeError":
      return listenFailure((error as { readonly cause?: unknown }).cause, fail)
    case "JobFailedError":
    case "JobNotFoundError":
    case "JobConflictError":
    case "SerializationError":
    case "RateLimitError":
    case "ApiError":
      return fail(message, ExitCode.failed)
    default:
      return fail(message !== "" ? message : describeUnknown(error), ExitCode.failed)
  }
}

// Internal

const storageFailure = (
  error: { readonly reason?: unknown },
  message: string,
  redis: string,
  fail: (text: string, exitCode: number) => CliFailure
): CliFailure => {
  switch (error.reason) {
    case "Auth":
      return fail(`Redis at ${redis} refused the credentials: give them in the URL, redis://user:password@host:port`, ExitCode.connection)
    case "ReadOnly":
      return fail(`Redis at ${redis} is a read-only replica (${message}): point --redis-url at the primary`, ExitCode.failed)
    case "OutOfMemory":
      return fail(`Redis at ${redis} is out of memory (${message}): free memory or raise maxmemory; nothing was written`, ExitCode.failed)
    case "Loading":
    case "Busy":
    case "ClusterDown":
      return fail(`Redis at ${redis} is not ready (${message}): try again shortly`, ExitCode.connection)
    default:
      return fail(`Redis at ${redis} answered with an error: ${message}`, ExitCode.failed)
  }
}

/** The gateway could not listen: which address, why, and what to do (Node's listen error carries the address). */
const listenFailure = (cause: unknown, fail: (text: string, exitCode: number) => CliFailure): CliFailure => {
  const { address, code, port } = (cause ?? {}) as { readonly code?: unknown; readonly address?: unknown; readonly port?: unknown }
  const where = typeof address === "string" && typeof port === "number" ? ` on ${address.includes(":") ? `[${address}]` : address}:${port}` : ""
  switch (code) {
    case "EADDRINUSE":
      return fail(`cannot listen${where}: the address is already in use (another gateway?): stop that process, or pass another --port (0 = any free port)`, ExitCode.connection)
    case "EACCES":
      return fail(`cannot listen${where}: permission denied (ports below 1024 need privileges): pass --port 1024 or above`, ExitCode.connection)
    case "EADDRNOTAVAIL":
      return fail(`cannot listen${where}: no interface of this machine has that address: pass --host with one of its addresses (or 0.0.0.0)`, ExitCode.connection)
    default:
      return fail(`cannot listen${where}: ${cause instanceof Error ? cause.message : String(cause)}`, ExitCode.connection)
  }
}

/** An error without a message: its tag and its cause's message, never an empty line. */
const describeUnknown = (error: unknown): string => {
  const { _tag, cause } = (error ?? {}) as { readonly _tag?: unknown; readonly cause?: unknown }
  const name = typeof _tag === "string" ? _tag : error instanceof Error ? error.name : "error"
  return cause instanceof Error && cause.message !== "" ? `${name}: ${cause.message}` : `${name} (run with -v for details)`
}

const refused = (error: unknown): boolean => {
  const cause = (error as { readonly cause?: unknown }).cause
  const code = ConnectFailure.codeOf(cause)
  return code === "ECONNREFUSED" || code === undefined
}

const portOf = (target: string): string => target.slice(target.lastIndexOf(":") + 1)

const detailOf = (error: unknown): string | undefined => {
  if (error instanceof Error) return error.stack ?? error.message
  try {
    return JSON.stringify(error)
  } catch {
    return undefined
  }
}
