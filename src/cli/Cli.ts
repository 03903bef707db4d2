/**
 * The `bananas` command line: the command tree, and `run`, which runs one
 * invocation and returns its exit code (0 ok, 1 job failed, 2 usage error,
 * 3 connection or authentication error, 4 timeout). Every failure is
 * printed as one line on stderr; nothing is thrown.
 *
 * @since 0.2.0
 */

import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Argument from "effect/cli/Argument"
import * as CliConfig from "effect/cli/CliConfig"
import * as CliError from "effect/cli/CliError"
import * as CliOutput from "effect/cli/CliOutput"
import * as Command from "effect/cli/Command"
import * as Completions from "effect/cli/Completions"
import * as Flag from "effect/cli/Flag"
import * as GlobalFlag from "effect/cli/GlobalFlag"
import * as TerminalCapabilities from "effect/cli/TerminalCapabilities"
import type { Backend } from "./Backend.ts"
import * as Dlq from "./commands/Dlq.ts"
import * as Jobs from "./commands/Jobs.ts"
import * as Processes from "./commands/Processes.ts"
import * as Queue from "./commands/Queue.ts"
import * as Schedule from "./commands/Schedule.ts"
import * as Serve from "./commands/Serve.ts"
import * as Submit from "./commands/Submit.ts"
import { CliFailure, ExitCode } from "./Failures.ts"
import * as Output from "./Output.ts"
import { root } from "./Root.ts"
import * as Version from "./Version.ts"

/**
 * The package version (`--version`).
 *
 * @category constants
 * @since 0.2.0
 */
export const version: string = Version.version

const completions = Command.make("completions", {
  shell: Argument.Literals("shell", ["bash", "zsh", "fish"]).pipe(Argument.withDescription("The shell"))
}, ({ shell }): Effect.Effect<void> => Console.log(Completions.generate("bananas", shell, Completions.fromCommand(cli as Command.Command.Any)))).pipe(
  Command.withDescription("Print a shell completion script, e.g. bananas completions bash >> ~/.bashrc")
)

/**
 * The whole command tree.
 *
 * @category commands
 * @since 0.2.0
 */
export const cli = root.pipe(Command.withSubcommands([
  { group: "Jobs", commands: [Submit.submit, Jobs.get, Jobs.result, Jobs.wait, Jobs.call, Jobs.cancel] },
  { group: "Queue", commands: [Queue.list, Queue.stats, Queue.queue, Dlq.dlq, Schedule.schedule] },
  { group: "Processes", commands: [Processes.worker, Processes.scheduler, Processes.reaper, Serve.serve] },
  completions
]))

/**
 * Runs one invocation (`argv` without `node` and the script) and returns
 * its exit code; usage errors print one line and a pointer to `--help`.
 *
 * @category running
 * @since 0.2.0
 */
export const run = (argv: ReadonlyArray<string>): Effect.Effect<number, never, Backend | Command.Environment> =>
  Command.runWith(cli, { version })(argv).pipe(
    Effect.as<number>(ExitCode.ok),
    Effect.catchCause((cause) => {
      if (Cause.hasInterruptsOnly(cause)) return Effect.succeed(130)
      const error = Cause.squash(cause)
      if (CliError.isCliError(error) && error._tag === "ShowHelp") {
        return Effect.succeed(error.errors.length > 0 ? ExitCode.usage : ExitCode.ok)
      }
      const failure = error instanceof CliFailure
        ? error
        : new CliFailure({ message: `unexpected error: ${Cause.pretty(cause)}`, exitCode: ExitCode.failed })
      return Effect.as(Console.error(`error: ${Output.oneLine(failure.message)}`), failure.exitCode)
    }),
    Effect.provide(Layer.mergeAll(CliConfig.layer({ builtIns }), CliOutput.layerPresenter(presenter)))
  )

// Internal

/** `--version` without the `-v` alias (that is `--verbose`). */
const versionFlag = GlobalFlag.Action({
  flag: Flag.Boolean("version").pipe(Flag.withDescription("Show the version"), Flag.withDefault(false)),
  run: (_, context) => Console.log(Version.line(context.command.name, context.version))
})

const builtIns = CliConfig.defaults.builtIns
  .filter((flag) => flag !== GlobalFlag.Wizard)
  .map((flag) => (flag === GlobalFlag.Version ? versionFlag : flag))

/** Help on stdout; a usage error as its message and a pointer to `--help`, on stderr. */
const presenter: CliOutput.Presenter = {
  present: (event) =>
    Effect.gen(function*() {
      const { canColor } = yield* TerminalCapabilities.TerminalCapabilities
      const format = CliOutput.defaultFormatter({ colors: canColor })
      switch (event._tag) {
        case "InvalidInvocation":
          yield* Console.error(`error: ${event.errors.map((e) => e.message).join("; ")}`)
          return yield* Console.error(`Run '${event.commandPath.join(" ")} --help' for usage.`)
        case "Help":
          return yield* Console.log(format.formatHelpDoc(event.helpDoc))
        case "Version":
          return yield* Console.log(Version.line(event.name, event.version))
      }
    })
}
