/**
 * Terminal output of the CLI: data on stdout, diagnostics on stderr,
 * aligned tables, relative times, and colours only when the terminal can
 * show them (never with `NO_COLOR`).
 *
 * @since 0.2.0
 */

import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Stdio from "effect/Stdio"
import * as Stream from "effect/Stream"
import * as TerminalCapabilities from "effect/cli/TerminalCapabilities"
import { styleText } from "node:util"

/**
 * The styles the CLI uses.
 *
 * @category models
 * @since 0.2.0
 */
export type Style = "bold" | "dim" | "red" | "green" | "yellow" | "cyan"

/**
 * A function that styles text, or leaves it plain when colours are off.
 *
 * @category models
 * @since 0.2.0
 */
export type Paint = (style: Style, text: string) => string

/**
 * The painter for this terminal (`TerminalCapabilities.canColor`).
 *
 * @category constructors
 * @since 0.2.0
 */
export const painter: Effect.Effect<Paint> = Effect.map(
  Effect.service(TerminalCapabilities.TerminalCapabilities),
  (caps): Paint => caps.canColor ? (style, text) => styleText(style, text, { validateStream: false }) : (_, text) => text
)

/**
 * Prints one line of data on stdout.
 *
 * @category printing
 * @since 0.2.0
 */
export const line = (text: string): Effect.Effect<void> => Console.log(text)

/**
 * Prints one diagnostic line on stderr.
 *
 * @category printing
 * @since 0.2.0
 */
export const note = (text: string): Effect.Effect<void> => Console.error(text)

/**
 * Lays rows out in aligned columns under a header (two spaces apart; the
 * last column is not padded).
 *
 * @category formatting
 * @since 0.2.0
 */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>, paint: Paint): string => {
  rows = rows.map((row) => row.map(oneLine))
  const widths = header.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ""))))
  const render = (cells: ReadonlyArray<string>) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat((widths[i] ?? 0) - width(c)))).join("  ").trimEnd()
  return [paint("bold", render(header)), ...rows.map(render)].join("\n")
}

/**
 * Text on one line: line breaks (e.g. of a schema error's path) and the
 * spaces around them become one space, so a table row or an error stays
 * one line.
 *
 * @category formatting
 * @since 0.2.0
 */
export const oneLine = (text: string): string => (text.includes("\n") ? text.split(/\s*\n\s*/).join(" ").trim() : text)

/**
 * A count and its noun, singular or plural: `1 job`, `2 jobs`.
 *
 * @category formatting
 * @since 0.2.0
 */
export const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? "" : "s"}`

/**
 * How an unknown time is shown.
 *
 * @category constants
 * @since 0.2.0
 */
export const unknownTime = "–"

/**
 * Label/value pairs, one per line, values aligned.
 *
 * @category formatting
 * @since 0.2.0
 */
export const fields = (pairs: ReadonlyArray<readonly [string, string | undefined]>, paint: Paint): string => {
  const shown = pairs.filter((p): p is readonly [string, string] => p[1] !== undefined)
  const w = Math.max(0, ...shown.map(([label]) => label.length))
  return shown.map(([label, value]) => `${paint("dim", label.padEnd(w))}  ${value}`).join("\n")
}

/**
 * A time relative to now: `just now`, `in 3 s`, `2 min ago`, `in 5 h`,
 * `3 d ago`; `–` for an unknown time (zero: a job written without it).
 *
 * @category formatting
 * @since 0.2.0
 */
export const relative = (atMillis: number, nowMillis: number): string => {
  if (!(atMillis > 0)) return unknownTime
  const delta = atMillis - nowMillis
  const abs = Math.abs(delta)
  if (abs < 1000) return "just now"
  const [n, unit] = abs < 60_000
    ? [abs / 1000, "s"]
    : abs < 3_600_000
    ? [abs / 60_000, "min"]
    : abs < 86_400_000
    ? [abs / 3_600_000, "h"]
    : [abs / 86_400_000, "d"]
  // Rounded: `--in 10m` shows "in 10 min" a moment later, not "in 9 min".
  const text = `${Math.round(n)} ${unit}`
  return delta > 0 ? `in ${text}` : `${text} ago`
}

/**
 * A duration in milliseconds, short: `12 ms`, `1.5 s`, `2 min 5 s`.
 *
 * @category formatting
 * @since 0.2.0
 */
export const duration = (millis: number): string => {
  if (millis < 1000) return `${Math.round(millis)} ms`
  if (millis < 60_000) return `${Math.round(millis / 100) / 10} s`
  const minutes = Math.floor(millis / 60_000)
  return `${minutes} min ${Math.round((millis - minutes * 60_000) / 1000)} s`
}

/**
 * Redraws a progress bar on stderr (a terminal only): `[#####-----] 500/1000`.
 *
 * @category printing
 * @since 0.2.0
 */
export const progress = (done: number, total: number): Effect.Effect<void, never, Stdio.Stdio> => {
  const filled = total === 0 ? 30 : Math.round((done / total) * 30)
  return raw(`\r[${"#".repeat(filled)}${"-".repeat(30 - filled)}] ${done}/${total}`)
}

/**
 * Ends a progress bar (moves to the next line).
 *
 * @category printing
 * @since 0.2.0
 */
export const progressDone: Effect.Effect<void, never, Stdio.Stdio> = Effect.suspend(() => raw("\n"))

/**
 * Writes text to stderr as it is (no newline added).
 *
 * @category printing
 * @since 0.2.0
 */
export const raw = (text: string): Effect.Effect<void, never, Stdio.Stdio> =>
  Effect.flatMap(Effect.service(Stdio.Stdio), (stdio) => Stream.run(Stream.make(text), stdio.stderr()).pipe(Effect.ignore))

// Internal

const width = (s: string): number => [...s].length
