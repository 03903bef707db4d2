/**
 * The arguments of the `applyPlans` interpreter script (`Scripts.applyPlans`)
 * built from plans, and the outcomes decoded from its reply.
 *
 * The arguments read as the commands they stand for. One submit, in
 * `MONITOR`:
 *
 * ```text
 * "EVALSHA" "<sha>" "2" "bananas:job:7" "bananas:queue:normal"
 *   "enqueue" "absent" "bananas:job:7" "applied-if-set" "bananas:job:7"
 *   "set" "bananas:job:7" "{...}" "del" "bananas:result:7"
 *   "lpush" "bananas:queue:normal" "7" "publish" "bananas:queue:wake" "normal"
 * ```
 *
 * Every key is also in `KEYS` (once per call), so Redis Cluster routes the
 * call; each plan names its keys in full, so nothing is an index to look up.
 * The type each operation needs of its key is not sent: the script knows it
 * (`wireTypes`, rendered into its source from `Plan.guardType` and
 * `Plan.writeType`).
 * A plan that would break a bound of Redis or Lua (`ScriptLimits`) adds
 * nothing and reports the bound: it is never sent.
 *
 * @stability unstable
 * @since 0.2.0
 */

import type { Guard, KeyType, Outcome, Plan, Write } from "../../protocol/Plan.ts"
import { findKeyTypes, guardType, writeType } from "../../protocol/Plan.ts"
import type { Arg } from "./RedisPort.ts"
import * as ScriptLimits from "./ScriptLimits.ts"
import type { LimitExceeded } from "./ScriptLimits.ts"

/**
 * Plans encoded for one `applyPlans` call.
 *
 * @category models
 * @since 0.2.0
 */
export interface EncodedPlans {
  /** Every key the plans touch, each once. */
  readonly keys: ReadonlyArray<string>
  /** Per plan: its name, its guards and its writes. */
  readonly args: ReadonlyArray<Arg>
  /** How many plans. */
  readonly plans: number
}

/**
 * Builds the arguments of one `applyPlans` call, a plan at a time. `add`
 * answers `undefined` (added), `"full"` (the call is full: send it and add
 * the plan to a new one) or the `LimitExceeded` the plan alone would
 * break (nothing of it added).
 *
 * @category encoding
 * @since 0.2.0
 */
export interface Encoder {
  /** Adds a plan, named by its operation. */
  readonly add: (name: string, plan: Plan) => undefined | "full" | LimitExceeded
  /** How many plans were added. */
  readonly size: () => number
  /** The call's arguments. */
  readonly finish: () => EncodedPlans
}

/**
 * A new, empty encoder. `bounds` lowers the characters of one call
 * (default `ScriptLimits.maxCallChars`) and the bytes of one argument
 * (default `ScriptLimits.maxArgumentBytes`).
 *
 * @category encoding
 * @since 0.2.0
 */
export const makeEncoder = (bounds: {
  /** Most characters of arguments in one call. */
  readonly maxChars?: number | undefined
  /** Most bytes of one argument. */
  readonly maxArgumentBytes?: number | undefined
} = {}): Encoder => {
  const maxChars = bounds.maxChars ?? ScriptLimits.maxCallChars
  const maxArgumentBytes = bounds.maxArgumentBytes ?? ScriptLimits.maxArgumentBytes
  const keys: Array<string> = []
  const known = new Set<string>()
  const args: Array<Arg> = []
  let plans = 0
  let chars = 0
  let planChars = 0
  let broken: LimitExceeded | undefined

  const key = (k: string): string => {
    if (!known.has(k)) {
      known.add(k)
      keys.push(k)
      planChars += k.length
    }
    planChars += k.length
    return k
  }
  const text = (value: string): string => {
    planChars += value.length
    if (ScriptLimits.tooLong(value, maxArgumentBytes)) broken ??= ScriptLimits.exceeded(`a value of ${value.length} characters is over the ${maxArgumentBytes} bytes of one argument (proto-max-bulk-len)`)
    return value
  }
  const check = (problem: LimitExceeded | undefined) => {
    if (problem !== undefined) broken ??= problem
  }

  const guard = (g: Guard, plan: Plan) => {
    switch (g.op) {
      case "absent":
      case "exists":
        args.push(g.op, key(g.key))
        break
      case "eq":
      case "ne":
        args.push(g.op, key(g.key), text(g.value))
        break
      case "heq":
        args.push(g.op, key(g.key), text(g.field), text(g.value))
        break
      case "hnil":
        args.push(g.op, key(g.key), text(g.field))
        break
      case "lhas":
      case "zhas":
      case "snot":
        args.push(g.op, key(g.key), text(g.member))
        break
      case "zle":
        check(ScriptLimits.checkFinite("a zle bound", g.max))
        args.push(g.op, key(g.key), text(g.member), g.max)
        break
    }
    const applied = g.appliedIf
    if (applied === undefined) return
    // The value is most often what the plan sets the key to (the job JSON): named, not repeated.
    const firstSet = plan.writes.find((w): w is Extract<Write, { op: "set" }> => w.op === "set" && w.key === applied.key)
    if (firstSet !== undefined && firstSet.value === applied.value) args.push("applied-if-set", key(applied.key))
    else args.push("applied-if", key(applied.key), text(applied.value))
  }

  const write = (w: Write) => {
    switch (w.op) {
      case "set":
        if (w.ttl === undefined) args.push("set", key(w.key), text(w.value))
        else {
          check(ScriptLimits.checkInteger(`the TTL (s) of ${w.key}`, w.ttl, 1, ScriptLimits.maxExpirySeconds))
          args.push("setex", key(w.key), text(w.value), w.ttl)
        }
        break
      case "del":
        args.push("del", key(w.key))
        break
      case "lpush":
      case "rpush":
        args.push(w.op, key(w.key), text(w.value))
        break
      case "lrem":
        check(ScriptLimits.checkInteger(`an LREM count`, w.count, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER))
        args.push("lrem", key(w.key), w.count, text(w.value))
        break
      case "ltrim":
        check(ScriptLimits.checkInteger(`an LTRIM start`, w.start, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER))
        check(ScriptLimits.checkInteger(`an LTRIM stop`, w.stop, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER))
        args.push("ltrim", key(w.key), w.start, w.stop)
        break
      case "zadd":
        check(ScriptLimits.checkFinite(`a score in ${w.key}`, w.score))
        args.push(w.nx === true ? "zaddnx" : "zadd", key(w.key), w.score, text(w.member))
        break
      case "zrem":
      case "sadd":
      case "srem":
        args.push(w.op, key(w.key), text(w.member))
        break
      case "hset": {
        const n = w.fields.length
        if (n === 0 || n * 2 > ScriptLimits.maxUnpack) {
          broken ??= ScriptLimits.exceeded(`an HSET of ${w.key} sets 1 to ${Math.floor(ScriptLimits.maxUnpack / 2)} fields in one step (Lua's unpack bound), got ${n}`)
        }
        args.push("hset", key(w.key), n)
        for (const [field, value] of w.fields) args.push(text(field), text(value))
        break
      }
      case "hdel":
        args.push("hdel", key(w.key), text(w.field))
        break
      case "expire":
        check(ScriptLimits.checkInteger(`the expiry (s) of ${w.key}`, w.seconds, -ScriptLimits.maxExpirySeconds, ScriptLimits.maxExpirySeconds))
        args.push("expire", key(w.key), w.seconds)
        break
      case "pexpire":
        check(ScriptLimits.checkInteger(`the expiry (ms) of ${w.key}`, w.millis, -ScriptLimits.maxExpirySeconds * 1000, ScriptLimits.maxExpirySeconds * 1000))
        args.push("pexpire", key(w.key), w.millis)
        break
      case "publish":
        args.push("publish", text(w.channel), text(w.message))
        break
      case "announce":
        args.push("announce", key(w.key), text(w.channel), text(w.message), text(w.data), text(w.tag))
        break
    }
  }

  return {
    add: (name, plan) => {
      const argsMark = args.length
      const keysMark = keys.length
      planChars = name.length
      broken = undefined
      // A key used as two types would fail in Redis halfway through the plan's writes.
      const types = findKeyTypes(plan)
      if ("conflict" in types) broken = ScriptLimits.exceeded(types.conflict)
      else {
        if (operationNames.has(name)) broken = ScriptLimits.exceeded(`a step cannot be named ${name}, the name of an operation`)
        args.push(name)
        for (const g of plan.guards) guard(g, plan)
        for (const w of plan.writes) write(w)
        if (broken === undefined && chars + planChars > maxChars) {
          if (plans === 0) broken = ScriptLimits.exceeded(`one step of ${planChars} characters is over the ${maxChars} one call carries`)
          else {
            rollback(argsMark, keysMark)
            return "full"
          }
        }
      }
      if (broken !== undefined) {
        rollback(argsMark, keysMark)
        return broken
      }
      chars += planChars
      plans++
      return undefined
    },
    size: () => plans,
    finish: () => ({ keys, args, plans })
  }

  function rollback(argsMark: number, keysMark: number) {
    args.length = argsMark
    for (let i = keysMark; i < keys.length; i++) known.delete(keys[i]!)
    keys.length = keysMark
  }
}

/**
 * The arguments of one `applyPlans` call carrying `plans` (each named by
 * its operation), or the first bound one of them would break.
 *
 * @category encoding
 * @since 0.2.0
 */
export const encode = (plans: ReadonlyArray<readonly [name: string, plan: Plan]>, bounds?: Parameters<typeof makeEncoder>[0]): EncodedPlans | LimitExceeded => {
  const encoder = makeEncoder(bounds)
  for (const [name, plan] of plans) {
    const added = encoder.add(name, plan)
    if (added === "full") return ScriptLimits.exceeded(`${plans.length} steps are over the characters one call carries`)
    if (added !== undefined) return added
  }
  return encoder.finish()
}

/**
 * The type each operation on the wire needs of its key (the operations of
 * `Plan.guardType` and `Plan.writeType` under their wire names, and the
 * key of an `applied-if`), for the script's type check.
 *
 * @category encoding
 * @since 0.2.0
 */
export const wireTypes: Readonly<Record<string, KeyType>> = (() => {
  const out: Record<string, KeyType> = {}
  for (const [op, type] of [...Object.entries(guardType), ...Object.entries(writeType)]) if (type !== undefined) out[op] = type
  out["setex"] = writeType.set!
  out["zaddnx"] = writeType.zadd!
  out["applied-if"] = out["applied-if-set"] = "string"
  return out
})()

/**
 * The outcome of a plan from its code in the script's reply: 0 applied,
 * `alreadyAppliedCode` already applied, g > 0 refused by guard g, -t the
 * plan's t-th key needing a type (`findKeyTypes` order, the script's)
 * holds another type. `undefined` for a code the
 * plan cannot have produced.
 *
 * @category decoding
 * @since 0.2.0
 */
export const decodeOutcome = (code: number, plan: Plan): Outcome | undefined => {
  if (code === 0) return applied
  if (code === alreadyAppliedCode) return alreadyApplied
  if (code > 0) {
    const guard = plan.guards[code - 1]
    return guard === undefined ? undefined : { _tag: "Refused", reason: guard.reason }
  }
  const types = findKeyTypes(plan)
  const typed: readonly [string, KeyType] | undefined = "conflict" in types ? undefined : types[-code - 1]
  return typed === undefined ? undefined : { _tag: "WrongType", key: typed[0], expected: typed[1] }
}

// Internal

/** The names of the operations on the wire (a plan's name is none of them: the script finds where a plan ends by them). */
const operationNames: ReadonlySet<string> = new Set([
  "absent", "exists", "eq", "ne", "heq", "hnil", "lhas", "zhas", "zle", "snot", "applied-if", "applied-if-set",
  "set", "setex", "del", "lpush", "rpush", "lrem", "ltrim", "zadd", "zaddnx", "zrem", "hset", "hdel", "sadd", "srem", "expire", "pexpire", "publish",
  "announce"
])

/** The code of a plan refused because it was already applied (`Scripts.applyPlans`). */
const alreadyAppliedCode = -1_000_000

const applied: Outcome = { _tag: "Applied" }
const alreadyApplied: Outcome = { _tag: "Refused", reason: "alreadyApplied" }
