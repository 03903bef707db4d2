/**
 * Runs the CLI as this process (see `main.ts`). The process exits as soon
 * as the invocation is done: a driver's leftover timers (e.g. of a
 * connection that never opened) must not keep a finished command alive.
 * A signal ends a service (`Lifetime`) with exit code 0, anything else
 * with 130.
 *
 * @since 0.2.0
 */

import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Runtime from "effect/Runtime"
import * as Backend from "./Backend.ts"
import * as Cli from "./Cli.ts"
import * as Lifetime from "./Lifetime.ts"

const program = Cli.run(process.argv.slice(2)).pipe(
  Effect.flatMap((code) => Effect.sync(() => process.exit(code))),
  Effect.provide(Layer.mergeAll(NodeServices.layer, Backend.layerLive)),
  Effect.provideService(Logger.LogToStderr, true)
)

NodeRuntime.runMain(program, {
  disableErrorReporting: true,
  // A service stopped by SIGINT / SIGTERM drained and ended normally.
  teardown: (exit, onExit) =>
    Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause) && Lifetime.isService() ? onExit(0) : Runtime.defaultTeardown(exit, onExit)
})
