/**
 * A plan as text, one line per guard and write, in the words of the
 * `applyPlans` grammar (for table tests of the transitions): job JSON
 * shown as `job(<status> attempts=<n>[ error=<e>][ scheduled_for=<t>])`,
 * a Go dead-letter record as `record(<error>)`, other values as they are.
 */
import * as JobCodec from "../../src/domain/JobCodec.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import type { Guard, Plan, Write } from "../../src/protocol/Plan.ts"

/** The lines of a plan: `guard <op> <key> <operands> -> <reason>[ | applied-if <key> <value>]`, then `<op> <key> <operands>`. */
export const planText = (plan: Plan): ReadonlyArray<string> => [...plan.guards.map(guardText), ...plan.writes.map(writeText)]

/** A value: job JSON summarized, anything else as is. */
export const valueText = (value: string): string => {
  if (!value.startsWith("{")) return value
  const decoded = JobCodec.decode(value)
  if (decoded._tag === "Success") {
    const job = decoded.success
    return `job(${job.status} attempts=${job.attempts}${job.error === undefined ? "" : ` error=${job.error}`}` +
      `${job.scheduledFor === undefined ? "" : ` scheduled_for=${Timestamp.toDate(job.scheduledFor).toISOString()}`})`
  }
  const record = JSON.parse(value) as { readonly error?: string }
  return `record(${record.error ?? "?"})`
}

const guardText = (g: Guard): string => {
  const operands = g.op === "absent" || g.op === "exists" ? ""
    : g.op === "eq" || g.op === "ne" ? ` ${valueText(g.value)}`
    : g.op === "heq" ? ` ${g.field} ${g.value}`
    : g.op === "hnil" ? ` ${g.field}`
    : g.op === "zle" ? ` ${g.member} ${g.max}`
    : ` ${g.member}`
  const applied = g.appliedIf === undefined ? "" : ` | applied-if ${g.appliedIf.key} ${valueText(g.appliedIf.value)}`
  return `guard ${g.op} ${g.key}${operands} -> ${g.reason}${applied}`
}

const writeText = (w: Write): string => {
  switch (w.op) {
    case "set": return `set ${w.key} ${valueText(w.value)}${w.ttl === undefined ? "" : ` ex ${w.ttl}`}`
    case "del": return `del ${w.key}`
    case "lpush":
    case "rpush": return `${w.op} ${w.key} ${w.value}`
    case "lrem": return `lrem ${w.key} ${w.count} ${w.value}`
    case "ltrim": return `ltrim ${w.key} ${w.start} ${w.stop}`
    case "zadd": return `zadd${w.nx === true ? " nx" : ""} ${w.key} ${w.score} ${w.member}`
    case "zrem":
    case "sadd":
    case "srem": return `${w.op} ${w.key} ${w.member}`
    case "hset": return `hset ${w.key} ${w.fields.map(([f, v]) => `${f}=${v}`).join(" ")}`
    case "hdel": return `hdel ${w.key} ${w.field}`
    case "expire": return `expire ${w.key} ${w.seconds}`
    case "pexpire": return `pexpire ${w.key} ${w.millis}`
    case "publish": return `publish ${w.channel} ${w.message}`
    case "announce": return `announce ${w.channel} ${w.message} | ${w.key} on ${w.data} tag=${w.tag}`
  }
}
