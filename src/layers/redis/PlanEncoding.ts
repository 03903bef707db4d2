/**
 * The arguments of the `apply` interpreter script (`Scripts.apply`) built
 * from plans, and the outcomes decoded from its reply.
 *
 * @stability unstable
 * @since 0.2.0
 */
import type { Guard, Outcome, Plan, Write } from "../../protocol/Plan.ts"
import { guardType, keyTypes, writeType } from "../../protocol/Plan.ts"
import type { Arg } from "./RedisPort.ts"

/**
 * Builds the script arguments of plans, as `Scripts.apply` reads them:
 * every key once (in `KEYS`); per plan a program (its typed keys, its guard
 * count, one byte per op code and operand, two per key index) followed by
 * the plan's values, each once.
 *
 * @category encoding
 * @since 0.2.0
 */
export const Encoder = {
  make: (): {
    readonly add: (plan: Plan) => void
    readonly finish: () => { readonly keys: Array<string>; readonly args: Array<Arg> }
  } => {
    const keys: Array<string> = []
    const keyIndex = new Map<string, string>()
    const args: Array<Arg> = [0]
    let plans = 0
    let values: Array<string> = []
    const k = (key: string): string => {
      let code = keyIndex.get(key)
      if (code === undefined) {
        const i = keys.push(key)
        if (i >= keyCodes.length) throw new Error("apply: too many keys in one call")
        code = keyCodes[i]!
        keyIndex.set(key, code)
      }
      return code
    }
    const v = (value: string | number): string => {
      const text = typeof value === "number" ? String(value) : value
      let i = values.indexOf(text)
      if (i < 0) i = values.push(text) - 1
      if (i >= valueCodes.length) throw new Error("apply: too many values in one plan")
      return valueCodes[i]!
    }
    let typed = ""
    let typedCount = 0
    const need = (key: string, type: string | undefined) => {
      if (type === undefined) return
      const index = k(key)
      for (let j = 0; j < typed.length; j += 3) if (typed.startsWith(index, j)) return
      typed += index + typeCode[type]!
      typedCount++
    }
    const guardOps = (g: Guard): string => {
      switch (g.op) {
        case "absent": return "a" + k(g.key)
        case "exists": return "x" + k(g.key)
        case "eq": return "e" + k(g.key) + v(g.value)
        case "ne": return "n" + k(g.key) + v(g.value)
        case "heq": return "h" + k(g.key) + v(g.field) + v(g.value)
        case "hnil": return "H" + k(g.key) + v(g.field)
        case "lhas": return "l" + k(g.key) + v(g.member)
        case "zhas": return "z" + k(g.key) + v(g.member)
        case "zle": return "Z" + k(g.key) + v(g.member) + v(g.max)
        case "snot": return "s" + k(g.key) + v(g.member)
      }
    }
    const writeOps = (w: Write): string => {
      switch (w.op) {
        case "set": return w.ttl === undefined ? "S" + k(w.key) + v(w.value) : "X" + k(w.key) + v(w.value) + v(w.ttl)
        case "del": return "D" + k(w.key)
        case "lpush": return "L" + k(w.key) + v(w.value)
        case "rpush": return "R" + k(w.key) + v(w.value)
        case "lrem": return "M" + k(w.key) + v(w.count) + v(w.value)
        case "ltrim": return "K" + k(w.key) + v(w.start) + v(w.stop)
        case "zadd": return (w.nx === true ? "N" : "A") + k(w.key) + v(w.score) + v(w.member)
        case "zrem": return "Q" + k(w.key) + v(w.member)
        case "hset": {
          let out = "T" + k(w.key) + countCodes[w.fields.length * 2]!
          for (const [f, value] of w.fields) out += v(f) + v(value)
          return out
        }
        case "hdel": return "E" + k(w.key) + v(w.field)
        case "sadd": return "B" + k(w.key) + v(w.member)
        case "srem": return "C" + k(w.key) + v(w.member)
        case "expire": return "P" + k(w.key) + v(w.seconds)
        case "pexpire": return "Y" + k(w.key) + v(w.millis)
        case "publish": return "U  " + v(w.channel) + v(w.message)
      }
    }
    return {
      add: (plan) => {
        values = []
        typed = ""
        typedCount = 0
        for (const g of plan.guards) {
          need(g.key, guardType[g.op])
          if (g.appliedIf !== undefined) need(g.appliedIf.key, "string")
        }
        for (const w of plan.writes) if (w.op !== "publish") need(w.key, writeType[w.op])
        let program = countCodes[typedCount]! + typed + countCodes[plan.guards.length]!
        for (const g of plan.guards) {
          program += guardOps(g)
          program += g.appliedIf === undefined ? "   " : k(g.appliedIf.key) + v(g.appliedIf.value)
        }
        for (const w of plan.writes) program += writeOps(w)
        args.push(countCodes[values.length]! + program)
        for (const value of values) args.push(value)
        plans++
      },
      finish: () => {
        args[0] = plans
        return { keys, args }
      }
    }
  }
}

/**
 * The script arguments of plans (see `Encoder`).
 *
 * @category encoding
 * @since 0.2.0
 */
export const encode = (plans: ReadonlyArray<Plan>): { readonly keys: Array<string>; readonly args: Array<Arg> } => {
  const encoder = Encoder.make()
  for (const plan of plans) encoder.add(plan)
  return encoder.finish()
}

/**
 * The outcome of a plan from its code in the script's reply: 0 applied,
 * `alreadyAppliedCode` already applied, i > 0 refused by guard i, -i a
 * wrong-typed key (KEYS[i]).
 *
 * @category decoding
 * @since 0.2.0
 */
export const decodeOutcome = (code: number, keys: ReadonlyArray<string>, plan: Plan): Outcome => {
  if (code === 0) return { _tag: "Applied" }
  if (code === alreadyAppliedCode) return { _tag: "Refused", reason: "alreadyApplied" }
  if (code > 0) return { _tag: "Refused", reason: plan.guards[code - 1]!.reason }
  const key = keys[-code - 1]!
  const expected = keyTypes(plan).find(([k]) => k === key)?.[1] ?? "string"
  return { _tag: "WrongType", key, expected }
}

// Internal

/** The output of a plan refused because it was already applied (`Scripts.apply`). */
const alreadyAppliedCode = -1_000_000

/** The two bytes of key index i (base 95 from 32), computed once. */
const keyCodes: ReadonlyArray<string> = Array.from({ length: 95 * 95 }, (_, i) => String.fromCharCode(32 + Math.floor(i / 95), 32 + (i % 95)))
/** The byte of value number i + 1, and the byte of count i. */
const valueCodes: ReadonlyArray<string> = Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i))
const countCodes: ReadonlyArray<string> = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i))

/** The byte of each key type in a program. */
const typeCode: Readonly<Record<string, string>> = { string: "s", list: "l", zset: "z", hash: "h", set: "t" }
