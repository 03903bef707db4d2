/**
 * Test harness: the audit every fault test ends with, and the figures it
 * records.
 *
 * Given the ids a test submitted (acknowledged: the submit returned; and
 * unacknowledged: the submit failed, so the job may or may not exist), the
 * run log (each handler execution appends `start` when it begins and `ok` /
 * `fail` when it returns, with the job's attempt and which worker ran it)
 * and the Redis state under the prefix, it checks:
 *
 * - every acknowledged id is finished where it should be: `completed` (job
 *   status and a `completed` result) or dead-lettered (job `failed`, in
 *   `queue:dead`, a `failed` result, attempts = its max_retries) as its
 *   expectation says; a missing one is **lost**, a non-final one **stuck**;
 * - an unacknowledged id either does not exist (never written) or is
 *   finished likewise; one whose error said `outcome: "not-written"` must
 *   not exist (**falseNotWritten**: errors mean what they say);
 * - no job ran more times than its `max_retries` allows (**overRun**);
 * - **duplicated**: runs that started after a run of the same id had
 *   returned `ok` (at-least-once re-runs). A duplicate is *explained* when
 *   the worker of that earlier `ok` run was killed (its outcome may not have
 *   been written); tests assert that no duplicate is unexplained;
 * - nothing of these jobs is left in the queues, `queue:processing`,
 *   `queue:scheduled`, `leases` or `lease:tokens` (**stuck**);
 * - the wire audit (`WireAudit.audit`) finds no malformed key.
 *
 * `record` appends the figures as one JSON line to
 * `test-results/faults.json` (emptied at the start of each vitest run by
 * `test/support/faultResultsSetup.ts`), so a run leaves one line per fault
 * test for the reliability table; nothing is printed.
 */
import { appendFileSync, mkdirSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import type { Redis } from "ioredis"
import { audit as wireAudit } from "./WireAudit.ts"

/** One line of the run log. */
export interface RunEntry {
  readonly event: "start" | "ok" | "fail"
  readonly id: string
  /** The job's `attempts` when the run started. */
  readonly attempt: number
  /** Which worker ran it (a worker id or a pid). */
  readonly worker: string
}

/** A run log entry as one string (for Redis lists written by child workers). */
export const formatRun = (entry: RunEntry): string => `${entry.event}|${entry.attempt}|${entry.worker}|${entry.id}`

/** The inverse of `formatRun`. */
export const parseRun = (text: string): RunEntry => {
  const [event, attempt, worker, ...id] = text.split("|")
  return { event: event as RunEntry["event"], attempt: Number(attempt), worker: worker!, id: id.join("|") }
}

/** Reads a run log a child process wrote to a Redis list (RPUSH, so in order). */
export const readRunLog = async (redis: Redis, key: string): Promise<ReadonlyArray<RunEntry>> =>
  (await redis.lrange(key, 0, -1)).map(parseRun)

/** What a job should end as. */
export type Expected = "completed" | "dead"

/** The audit's input. */
export interface AuditInput {
  /** The fault's name (the key of its line in faults.json). */
  readonly fault: string
  readonly redis: Redis
  readonly prefix: string
  readonly acknowledged: ReadonlyArray<string>
  readonly unacknowledged: ReadonlyArray<string>
  /** Unacknowledged ids whose error said `outcome: "not-written"`: such a job must not exist. */
  readonly notWritten?: ReadonlyArray<string> | undefined
  readonly runs: ReadonlyArray<RunEntry>
  /** What each id should end as (default completed). */
  readonly expect?: ((id: string) => Expected) | undefined
  /** Workers that were killed (their `ok` runs may not have been recorded). */
  readonly killedWorkers?: ReadonlySet<string> | undefined
}

/** The figures of one fault test (one line of faults.json). */
export interface FaultFigures {
  readonly fault: string
  /** Submissions attempted. */
  readonly submitted: number
  readonly acknowledged: number
  readonly unacknowledged: number
  /** Unacknowledged submissions that were written after all (and then finished). */
  readonly unacknowledgedWritten: number
  /** Failed submissions whose error said nothing was written. */
  readonly notWritten: number
  /** Of those, the ones that exist after all (the error lied). */
  readonly falseNotWritten: number
  readonly completed: number
  readonly dead: number
  /** Acknowledged jobs that do not exist. */
  readonly lost: number
  /** Runs that started after a successful run of the same job. */
  readonly duplicated: number
  /** Of those, not explained by a killed worker. */
  readonly unexplainedDuplicates: number
  /** Jobs that ran more times than their max_retries allows. */
  readonly overRun: number
  /** Jobs not finished, or still referenced by a queue, processing, the scheduled set or a lease. */
  readonly stuck: number
  /** Finished, but not as expected (completed instead of dead, or the other way, or a missing result). */
  readonly wrongOutcome: number
  /** Handler runs in all. */
  readonly runs: number
  /** Problems the wire audit found. */
  readonly wireProblems: number
  /** Test-specific figures (resume time, restarts, kills, ...). */
  readonly [extra: string]: unknown
}

/** The audit's answer: the figures, and a line per problem (for assertion messages). */
export interface AuditReport {
  readonly figures: FaultFigures
  readonly problems: ReadonlyArray<string>
}

/** Audits the Redis state against what the test submitted and ran. */
export const auditFaults = async (input: AuditInput, extra: Readonly<Record<string, unknown>> = {}): Promise<AuditReport> => {
  const { redis, prefix } = input
  const expect = input.expect ?? (() => "completed")
  const killed = input.killedWorkers ?? new Set<string>()
  const problems: Array<string> = []
  const ours = new Set([...input.acknowledged, ...input.unacknowledged])
  const acked = new Set(input.acknowledged)
  const notWritten = new Set(input.notWritten ?? [])

  // Runs per id, and duplicates (a start after an ok of the same id).
  const runsOf = new Map<string, number>()
  const okBy = new Map<string, string>()
  let duplicated = 0
  let unexplainedDuplicates = 0
  let runs = 0
  for (const entry of input.runs) {
    if (entry.event === "start") {
      runs++
      runsOf.set(entry.id, (runsOf.get(entry.id) ?? 0) + 1)
      const earlier = okBy.get(entry.id)
      if (earlier !== undefined) {
        duplicated++
        if (!killed.has(earlier)) {
          unexplainedDuplicates++
          problems.push(`${entry.id}: ran again (attempt ${entry.attempt}, ${entry.worker}) after a successful run by ${earlier}, which was not killed`)
        }
      }
    } else if (entry.event === "ok") {
      okBy.set(entry.id, entry.worker)
    }
  }

  // Where every id of ours still appears.
  const lists = ["queue:high", "queue:normal", "queue:low", "queue:processing"]
  const referenced = new Map<string, string>()
  for (const list of lists) for (const id of await redis.lrange(prefix + list, 0, -1)) referenced.set(id, list)
  for (const id of await redis.zrange(prefix + "queue:scheduled", 0, -1)) referenced.set(id, "queue:scheduled")
  for (const id of await redis.zrange(prefix + "leases", 0, -1)) referenced.set(id, "leases")
  for (const id of Object.keys(await redis.hgetall(prefix + "lease:tokens"))) referenced.set(id, "lease:tokens")
  const dead = new Set(await redis.lrange(prefix + "queue:dead", 0, -1))

  const ids = [...ours]
  const texts = ids.length === 0 ? [] : await redis.mget(ids.map((id) => prefix + "job:" + id))
  const results = await Promise.all(ids.map((id) => redis.hgetall(prefix + "result:" + id)))
  const counts = { completed: 0, dead: 0, lost: 0, stuck: 0, wrongOutcome: 0, overRun: 0, unacknowledgedWritten: 0, falseNotWritten: 0 }
  ids.forEach((id, i) => {
    const text = texts[i]
    const result = results[i]!
    const isAcked = acked.has(id)
    const where = referenced.get(id)
    if (where !== undefined) {
      counts.stuck++
      problems.push(`${id}: still in ${where}`)
    }
    if (text === null || text === undefined) {
      if (isAcked) {
        counts.lost++
        problems.push(`${id}: acknowledged but its job does not exist`)
      } else if ((runsOf.get(id) ?? 0) > 0 || Object.keys(result).length > 0) {
        counts.lost++
        problems.push(`${id}: unacknowledged, ran or has a result, but its job does not exist`)
      }
      return
    }
    if (!isAcked) counts.unacknowledgedWritten++
    if (notWritten.has(id)) {
      counts.falseNotWritten++
      problems.push(`${id}: its submit failed saying nothing was written (outcome not-written), but the job exists`)
    }
    let job: { status?: string; attempts?: number; max_retries?: number }
    try {
      job = JSON.parse(text) as typeof job
    } catch {
      counts.wrongOutcome++
      problems.push(`${id}: job data is not JSON: ${text.slice(0, 80)}`)
      return
    }
    const allowed = Math.max(1, job.max_retries ?? 0)
    const ran = runsOf.get(id) ?? 0
    if (ran > allowed) {
      counts.overRun++
      problems.push(`${id}: ran ${ran} times, max_retries ${job.max_retries}`)
    }
    const wanted = expect(id)
    if (job.status === "completed") {
      counts.completed++
      if (wanted !== "completed" || result.status !== "completed" || dead.has(id)) {
        counts.wrongOutcome++
        problems.push(`${id}: completed (result ${result.status ?? "none"}, dead-listed ${dead.has(id)}), expected ${wanted}`)
      }
    } else if (job.status === "failed") {
      counts.dead++
      if (wanted !== "dead" || result.status !== "failed" || !dead.has(id) || job.attempts !== job.max_retries) {
        counts.wrongOutcome++
        problems.push(`${id}: dead (result ${result.status ?? "none"}, dead-listed ${dead.has(id)}, attempts ${job.attempts}/${job.max_retries}), expected ${wanted}`)
      }
    } else {
      if (where === undefined) counts.stuck++
      problems.push(`${id}: status ${job.status} (${ran} runs), not finished`)
    }
  })

  const wire = await wireAudit(redis, prefix)
  for (const p of wire.problems) problems.push(`wire: ${p}`)
  const figures: FaultFigures = {
    fault: input.fault,
    submitted: ours.size,
    acknowledged: acked.size,
    unacknowledged: input.unacknowledged.length,
    unacknowledgedWritten: counts.unacknowledgedWritten,
    notWritten: notWritten.size,
    falseNotWritten: counts.falseNotWritten,
    completed: counts.completed,
    dead: counts.dead,
    lost: counts.lost,
    duplicated,
    unexplainedDuplicates,
    overRun: counts.overRun,
    stuck: counts.stuck,
    wrongOutcome: counts.wrongOutcome,
    runs,
    wireProblems: wire.problems.length,
    ...extra
  }
  return { figures, problems }
}

/**
 * Polls until every one of `ids` that exists is finished (completed or
 * failed) and none is referenced by a queue, processing, the scheduled set
 * or a lease; resolves false at the deadline (the audit then reports what
 * is stuck).
 */
export const settle = async (redis: Redis, prefix: string, ids: ReadonlyArray<string>, timeoutMs: number): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const busy = await redis.eval(
      `local n = 0
       for i = 1, 6 do
         local k = KEYS[i]
         local t = redis.call('TYPE', k).ok
         if t == 'list' then n = n + redis.call('LLEN', k) elseif t == 'zset' then n = n + redis.call('ZCARD', k) end
       end
       return n`,
      6,
      ...["queue:high", "queue:normal", "queue:low", "queue:processing", "queue:scheduled", "leases"].map((k) => prefix + k)
    ) as number
    if (busy === 0) {
      const texts = ids.length === 0 ? [] : await redis.mget(ids.map((id) => prefix + "job:" + id))
      if (texts.every((t) => t === null || /"status":"(completed|failed)"/.test(t))) return true
    }
    if (Date.now() > deadline) return false
    await new Promise((r) => setTimeout(r, 50))
  }
}

const resultsFile = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "test-results", "faults.json")

/** The file the figures go to. */
export const faultResultsFile = resultsFile

/** Appends the figures as one JSON line to test-results/faults.json. */
export const record = (figures: FaultFigures): void => {
  mkdirSync(dirname(resultsFile), { recursive: true })
  appendFileSync(resultsFile, JSON.stringify({ ...figures, at: new Date().toISOString() }) + "\n")
}

/**
 * The assertion every fault test ends with: zero lost, zero over-run, zero
 * stuck, zero wrong outcomes, zero unexplained duplicates, a clean wire
 * audit. Returns the message listing the first problems (empty when none).
 */
export const failures = (report: AuditReport): string => {
  const f = report.figures
  const bad = f.lost + f.overRun + f.stuck + f.wrongOutcome + f.unexplainedDuplicates + f.wireProblems
  return bad === 0 && report.problems.length === 0
    ? ""
    : `${f.fault}: ${JSON.stringify(f)}\n${report.problems.slice(0, 20).join("\n")}`
}
