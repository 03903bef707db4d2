/**
 * The flags every `bananas` command shares (accepted before or after the
 * subcommand), with their environment fallbacks: where the queue is
 * (Redis, or the HTTP gateway), the key prefix, and how to print.
 *
 * @since 0.2.0
 */

import * as Config from "effect/Config"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Flag from "effect/cli/Flag"
import * as Keys from "../protocol/Keys.ts"
import * as Logging from "./Logging.ts"

/**
 * The Redis URL used when neither `--redis-url` nor `REDIS_URL` is given.
 *
 * @category constants
 * @since 0.2.0
 */
export const defaultRedisUrl = "redis://127.0.0.1:6379"

/**
 * The shared flags, as declared on the root command.
 *
 * @category flags
 * @since 0.2.0
 */
export const flags = {
  redisUrl: Flag.String("redis-url").pipe(
    Flag.withDescription(`Redis URL (env REDIS_URL; default ${defaultRedisUrl})`),
    Flag.withMetavar("url"),
    Flag.withFallbackConfig(Config.String("REDIS_URL")),
    Flag.withDefault(defaultRedisUrl)
  ),
  apiUrl: Flag.String("api-url").pipe(
    Flag.withDescription("HTTP gateway URL: client commands go over HTTP (env BANANAS_API_URL)"),
    Flag.withMetavar("url"),
    Flag.withFallbackConfig(Config.String("BANANAS_API_URL")),
    Flag.optional
  ),
  apiKey: Flag.Redacted("api-key").pipe(
    Flag.withDescription("API key for the gateway (env BANANAS_API_KEY)"),
    Flag.withMetavar("key"),
    Flag.withFallbackConfig(Config.Redacted("BANANAS_API_KEY")),
    Flag.optional
  ),
  prefix: Flag.String("prefix").pipe(
    Flag.withDescription(`Redis key prefix (env BANANAS_PREFIX; default ${Keys.defaultPrefix})`),
    Flag.withFallbackConfig(Config.String("BANANAS_PREFIX")),
    Flag.withDefault(Keys.defaultPrefix)
  ),
  json: Flag.Boolean("json").pipe(Flag.withDescription("Machine-readable JSON output"), Flag.withDefault(false)),
  logFormat: Flag.Literals("log-format", Logging.formats).pipe(
    Flag.withDescription("Log lines on stderr as text or json, one per entry (env BANANAS_LOG_FORMAT; default json for serve, else text)"),
    Flag.withFallbackConfig(Config.Literals(Logging.formats, "BANANAS_LOG_FORMAT")),
    Flag.optional
  ),
  verbose: Flag.Boolean("verbose").pipe(
    Flag.withAlias("v"),
    Flag.withDescription("Log progress and show error details on stderr"),
    Flag.withDefault(false)
  )
}

/**
 * The parsed shared flags.
 *
 * @category models
 * @since 0.2.0
 */
export interface Settings {
  /** Where Redis is. */
  readonly redisUrl: string
  /** The gateway, when client commands go over HTTP. */
  readonly apiUrl: Option.Option<string>
  /** The gateway's API key. */
  readonly apiKey: Option.Option<Redacted.Redacted<string>>
  /** The Redis key prefix. */
  readonly prefix: string
  /** Print JSON instead of text. */
  readonly json: boolean
  /** The log format, when chosen (else the command's default: `Logging`). */
  readonly logFormat: Option.Option<Logging.Format>
  /** Log progress and error details. */
  readonly verbose: boolean
}

/**
 * The default settings (what no flag and no environment gives).
 *
 * @category constructors
 * @since 0.2.0
 */
export const defaults: Settings = {
  redisUrl: defaultRedisUrl,
  apiUrl: Option.none(),
  apiKey: Option.none(),
  prefix: Keys.defaultPrefix,
  json: false,
  logFormat: Option.none(),
  verbose: false
}

/**
 * `host:port` of a Redis URL, for messages (never the password).
 *
 * @category formatting
 * @since 0.2.0
 */
export const redisTarget = (url: string): string => {
  try {
    const u = new URL(url)
    return `${u.hostname || "127.0.0.1"}:${u.port || "6379"}`
  } catch {
    return url
  }
}
