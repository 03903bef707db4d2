/**
 * The gateway as a process (the CLI runs the same as `bananas serve`):
 *
 * ```sh
 * REDIS_URL=redis://localhost:6379 BANANAS_API_KEYS=ci:s3cr3t node src/gateway/main.ts
 * node src/gateway/main.ts --insecure --port 8080      # local use: no key required
 * ```
 *
 * Configuration is the environment (`GatewayOptions.config`:
 * `BANANAS_API_KEYS`, `BANANAS_PORT`, `BANANAS_HOST`, `BANANAS_RATE_LIMIT`,
 * `BANANAS_MAX_BODY_BYTES`, `BANANAS_MAX_WAIT`, `BANANAS_WEBHOOK_URLS`,
 * `BANANAS_WEBHOOK_SECRET`; and the Redis backend's `REDIS_URL`,
 * `BANANAS_PREFIX`, ...); flags `--api-keys <id:secret,...>`, `--insecure`,
 * `--port <n>` and `--host <address>` win over it; `--processes <n>` (or
 * `BANANAS_PROCESSES`) runs n processes sharing the port, one per core. Logs are JSON lines on stdout (batched). SIGINT or
 * SIGTERM stop it gracefully (long-polls end at once, in-flight requests
 * finish, deliveries drain) with exit code 0; a configuration that cannot
 * work (e.g. no API key without `--insecure`) exits 1 with the reason.
 *
 * @since 0.2.0
 */

import { NodeRuntime } from "@effect/platform-node"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as References from "effect/References"
import * as Gateway from "./Gateway.ts"
import * as Replicas from "./Replicas.ts"
import * as ApiKeys from "./ApiKeys.ts"
import type { Options } from "./GatewayOptions.ts"

/**
 * The flags of the command line, as option overrides.
 *
 * @category constructors
 * @since 0.2.0
 */
export const parseFlags = (argv: ReadonlyArray<string>): Partial<Options> => {
  const value = (name: string): string | undefined => {
    const i = argv.findIndex((a) => a === name || a.startsWith(`${name}=`))
    if (i < 0) return undefined
    return argv[i]!.includes("=") ? argv[i]!.slice(name.length + 1) : argv[i + 1]
  }
  const port = value("--port")
  const host = value("--host")
  const keys = value("--api-keys")
  return {
    ...(argv.includes("--insecure") ? { insecure: true } : {}),
    ...(keys === undefined ? {} : { apiKeys: ApiKeys.parseList(keys) }),
    ...(port === undefined ? {} : { port: Number(port) }),
    ...(host === undefined ? {} : { host })
  }
}

/**
 * The gateway process: serves until interrupted.
 *
 * @category constructors
 * @since 0.2.0
 */
export const program = (argv: ReadonlyArray<string>) =>
  Layer.launch(Gateway.layerConfig(parseFlags(argv))).pipe(
    Effect.tapCause((cause) => (Cause.hasInterruptsOnly(cause) ? Effect.void : Effect.logError("bananas gateway failed", Cause.squash(cause)))),
    Effect.provide(Logger.layer([jsonLines]))
  )

/**
 * JSON log lines on stdout, written in batches (one write per 20 ms instead
 * of one per request: the access log costs the gateway little).
 *
 * @category loggers
 * @since 0.2.0
 */
export const jsonLines = Logger.batched(Logger.make((options: Logger.Options<unknown>) => formatJsonLine(options)), {
  window: "20 millis",
  flush: (lines) => Effect.sync(() => void process.stdout.write(lines.join("\n") + "\n"))
})

/**
 * One log entry as `Logger.formatJson` writes it (`message`, `level`,
 * `timestamp`, `annotations`, `spans`, `fiberId`), by a plain
 * `JSON.stringify` when every value is a plain string, number or boolean
 * and there is no cause (the access log's case: a tenth of the gateway's
 * CPU went into `formatJson`'s redacting replacer); anything else (causes,
 * spans, objects that may hold redacted values) goes through
 * `Logger.formatJson`.
 *
 * @category loggers
 * @since 0.2.0
 */
export const formatJsonLine = (options: Logger.Options<unknown>): string => {
  const { cause, date, fiber, logLevel, message } = options
  const annotations = fiber.getRef(References.CurrentLogAnnotations)
  const messages: ReadonlyArray<unknown> = Array.isArray(message) ? message : [message]
  const plain = cause.reasons.length === 0 && fiber.getRef(References.CurrentLogSpans).length === 0 &&
    messages.every(isPlain) && Object.values(annotations).every(isPlain)
  if (!plain) return Logger.formatJson.log(options)
  return JSON.stringify({
    message: messages.length === 1 ? messages[0] : messages,
    level: logLevel.toUpperCase(),
    timestamp: date.toISOString(),
    annotations,
    spans: {},
    fiberId: `#${fiber.id}`
  })
}

const isPlain = (u: unknown): boolean => typeof u === "string" || typeof u === "boolean" || (typeof u === "number" && Number.isFinite(u))

/**
 * Runs the gateway: in this process, or in `processes` replicas sharing the
 * port (see `Replicas`).
 *
 * @category constructors
 * @since 0.2.0
 */
export const runProcesses = (processes: number, argv: ReadonlyArray<string>): void =>
  NodeRuntime.runMain(processes > 1 && !Replicas.isReplica() ? Replicas.supervise(processes).pipe(Effect.provide(Logger.layer([Logger.consoleJson]))) : program(argv), {
    disableErrorReporting: true,
    teardown: (exit, onExit) => onExit(Exit.isSuccess(exit) || Cause.hasInterruptsOnly(exit.cause) ? 0 : 1)
  })

if (import.meta.main) {
  const argv = process.argv.slice(2)
  const flag = argv.find((a) => a.startsWith("--processes"))
  const count = flag === undefined ? process.env.BANANAS_PROCESSES : flag.includes("=") ? flag.split("=")[1] : argv[argv.indexOf(flag) + 1]
  runProcesses(Math.max(1, Math.floor(Number(count ?? 1)) || 1), argv)
}
