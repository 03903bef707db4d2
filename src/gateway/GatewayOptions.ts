/**
 * The gateway's options, their defaults, and how they are read from the
 * environment (`BANANAS_API_KEYS`, `BANANAS_PORT`, ...).
 *
 * @since 0.2.0
 */

import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as DurationInput from "../domain/DurationInput.ts"
import * as ApiKeys from "./ApiKeys.ts"
import type * as Webhooks from "./Webhooks.ts"

/**
 * Options of a gateway.
 *
 * @category models
 * @since 0.2.0
 */
export interface Options {
  /** The accepted API keys (`id:secret`, `id/read:secret` for a read-only key, a bare secret, or parsed keys). Required unless `insecure`. */
  readonly apiKeys?: ReadonlyArray<string | ApiKeys.ApiKey> | undefined
  /** Serve without API keys (local use only): every request is accepted as key `anonymous`; the default `host` is then `127.0.0.1`. */
  readonly insecure?: boolean | undefined
  /** Port to listen on (default 8080; 0 picks a free one). */
  readonly port?: number | undefined
  /** Address to listen on (default `0.0.0.0`; `127.0.0.1` when `insecure`). */
  readonly host?: string | undefined
  /** Largest request body accepted, in bytes (default 1 MiB): larger ones get 413. */
  readonly maxBodyBytes?: number | undefined
  /**
   * Most JSON tokens (keys and values) a request body may hold (default
   * 100,000), counted in one cheap pass before the body is parsed: more
   * get 400 `ValidationError`.
   */
  readonly maxBodyTokens?: number | undefined
  /** Most keys one object of a request body may have (default 1,000), counted in the same pass: more get 400. */
  readonly maxObjectKeys?: number | undefined
  /**
   * Failed authentications allowed per client address per minute (default
   * 60); beyond them the address gets 429 until the minute is over. `false`
   * disables the limit.
   */
  readonly authFailureLimit?: number | false | undefined
  /**
   * A key that may read `GET /metrics` and nothing else (for a scraper),
   * besides the API keys. Without it, `/metrics` needs an API key (unless
   * `insecure` without keys).
   */
  readonly metricsKey?: string | Redacted.Redacted<string> | undefined
  /**
   * Who may read the interactive docs (`GET /docs`, `GET /openapi.json`):
   * `"public"` (default), `"authenticated"` (an API key), or `"off"`.
   */
  readonly docs?: "public" | "authenticated" | "off" | undefined
  /** Whether to serve the dashboard at `GET /ui/` (default true; the page holds no data, every call it makes needs a key). */
  readonly dashboard?: boolean | undefined
  /**
   * A link to a job's trace for the dashboard: a URL with `{traceId}` in
   * it, replaced by the trace id of the job's `trace_context` (e.g.
   * `https://grafana.example/explore?traceId={traceId}`); none: the trace id
   * is shown as text.
   */
  readonly traceLink?: string | undefined
  /** Requests per key per window, shared by every replica on the same Redis (default 1000 per second); `false` disables it. */
  readonly rateLimit?: { readonly limit: number; readonly window: Duration.Input } | false | undefined
  /** The longest a long-poll (`?wait=`, `/call`) waits (default 60 seconds). */
  readonly maxWait?: Duration.Input | undefined
  /** How long `/call` waits without `?wait=` (default 30 seconds). */
  readonly callWait?: Duration.Input | undefined
  /** Deadline of a request's work beyond its wait (default 30 seconds): then 504. */
  readonly requestTimeout?: Duration.Input | undefined
  /** How long in-flight requests get to finish at shutdown (default 10 seconds). */
  readonly shutdownTimeout?: Duration.Input | undefined
  /** Log one structured line per request (default true). Never keys, never bodies. */
  readonly accessLog?: boolean | undefined
  /** Webhook endpoints and delivery settings; none: no delivery worker. */
  readonly webhooks?: Webhooks.Options | undefined
}

/**
 * The options resolved.
 *
 * @category models
 * @since 0.2.0
 */
export interface Resolved {
  readonly keys: ReadonlyArray<ApiKeys.ApiKey>
  readonly insecure: boolean
  readonly port: number
  readonly host: string
  readonly maxBodyBytes: number
  readonly maxBodyTokens: number
  readonly maxObjectKeys: number
  readonly authFailureLimit: number | undefined
  readonly metricsKey: Redacted.Redacted<string> | undefined
  readonly docs: "public" | "authenticated" | "off"
  readonly dashboard: boolean
  readonly traceLink: string | undefined
  readonly rateLimit: { readonly limit: number; readonly window: Duration.Duration } | undefined
  readonly maxWait: Duration.Duration
  readonly callWait: Duration.Duration
  readonly requestTimeout: Duration.Duration
  readonly shutdownTimeout: Duration.Duration
  readonly accessLog: boolean
  readonly webhooks: Webhooks.Options | undefined
}

/**
 * Fills in the defaults. Why the options cannot run, if they cannot (no
 * key and not `insecure`, a bad number or duration), as a message.
 *
 * @category constructors
 * @since 0.2.0
 */
export const resolve = (options: Options): { readonly resolved: Resolved } | { readonly invalid: string } => {
  const keys = (options.apiKeys ?? []).flatMap((k) => {
    const key = typeof k === "string" ? ApiKeys.parse(k) : k
    return key === undefined ? [] : [key]
  })
  if (keys.length === 0 && options.insecure !== true) {
    return { invalid: "no API key configured: set BANANAS_API_KEYS (comma-separated), or pass --insecure for local use only" }
  }
  for (const endpoint of options.webhooks?.endpoints ?? []) {
    const secret = typeof endpoint.secret === "string" ? endpoint.secret : Redacted.value(endpoint.secret)
    if (!/^https?:\/\/\S+$/.test(endpoint.url)) return { invalid: `webhook URL must start with http:// or https://, got ${JSON.stringify(endpoint.url)}` }
    if (secret === "") return { invalid: `webhook endpoint ${endpoint.url} has no secret: set BANANAS_WEBHOOK_SECRET` }
  }
  const ids = new Set(keys.map((k) => k.id))
  if (ids.size !== keys.length) return { invalid: "two API keys share an id" }
  const port = options.port ?? 8080
  if (!Number.isInteger(port) || port < 0 || port > 65535) return { invalid: `port must be 0 to 65535, got ${String(port)}` }
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1) return { invalid: `maxBodyBytes must be a positive integer, got ${String(maxBodyBytes)}` }
  const maxBodyTokens = options.maxBodyTokens ?? 100_000
  if (!Number.isSafeInteger(maxBodyTokens) || maxBodyTokens < 1) return { invalid: `maxBodyTokens must be a positive integer, got ${String(maxBodyTokens)}` }
  const maxObjectKeys = options.maxObjectKeys ?? 1000
  if (!Number.isSafeInteger(maxObjectKeys) || maxObjectKeys < 1) return { invalid: `maxObjectKeys must be a positive integer, got ${String(maxObjectKeys)}` }
  const authFailureLimit = options.authFailureLimit === false ? undefined : options.authFailureLimit ?? 60
  if (authFailureLimit !== undefined && (!Number.isSafeInteger(authFailureLimit) || authFailureLimit < 1)) {
    return { invalid: `authFailureLimit must be a positive integer or false, got ${String(authFailureLimit)}` }
  }
  const metricsKey = typeof options.metricsKey === "string" ? Redacted.make(options.metricsKey) : options.metricsKey
  if (metricsKey !== undefined && Redacted.value(metricsKey) === "") return { invalid: "metricsKey must not be empty" }
  const docs = options.docs ?? "public"
  if (docs !== "public" && docs !== "authenticated" && docs !== "off") return { invalid: `docs must be public, authenticated or off, got ${JSON.stringify(docs)}` }
  const traceLink = options.traceLink === undefined || options.traceLink === "" ? undefined : options.traceLink
  if (traceLink !== undefined && !(/^https?:\/\//.test(traceLink) && traceLink.includes("{traceId}"))) {
    return { invalid: `traceLink must be an http(s) URL with {traceId} in it, got ${JSON.stringify(traceLink)}` }
  }
  const durations = Result.all({
    rateLimitWindow: DurationInput.decode("rateLimit.window", options.rateLimit === false ? undefined : options.rateLimit?.window, "positive", "1 second"),
    maxWait: DurationInput.decode("maxWait", options.maxWait, "positive", "60 seconds"),
    callWait: DurationInput.decode("callWait", options.callWait, "positive", "30 seconds"),
    requestTimeout: DurationInput.decode("requestTimeout", options.requestTimeout, "positive", "30 seconds"),
    shutdownTimeout: DurationInput.decode("shutdownTimeout", options.shutdownTimeout, "nonNegative", "10 seconds"),
    webhookTimeout: DurationInput.decode("webhooks.timeout", options.webhooks?.timeout, "positive", "10 seconds"),
    webhookLease: DurationInput.decode("webhooks.leaseDuration", options.webhooks?.leaseDuration, "positive", "30 seconds")
  })
  if (Result.isFailure(durations)) return { invalid: durations.failure.message }
  const { callWait, maxWait, rateLimitWindow, requestTimeout, shutdownTimeout } = durations.success
  const rateLimit = options.rateLimit === false ? undefined : { limit: options.rateLimit?.limit ?? 1000, window: rateLimitWindow }
  if (rateLimit !== undefined && !(Number.isSafeInteger(rateLimit.limit) && rateLimit.limit >= 1)) {
    return { invalid: `rateLimit.limit must be a positive integer, got ${String(rateLimit.limit)}` }
  }
  return {
    resolved: {
      keys,
      insecure: options.insecure === true,
      port,
      host: options.host ?? (options.insecure === true ? "127.0.0.1" : "0.0.0.0"),
      maxBodyBytes,
      maxBodyTokens,
      maxObjectKeys,
      authFailureLimit,
      metricsKey,
      docs,
      dashboard: options.dashboard ?? true,
      traceLink,
      rateLimit,
      maxWait,
      callWait,
      requestTimeout,
      shutdownTimeout,
      accessLog: options.accessLog ?? true,
      webhooks: options.webhooks
    }
  }
}

/**
 * The options read from the environment:
 *
 * - `BANANAS_API_KEYS`: comma-separated keys (`id:secret` or a secret);
 * - `BANANAS_INSECURE`: `true` to serve without keys (local use);
 * - `BANANAS_PORT` (default 8080), `BANANAS_HOST` (default `0.0.0.0`,
 *   `127.0.0.1` when insecure);
 * - `BANANAS_MAX_BODY_BYTES` (default 1048576), `BANANAS_MAX_BODY_TOKENS`
 *   (default 100000), `BANANAS_MAX_OBJECT_KEYS` (default 1000);
 * - `BANANAS_AUTH_FAILURE_LIMIT` (failed authentications per address per
 *   minute, default 60; 0 disables);
 * - `BANANAS_METRICS_KEY` (a key for `GET /metrics` only);
 * - `BANANAS_DOCS` (`public`, `authenticated` or `off`; default `public`);
 * - `BANANAS_DASHBOARD` (`true` or `false`; default `true`);
 * - `BANANAS_TRACE_LINK` (the dashboard's link to a trace, with `{traceId}`);
 * - `BANANAS_RATE_LIMIT` (requests per second per key, default 1000; 0 disables);
 * - `BANANAS_MAX_WAIT` (default `60 seconds`);
 * - `BANANAS_WEBHOOK_URLS` (comma-separated) and `BANANAS_WEBHOOK_SECRET`:
 *   deliver job events to these URLs, signed with this secret; tuned by
 *   `BANANAS_WEBHOOK_MAX_ATTEMPTS`, `BANANAS_WEBHOOK_CONCURRENCY`,
 *   `BANANAS_WEBHOOK_LEASE`, `BANANAS_WEBHOOK_TIMEOUT` and
 *   `BANANAS_WEBHOOK_LOG_SIZE` (see `Webhooks.Options`).
 *
 * @category config
 * @since 0.2.0
 */
export const config: Config.Config<Options> = Config.all({
  apiKeys: Config.String("BANANAS_API_KEYS").pipe(Config.withDefault(""), Config.map(ApiKeys.parseList)),
  insecure: Config.Boolean("BANANAS_INSECURE").pipe(Config.withDefault(false)),
  port: Config.Int("BANANAS_PORT").pipe(Config.withDefault(8080)),
  host: Config.String("BANANAS_HOST").pipe(Config.option, Config.map(Option.getOrUndefined)),
  maxBodyBytes: Config.Int("BANANAS_MAX_BODY_BYTES").pipe(Config.withDefault(1024 * 1024)),
  maxBodyTokens: Config.Int("BANANAS_MAX_BODY_TOKENS").pipe(Config.option, Config.map(Option.getOrUndefined)),
  maxObjectKeys: Config.Int("BANANAS_MAX_OBJECT_KEYS").pipe(Config.option, Config.map(Option.getOrUndefined)),
  authFailureLimit: Config.Int("BANANAS_AUTH_FAILURE_LIMIT").pipe(
    Config.option,
    Config.map(Option.match({ onNone: () => undefined, onSome: (n) => (n <= 0 ? (false as const) : n) }))
  ),
  metricsKey: Config.Redacted("BANANAS_METRICS_KEY").pipe(Config.option, Config.map(Option.getOrUndefined)),
  docs: Config.Literals(["public", "authenticated", "off"], "BANANAS_DOCS").pipe(Config.option, Config.map(Option.getOrUndefined)),
  dashboard: Config.Boolean("BANANAS_DASHBOARD").pipe(Config.withDefault(true)),
  traceLink: Config.String("BANANAS_TRACE_LINK").pipe(Config.option, Config.map(Option.getOrUndefined)),
  rateLimit: Config.Int("BANANAS_RATE_LIMIT").pipe(
    Config.withDefault(1000),
    Config.map((n) => (n <= 0 ? (false as const) : { limit: n, window: "1 second" as Duration.Input }))
  ),
  maxWait: Config.Duration("BANANAS_MAX_WAIT").pipe(Config.withDefault(Duration.seconds(60))),
  webhooks: Config.all({
    urls: Config.String("BANANAS_WEBHOOK_URLS").pipe(Config.withDefault("")),
    secret: Config.Redacted("BANANAS_WEBHOOK_SECRET").pipe(Config.option),
    maxAttempts: Config.Int("BANANAS_WEBHOOK_MAX_ATTEMPTS").pipe(Config.option),
    concurrency: Config.Int("BANANAS_WEBHOOK_CONCURRENCY").pipe(Config.option),
    leaseDuration: Config.Duration("BANANAS_WEBHOOK_LEASE").pipe(Config.option),
    timeout: Config.Duration("BANANAS_WEBHOOK_TIMEOUT").pipe(Config.option),
    logSize: Config.Int("BANANAS_WEBHOOK_LOG_SIZE").pipe(Config.option)
  }).pipe(Config.map((w): Webhooks.Options | undefined => {
    const urls = w.urls.split(",").map((u) => u.trim()).filter((u) => u !== "")
    if (urls.length === 0) return undefined
    const secret = Option.getOrElse(w.secret, () => Redacted.make(""))
    return {
      endpoints: urls.map((url) => ({ url, secret })),
      maxAttempts: Option.getOrUndefined(w.maxAttempts),
      concurrency: Option.getOrUndefined(w.concurrency),
      leaseDuration: Option.getOrUndefined(w.leaseDuration),
      timeout: Option.getOrUndefined(w.timeout),
      logSize: Option.getOrUndefined(w.logSize)
    }
  }))
})
