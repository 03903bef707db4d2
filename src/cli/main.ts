#!/usr/bin/env node
/**
 * The `bananas` executable: runs the CLI on the real process (Node's
 * stdio, file system and terminal; Redis or the HTTP gateway from the
 * flags), logs on stderr, and exits with the invocation's exit code.
 * SIGINT / SIGTERM interrupt it: long-running commands stop gracefully,
 * and the exit code is 130.
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
  Effect.flatMap((code) => Effect.sync(() => (process.exitCode = code))),
  Effect.provide(Layer.mergeAll(NodeServices.layer, Backend.layerLive)),
  Effect.provideService(Logger.LogToStderr, true)
)

NodeRuntime.runMain(program, { disableErrorReporting: true })
