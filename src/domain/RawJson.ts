/**
 * Raw JSON text, carried byte for byte.
 *
 * Payloads and results travel as the exact JSON text that was written, so a
 * 20-digit integer, key order or escapes written by Go or Python are never
 * altered by a `JSON.parse` → `JSON.stringify` round trip. Values are decoded
 * only when a caller asks for a typed value.
 *
 * @since 0.1.0
 */

import type * as Brand from "effect/Brand"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { SerializationError } from "./Errors.ts"

/**
 * JSON text (any JSON value), kept exactly as written.
 *
 * @category models
 * @since 0.1.0
 */
export type RawJson = string & Brand.Brand<"RawJson">

/**
 * The schema of raw JSON text: a string holding one valid JSON value, kept
 * as it is. Its JSON form is that text in a JSON string, so it crosses any
 * JSON transport without being re-parsed.
 *
 * @category schemas
 * @since 0.2.0
 */
export const RawJson: Schema.brand<Schema.String, "RawJson"> = Schema.String.pipe(
  Schema.check(Schema.makeFilter((text: string) => isValid(text) || "not valid JSON text", { expected: "JSON text" })),
  Schema.brand("RawJson")
)

/**
 * True when `text` is one valid JSON value.
 *
 * @category guards
 * @since 0.2.0
 */
export const isValid = (text: string): boolean => {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

/**
 * The JSON `null`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const nullJson = "null" as RawJson

/**
 * Marshals a JavaScript value the way Go's `encoding/json` marshals the same
 * data: object keys sorted, no whitespace, `<`, `>`, `&`, U+2028 and U+2029
 * escaped. Fails with a `SerializationError` for values JSON cannot carry
 * (BigInt, functions, symbols, `undefined` at the top, non-finite numbers,
 * Map/Set, cycles) instead of silently dropping or changing them; `what`
 * names the value in the message (`payload`, or a handler's `result`).
 *
 * @category constructors
 * @since 0.1.0
 */
export const fromValue = (value: unknown, what: "payload" | "result" = "payload"): Result.Result<RawJson, SerializationError> => {
  try {
    return Result.succeed(marshal(value, "$", new Set()) as RawJson)
  } catch (e) {
    if (e instanceof NotSerializable) {
      return Result.fail(new SerializationError({ message: `${what} is not JSON-serializable: ${e.message}` }))
    }
    const why = e instanceof RangeError ? ": nested too deeply to marshal" : ""
    return Result.fail(new SerializationError({ message: `${what} is not JSON-serializable${why}`, cause: e }))
  }
}

/**
 * Accepts JSON text the caller already has (for example bytes read from
 * another system), after checking that it is valid JSON. The text is kept
 * as it is.
 *
 * @category constructors
 * @since 0.1.0
 */
export const fromText = (text: string): Result.Result<RawJson, SerializationError> => {
  try {
    JSON.parse(text)
    return Result.succeed(text as RawJson)
  } catch (cause) {
    return Result.fail(new SerializationError({ message: `not valid JSON: ${String((cause as Error).message)}`, cause }))
  }
}

/**
 * Parses the text into a JavaScript value (lossy for integers beyond 2^53;
 * use a Schema on the text when that matters).
 *
 * @category conversions
 * @since 0.1.0
 */
export const parse = (raw: RawJson): Result.Result<unknown, SerializationError> => {
  try {
    return Result.succeed(JSON.parse(raw))
  } catch (cause) {
    return Result.fail(new SerializationError({ message: "stored JSON is not valid", cause }))
  }
}

/**
 * Quotes a string as Go's `encoding/json` does (HTML characters and
 * U+2028/U+2029 escaped, `\b` and `\f` as `\u0008`/`\u000c`).
 *
 * @category formatting
 * @since 0.1.0
 */
export const quote = (s: string): string => {
  const json = JSON.stringify(s)
  // Most strings need nothing more than JSON.stringify: skip the rewrite then.
  return GO_SPECIAL.test(json) ? json.replace(GO_ESCAPES, goEscape) : json
}

// Internal

class NotSerializable extends Error {}

const GO_ESCAPES = /\\.|[<>&\u2028\u2029]/g
/** What Go writes differently from JSON.stringify: HTML characters, U+2028/9, and \b / \f. */
const GO_SPECIAL = /[<>&\u2028\u2029]|\\[bf]/
const goEscape = (m: string): string => {
  switch (m) {
    case "\\b": return "\\u0008"
    case "\\f": return "\\u000c"
    case "<": return "\\u003c"
    case ">": return "\\u003e"
    case "&": return "\\u0026"
    case "\u2028": return "\\u2028"
    case "\u2029": return "\\u2029"
    default: return m
  }
}

// Go sorts map keys by their UTF-8 bytes, which is code point order; the
// default sort compares UTF-16 units and puts U+10000.. before U+E000..U+FFFF.
const byCodePoint = (a: string, b: string): number => {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!, y = b.codePointAt(i)!
    if (x !== y) return x - y
    if (x > 0xffff) i++
  }
  return a.length - b.length
}

/** Only with a unit from U+D800 up can UTF-16 order differ from code point order (the default sort is exact otherwise). */
const HIGH_UNIT = /[\uD800-\uFFFF]/
const hasHighUnit = (key: string): boolean => HIGH_UNIT.test(key)

const marshal = (value: unknown, path: string, seen: Set<object>): string => {
  switch (typeof value) {
    case "string": return quote(value)
    case "boolean": return value ? "true" : "false"
    case "number":
      if (!Number.isFinite(value)) throw new NotSerializable(`${path} is ${value}`)
      return JSON.stringify(value)
    case "bigint": throw new NotSerializable(`${path} is a BigInt (encode it as a string)`)
    case "function": throw new NotSerializable(`${path} is a function`)
    case "symbol": throw new NotSerializable(`${path} is a symbol`)
    case "undefined": throw new NotSerializable(`${path} is undefined`)
  }
  if (value === null) return "null"
  const obj = value as object
  if (typeof (obj as { toJSON?: unknown }).toJSON === "function") {
    return marshal((obj as { toJSON: () => unknown }).toJSON(), path, seen)
  }
  if (obj instanceof Map || obj instanceof Set) throw new NotSerializable(`${path} is a ${obj.constructor.name}`)
  if (seen.has(obj)) throw new NotSerializable(`${path} is a circular reference`)
  seen.add(obj)
  let out: string
  if (Array.isArray(obj)) {
    out = "[" + obj.map((v, i) => (v === undefined ? "null" : marshal(v, `${path}[${i}]`, seen))).join(",") + "]"
  } else {
    const parts: Array<string> = []
    const keys = Object.keys(obj)
    for (const key of keys.length < 2 ? keys : keys.sort(keys.some(hasHighUnit) ? byCodePoint : undefined)) {
      const v = (obj as Record<string, unknown>)[key]
      if (v === undefined) continue // as JSON.stringify: an absent property
      parts.push(quote(key) + ":" + marshal(v, `${path}.${key}`, seen))
    }
    out = "{" + parts.join(",") + "}"
  }
  seen.delete(obj)
  return out
}

/**
 * A payload given as JSON text, submitted byte for byte (no re-encoding):
 * for interop with producers whose JSON must not change (big integers, key
 * order). Build it with `raw`, which checks the text is valid JSON.
 *
 * @category models
 * @since 0.1.0
 */
export class Raw {
  /** The JSON text, submitted as it is. */
  readonly json: RawJson
  constructor(json: RawJson) {
    this.json = json
  }
}

/**
 * Wraps JSON text as a `Raw` payload, after checking it is valid JSON.
 *
 * @category constructors
 * @since 0.1.0
 */
export const raw = (text: string): Result.Result<Raw, SerializationError> => Result.map(fromText(text), (json) => new Raw(json))
