/**
 * The root `bananas` command with the shared flags, and what every
 * subcommand uses to read them and to print its answer.
 *
 * @since 0.2.0
 */

import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Command from "effect/cli/Command"
import * as Output from "./Output.ts"
import * as Settings from "./Settings.ts"

/**
 * The root command: shared flags only (the subcommands are added in `Cli`).
 *
 * @category commands
 * @since 0.2.0
 */
export const root = Command.make("bananas").pipe(
  Command.withSharedFlags(Settings.flags),
  Command.withDescription("Operate a Bananas job queue from the terminal, on Redis or through the HTTP gateway.")
)

/**
 * The parsed shared flags of the current invocation.
 *
 * @category accessors
 * @since 0.2.0
 */
export const settings: Effect.Effect<Settings.Settings, never, Command.CommandContext<"bananas">> = root

/**
 * Prints an answer: its JSON line with `--json`, else its text for people
 * (given the current time and the painter).
 *
 * @category printing
 * @since 0.2.0
 */
export const emit = (
  options: Settings.Settings,
  json: () => string,
  text: (now: number, paint: Output.Paint) => string
): Effect.Effect<void> =>
  options.json
    ? Output.line(json())
    : Effect.flatMap(Effect.all([Clock.currentTimeMillis, Output.painter]), ([now, paint]) => Output.line(text(now, paint)))
