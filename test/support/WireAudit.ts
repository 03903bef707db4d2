/**
 * The wire-shape audit: reads every key under a prefix of a Redis and
 * reports each one that Go's reference implementation (or its own rules,
 * for the keys only this SDK writes) would not accept, as docs/PROTOCOL.md
 * describes them. Used by the tests after busy workloads, and by
 * `node scripts/audit-wire.ts <redis-url> [prefix]` against any Redis.
 *
 * It checks shapes only, independently of the SDK's codecs: job JSON field
 * order, `omitempty`, Go's RFC 3339 timestamps with offsets, statuses,
 * priorities, integers, `id` equal to the key, TTLs of finished jobs; Go's
 * dead-letter records; result hashes (fields, status, `completed_at` in
 * whole seconds, `duration_ms`, a TTL); the queue lists, the scheduled set
 * (scores in unix seconds, matching `scheduled_for`); and our own keys:
 * the `leases` zset (epoch ms), `lease:tokens` (`<owner>:<n>`, one per
 * lease), the `worker:{owner}` heartbeat sets (with a TTL) and the
 * `paused` set (members are queue names). Any other
 * key under the prefix is reported too.
 */
import type { Redis } from "ioredis"
import { type Member, scanObject } from "../../src/domain/JsonScanner.ts"
import * as Keys from "../../src/protocol/Keys.ts"

/** What an audit found. */
export interface AuditReport {
  /** Job records audited (not counting Go's dead-letter records). */
  readonly jobs: number
  /** Go's dead-letter records audited. */
  readonly deadLetterRecords: number
  /** Result hashes audited. */
  readonly results: number
  /** Every key audited. */
  readonly keys: number
  /** One line per problem, `key: what is wrong`. */
  readonly problems: ReadonlyArray<string>
}

/** The audit's one-line summary (the CLI's last line). */
export const summary = (report: AuditReport): string =>
  `jobs=${report.jobs} deadLetterRecords=${report.deadLetterRecords} results=${report.results} keys=${report.keys} problems=${report.problems.length}`

/** Audits every key under `prefix` (default Go's `bananas:`). */
export const audit = async (redis: Redis, prefix = "bananas:"): Promise<AuditReport> => {
  const problems: Array<string> = []
  const problem = (key: string, what: string) => problems.push(`${key}: ${what}`)
  const counts = { jobs: 0, deadLetterRecords: 0, results: 0, keys: 0 }
  const keys = new Set(await scanKeys(redis, prefix))
  const ids = {
    queued: new Map<string, string>(),
    scheduled: new Map<string, number>(),
    leases: new Set<string>(),
    tokens: new Map<string, string>()
  }
  const jobs = new Map<string, Readonly<Record<string, string>>>()
  for (const key of keys) {
    counts.keys++
    const name = key.slice(prefix.length)
    const type = await redis.type(key)
    const expect = (wanted: string) => {
      if (type === wanted) return true
      problem(key, `is a ${type}, expected a ${wanted}`)
      return false
    }
    if (name.startsWith("job:")) {
      if (!expect("string")) continue
      const text = (await redis.get(key)) ?? ""
      const ttl = await redis.pttl(key)
      const record = deadLetterRecord(text)
      if (record !== undefined) {
        counts.deadLetterRecords++
        if (record.id !== name.slice(4)) problem(key, `dead-letter record id ${JSON.stringify(record.id)} differs from the key`)
        if (record.error === "") problem(key, "dead-letter record without an error")
        if (ttl <= 0) problem(key, `dead-letter record without a TTL (${ttl})`)
        continue
      }
      counts.jobs++
      const fields = auditJob(text, name.slice(4), ttl, (what) => problem(key, what))
      if (fields !== undefined) jobs.set(name.slice(4), fields)
    } else if (name.startsWith("result:")) {
      if (name.startsWith("result:notify:")) problem(key, "result:notify:{id} is a channel; nothing should be stored there")
      else if (expect("hash")) {
        counts.results++
        auditResult(await redis.hgetall(key), await redis.pttl(key), (what) => problem(key, what))
      }
    } else if (/^queue:(high|normal|low)$/.test(name) || /^route:[A-Za-z0-9_-]{1,64}:queue:(high|normal|low)$/.test(name)) {
      if (expect("list")) for (const id of await redis.lrange(key, 0, -1)) ids.queued.set(id, key)
    } else if (name === "queue:processing" || name === "queue:dead") {
      expect("list")
    } else if (name === "queue:scheduled") {
      if (!expect("zset")) continue
      const flat = await redis.zrange(key, 0, -1, "WITHSCORES")
      for (let i = 0; i < flat.length; i += 2) {
        const score = Number(flat[i + 1])
        if (score > 1e11) problem(key, `member ${flat[i]} has score ${flat[i + 1]}: milliseconds, not unix seconds`)
        ids.scheduled.set(flat[i]!, score)
      }
    } else if (name === "leases") {
      if (!expect("zset")) continue
      const flat = await redis.zrange(key, 0, -1, "WITHSCORES")
      for (let i = 0; i < flat.length; i += 2) {
        ids.leases.add(flat[i]!)
        if (!/^\d{13}$/.test(flat[i + 1]!)) problem(key, `lease of ${flat[i]} expires at ${flat[i + 1]}: expected epoch milliseconds`)
      }
    } else if (name === "lease:tokens") {
      if (!expect("hash")) continue
      for (const [id, token] of Object.entries(await redis.hgetall(key))) {
        ids.tokens.set(id, token)
        if (!/^.+:\d+$/.test(token)) problem(key, `token of ${id} is ${JSON.stringify(token)}, expected <owner>:<n>`)
      }
    } else if (name.startsWith("worker:")) {
      if (!expect("set")) continue
      const ttl = await redis.pttl(key)
      if (ttl <= 0) problem(key, `heartbeat set without a TTL (${ttl}): a dead worker's jobs would never be recovered`)
    } else if (name.startsWith("schedule_lock:") || name.startsWith("schedules:")) {
      // Go's cron scheduler: a lock with a TTL, and a state hash.
      if (name.startsWith("schedule_lock:") && expect("string") && (await redis.pttl(key)) <= 0) problem(key, "cron lock without a TTL")
      if (name.startsWith("schedules:") && expect("hash")) {
        for (const [field, value] of Object.entries(await redis.hgetall(key))) {
          if (field === "run_count" ? !/^\d+$/.test(value) : field !== "last_error" && !goSeconds.test(value)) {
            problem(key, `${field}=${JSON.stringify(value)} is not in Go's shape`)
          }
        }
      }
    } else if (name.startsWith("schedule_def:")) {
      if (expect("string")) {
        try {
          const def = JSON.parse((await redis.get(key)) ?? "") as { id?: unknown }
          if (def.id !== name.slice("schedule_def:".length)) problem(key, `schedule id ${JSON.stringify(def.id)} differs from the key`)
        } catch {
          problem(key, "schedule definition is not JSON")
        }
      }
    } else if (name.startsWith("worker_info:")) {
      // A worker's registration (ours): a hash that lapses unless renewed, naming its worker.
      if (!expect("hash")) continue
      if ((await redis.pttl(key)) <= 0) problem(key, "worker registration without a TTL: it would list a dead worker for good")
      const id = (await redis.hget(key, "id")) ?? undefined
      if (id !== name.slice("worker_info:".length)) problem(key, `worker id ${JSON.stringify(id)} differs from the key`)
    } else if (name === "worker_registry") {
      if (!expect("zset")) continue
      const flat = await redis.zrange(key, 0, -1, "WITHSCORES")
      for (let i = 0; i < flat.length; i += 2) {
        if (!/^\d{13}$/.test(flat[i + 1]!)) problem(key, `registration of ${flat[i]} expires at ${flat[i + 1]}: expected epoch milliseconds`)
      }
    } else if (name === "schedule_ids") {
      expect("set")
    } else if (name === "paused") {
      // Ours: the paused queues, each named by its list key without the prefix.
      if (!expect("set")) continue
      for (const member of await redis.smembers(key)) {
        if (Keys.parseQueueName(member) === undefined) problem(key, `member ${JSON.stringify(member)} names no queue (queue:{p} or route:{key}:queue:{p})`)
      }
    } else if (name === "schedule_due") {
      if (!expect("zset")) continue
      const flat = await redis.zrange(key, 0, -1, "WITHSCORES")
      for (let i = 0; i < flat.length; i += 2) {
        if (!/^\d{1,11}$/.test(flat[i + 1]!)) problem(key, `next slot of ${flat[i]} is ${flat[i + 1]}: expected whole unix seconds`)
      }
    } else {
      problem(key, "not a key of the Bananas layout")
    }
  }
  // Across keys: what one key says about another.
  for (const [id, list] of ids.queued) {
    if (!jobs.has(id) && !keys.has(prefix + "job:" + id)) problem(list, `queued id ${id} has no job data (a Go worker would dead-letter it)`)
  }
  for (const [id, score] of ids.scheduled) {
    const job = jobs.get(id)
    if (job === undefined) continue
    const due = job.scheduled_for === undefined ? undefined : Date.parse(job.scheduled_for) / 1000
    if (due !== undefined && (score > due || score < Math.floor(due) - 1)) {
      problem(prefix + "queue:scheduled", `score ${score} of ${id} does not match its scheduled_for ${job.scheduled_for}`)
    }
  }
  for (const id of ids.leases) if (!ids.tokens.has(id)) problem(prefix + "leases", `lease of ${id} has no token in lease:tokens`)
  for (const id of ids.tokens.keys()) if (!ids.leases.has(id)) problem(prefix + "lease:tokens", `token of ${id} has no lease in leases`)
  return { ...counts, problems }
}

/** Every key under `prefix` (SCAN; glob characters in it taken literally), sorted. */
export const scanKeys = async (redis: Redis, prefix: string): Promise<ReadonlyArray<string>> => {
  const pattern = Keys.escapeGlob(prefix) + "*"
  const found = new Set<string>()
  let cursor = "0"
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000)
    cursor = next
    for (const key of batch) found.add(key)
  } while (cursor !== "0")
  return [...found].sort()
}

// Internal

/** Go's field order; `trace_context`, `schedule_id`, `schedule_slot` (ours, ignored by Go) come after Go's fields. */
const order = ["id", "name", "description", "payload", "status", "priority", "created_at", "updated_at", "scheduled_for", "attempts", "max_retries", "error", "routing_key", "trace_context", "schedule_id", "schedule_slot"]
const required = ["id", "name", "payload", "status", "priority", "created_at", "updated_at", "attempts", "max_retries"]
const statuses = new Set(["pending", "processing", "completed", "failed", "scheduled"])
const priorities = new Set(["high", "normal", "low"])
/** Go's RFC3339Nano: trailing fraction zeros trimmed, `Z` or `±hh:mm`. */
const goTime = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?(Z|[+-]\d\d:\d\d)$/
/** Go's RFC3339 (whole seconds), as results store `completed_at`. */
const goSeconds = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/
const traceparent = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/

const deadLetterRecord = (text: string): { readonly id: string; readonly error: string } | undefined => {
  const scanned = scanObject(text)
  if (!("members" in scanned)) return undefined
  const names = scanned.members.map((m) => m.key).join(",")
  if (names !== "error,id" && names !== "corrupted_data,error,id") return undefined
  const value = (m: Member | undefined) => (m?.kind === "string" ? (JSON.parse(m.raw) as string) : "")
  return { id: value(scanned.members.find((m) => m.key === "id")), error: value(scanned.members.find((m) => m.key === "error")) }
}

/** Audits one job's JSON; returns its string fields (for the cross-key checks) when it is an object. */
const auditJob = (text: string, id: string, ttl: number, problem: (what: string) => void): Readonly<Record<string, string>> | undefined => {
  const scanned = scanObject(text)
  if ("error" in scanned) return void problem(`not JSON (${scanned.error})`)
  if ("kind" in scanned) return void problem(`not a JSON object (${scanned.kind})`)
  const members = new Map<string, Member>()
  for (const m of scanned.members) {
    if (members.has(m.key)) problem(`duplicate field ${m.key}`)
    members.set(m.key, m)
  }
  const names = scanned.members.map((m) => m.key)
  const unknown = names.filter((n) => !order.includes(n))
  if (unknown.length > 0) problem(`fields Go does not know: ${unknown.join(", ")}`)
  const known = names.filter((n) => order.includes(n))
  if (known.join(",") !== [...known].sort((a, b) => order.indexOf(a) - order.indexOf(b)).join(",")) problem(`field order ${names.join(",")}`)
  for (const name of required) if (!members.has(name)) problem(`missing ${name}`)
  const strings: Record<string, string> = {}
  for (const [name, m] of members) {
    if (m.kind === "string") strings[name] = JSON.parse(m.raw) as string
    else if (name !== "payload" && name !== "attempts" && name !== "max_retries" && name !== "schedule_slot") problem(`${name} is a JSON ${m.kind}, expected a string`)
  }
  for (const name of ["description", "error", "scheduled_for"]) {
    if (strings[name] === "") problem(`empty ${name} should be omitted (omitempty)`)
  }
  for (const name of ["created_at", "updated_at", "scheduled_for"]) {
    const value = strings[name]
    if (value !== undefined && value !== "" && !goTime.test(value)) problem(`${name}=${JSON.stringify(value)} is not Go's RFC3339Nano`)
  }
  for (const name of ["attempts", "max_retries", "schedule_slot"]) {
    const m = members.get(name)
    if (m !== undefined && (m.kind !== "number" || !/^-?\d+$/.test(m.raw))) problem(`${name}=${m.raw} is not an integer`)
  }
  const status = strings.status
  if (!statuses.has(status ?? "")) problem(`status ${JSON.stringify(status)}`)
  if (!priorities.has(strings.priority ?? "")) problem(`priority ${JSON.stringify(strings.priority)}`)
  if (strings.id !== id) problem(`id field ${JSON.stringify(strings.id)} differs from the key`)
  if (strings.trace_context !== undefined && !traceparent.test(strings.trace_context)) {
    problem(`trace_context ${JSON.stringify(strings.trace_context)} is not a W3C traceparent`)
  }
  const finished = status === "completed" || status === "failed"
  if (finished && ttl <= 0) problem(`a ${status} job without a TTL (${ttl}): it would never expire`)
  if (!finished && ttl > 0) problem(`a ${status} job with a TTL (${ttl} ms): it would expire before it runs`)
  return strings
}

const auditResult = (hash: Readonly<Record<string, string>>, ttl: number, problem: (what: string) => void): void => {
  const extra = Object.keys(hash).filter((f) => !["status", "completed_at", "duration_ms", "result", "error"].includes(f))
  if (extra.length > 0) problem(`fields Go does not write: ${extra.join(", ")}`)
  if (hash.status !== "completed" && hash.status !== "failed") problem(`status ${JSON.stringify(hash.status)}`)
  if (!goSeconds.test(hash.completed_at ?? "")) problem(`completed_at ${JSON.stringify(hash.completed_at)} is not RFC3339 in whole seconds`)
  if (!/^\d+$/.test(hash.duration_ms ?? "")) problem(`duration_ms ${JSON.stringify(hash.duration_ms)} is not whole milliseconds`)
  if (hash.result !== undefined) {
    if (hash.status !== "completed") problem("a result field on a failed result (Go writes it only when completed)")
    try {
      JSON.parse(hash.result)
    } catch {
      problem(`result is not JSON: ${hash.result.slice(0, 80)}`)
    }
  }
  if (ttl <= 0) problem(`no TTL (${ttl}): results must expire`)
}
