/**
 * What the CLI reads from its user: payloads (`--data`, `--file`, stdin),
 * durations (`30s`, `5 min`), instants (RFC 3339), and the entries of a
 * batch file (NDJSON). Every parse either succeeds or says, in one line,
 * what is wrong with the input.
 *
 * @since 0.2.0
 */

import * as Effect from "effect/Effect"
import * as Duration from "effect/Duration"
import * as FileSystem from "effect/FileSystem"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Stdio from "effect/Stdio"
import * as Stream from "effect/Stream"
import { scanObject } from "../domain/JsonScanner.ts"
import * as RawJson from "../domain/RawJson.ts"
import { type CliFailure, usage } from "./Failures.ts"

/**
 * The payload when none is given (no `--data`, no `--file`, nothing piped).
 *
 * @category constants
 * @since 0.2.0
 */
export const defaultPayload = "{}" as RawJson.RawJson

/**
 * Checks JSON text given as `source` (e.g. `--data`), kept byte for byte
 * (outer whitespace trimmed); empty text is the default payload.
 *
 * @category parsing
 * @since 0.2.0
 */
export const json = (text: string, source: string): Result.Result<RawJson.RawJson, CliFailure> => {
  const trimmed = text.trim()
  if (trimmed === "") return Result.succeed(defaultPayload)
  return Result.mapError(RawJson.fromText(trimmed), (e) => usage(`${source} is not valid JSON (${e.message.replace(/^not valid JSON: /, "")})`))
}

/**
 * The payload of a submission: `--data`, else `--file` (`-` for stdin),
 * else stdin when it is not a terminal, else `{}`.
 *
 * @category parsing
 * @since 0.2.0
 */
export const payload = (
  data: Option.Option<string>,
  file: Option.Option<string>
): Effect.Effect<RawJson.RawJson, CliFailure, Stdio.Stdio | FileSystem.FileSystem> =>
  Effect.gen(function*() {
    if (Option.isSome(data)) {
      if (Option.isSome(file)) return yield* usage("pass the payload once: --data or --file, not both")
      return yield* Effect.fromResult(json(data.value, "--data"))
    }
    if (Option.isSome(file)) return yield* Effect.fromResult(json(yield* readFile(file.value), `--file ${file.value}`))
    const stdio = yield* Stdio.Stdio
    if (yield* stdio.stdinIsTerminal) return defaultPayload
    return yield* Effect.fromResult(json(yield* readStdin, "the payload on stdin"))
  })

/**
 * A file's text (`-` reads stdin).
 *
 * @category parsing
 * @since 0.2.0
 */
export const readFile = (path: string): Effect.Effect<string, CliFailure, Stdio.Stdio | FileSystem.FileSystem> =>
  path === "-"
    ? readStdin
    : Effect.flatMap(Effect.service(FileSystem.FileSystem), (fs) =>
      fs.readFileString(path).pipe(Effect.mapError((e) => usage(`cannot read ${path}: ${e.message}`))))

/**
 * All of stdin, as text.
 *
 * @category parsing
 * @since 0.2.0
 */
export const readStdin: Effect.Effect<string, CliFailure, Stdio.Stdio> = Effect.flatMap(
  Effect.service(Stdio.Stdio),
  (stdio) => stdio.stdin.pipe(Stream.decodeText, Stream.mkString, Effect.mapError((e) => usage(`cannot read stdin: ${e.message}`)))
)

/**
 * A duration: a number and a unit (`500ms`, `30s`, `1.5 min`, `2h`, `1d`,
 * `30 seconds`); a bare number is seconds.
 *
 * @category parsing
 * @since 0.2.0
 */
export const duration = (text: string, flag: string): Result.Result<Duration.Duration, CliFailure> => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text)
  const unit = m?.[2]?.toLowerCase() ?? ""
  const scale = m === null ? undefined : unitMillis[unit]
  if (m === null || scale === undefined) {
    return Result.fail(usage(`${flag}: ${JSON.stringify(text)} is not a duration (e.g. 500ms, 30s, 5m, 2h, 1d)`))
  }
  return Result.succeed(Duration.millis(Number(m[1]) * scale))
}

/**
 * An instant in RFC 3339 / ISO 8601 (`2026-12-01T10:00:00Z`, with an
 * offset or `Z`).
 *
 * @category parsing
 * @since 0.2.0
 */
export const instant = (text: string, flag: string): Result.Result<Date, CliFailure> => {
  const date = new Date(text)
  return /(?:Z|[+-]\d\d:?\d\d)$/i.test(text.trim()) && Number.isFinite(date.getTime())
    ? Result.succeed(date)
    : Result.fail(usage(`${flag}: ${JSON.stringify(text)} is not a time with a zone (e.g. 2026-12-01T10:00:00Z)`))
}

/**
 * One entry of a batch file, as written: fields in the wire's names.
 *
 * @category models
 * @since 0.2.0
 */
export interface BatchLine {
  readonly name: string
  readonly payload: RawJson.RawJson
  readonly priority?: string
  readonly description?: string
  readonly maxRetries?: number
  readonly routingKey?: string
  readonly id?: string
  readonly scheduledFor?: Date
}

/**
 * Parses one NDJSON line of a batch file: an object with `name` (required),
 * `payload` (any JSON, kept byte for byte; default `{}`), and optionally
 * `priority`, `description`, `max_retries`, `routing_key`, `id`,
 * `scheduled_for` (RFC 3339). Anything else is an error for that line.
 *
 * @category parsing
 * @since 0.2.0
 */
export const batchLine = (text: string): Result.Result<BatchLine, string> => {
  const scanned = scanObject(text)
  if ("error" in scanned) return Result.fail(`not valid JSON (${scanned.error})`)
  if ("kind" in scanned) return Result.fail(`expected a JSON object, got ${scanned.kind}`)
  const entry: Record<string, unknown> = { payload: defaultPayload }
  for (const { key, kind, raw } of scanned.members) {
    const field = batchFields[key]
    if (field === undefined) return Result.fail(`unknown field ${JSON.stringify(key)} (expected ${Object.keys(batchFields).join(", ")})`)
    if (field.kind === "json") {
      entry[field.name] = raw
      continue
    }
    if (kind !== field.kind) return Result.fail(`${key} must be a ${field.kind}, got ${kind}`)
    const value: unknown = JSON.parse(raw)
    if (field.name === "scheduledFor") {
      const at = instant(value as string, key)
      if (Result.isFailure(at)) return Result.fail(at.failure.message)
      entry.scheduledFor = at.success
    } else {
      entry[field.name] = value
    }
  }
  if (typeof entry.name !== "string") return Result.fail("name is missing")
  return Result.succeed(entry as unknown as BatchLine)
}

// Internal

const unitMillis: Record<string, number> = {
  "": 1000,
  ms: 1,
  millis: 1,
  milliseconds: 1,
  s: 1000,
  sec: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000
}

const batchFields: Record<string, { readonly name: keyof BatchLine; readonly kind: "string" | "number" | "json" }> = {
  name: { name: "name", kind: "string" },
  payload: { name: "payload", kind: "json" },
  priority: { name: "priority", kind: "string" },
  description: { name: "description", kind: "string" },
  max_retries: { name: "maxRetries", kind: "number" },
  routing_key: { name: "routingKey", kind: "string" },
  id: { name: "id", kind: "string" },
  scheduled_for: { name: "scheduledFor", kind: "string" }
}
