/**
 * Runs the CLI as this process (see `main.ts`). The process exits as soon
 * as the invocation is done: a driver's leftover timers (e.g. of a
 * connection that never opened) must not keep a finished command alive.
 *
 * @since 0.2.0
 */

import { NodeRuntime, NodeServices } from "@effect/platform-node"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Backend from "./Backend.ts"
import * as Cli from "./Cli.ts"

const program = Cli.run(process.argv.slice(2)).pipe(
  Effect.flatMap((code) => Effect.sync(() => process.exit(code))),
  Effect.provide(Layer.mergeAll(NodeServices.layer, Backend.layerLive)),
  Effect.provideService(Logger.LogToStderr, true)
)

NodeRuntime.runMain(program, { disableErrorReporting: true })
