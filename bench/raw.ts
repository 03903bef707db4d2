/**
 * The two raw ioredis systems the SDK is measured against:
 *
 * - (a) `raw-ours`: exactly the commands the SDK sends (the `apply` and
 *   `take` scripts by EVALSHA; the take returns the jobs' data), with the job JSON
 *   and the plans built beforehand; only the lease tokens, known after a
 *   take, are filled in at run time. The limit of our design.
 * - (b) `raw-go`: Go's plain command sequence (SET + LPUSH; LMOVE or
 *   BLMOVE, GET, then SET EX, LREM, HSET, EXPIRE, PUBLISH), no leases, no
 *   Lua.
 */
import { Redis } from "ioredis"
import * as JobModel from "../src/domain/Job.ts"
import * as JobCodec from "../src/domain/JobCodec.ts"
import type { JobPriority } from "../src/domain/JobPriority.ts"
import type { RawJson } from "../src/domain/RawJson.ts"
import * as Timestamp from "../src/domain/Timestamp.ts"
import { encode, type EncodedPlans } from "../src/layers/redis/PlanEncoding.ts"
import { isExceeded } from "../src/layers/redis/ScriptLimits.ts"
import * as Scripts from "../src/layers/redis/Scripts.ts"
import type { Plan } from "../src/protocol/Plan.ts"
import * as Take from "../src/protocol/Take.ts"
import * as T from "../src/protocol/Transitions.ts"
import * as Wire from "../src/protocol/Wire.ts"
import { sleep } from "./support.ts"

/** The SDK's protocol with its defaults (prefix `bananas:`, Go's TTLs). */
export const protocol = Wire.make()
const keys = protocol.keys

/** The bench payload. */
export const payload = { to: "user@example.com", subject: "Welcome", n: 42 }
const payloadJson = JSON.stringify(payload) as RawJson

/** A job prepared for the raw systems: its JSON, its enqueue plan, its completion (token filled in later). */
export interface Prepared {
  readonly job: JobModel.Job
  readonly json: string
  readonly enqueue: Plan
  readonly complete: Plan
  readonly completedJson: string
}

/** `n` new jobs and everything the raw systems send for them, built now. */
export const prepare = (n: number, priority: JobPriority = "normal", name = "noop"): Array<Prepared> => {
  const now = Timestamp.fromMillis(Date.now())
  return Array.from({ length: n }, () => {
    const job = JobModel.make({ id: crypto.randomUUID(), name, payload: payloadJson, priority, now, maxRetries: JobModel.defaultMaxRetries })
    const step = T.complete(protocol, { id: job.id, token: "" }, job, { durationMs: 0, now })
    return { job, json: JobCodec.encode(job), enqueue: T.enqueue(protocol, job), complete: step.plan, completedJson: JobCodec.encode(step.value) }
  })
}

/** A plain client that has loaded our scripts (as the SDK does when it starts). */
export const rawClient = async (url: string, options: { readonly autoPipelining?: boolean; readonly name?: string } = {}): Promise<Redis> => {
  const redis = new Redis(url, { enableAutoPipelining: options.autoPipelining ?? true, ...(options.name === undefined ? {} : { connectionName: options.name }) })
  await Promise.all(Scripts.all.map((s) => redis.script("LOAD", s.lua)))
  return redis
}

/** The `applyPlans` arguments of plans, all named `name` (as the SDK names them by their operation). */
export const encodePlans = (name: string, plans: ReadonlyArray<Plan>): EncodedPlans => {
  const encoded = encode(plans.map((plan) => [name, plan] as const))
  if (isExceeded(encoded)) throw new Error(encoded.message)
  return encoded
}

/** `EVALSHA applyPlans` of encoded plans (one argument array, as the SDK sends it), checking each was applied. */
export const evalApply = async (redis: Redis, encoded: EncodedPlans): Promise<void> => {
  const call = Scripts.applyPlans.call(encoded)
  const codes = call.decode(await redis.call("EVALSHA", [call.script.sha, call.keys.length, ...call.keys, ...call.args]))
  if (codes._tag === "Failure" || codes.success.some((c) => c !== 0)) throw new Error(`apply refused: ${JSON.stringify(codes)}`)
}

/** (b) Go's enqueue: SET job, LPUSH its queue, in one MULTI. */
export const goEnqueue = (redis: Redis, p: Prepared) =>
  redis.multi().set(keys.job(p.job.id), p.json).lpush(keys.queue(p.job.priority), p.job.id).exec()

/** (b) Go's enqueue of many jobs in one MULTI. */
export const goEnqueueMany = (redis: Redis, batch: ReadonlyArray<Prepared>) => {
  const m = redis.multi()
  for (const p of batch) m.set(keys.job(p.job.id), p.json).lpush(keys.queue(p.job.priority), p.job.id)
  return m.exec()
}

/** A worker started by a raw system: counts what it finished; `stop` ends it. */
export interface RawWorker {
  readonly processed: () => number
  readonly stop: () => Promise<void>
}

/**
 * (a) A worker sending our commands: one take at a time (up to 64 ids, the
 * free slots, their data returned by it), then one `apply` of their
 * completions per take, at most `concurrency` jobs held at once; waits on
 * `queue:wake` (or 25 ms) when the queue is empty (only the backlog
 * scenarios use it, so the empty wait is never measured).
 */
export const startRawOursWorker = async (url: string, jobs: ReadonlyMap<string, Prepared>, concurrency: number): Promise<RawWorker> => {
  const redis = await rawClient(url, { name: "raw-ours-worker" })
  const sub = new Redis(url, { connectionName: "raw-ours-worker:sub" })
  let wake: (() => void) | undefined
  sub.on("message", () => wake?.())
  await sub.subscribe(keys.wake)
  const owner = `raw-${crypto.randomUUID().slice(0, 8)}`
  let token = 0
  let free = concurrency
  let done = 0
  let stopped = false
  let slotFreed: (() => void) | undefined
  const loop = (async () => {
    while (!stopped) {
      if (free === 0) {
        await new Promise<void>((resolve) => { slotFreed = resolve })
        continue
      }
      const max = Math.min(64, free)
      const first = token
      token += max
      const request = Take.make(protocol, { priorities: ["high", "normal", "low"], max, lease: { owner, expiresAt: Date.now() + 30_000, firstToken: first, heartbeatMillis: 30_000 } })
      const lease = request.lease!
      const take = Scripts.takeJobs.call(request)
      if (isExceeded(take)) throw new Error(take.message)
      const taken = take.decode(await redis.call("EVALSHA", [take.script.sha, take.keys.length, ...take.keys, ...take.args]))
      if (taken._tag === "Failure") throw new Error(taken.failure)
      const ids = taken.success.map((t) => t.id)
      if (ids.length === 0) {
        await Promise.race([new Promise<void>((resolve) => { wake = resolve }), sleep(25)])
        wake = undefined
        continue
      }
      free -= ids.length
      const plans = ids.map((id, i) => {
        const plan = jobs.get(id)!.complete
        const value = Take.tokenOf(lease, i)
        return { ...plan, guards: plan.guards.map((g) => (g.op === "heq" ? { ...g, value } : g)) }
      })
      void evalApply(redis, encodePlans("complete", plans)).then(() => {
        free += ids.length
        done += ids.length
        slotFreed?.()
        slotFreed = undefined
      })
    }
  })()
  return {
    processed: () => done,
    stop: async () => {
      stopped = true
      wake?.()
      slotFreed?.()
      await loop
      sub.disconnect()
      redis.disconnect()
    }
  }
}

/**
 * (b) Go's worker: `concurrency` lanes, each LMOVE (or BLMOVE on its own
 * connection when `blocking`), GET, then SET EX + LREM + HSET + EXPIRE +
 * PUBLISH in one MULTI, the completed JSON built beforehand.
 */
export const startRawGoWorker = async (
  url: string,
  jobs: ReadonlyMap<string, Prepared>,
  concurrency: number,
  blocking: boolean,
  onJob?: () => void
): Promise<RawWorker> => {
  const shared = new Redis(url, { connectionName: "raw-go-worker" })
  const connections = blocking ? Array.from({ length: concurrency }, () => new Redis(url, { connectionName: "raw-go-worker" })) : []
  let done = 0
  let stopped = false
  const completedAt = Timestamp.formatSeconds(Timestamp.fromMillis(Date.now()))
  const lane = async (i: number) => {
    const redis = blocking ? connections[i]! : shared
    while (!stopped) {
      const id = blocking
        ? await redis.blmove(keys.queue("normal"), keys.processing, "RIGHT", "LEFT", 0.2)
        : await redis.lmove(keys.queue("normal"), keys.processing, "RIGHT", "LEFT")
      if (id === null) {
        if (!blocking) return
        continue
      }
      await redis.get(keys.job(id))
      onJob?.()
      await redis.multi()
        .set(keys.job(id), jobs.get(id)!.completedJson, "EX", protocol.ttl.completedJob)
        .lrem(keys.processing, 1, id)
        .hset(keys.result(id), "status", "completed", "completed_at", completedAt, "duration_ms", "0")
        .expire(keys.result(id), protocol.ttl.resultSuccess)
        .publish(keys.notify(id), "ready")
        .exec()
      done++
    }
  }
  const lanes = Promise.all(Array.from({ length: concurrency }, (_, i) => lane(i)))
  return {
    processed: () => done,
    stop: async () => {
      stopped = true
      await lanes
      for (const c of connections) c.disconnect()
      shared.disconnect()
    }
  }
}

/** Waits until `worker` processed `n` jobs (checking every ms). */
export const drained = async (worker: RawWorker, n: number): Promise<void> => {
  while (worker.processed() < n) await sleep(1)
}
