/**
 * Exactly one job per slot with many schedulers: 4 scheduler processes on
 * one real Redis, two of them SIGKILLed and restarted (one each time),
 * beside a Go-shaped scheduler that takes Go's `schedule_lock:{id}` and
 * writes Go's state hash, fire an every-second cron schedule, a 2-second
 * interval and an every-minute cron schedule for `BANANAS_CRON_SECONDS`
 * seconds (default 10; `npm run soak:schedules` runs it for 180). Every
 * slot from the first to the last has exactly one job, every slot while
 * the schedulers ran is there (none missing), and the state hash keeps
 * Go's shape (its `run_count` counts our runs and Go's). The figures
 * (slots, jobs, duplicates, missing, lateness of each job: its
 * `created_at` after its slot) are printed, not asserted.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { randomUUID } from "node:crypto"
import { fileURLToPath } from "node:url"
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as JobCodec from "../../src/domain/JobCodec.ts"
import type { RawJson } from "../../src/domain/RawJson.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import * as BananasRedis from "../../src/layers/redis/BananasRedis.ts"
import { Schedules } from "../../src/services/Schedules.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"
import { audit } from "../support/WireAudit.ts"

const fixture = fileURLToPath(new URL("./fixtures/cron-scheduler.ts", import.meta.url))

interface Child {
  readonly process: ChildProcess
  readonly exited: Promise<unknown>
}

const startChild = (env: Record<string, string>): Promise<Child> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
    const exited = new Promise((done) => child.once("exit", done))
    let stderr = ""
    child.stderr!.on("data", (chunk: Buffer) => { stderr += chunk.toString() })
    let stdout = ""
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString()
      if (/ready \d+\n/.test(stdout)) resolve({ process: child, exited })
    })
    void exited.then(() => reject(new Error(`scheduler child exited before ready: ${stderr}`)))
  })

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
/** How long the schedulers run (seconds): short in CI, 180 for the soak (`npm run soak:schedules`). */
const seconds = Number(process.env.BANANAS_CRON_SECONDS ?? 10)
if (!Number.isFinite(seconds) || seconds < 5) throw new Error(`BANANAS_CRON_SECONDS must be a number of seconds, at least 5, got ${process.env.BANANAS_CRON_SECONDS}`)
const rfc3339Seconds = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$/
/** Go's lock release: delete only if it still holds our token. */
const release = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) else return 0 end`

layer(RedisServer.layer, { excludeTestServices: true, timeout: "90 seconds" })("CronScheduler on Redis", (it) => {
  it.effect(`4 scheduler processes (killed and restarted twice) and a Go-shaped one for ${seconds} s: one job per slot, none missing`, () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      const r = server.raw
      const prefix = uniquePrefix("cron")
      const payload = `{"n":12345678901234567890}` as RawJson
      yield* Effect.gen(function*() {
        const schedules = yield* Schedules
        yield* schedules.upsert({ id: "sec", cron: "* * * * * *", job: { name: "tick", payload } })
        yield* schedules.upsert({ id: "two", every: 2, job: { name: "tock", payload, priority: "high" } })
        yield* schedules.upsert({ id: "min", cron: "* * * * *", job: { name: "minute", payload, priority: "low" } })
      }).pipe(Effect.provide(BananasRedis.layer({ url: server.url, prefix }).pipe(Layer.orDie)))

      const { goRuns, started, stopped } = yield* Effect.promise(async () => {
        const env = { REDIS_URL: server.url, BANANAS_PREFIX: prefix }
        const children = await Promise.all([0, 1, 2, 3].map(() => startChild(env)))
        const started = Date.now()
        // The Go-shaped scheduler: Go's lock (SET NX EX 60), Go's state writes, release by token.
        let goRuns = 0
        let running = true
        const go = (async () => {
          while (running) {
            const token = randomUUID()
            const lock = `${prefix}schedule_lock:sec`
            if (await r.set(lock, token, "EX", 60, "NX") === "OK") {
              const now = Timestamp.formatSeconds(Timestamp.fromMillis(Date.now()))
              await r.hincrby(`${prefix}schedules:sec`, "run_count", 1)
              await r.hdel(`${prefix}schedules:sec`, "last_error")
              await r.hset(`${prefix}schedules:sec`, "last_run", now, "last_success", now)
              goRuns++
              await sleep(150)
              await r.eval(release, 1, lock, token)
            }
            await sleep(350)
          }
        })()
        // Kills at about a third and two thirds of the run.
        const gap = Math.round((seconds * 1000 - 1_000) / 3)
        for (const victim of [1, 2]) {
          await sleep(gap)
          children[victim]!.process.kill("SIGKILL")
          await children[victim]!.exited
          await sleep(500)
          children[victim] = await startChild(env)
        }
        await sleep(Math.max(0, started + seconds * 1000 - Date.now()))
        const stopped = Date.now()
        running = false
        await go
        for (const child of children) {
          child.process.kill("SIGKILL")
          await child.exited
        }
        return { goRuns, started, stopped }
      })

      // Slots every scheduler process was up for (a second's margin at each end).
      const lo = Math.ceil(started / 1000) + 1, hi = Math.floor(stopped / 1000) - 1
      const figures: Array<string> = []
      for (const [id, queue, step] of [["sec", "normal", 1], ["two", "high", 2], ["min", "low", 60]] as const) {
        const ids = [...(yield* Effect.promise(() => r.lrange(`${prefix}queue:${queue}`, 0, -1)))].reverse()
        assert.strictEqual(new Set(ids).size, ids.length, `${id}: no id queued twice`)
        const slots = ids.map((jobId) => Number(jobId.slice(`sched:${id}:`.length)))
        assert.isTrue(ids.every((jobId) => jobId.startsWith(`sched:${id}:`)), id)
        const duplicates = ids.length - new Set(ids).size
        // The slots due while every scheduler ran: an interval's from its first slot, a cron's on its step.
        const phase = id === "two" ? ((slots[0] ?? lo) % step + step) % step : 0
        const due = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i).filter((s) => ((s - phase) % step + step) % step === 0)
        const missing = due.filter((s) => !slots.includes(s))
        assert.deepStrictEqual(missing, [], `${id}: no slot missing while the schedulers ran`)
        if (slots.length > 0) {
          const first = slots[0]!, last = slots[slots.length - 1]!
          const expected = Array.from({ length: (last - first) / step + 1 }, (_, i) => first + i * step)
          assert.deepStrictEqual(slots, expected, `${id}: every slot from the first to the last, once, in order`)
        }
        const datas = ids.length === 0 ? [] : yield* Effect.promise(() => r.mget(ids.map((jobId) => `${prefix}job:${jobId}`)))
        const late = datas.map((data, i) => {
          const job = JobCodec.decode(data!)
          assert.isTrue(job._tag === "Success", ids[i])
          if (job._tag !== "Success") return 0
          assert.strictEqual(job.success.scheduleId, id)
          assert.strictEqual(job.success.scheduleSlot, slots[i])
          assert.strictEqual(job.success.payload, payload)
          return Timestamp.toMillis(job.success.createdAt) - slots[i]! * 1000
        }).sort((a, b) => a - b)
        const state = yield* Effect.promise(() => r.hgetall(`${prefix}schedules:${id}`))
        if (slots.length > 0) for (const field of ["last_run", "last_success"]) assert.match(state[field] ?? "", rfc3339Seconds, `${id} ${field}`)
        assert.match(state.next_run ?? "", rfc3339Seconds, `${id} next_run`)
        assert.strictEqual(Number(state.run_count ?? 0), slots.length + (id === "sec" ? goRuns : 0), `${id}: run_count counts our runs and Go's`)
        figures.push(
          `${id}: ${due.length} slots due while all ran, ${slots.length} jobs (slots ${slots[0] ?? "-"}..${slots[slots.length - 1] ?? "-"}), ` +
            `duplicates ${duplicates}, missing ${missing.length}; late by ms: median ${late[late.length >> 1] ?? "-"}, ` +
            `p95 ${late[Math.floor(late.length * 0.95)] ?? "-"}, max ${late[late.length - 1] ?? "-"}; ` +
            `state ${JSON.stringify(Object.keys(state).sort())} run_count ${state.run_count ?? 0}`
        )
      }
      console.log(`cron soak ${seconds} s (4 schedulers, 2 killed and restarted, 1 Go-shaped; Go ran "sec" ${goRuns} times):\n${figures.join("\n")}`)
      assert.isAbove(goRuns, 3, "the Go-shaped scheduler held the lock")
      const report = yield* Effect.promise(() => audit(r, prefix))
      assert.deepStrictEqual(report.problems, [], "the keyspace has the wire shape of docs/PROTOCOL.md")
    }), { timeout: 60_000 + seconds * 1000 })
})
