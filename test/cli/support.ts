/**
 * Support for the CLI tests: runs one `bananas` invocation in-process
 * (`Cli.run`, a test console capturing stdout and stderr, a given stdin,
 * no terminal, a given environment) and returns its exit code and output.
 */
import { NodeServices } from "@effect/platform-node"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stdio from "effect/Stdio"
import * as Stream from "effect/Stream"
import { TerminalCapabilities } from "effect/cli"
import { TestConsole } from "effect/testing"
import type { Backend } from "../../src/cli/Backend.ts"
import * as Cli from "../../src/cli/Cli.ts"

/** What one invocation did. */
export interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
  /** stdout split into lines (no trailing empty line). */
  readonly lines: ReadonlyArray<string>
}

/** How to run it. */
export interface RunOptions {
  /** Bytes on stdin (piped, not a terminal); nothing by default. */
  readonly stdin?: string | undefined
  /** The environment the flags fall back to (default: empty, so the machine's REDIS_URL never leaks in). */
  readonly env?: Record<string, string> | undefined
  /** Pretend the terminal shows colours (default: no colours, no animation, no prompts). */
  readonly colors?: boolean | undefined
}

/** Runs `bananas ...argv` in-process on the Backend in context. */
export const runCli = (argv: ReadonlyArray<string>, options: RunOptions = {}): Effect.Effect<Run, never, Backend> =>
  Effect.gen(function*() {
    const code = yield* Cli.run(argv)
    const stdout = (yield* TestConsole.logLines).map(String).join("\n")
    const stderr = (yield* TestConsole.errorLines).map(String).join("\n")
    return { code, stdout, stderr, lines: stdout === "" ? [] : stdout.split("\n") }
  }).pipe(
    // Fresh per invocation: layers are memoized, and each run captures its own output.
    Effect.provide(Layer.fresh(Layer.mergeAll(
      TestConsole.layer,
      Stdio.layerTest({
        stdin: options.stdin === undefined ? Stream.empty : Stream.make(new TextEncoder().encode(options.stdin)),
        stdinIsTerminal: Effect.succeed(false),
        stdoutIsTerminal: Effect.succeed(false),
        stderrIsTerminal: Effect.succeed(false)
      })
    ))),
    Effect.provide(NodeServices.layer),
    Effect.provideService(TerminalCapabilities.TerminalCapabilities, { canColor: options.colors === true, canAnimate: false, canPrompt: false }),
    Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env: options.env ?? {} }))
  )

/** The id in a `submit --json` line. */
export const idOf = (run: Run): string => {
  const parsed = JSON.parse(run.lines[0] ?? "{}") as { readonly id?: unknown }
  if (typeof parsed.id !== "string") throw new Error(`no id in ${JSON.stringify(run)}`)
  return parsed.id
}
