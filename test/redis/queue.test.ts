/**
 * Redis-specific JobQueue / QueueAdmin behaviour (the shared contract suite
 * covers the semantics): round trips of batched plans (one EVALSHA of the
 * `applyPlans` script per chunk and per burst), the wake-up channel of blocking
 * dequeues, the lazily opened subscriber connection, concurrent promoters
 * on separate connections, atomicity under concurrent workers, crash
 * recovery under TestClock (leases, lease tokens, worker heartbeats),
 * script cache loss, glob-safe SCAN, connection failures, and `layerConfig`.
 */
import { assert, describe, layer } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import { TestClock } from "effect/testing"
import * as Job from "../../src/domain/Job.ts"
import * as JobCodec from "../../src/domain/JobCodec.ts"
import type { JobPage } from "../../src/domain/JobPage.ts"
import type { JobPriority } from "../../src/domain/JobPriority.ts"
import type { RawJson } from "../../src/domain/RawJson.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import * as BananasRedis from "../../src/layers/redis/BananasRedis.ts"
import * as Wire from "../../src/protocol/Wire.ts"
import { type JobDelivery, JobQueue } from "../../src/services/JobQueue.ts"
import { QueueAdmin } from "../../src/services/QueueAdmin.ts"
import { ResultBackend } from "../../src/services/ResultBackend.ts"
import { freePort, RedisServer, uniquePrefix } from "../support/RedisServer.ts"
import {
  calls,
  client,
  cmd,
  connectionsNamed,
  eventually,
  keys,
  listenRaw,
  numsub,
  silentClient,
  takeJob,
  ts
} from "./support.ts"

const all: ReadonlyArray<JobPriority> = ["high", "normal", "low"]
const t0 = ts("2025-01-15T10:30:00Z")

const job = (id: string, options?: { readonly priority?: JobPriority; readonly maxRetries?: number; readonly now?: Timestamp.Timestamp }) =>
  Job.make({
    id,
    name: "t",
    payload: `{"id":"${id}"}` as RawJson,
    priority: options?.priority ?? "normal",
    now: options?.now ?? t0,
    maxRetries: options?.maxRetries ?? Job.defaultMaxRetries
  })

/** The id of a delivery. */
const idOf = (d: { readonly _tag: "Job"; readonly job: { readonly id: string } } | { readonly _tag: "DeadLettered"; readonly id: string }) =>
  d._tag === "Job" ? d.job.id : d.id

describe("Redis JobQueue", () => {
  layer(RedisServer.layer, { excludeTestServices: true })((it) => {
    it.effect("enqueueBatch: one EVALSHA of the applyPlans script per chunk (no MULTI), every job stored and queued in order", () =>
      Effect.gen(function*() {
        const q = yield* JobQueue
        const k = yield* keys
        const jobs = Array.from({ length: 1200 }, (_, i) => job(`b-${i}`, { priority: i % 2 === 0 ? "normal" : "low" }))
        yield* cmd((r) => r.config("RESETSTAT"))
        const outcomes = yield* q.enqueueBatch(jobs)
        assert.deepStrictEqual(new Set(outcomes), new Set(["created"]))
        assert.strictEqual(outcomes.length, 1200)
        const stats = yield* cmd((r) => r.info("commandstats"))
        assert.match(stats, /cmdstat_evalsha:calls=3,/) // 500 + 500 + 200 plans
        assert.notMatch(stats, /cmdstat_(multi|exec|eval):/)
        // Inside the script: each plan's own writes.
        assert.match(stats, /cmdstat_set:calls=1200,/)
        assert.match(stats, /cmdstat_lpush:calls=1200,/)
        // Identical wake-ups of one call go out once: "normal" and "low" per chunk.
        assert.match(stats, /cmdstat_publish:calls=6,/)
        // FIFO: the oldest is at the RPOP end.
        const normal = yield* cmd((r) => r.lrange(k.queue("normal"), 0, -1))
        assert.strictEqual(normal.length, 600)
        assert.strictEqual(normal[normal.length - 1], "b-0")
        assert.strictEqual(normal[0], "b-1198")
        assert.strictEqual((yield* takeJob()).job.id, "b-0")
        assert.strictEqual((yield* (yield* QueueAdmin).stats).queued.low, 600)
      }).pipe(Effect.provide(client({ batchChunkSize: 500 }))))

    it.effect("a take reads the paused set only when it exists: no SMISMEMBER while nothing is paused, one per take once a queue is", () =>
      Effect.gen(function*() {
        const q = yield* JobQueue
        const admin = yield* QueueAdmin
        yield* q.enqueueBatch(["p-0", "p-1", "p-2"].map((id) => job(id, { priority: "low" })))
        yield* cmd((r) => r.config("RESETSTAT"))
        assert.deepStrictEqual((yield* q.dequeueMany({ priorities: all, block: Duration.zero, max: 1 })).map(idOf), ["p-0"])
        assert.strictEqual(yield* calls("smismember"), 0, "nothing paused: the set's TYPE only")
        yield* admin.pause({ priority: "high" })
        yield* cmd((r) => r.config("RESETSTAT"))
        assert.deepStrictEqual((yield* q.dequeueMany({ priorities: all, block: Duration.zero, max: 1 })).map(idOf), ["p-1"])
        assert.strictEqual(yield* calls("smismember"), 1, "one SMISMEMBER of every source's name")
        yield* admin.resume({ priority: "high" })
      }).pipe(Effect.provide(client())))

    it.effect("dequeueMany: one script call takes the whole batch with its leases; a burst of completions shares one apply call", () =>
      Effect.gen(function*() {
        const q = yield* JobQueue
        const k = yield* keys
        const ids = Array.from({ length: 6 }, (_, i) => `burst-${i}`)
        yield* q.enqueueBatch(ids.map((id, i) => job(id, { priority: i < 2 ? "high" : "low", maxRetries: 1 })))
        yield* cmd((r) => r.config("RESETSTAT"))
        const lease = { owner: "w", duration: Duration.seconds(30) }
        const taken = yield* q.dequeueMany({ priorities: all, block: Duration.zero, lease, max: 10 })
        assert.deepStrictEqual(taken.map(idOf), ids)
        const takeStats = yield* cmd((r) => r.info("commandstats"))
        assert.match(takeStats, /cmdstat_evalsha:calls=1,/) // the take script, one round trip
        assert.match(takeStats, /cmdstat_mget:calls=1,/) // the data, one MGET inside it (no second round trip)
        const deliveries = taken.filter((d): d is JobDelivery => d._tag === "Job")
        assert.strictEqual(deliveries.length, 6)
        // Each delivery holds its own token, recorded in lease:tokens; the worker's held set names them all,
        // its TTL (the heartbeat) the lease duration.
        const tokens = yield* cmd((r) => r.hgetall(k.tokens))
        assert.deepStrictEqual(tokens, Object.fromEntries(deliveries.map((d) => [d.job.id, d.token!])))
        for (const d of deliveries) assert.match(d.token!, /^w:\d+$/)
        assert.strictEqual(new Set(deliveries.map((d) => d.token)).size, 6)
        assert.deepStrictEqual((yield* cmd((r) => r.smembers(k.held("w")))).sort(), [...ids].sort())
        const heartbeat = yield* cmd((r) => r.pttl(k.held("w")))
        assert.isTrue(heartbeat > 25_000 && heartbeat <= 30_000, `heartbeat TTL ${heartbeat} ms`)
        assert.strictEqual(yield* cmd((r) => r.zcard(k.leases)), 6)

        yield* cmd((r) => r.config("RESETSTAT"))
        const now = ts("2025-01-15T10:31:00Z")
        // Five completions and a final failure in the same burst: one call, each job's own outcome.
        yield* Effect.all([
          ...deliveries.slice(0, 5).map((d) => q.complete(d, { result: `{"ok":"${d.job.id}"}` as RawJson, durationMs: 3, now })),
          q.fail(deliveries[5]!, "boom", { durationMs: 4, now })
        ], { concurrency: "unbounded" })
        const stats = yield* cmd((r) => r.info("commandstats"))
        assert.match(stats, /cmdstat_evalsha:calls=1,/)
        assert.notMatch(stats, /cmdstat_(multi|exec|eval):/)
        assert.match(stats, /cmdstat_publish:calls=6,/)
        // The burst's six leases end in one ZREM, one HDEL and one SREM, gathered over its plans.
        assert.match(stats, /cmdstat_zrem:calls=1,/)
        assert.match(stats, /cmdstat_hdel:calls=1,/)
        assert.match(stats, /cmdstat_srem:calls=1,/)
        assert.strictEqual(yield* cmd((r) => r.llen(k.processing)), 0)
        assert.strictEqual(yield* cmd((r) => r.zcard(k.leases)), 0)
        assert.strictEqual(yield* cmd((r) => r.exists(k.tokens)), 0)
        assert.strictEqual(yield* cmd((r) => r.exists(k.held("w"))), 0)
        assert.deepStrictEqual(yield* cmd((r) => r.lrange(k.dead, 0, -1)), ["burst-5"])
        for (const id of ids.slice(0, 5)) {
          assert.deepStrictEqual(yield* cmd((r) => r.hgetall(k.result(id))), {
            status: "completed",
            completed_at: "2025-01-15T10:31:00Z",
            duration_ms: "3",
            result: `{"ok":"${id}"}`
          })
          assert.include(yield* cmd((r) => r.get(k.job(id))) ?? "", `"status":"completed"`)
          const ttl = yield* cmd((r) => r.ttl(k.job(id)))
          assert.isTrue(ttl > 86_000 && ttl <= 86_400, `job TTL ${ttl}`)
        }
        assert.deepStrictEqual(yield* cmd((r) => r.hgetall(k.result("burst-5"))), {
          status: "failed",
          completed_at: "2025-01-15T10:31:00Z",
          duration_ms: "4",
          error: "boom"
        })
        const deadTtl = yield* cmd((r) => r.ttl(k.job("burst-5")))
        assert.isTrue(deadTtl > 604_000 && deadTtl <= 604_800, `dead job TTL ${deadTtl}`)
      }).pipe(Effect.provide(client())))

    it.effect("idle dequeues wait on one lasting subscription of the wake channel: woken by an SDK enqueue's PUBLISH, kept while the client lives (no SUBSCRIBE per idle spell), released when it closes", () =>
      Effect.gen(function*() {
        const wake = yield* Effect.gen(function*() {
          const q = yield* JobQueue
          const k = yield* keys
          const wake = `${k.prefix}queue:wake`
          assert.strictEqual(k.wake, wake)
          const fiber = yield* Effect.forkChild(q.dequeue({ priorities: ["low"], block: Duration.seconds(20) }))
          yield* eventually("listening", Effect.map(numsub(wake), (n) => n === 1))
          yield* q.enqueue(job("woken", { priority: "low" }))
          const delivery = Option.getOrThrow(yield* Fiber.join(fiber))
          assert.strictEqual(delivery._tag === "Job" ? delivery.job.id : undefined, "woken")

          // Two waits at once, one interrupted, one timed out: still one subscription, no re-subscribe.
          yield* cmd((r) => r.config("RESETSTAT"))
          const blocked = yield* Effect.forkChild(q.dequeue({ priorities: ["low"], block: Duration.seconds(20) }))
          const other = yield* Effect.forkChild(q.dequeue({ priorities: ["high"], block: Duration.seconds(20) }))
          yield* q.enqueue(job("one", { priority: "high" }))
          const got = Option.getOrThrow(yield* Fiber.join(other))
          assert.strictEqual(got._tag === "Job" ? got.job.id : undefined, "one")
          yield* Fiber.interrupt(blocked)
          assert.isTrue(Option.isNone(yield* q.dequeue({ priorities: all, block: Duration.millis(60) })))
          assert.strictEqual(yield* numsub(wake), 1)
          assert.notMatch(yield* cmd((r) => r.info("commandstats")), /cmdstat_(un)?subscribe:/)
          return wake
        }).pipe(Effect.provide(client({ dequeuePollInterval: Duration.minutes(1) })))
        yield* eventually("released with the client", Effect.map(numsub(wake), (n) => n === 0))
      }))

    it.effect("after a take that came back short, the next blocking dequeue of the same queues sends no take until a wake-up: one take per job under light load, and a wake-up that came in between is not missed", () =>
      Effect.gen(function*() {
        const q = yield* JobQueue
        const ids = (ds: ReadonlyArray<{ readonly _tag: string }>) => ds.map((d) => (d._tag === "Job" ? (d as JobDelivery).job.id : d._tag))
        const take = (priorities: ReadonlyArray<JobPriority>) => q.dequeueMany({ priorities, block: Duration.seconds(20), max: 5 })
        yield* q.enqueue(job("short-1"))
        yield* q.enqueue(job("short-2"))
        assert.deepStrictEqual(ids(yield* take(["normal"])), ["short-1", "short-2"]) // 2 of 5: the queue is drained

        // Enqueued after that take: its wake-up wakes the next dequeue at once.
        yield* q.enqueue(job("short-3"))
        assert.deepStrictEqual(ids(yield* take(["normal"])), ["short-3"])

        // Nothing since: the next dequeue waits without a take, until an enqueue wakes it.
        yield* cmd((r) => r.config("RESETSTAT"))
        const waiting = yield* Effect.forkChild(take(["normal"]))
        yield* Effect.sleep(Duration.millis(200))
        assert.strictEqual(yield* calls("evalsha"), 0, "a take while nothing was made available")
        yield* q.enqueue(job("short-4"))
        assert.deepStrictEqual(ids(yield* Fiber.join(waiting)), ["short-4"])
        assert.strictEqual(yield* calls("evalsha"), 2, "the enqueue and one take")

        // Other queues than the drained take's: looked at first, as always.
        yield* cmd((r) => r.config("RESETSTAT"))
        yield* q.enqueue(job("short-5", { priority: "high" }))
        assert.deepStrictEqual(ids(yield* take(["high", "normal"])), ["short-5"])
        assert.strictEqual(yield* calls("evalsha"), 2)
      }).pipe(Effect.provide(client({ dequeuePollInterval: Duration.minutes(1) }))))

    it.effect("a dequeue that waited out its block after a short take leaves the next one to look at once: a job pushed without a wake-up (Go) is found", () =>
      Effect.gen(function*() {
        const q = yield* JobQueue
        const k = yield* keys
        const take = q.dequeueMany({ priorities: ["normal"], block: Duration.millis(100), max: 5 })
        yield* q.enqueue(job("go-after-1"))
        assert.strictEqual((yield* take).length, 1) // 1 of 5: drained
        assert.strictEqual((yield* take).length, 0) // no wake-up: waited its 100 ms without a look
        // As Go's producers push: no wake-up. The poll (1 minute) is far away; only a look finds it.
        yield* cmd((r) => r.set(k.job("go-after-2"), JobCodec.encode(job("go-after-2"))))
        yield* cmd((r) => r.lpush(k.queue("normal"), "go-after-2"))
        const found = yield* take
        assert.deepStrictEqual(found.map((d) => (d._tag === "Job" ? d.job.id : d._tag)), ["go-after-2"])
      }).pipe(Effect.provide(client({ dequeuePollInterval: Duration.minutes(1) }))))

    it.effect("block bounds a dequeue even while Redis never confirms the wake channel's subscription (a silent pub/sub connection)", () =>
      Effect.gen(function*() {
        const queue = silentClient({ prefix: uniquePrefix("silent") })
        const outcome = yield* JobQueue.use((q) => q.dequeue({ priorities: all, block: Duration.millis(100) })).pipe(
          Effect.provide(queue),
          // Far beyond `block`: only a dequeue that ignores it gets here.
          Effect.timeoutOrElse({ duration: Duration.seconds(5), orElse: () => Effect.succeed("hung" as const) })
        )
        assert.isTrue(Option.isOption(outcome) && Option.isNone(outcome))
      }))

    it.effect("every write that makes work available publishes a wake-up: enqueue, batch, promotion, release, requeue; a duplicate none", () =>
      Effect.gen(function*() {
        const q = yield* JobQueue
        const admin = yield* QueueAdmin
        const k = yield* keys
        const messages = yield* listenRaw(k.wake)
        yield* q.enqueue(job("e", { priority: "high" }))
        yield* q.enqueueBatch([job("b1", { priority: "low" }), job("b2", { priority: "low" })])
        yield* q.schedule({ ...job("s"), status: "scheduled", scheduledFor: t0 })
        assert.strictEqual((yield* q.promoteDue(t0)).promoted, 1)
        const taken = yield* takeJob()
        yield* q.release(taken)
        const dying = yield* takeJob()
        yield* q.fail({ ...dying, job: { ...dying.job, maxRetries: 0 } }, "x", { durationMs: 0, now: t0 })
        yield* admin.requeueDead(dying.job.id, t0)
        // An id that exists: nothing written, nothing pushed, so no wake-up (the sentinel after it is next).
        assert.strictEqual(yield* q.enqueue(job("e", { priority: "high" })), "duplicate")
        yield* q.enqueue(job("sentinel", { priority: "low" }))
        const got = yield* messages.stop(6)
        assert.deepStrictEqual(got.map(([, m]) => m), ["high", "low", "normal", "high", "high", "low"])
        assert.deepStrictEqual(yield* cmd((r) => r.lrange(k.queue("high"), 0, -1)), ["e"])
      }).pipe(Effect.provide(client())))

    it.effect("one connection until the first wait; the subscriber joins lazily; both close with the layer", () =>
      Effect.gen(function*() {
        const server = yield* RedisServer
        const name = `lazy-${crypto.randomUUID().slice(0, 6)}`
        const scope = yield* Scope.make()
        const context = yield* Layer.buildWithScope(BananasRedis.layer({ url: server.url, prefix: uniquePrefix(), connectionName: name }), scope)
        const q = Context.get(context, JobQueue)
        const rb = Context.get(context, ResultBackend)
        yield* q.enqueue(job("one"))
        yield* q.dequeue({ priorities: all, block: Duration.zero })
        assert.strictEqual((yield* connectionsNamed(name)).length, 1)
        yield* Effect.flip(rb.wait("nothing", Duration.millis(30)))
        assert.strictEqual((yield* connectionsNamed(name)).length, 2)
        yield* Scope.close(scope, Exit.void)
        yield* eventually("closed", Effect.map(connectionsNamed(name), (c) => c.length === 0))
      }))

    it.effect("4 promoters on 4 connections promote the same 1,000 due jobs: each pushed exactly once", () =>
      Effect.gen(function*() {
        const server = yield* RedisServer
        const prefix = uniquePrefix("promote")
        const due = Timestamp.addSeconds(t0, -1)
        const ids = Array.from({ length: 1000 }, (_, i) => `p-${i}`)
        const promoters = Array.from({ length: 4 }, () => BananasRedis.layer({ url: server.url, prefix }).pipe(Layer.orDie))
        yield* Effect.flatMap(JobQueue, (q) => Effect.forEach(ids, (id) => q.schedule({ ...job(id), status: "scheduled", scheduledFor: due }), { concurrency: 50 }))
          .pipe(Effect.provide(promoters[0]!))
        const counts = yield* Effect.forEach(
          promoters,
          (l) => Effect.flatMap(JobQueue, (q) => q.promoteDue(t0)).pipe(Effect.map((r) => r.promoted), Effect.provide(l)),
          { concurrency: "unbounded" }
        )
        assert.strictEqual(counts.reduce((a, b) => a + b, 0), 1000, `per promoter: ${counts}`)
        const queued = yield* cmd((r) => r.lrange(`${prefix}queue:normal`, 0, -1))
        assert.strictEqual(queued.length, 1000)
        assert.strictEqual(new Set(queued).size, 1000)
        assert.strictEqual(yield* cmd((r) => r.zcard(`${prefix}queue:scheduled`)), 0)
      }))

    it.effect("atomicity: under concurrent workers no id is ever in two lists at once, and each ends in exactly one place", () =>
      Effect.gen(function*() {
        const server = yield* RedisServer
        const prefix = uniquePrefix("atomic")
        const k = { prefix, lists: ["high", "normal", "low", "processing", "dead"].map((n) => `${prefix}queue:${n}`), scheduled: `${prefix}queue:scheduled` }
        const ids = Array.from({ length: 300 }, (_, i) => `a-${i}`)
        const clients = Array.from({ length: 3 }, () => BananasRedis.layer({ url: server.url, prefix }).pipe(Layer.orDie))
        yield* Effect.flatMap(JobQueue, (q) =>
          q.enqueueBatch(ids.map((id, i) => job(id, { priority: all[i % 3]!, maxRetries: i % 2 === 0 ? 2 : 1 })))).pipe(Effect.provide(clients[0]!))

        const snapshot = cmd(async (r) => {
          const tx = r.multi()
          for (const key of k.lists) tx.lrange(key, 0, -1)
          tx.zrange(k.scheduled, 0, -1)
          const replies = (await tx.exec())!
          return replies.map(([, v]) => v as Array<string>)
        })
        const violations: Array<string> = []
        const checker = yield* Effect.forkChild(Effect.forever(Effect.gen(function*() {
          const seen = new Map<string, string>()
          const lists = yield* snapshot
          lists.forEach((members, i) => {
            for (const id of members) {
              const where = seen.get(id)
              if (where !== undefined) violations.push(`${id} in ${where} and ${i}`)
              seen.set(id, String(i))
            }
          })
        })))
        const worker = (l: Layer.Layer<BananasRedis.Services>) =>
          Effect.flatMap(JobQueue, (q) =>
            Effect.gen(function*() {
              let n = 0
              while (true) {
                yield* q.promoteDue(Timestamp.addSeconds(t0, 3600))
                const d = yield* q.dequeue({ priorities: all, block: Duration.millis(30) })
                if (Option.isNone(d)) return n
                if (d.value._tag !== "Job") continue
                const j = d.value
                n++
                const roll = n % 4
                if (roll === 0) yield* q.release(j)
                else if (roll === 1) yield* q.fail(j, "boom", { durationMs: 1, now: t0 })
                else yield* q.complete(j, { durationMs: 1, now: t0 })
              }
            })).pipe(Effect.provide(l))
        yield* Effect.forEach(clients, worker, { concurrency: "unbounded" })
        yield* Fiber.interrupt(checker)
        assert.deepStrictEqual(violations.slice(0, 5), [])

        const [high, normal, low, processing, dead] = yield* snapshot
        assert.deepStrictEqual([high!.length, normal!.length, low!.length, processing!.length], [0, 0, 0, 0])
        const deadSet = new Set(dead)
        assert.strictEqual(deadSet.size, dead!.length)
        const data = yield* cmd((r) => r.mget(...ids.map((id) => `${prefix}job:${id}`)))
        data.forEach((text, i) => {
          const status = JSON.parse(text!).status as string
          if (status === "failed") assert.isTrue(deadSet.has(ids[i]!), `${ids[i]} failed but not dead`)
          else assert.strictEqual(status, "completed", `${ids[i]}: ${text}`)
        })
      }), 30_000)

    it.effect("scripts survive a SCRIPT FLUSH (NOSCRIPT falls back to EVAL)", () =>
      Effect.gen(function*() {
        const q = yield* JobQueue
        yield* cmd((r) => r.script("FLUSH"))
        yield* cmd((r) => r.config("RESETSTAT"))
        yield* q.enqueue(job("after-flush"))
        assert.strictEqual((yield* takeJob()).job.id, "after-flush")
        assert.strictEqual(yield* calls("eval"), 2) // apply, then take: each fell back once (EVAL caches it again)
      }).pipe(Effect.provide(client())))

    it.effect("list scans only its own prefix, even when the prefix has glob characters", () =>
      Effect.gen(function*() {
        // (`purge` left the services; `list` is the SDK's SCAN MATCH on a prefix now.)
        const server = yield* RedisServer
        const base = uniquePrefix("glob")
        const globby = BananasRedis.layer({ url: server.url, prefix: `${base}[a]*:` }).pipe(Layer.orDie)
        const plain = BananasRedis.layer({ url: server.url, prefix: `${base}a-x:` }).pipe(Layer.orDie)
        yield* Effect.flatMap(JobQueue, (q) => q.enqueue(job("keep"))).pipe(Effect.provide(plain))
        yield* Effect.flatMap(JobQueue, (q) => q.enqueue(job("mine"))).pipe(Effect.provide(globby))
        // Unescaped, `${base}[a]*:job:*` would match the plain prefix's job and not its own.
        // Every page (a page over a large keyspace may be short, even empty, with a cursor).
        const ids = (l: typeof plain) =>
          Effect.flatMap(QueueAdmin, (a) =>
            Effect.gen(function*() {
              const seen: Array<string> = []
              let cursor: string | undefined = undefined
              do {
                const page: JobPage = yield* a.list({ cursor })
                seen.push(...page.jobs.map((j) => j.id))
                cursor = page.cursor
              } while (cursor !== undefined)
              return seen
            })).pipe(Effect.provide(l))
        assert.deepStrictEqual(yield* ids(globby), ["mine"])
        assert.deepStrictEqual(yield* ids(plain), ["keep"])
        const all = yield* cmd((r) => r.keys(`${base}*`))
        assert.deepStrictEqual(all.sort(), [`${base}[a]*:job:mine`, `${base}[a]*:queue:normal`, `${base}a-x:job:keep`, `${base}a-x:queue:normal`])
      }))

    it.effect("list pages through SCAN (no KEYS): every matching job exactly once", () =>
      Effect.gen(function*() {
        const q = yield* JobQueue
        const admin = yield* QueueAdmin
        yield* q.enqueueBatch(Array.from({ length: 230 }, (_, i) => ({ ...job(`l-${i}`), name: i % 10 === 0 ? "tenth" : "other" })))
        yield* cmd((r) => r.config("RESETSTAT"))
        const seen: Array<string> = []
        let cursor: string | undefined = undefined
        let pages = 0
        do {
          const page: { readonly jobs: ReadonlyArray<{ readonly id: string }>; readonly cursor?: string | undefined } = yield* admin.list({ name: "tenth", limit: 10, cursor })
          seen.push(...page.jobs.map((j) => j.id))
          cursor = page.cursor
          pages++
        } while (cursor !== undefined && pages < 100)
        assert.strictEqual(seen.length, 23)
        assert.strictEqual(new Set(seen).size, 23)
        const stats = yield* cmd((r) => r.info("commandstats"))
        assert.notMatch(stats, /cmdstat_keys:/)
        assert.match(stats, /cmdstat_scan:/)
      }).pipe(Effect.provide(client())))

    it.effect("list pages stay complete while Redis rehashes between them (its table shrinks and grows): no job missing", () =>
      Effect.gen(function*() {
        // A page cut in the middle of a SCAN batch must not rely on re-reading
        // that batch: after a rehash the same SCAN cursor returns other keys.
        const admin = yield* QueueAdmin
        const q = yield* JobQueue
        const ids = Array.from({ length: 60 }, (_, i) => `rh-${i}`)
        yield* q.enqueueBatch(ids.map((id) => job(id)))
        const ballast = uniquePrefix("ballast")
        const fill = cmd((r) => {
          const tx = r.pipeline()
          for (let i = 0; i < 20_000; i++) tx.set(`${ballast}${i}`, "x")
          return tx.exec()
        })
        const drain = Effect.andThen(cmd((r) => r.eval(
          "for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('UNLINK', k) end",
          0,
          `${ballast}*`
        )), Effect.sleep("400 millis")) // serverCron resizes and rehashes the table meanwhile
        const seen: Array<string> = []
        let cursor: string | undefined = undefined
        for (let page = 0; page < 200; page++) {
          if (page % 4 === 1) yield* fill
          if (page % 4 === 3) yield* drain
          const got: JobPage = yield* admin.list({ limit: 3, cursor })
          const ids = got.jobs.map((j) => j.id)
          assert.strictEqual(new Set(ids).size, ids.length, "never twice in one page")
          seen.push(...ids)
          cursor = got.cursor
          if (cursor === undefined) break
        }
        yield* drain
        assert.strictEqual(cursor, undefined)
        // Every job (a later page may repeat one after a shrink: SCAN's "at least once").
        assert.deepStrictEqual([...new Set(seen)].sort(), [...ids].sort())
      }).pipe(Effect.provide(client())), 60_000)

    it.effect("an unreachable Redis fails the layer with a ConnectionError (operation connect)", () =>
      Effect.gen(function*() {
        const port = yield* Effect.promise(freePort)
        const error = yield* Effect.flip(
          Effect.flatMap(QueueAdmin, (a) => a.stats).pipe(Effect.provide(BananasRedis.layer({ url: `redis://127.0.0.1:${port}` })))
        )
        assert.strictEqual(error._tag, "ConnectionError")
        assert.strictEqual(error._tag === "ConnectionError" ? error.operation : undefined, "connect")
        assert.include(error.message, `127.0.0.1:${port}`)
      }))

    it.effect("layerConfig reads REDIS_URL and BANANAS_PREFIX", () =>
      Effect.gen(function*() {
        const server = yield* RedisServer
        const prefix = uniquePrefix("cfg")
        const live = BananasRedis.layerConfig().pipe(
          Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ REDIS_URL: server.url, BANANAS_PREFIX: prefix })))
        )
        yield* Effect.flatMap(JobQueue, (q) => q.enqueue(job("cfg"))).pipe(Effect.provide(live))
        assert.strictEqual(yield* cmd((r) => r.exists(`${prefix}job:cfg`)), 1)
      }))
  })

  layer(RedisServer.layer)("crash recovery (TestClock)", (it) => {
    it.effect("leases: recorded at now + duration (ms) with a token and the owner's heartbeat; renewed by the token holder; dropped on complete; reaped once the owner stops heartbeating", () =>
      Effect.gen(function*() {
        const q = yield* JobQueue
        const k = yield* keys
        yield* q.enqueueBatch([job("l1", { maxRetries: 3 }), job("l2", { maxRetries: 1 }), job("l3")])
        const lease = { owner: "w1", duration: Duration.seconds(30) }
        const start = yield* Clock.currentTimeMillis
        const d1 = yield* takeJob(all, { lease })
        const d2 = yield* takeJob(all, { lease })
        const d3 = yield* takeJob(all, { lease })
        assert.deepStrictEqual([d1.job.id, d2.job.id, d3.job.id], ["l1", "l2", "l3"])
        assert.strictEqual(Number(yield* cmd((r) => r.zscore(k.leases, "l1"))), start + 30_000)
        assert.strictEqual(yield* cmd((r) => r.hget(k.tokens, "l1")), d1.token)
        assert.deepStrictEqual((yield* cmd((r) => r.smembers(k.held("w1")))).sort(), ["l1", "l2", "l3"])

        yield* TestClock.adjust("20 seconds")
        // A delivery whose token Redis does not hold is reported lost (nothing renewed for it).
        const notLeased: JobDelivery = { _tag: "Job", job: job("not-leased"), token: "w1:1" }
        assert.deepStrictEqual(yield* q.renewLeases("w1", [d1, d3, notLeased], Duration.seconds(30)), ["not-leased"])
        assert.strictEqual(Number(yield* cmd((r) => r.zscore(k.leases, "l1"))), start + 50_000)
        assert.isNull(yield* cmd((r) => r.zscore(k.leases, "not-leased")))
        assert.strictEqual(yield* cmd((r) => r.sismember(k.held("w1"), "not-leased")), 0)
        yield* q.complete(d3, { durationMs: 1, now: t0 })
        assert.isNull(yield* cmd((r) => r.zscore(k.leases, "l3")))
        assert.isNull(yield* cmd((r) => r.hget(k.tokens, "l3")))
        assert.strictEqual(yield* cmd((r) => r.sismember(k.held("w1"), "l3")), 0)
        // Renewing a finished delivery renews nothing: it is reported lost.
        assert.deepStrictEqual(yield* q.renewLeases("w1", [d3], Duration.seconds(30)), ["l3"])
        assert.isNull(yield* cmd((r) => r.zscore(k.leases, "l3")))

        assert.deepStrictEqual(yield* q.reapExpired(), [])
        yield* TestClock.adjust("15 seconds") // l2 expired (35 s > 30 s), l1 renewed to 50 s
        // w1 still heartbeats (its held set lives, TTL in real time): its expired lease is left alone.
        assert.deepStrictEqual(yield* q.reapExpired(), [])
        assert.isTrue((yield* cmd((r) => r.lrange(k.processing, 0, -1))).includes("l2"))
        assert.strictEqual(yield* cmd((r) => r.hget(k.tokens, "l2")), d2.token)
        // w1 dies: its heartbeat (the held set) is gone.
        yield* cmd((r) => r.del(k.held("w1")))
        assert.deepStrictEqual(yield* q.reapExpired(), ["l2"])
        // l2 had one run allowed: dead, with a failed result.
        assert.deepStrictEqual(yield* cmd((r) => r.lrange(k.dead, 0, -1)), ["l2"])
        assert.strictEqual(Option.getOrThrow(yield* (yield* ResultBackend).get("l2")).error, Wire.errorText.leaseExpired)
        assert.isNull(yield* cmd((r) => r.hget(k.tokens, "l2")))
        // The dead worker's late outcome is refused: nothing written.
        const late = yield* Effect.flip(q.complete(d2, { durationMs: 1, now: t0 }))
        assert.strictEqual(late._tag, "LeaseLostError")
        assert.include(yield* cmd((r) => r.get(k.job("l2"))), `"status":"failed"`)

        yield* TestClock.adjust("20 seconds")
        assert.deepStrictEqual(yield* q.reapExpired(), ["l1"])
        assert.isNull(yield* cmd((r) => r.hget(k.tokens, "l1")))
        assert.strictEqual(yield* cmd((r) => r.zcard(k.leases)), 0)
        const back = yield* takeJob()
        assert.strictEqual(back.job.id, "l1")
        assert.strictEqual(back.job.attempts, 1)
        assert.strictEqual(back.job.error, Wire.errorText.leaseExpired)
        assert.strictEqual(back.job.status, "pending")
        assert.deepStrictEqual(yield* cmd((r) => r.lrange(k.processing, 0, -1)), ["l1"])
        assert.strictEqual(yield* q.complete(back, { durationMs: 1, now: t0 }).pipe(Effect.map((j) => j.attempts)), 1)
        assert.strictEqual(yield* cmd((r) => r.llen(k.processing)), 0)
      }).pipe(Effect.provide(client())))

    it.effect("a lease whose owner's heartbeat expired on its own (TTL = lease duration) is reaped", () =>
      Effect.gen(function*() {
        const q = yield* JobQueue
        const k = yield* keys
        yield* q.enqueue(job("hb"))
        const d = yield* takeJob(all, { lease: { owner: "w2", duration: Duration.millis(200) } })
        const heartbeat = yield* cmd((r) => r.pttl(k.held("w2")))
        assert.isTrue(heartbeat > 0 && heartbeat <= 200, `heartbeat TTL ${heartbeat} ms`)
        yield* TestClock.adjust("1 second") // the lease (TestClock) expired
        yield* eventually("heartbeat expired", Effect.map(cmd((r) => r.exists(k.held("w2"))), (n) => n === 0))
        assert.deepStrictEqual(yield* q.reapExpired(), ["hb"])
        const back = yield* takeJob()
        assert.strictEqual(back.job.attempts, 1)
        assert.strictEqual(back.job.error, Wire.errorText.leaseExpired)
        assert.strictEqual((yield* Effect.flip(q.fail(d, "late", { durationMs: 1, now: t0 })))._tag, "LeaseLostError")
      }).pipe(Effect.provide(client())))

    it.effect("maxAge: lease-less processing entries (Go workers) are recovered once older than maxAge; missing data is dead-lettered with a failed result", () =>
      Effect.gen(function*() {
        const q = yield* JobQueue
        const k = yield* keys
        const goJob = `{"id":"go","name":"n","payload":{},"status":"pending","priority":"low","created_at":"2025-01-15T10:30:00Z","updated_at":"2025-01-15T10:30:00Z","attempts":0,"max_retries":3}`
        yield* cmd((r) => r.multi().set(k.job("go"), goJob).lpush(k.processing, "go").lpush(k.processing, "ghost").exec())
        assert.deepStrictEqual(yield* q.reapExpired({ maxAge: Duration.minutes(10) }), [])
        assert.deepStrictEqual(yield* q.reapExpired(), [])
        yield* TestClock.adjust("9 minutes")
        assert.deepStrictEqual(yield* q.reapExpired({ maxAge: Duration.minutes(10) }), [])
        yield* TestClock.adjust("2 minutes")
        const notes = yield* listenRaw(k.notify("ghost"))
        const reapedAt = Timestamp.fromMillis(yield* Clock.currentTimeMillis)
        const recovered = yield* q.reapExpired({ maxAge: Duration.minutes(10) })
        assert.deepStrictEqual([...recovered].sort(), ["ghost", "go"])
        assert.strictEqual(yield* cmd((r) => r.llen(k.processing)), 0)
        assert.deepStrictEqual(yield* cmd((r) => r.lrange(k.queue("low"), 0, -1)), ["go"])
        assert.deepStrictEqual(yield* cmd((r) => r.lrange(k.dead, 0, -1)), ["ghost"])
        assert.strictEqual(yield* cmd((r) => r.get(k.job("ghost"))), `{"error":"Job data not found (corrupted reference)","id":"ghost"}`)
        // New: the dead letter also writes Go's text as a failed result (duration 0, failure TTL) and publishes ready.
        assert.deepStrictEqual(yield* cmd((r) => r.hgetall(k.result("ghost"))), {
          status: "failed",
          completed_at: Timestamp.formatSeconds(reapedAt),
          duration_ms: "0",
          error: "Job data not found (corrupted reference)"
        })
        assert.strictEqual(yield* cmd((r) => r.ttl(k.result("ghost"))), 86400)
        assert.deepStrictEqual(yield* notes.stop(1), [[k.notify("ghost"), "ready"]])
        assert.strictEqual(yield* cmd((r) => r.zcard(k.leases)), 0)

        // maxAge 0: an unleased entry is recovered in the first pass.
        yield* cmd((r) => r.lrem(k.queue("low"), 0, "go").then(() => r.lpush(k.processing, "go")))
        assert.deepStrictEqual(yield* q.reapExpired({ maxAge: Duration.zero }), ["go"])
        assert.deepStrictEqual(yield* cmd((r) => r.lrange(k.queue("low"), 0, -1)), ["go"])
        assert.include(yield* cmd((r) => r.get(k.job("go"))), `"attempts":2`)
        assert.strictEqual(yield* cmd((r) => r.zcard(k.leases)), 0)
      }).pipe(Effect.provide(client())))

    it.effect("a stale lease whose job a lease-less worker already finished is dropped (token and held set too), not reaped", () =>
      Effect.gen(function*() {
        const q = yield* JobQueue
        const k = yield* keys
        yield* q.enqueue(job("stale"))
        yield* takeJob(all, { lease: { owner: "w", duration: Duration.seconds(1) } })
        yield* cmd((r) => r.lrem(k.processing, 1, "stale")) // e.g. Go's Complete: LREM, no lease cleanup
        yield* TestClock.adjust("2 seconds")
        assert.deepStrictEqual(yield* q.reapExpired(), [])
        assert.strictEqual(yield* cmd((r) => r.zcard(k.leases)), 0)
        assert.strictEqual(yield* cmd((r) => r.exists(k.tokens)), 0)
        assert.strictEqual(yield* cmd((r) => r.exists(k.held("w"))), 0)
        assert.strictEqual(yield* cmd((r) => r.llen(k.queue("normal"))), 0)
      }).pipe(Effect.provide(client())))
  })
})
