/**
 * What a script of the Redis layer is: its source and SHA1 (`Script`), the
 * typed constructor of its calls (`Descriptor`), one call ready to send
 * (`Call`), and how a descriptor is made from a source and a call builder.
 * The scripts themselves are in `Scripts` (the list) and `ApplyPlans`.
 *
 * @stability unstable
 * @since 0.2.0
 */

import type * as Result from "effect/Result"
import { createHash } from "node:crypto"
import type { Arg } from "./RedisPort.ts"

/**
 * A Lua script and its SHA1.
 *
 * @category models
 * @since 0.1.0
 */
export interface Script {
  /** Its name, saying what it does (logs, errors, the first line of its source). */
  readonly name: string
  /** The Lua source. */
  readonly lua: string
  /** Its SHA1, for `EVALSHA`. */
  readonly sha: string
}

/**
 * A script with the typed constructor of its calls: `call(...params)` gives
 * a `Call` (or, for a script with bounds, the `LimitExceeded` its
 * parameters would break).
 *
 * @category models
 * @since 0.2.0
 */
export interface Descriptor<Params extends ReadonlyArray<unknown>, R> extends Script {
  /** The call for `params`. */
  readonly call: (...params: Params) => R
}

/**
 * One call of a script, ready to send: its `KEYS`, its `ARGV`, and the
 * decoder of its reply into `A` (or a description of what was wrong with
 * the reply).
 *
 * @category models
 * @since 0.2.0
 */
export interface Call<A> {
  /** The script to run. */
  readonly script: Script
  /** Every key the call touches. */
  readonly keys: ReadonlyArray<string>
  /** The arguments. */
  readonly args: ReadonlyArray<Arg>
  /** The reply, typed. */
  readonly decode: (reply: unknown) => Result.Result<A, string>
}

/**
 * A script whose calls are built by `build` (given the script, then the
 * call's parameters).
 *
 * @category constructors
 * @since 0.2.0
 */
export function descriptor<Params extends ReadonlyArray<unknown>, R>(
  name: string,
  lua: string,
  build: (script: Script, ...params: Params) => R
): Descriptor<Params, R> {
  const body = lua.trim()
  const script: Script = { name, lua: body, sha: createHash("sha1").update(body).digest("hex") }
  return { ...script, call: (...params) => build(script, ...params) }
}

/**
 * A Lua table constructor's entries for a record of strings.
 *
 * @category utils
 * @since 0.2.0
 */
export function luaTable(record: Readonly<Record<string, string>>): string {
  return Object.entries(record).map(([k, v]) => `[${JSON.stringify(k)}] = ${JSON.stringify(v)}`).join(", ")
}


/**
 * A reply, shortened for an error message.
 *
 * @category utils
 * @since 0.2.0
 */
export const describe = (reply: unknown): string => {
  const text = JSON.stringify(reply) ?? String(reply)
  return text.length > 120 ? text.slice(0, 120) + "..." : text
}
