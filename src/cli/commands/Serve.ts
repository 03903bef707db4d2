/**
 * `bananas serve`: the HTTP gateway (the Task API over HTTP, signed
 * webhooks) on the Redis of `--redis-url` / `--prefix`, configured like
 * `npm run gateway` (`BANANAS_API_KEYS`, `BANANAS_PORT`, ... in the
 * environment), the flags winning. Stops gracefully on SIGINT / SIGTERM:
 * long-polls end, in-flight requests finish, deliveries drain.
 *
 * @since 0.2.0
 */

import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import type { Options } from "../../gateway/GatewayOptions.ts"
import { Backend, requireRedis } from "../Backend.ts"
import { fromError, usage } from "../Failures.ts"
import * as Lifetime from "../Lifetime.ts"
import * as Logging from "../Logging.ts"
import * as Output from "../Output.ts"
import { settings } from "../Root.ts"

/**
 * The `serve` command.
 *
 * @category commands
 * @since 0.2.0
 */
export const serve = Command.make("serve", {
  port: Flag.Int("port").pipe(Flag.withDescription("Port to listen on (env BANANAS_PORT; default 8080; 0 = any free one)"), Flag.optional),
  host: Flag.String("host").pipe(Flag.withDescription("Address to listen on (env BANANAS_HOST; default 0.0.0.0, 127.0.0.1 with --insecure)"), Flag.optional),
  apiKeys: Flag.String("api-keys").pipe(
    Flag.withDescription("Accepted keys, comma-separated id:secret or secret (env BANANAS_API_KEYS)"),
    Flag.withMetavar("keys"),
    Flag.optional
  ),
  insecure: Flag.Boolean("insecure").pipe(Flag.withDescription("Serve without API keys (local use only)"), Flag.withDefault(false)),
  processes: Flag.Int("processes").pipe(
    Flag.withDescription("Processes sharing the port, one per core, each a replica (env BANANAS_PROCESSES; default 1)"),
    Flag.withFallbackConfig(Config.Int("BANANAS_PROCESSES")),
    Flag.withDefault(1)
  )
}, (input) =>
  Effect.gen(function*() {
    const options = yield* settings
    yield* requireRedis(options, "serve")
    if (input.processes < 1) return yield* usage("--processes must be at least 1")
    // The gateway's modules load when it runs: the other commands start without them.
    const [ApiKeys, Gateway, GatewayOptions, Replicas] = yield* Effect.promise(() =>
      Promise.all([
        import("../../gateway/ApiKeys.ts"),
        import("../../gateway/Gateway.ts"),
        import("../../gateway/GatewayOptions.ts"),
        import("../../gateway/Replicas.ts")
      ])
    )
    if (input.processes > 1 && !Replicas.isReplica()) return yield* Effect.andThen(Lifetime.runsUntilStopped, Replicas.supervise(input.processes))
    const configured = yield* Effect.mapError(Effect.gen(function*() {
      return yield* GatewayOptions.config
    }), (e) => usage(`gateway settings: ${e.message}`))
    const gateway: Options = {
      ...configured,
      ...(input.insecure ? { insecure: true } : {}),
      ...(Option.isSome(input.apiKeys) ? { apiKeys: ApiKeys.parseList(input.apiKeys.value) } : {}),
      ...(Option.isSome(input.port) ? { port: input.port.value } : {}),
      ...(Option.isSome(input.host) ? { host: input.host.value } : {})
    }
    const backend = yield* Backend
    yield* Lifetime.runsUntilStopped
    const serving = Effect.gen(function*() {
      const url = yield* Gateway.localUrl
      yield* Output.note(`gateway on ${url} (${backend.describe(options)}); Ctrl+C stops it`)
      return yield* Effect.never
    })
    yield* Effect.scoped(
      Effect.flatMap(Layer.build(Gateway.layer(gateway).pipe(Layer.provide(backend.queue(options, { events: (gateway.webhooks?.endpoints.length ?? 0) > 0 })))), (context) =>
        Effect.provideContext(serving, context))
    ).pipe(
      Effect.mapError((e) => fromError(e, options, "redis")),
      // A gateway process logs JSON lines, as `npm run gateway` does.
      Logging.withLogger(Option.getOrElse(options.logFormat, () => "json"), options.verbose)
    )
  })).pipe(Command.withDescription("Run the HTTP gateway (Task API, webhooks) on this Redis until SIGINT/SIGTERM."))
