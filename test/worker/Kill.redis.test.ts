/**
 * At-least-once under SIGKILL: a worker child process runs 1,000 jobs on a
 * real Redis and is killed at random moments (mid-dequeue, mid-job,
 * mid-completion) and restarted, again and again. Every job must complete
 * at least once and none may be lost: nothing left queued, in processing,
 * scheduled or dead, and no lease bookkeeping left. The last child is
 * stopped with SIGTERM (graceful).
 *
 * A killed worker's jobs are those its `worker:{id}` set still names: they
 * stay in processing under its token until its heartbeat (the set's TTL,
 * the lease duration) lapses, and then a reaper of a later child recovers
 * each once, counting one attempt. So every job's final attempt count is
 * exactly the number of kills that caught it held.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as BananasRedis from "../../src/layers/redis/BananasRedis.ts"
import { JobQueue } from "../../src/services/JobQueue.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"
import { between, random } from "../support/Seed.ts"
import { newJob } from "./support/Backend.ts"

const fixture = fileURLToPath(new URL("./fixtures/killable-worker.ts", import.meta.url))
const TOTAL = 1_000
const KILLS = 8
/** When to kill each child: drawn from the run's seed (BANANAS_TEST_SEED replays them). */
const draw = random("worker/Kill.redis")

interface Child {
  readonly process: ChildProcess
  /** The child's worker id (its lease owner). */
  readonly workerId: string
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

const startChild = (env: Record<string, string>): Promise<Child> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
      child.once("exit", (code, signal) => done({ code, signal }))
    )
    let stderr = ""
    child.stderr!.on("data", (chunk: Buffer) => { stderr += chunk.toString() })
    let stdout = ""
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString()
      const ready = /ready (\d+) (\S+)\n/.exec(stdout)
      if (ready !== null) resolve({ process: child, workerId: ready[2]!, exited })
    })
    void exited.then(({ code, signal }) => reject(new Error(`worker child exited before ready (${code ?? signal}): ${stderr}`)))
  })

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

layer(RedisServer.layer, { excludeTestServices: true, timeout: "90 seconds" })("Kill test", (it) => {
  it.effect(`a worker SIGKILLed ${KILLS} times while running ${TOTAL} jobs loses none`, () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      const r = server.raw
      const prefix = uniquePrefix("kill")
      const env = { REDIS_URL: server.url, BANANAS_PREFIX: prefix, DONE_KEY: `${prefix}test:done`, RUNS_KEY: `${prefix}test:runs` }

      const ids = yield* Effect.gen(function*() {
        const queue = yield* JobQueue
        const priorities = ["high", "normal", "low"] as const
        const jobs = []
        for (let i = 0; i < TOTAL; i++) {
          // a generous retry budget: each kill counts an attempt for the jobs it interrupts
          jobs.push(yield* newJob("kill_test", { payload: `{"n":${i}}`, priority: priorities[i % 3]!, maxRetries: 1_000 }))
        }
        const outcomes = yield* queue.enqueueBatch(jobs)
        assert.isTrue(outcomes.every((o) => o === "created"))
        return jobs.map((j) => j.id)
      }).pipe(Effect.provide(BananasRedis.layer({ url: server.url, prefix }).pipe(Layer.orDie)))

      const doneCount = () => r.scard(env.DONE_KEY)
      /** Per job: how many kills caught it held (each costs it one attempt when it is reaped). */
      const caught = new Map<string, number>()
      const summary = yield* Effect.promise(async () => {
        let kills = 0
        let killedWhileBusy = 0
        let heldAtKills = 0
        while (kills < KILLS && (await doneCount()) < TOTAL) {
          const child = await startChild({ ...env, SEED_LABEL: `killable-worker-${kills}` })
          await sleep(between(draw, 200, 500))
          child.process.kill("SIGKILL")
          const { signal } = await child.exited
          assert.strictEqual(signal, "SIGKILL")
          kills++
          // What the dead worker still holds (read again once any command it had sent has landed).
          const heldKey = `${prefix}worker:${child.workerId}`
          await sleep(50)
          const snapshot = await r.multi()
            .smembers(heldKey)
            .pttl(heldKey)
            .lrange(`${prefix}queue:processing`, 0, -1)
            .hgetall(`${prefix}lease:tokens`)
            .exec()
          const [held, ttl, inProcessing, tokenOf] = snapshot!.map(([error, value]) => {
            if (error !== null) throw error
            return value
          }) as [Array<string>, number, Array<string>, Record<string, string>]
          if (held.length > 0) {
            killedWhileBusy++
            heldAtKills += held.length
            // its heartbeat has not lapsed yet: no reaper may take these jobs yet
            assert.isTrue(ttl > 0 && ttl <= 1_000, `heartbeat TTL ${ttl}`)
            const processing = new Set(inProcessing)
            const tokens = held.map((id) => tokenOf[id])
            held.forEach((id, i) => {
              assert.isTrue(processing.has(id), `held job ${id} is in processing`)
              assert.isTrue(tokens[i]?.startsWith(`${child.workerId}:`) === true, `held job ${id} carries the dead worker's token`)
              caught.set(id, (caught.get(id) ?? 0) + 1)
            })
          }
        }
        const doneBeforeLast = await doneCount()
        const last = await startChild({ ...env, SEED_LABEL: "killable-worker-last" })
        const deadline = Date.now() + 45_000
        while ((await doneCount()) < TOTAL || (await r.llen(`${prefix}queue:processing`)) > 0) {
          if (Date.now() > deadline) break
          await sleep(50)
        }
        last.process.kill("SIGTERM")
        const lastExit = await last.exited
        return { kills, killedWhileBusy, heldAtKills, doneBeforeLast, lastExit }
      })

      const done = new Set(yield* Effect.promise(() => r.smembers(env.DONE_KEY)))
      const runs = yield* Effect.promise(() => r.hgetall(env.RUNS_KEY))
      const reRun = Object.values(runs).filter((n) => Number(n) > 1).length
      const statuses = yield* Effect.promise(() => r.mget(ids.map((id) => `${prefix}job:${id}`)))
      const completed = statuses.filter((s) => s !== null && s.includes(`"status":"completed"`)).length
      const attempts = statuses.map((s) => Number(/"attempts":(\d+)/.exec(s ?? "")?.[1] ?? -1))
      const leftovers = yield* Effect.promise(async () => ({
        high: await r.llen(`${prefix}queue:high`),
        normal: await r.llen(`${prefix}queue:normal`),
        low: await r.llen(`${prefix}queue:low`),
        processing: await r.llen(`${prefix}queue:processing`),
        dead: await r.llen(`${prefix}queue:dead`),
        scheduled: await r.zcard(`${prefix}queue:scheduled`),
        leases: await r.zcard(`${prefix}leases`),
        tokens: await r.hlen(`${prefix}lease:tokens`),
        heldSets: (await r.keys(`${prefix}worker:*`)).length
      }))
      console.log(
        `kill test: ${completed}/${TOTAL} completed after ${summary.kills} SIGKILLs ` +
          `(${summary.killedWhileBusy} with jobs held, ${summary.heldAtKills} jobs caught in all; ${summary.doneBeforeLast} done before the last start); ` +
          `${reRun} job(s) ran more than once (at-least-once); leftovers ${JSON.stringify(leftovers)}; ` +
          `last child exit ${JSON.stringify(summary.lastExit)}`
      )
      assert.strictEqual(summary.kills, KILLS, "the kills happened before the jobs ran out")
      assert.isTrue(summary.killedWhileBusy > 0, "at least one kill hit jobs in flight")
      assert.strictEqual([...caught.values()].reduce((a, b) => a + b, 0), summary.heldAtKills)
      assert.strictEqual(done.size, TOTAL, "every job ran to its end at least once")
      for (const id of ids) assert.isTrue(done.has(id), `job ${id} completed`)
      assert.strictEqual(completed, TOTAL, "every job is marked completed")
      // each kill that caught a job held cost it exactly one attempt (reaped once its worker's heartbeat lapsed); nothing else did
      ids.forEach((id, i) => assert.strictEqual(attempts[i], caught.get(id) ?? 0, `attempts of job ${id}`))
      assert.deepStrictEqual(leftovers, { high: 0, normal: 0, low: 0, processing: 0, dead: 0, scheduled: 0, leases: 0, tokens: 0, heldSets: 0 })
      // SIGTERM: graceful drain, then the interrupted main exits 130
      assert.strictEqual(summary.lastExit.code, 130)
    }), { timeout: 90_000 })
})
