/**
 * At-least-once under SIGKILL: a worker child process runs 1,000 jobs on a
 * real Redis and is killed at random moments (mid-dequeue, mid-job,
 * mid-completion) and restarted, again and again. Every job must complete
 * at least once and none may be lost: nothing left queued, in processing,
 * scheduled or dead. The last child is stopped with SIGTERM (graceful).
 */
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as BananasRedis from "../../src/layers/redis/BananasRedis.ts"
import { Queue } from "../../src/services/Queue.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"
import { newJob } from "./support/Backend.ts"

const fixture = fileURLToPath(new URL("./fixtures/killable-worker.ts", import.meta.url))
const TOTAL = 1_000
const KILLS = 8

interface Child {
  readonly process: ChildProcess
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
    child.stdout!.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("ready")) resolve({ process: child, exited })
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
        const queue = yield* Queue
        const priorities = ["high", "normal", "low"] as const
        const jobs = []
        for (let i = 0; i < TOTAL; i++) {
          // a generous retry budget: each kill counts an attempt for the jobs it interrupts
          jobs.push(yield* newJob("kill_test", { payload: `{"n":${i}}`, priority: priorities[i % 3]!, maxRetries: 1_000 }))
        }
        yield* queue.enqueueBatch(jobs)
        return jobs.map((j) => j.id)
      }).pipe(Effect.provide(BananasRedis.layer({ url: server.url, prefix }).pipe(Layer.orDie)))

      const doneCount = () => r.scard(env.DONE_KEY)
      const summary = yield* Effect.promise(async () => {
        let kills = 0
        let killedWhileBusy = 0
        while (kills < KILLS && (await doneCount()) < TOTAL) {
          const child = await startChild(env)
          await sleep(200 + Math.floor(Math.random() * 300))
          const busy = (await r.llen(`${prefix}queue:processing`)) > 0
          child.process.kill("SIGKILL")
          const { signal } = await child.exited
          assert.strictEqual(signal, "SIGKILL")
          kills++
          if (busy) killedWhileBusy++
        }
        const doneBeforeLast = await doneCount()
        const last = await startChild(env)
        const deadline = Date.now() + 45_000
        while ((await doneCount()) < TOTAL || (await r.llen(`${prefix}queue:processing`)) > 0) {
          if (Date.now() > deadline) break
          await sleep(50)
        }
        last.process.kill("SIGTERM")
        const lastExit = await last.exited
        return { kills, killedWhileBusy, doneBeforeLast, lastExit }
      })

      const done = new Set(yield* Effect.promise(() => r.smembers(env.DONE_KEY)))
      const runs = yield* Effect.promise(() => r.hgetall(env.RUNS_KEY))
      const reRun = Object.values(runs).filter((n) => Number(n) > 1).length
      const statuses = yield* Effect.promise(() => r.mget(ids.map((id) => `${prefix}job:${id}`)))
      const completed = statuses.filter((s) => s !== null && s.includes(`"status":"completed"`)).length
      const leftovers = yield* Effect.promise(async () => ({
        high: await r.llen(`${prefix}queue:high`),
        normal: await r.llen(`${prefix}queue:normal`),
        low: await r.llen(`${prefix}queue:low`),
        processing: await r.llen(`${prefix}queue:processing`),
        dead: await r.llen(`${prefix}queue:dead`),
        scheduled: await r.zcard(`${prefix}queue:scheduled`),
        leases: await r.zcard(`${prefix}leases`)
      }))
      console.log(
        `kill test: ${completed}/${TOTAL} completed after ${summary.kills} SIGKILLs ` +
          `(${summary.killedWhileBusy} with jobs in flight; ${summary.doneBeforeLast} done before the last start); ` +
          `${reRun} job(s) ran more than once (at-least-once); leftovers ${JSON.stringify(leftovers)}; ` +
          `last child exit ${JSON.stringify(summary.lastExit)}`
      )
      assert.strictEqual(summary.kills, KILLS, "the kills happened before the jobs ran out")
      assert.isTrue(summary.killedWhileBusy > 0, "at least one kill hit jobs in flight")
      assert.strictEqual(done.size, TOTAL, "every job ran to its end at least once")
      for (const id of ids) assert.isTrue(done.has(id), `job ${id} completed`)
      assert.strictEqual(completed, TOTAL, "every job is marked completed")
      assert.deepStrictEqual(leftovers, { high: 0, normal: 0, low: 0, processing: 0, dead: 0, scheduled: 0, leases: 0 })
      // SIGTERM: graceful drain, then the interrupted main exits 130
      assert.strictEqual(summary.lastExit.code, 130)
    }), { timeout: 90_000 })
})
