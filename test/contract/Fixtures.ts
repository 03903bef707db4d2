/**
 * Shared pieces of the contract suite: the services under test, a fresh
 * (purged) start for each test, job builders, the Go-shaped vectors of
 * docs/PROTOCOL.md §6, a responder standing in for a worker, and assertion
 * helpers that hold on memory and on a real Redis alike.
 */
import { assert, type Vitest } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type { Job } from "../../src/domain/Job.ts"
import * as JobModel from "../../src/domain/Job.ts"
import * as JobPriority from "../../src/domain/JobPriority.ts"
import type { RawJson } from "../../src/domain/RawJson.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import type { Keys } from "../../src/protocol/Keys.ts"
import { type Delivery, type JobDelivery, JobQueue } from "../../src/services/JobQueue.ts"
import { QueueAdmin } from "../../src/services/QueueAdmin.ts"
import { ResultBackend } from "../../src/services/ResultBackend.ts"
import type { Schedules } from "../../src/services/Schedules.ts"
import { TaskApi } from "../../src/services/TaskApi.ts"
import { Raw } from "./Raw.ts"

/** What every implementation under test provides. */
export type Services = JobQueue | QueueAdmin | ResultBackend | TaskApi | Schedules | Raw

/** The test API of a suite block. */
export type It = Vitest.MethodsNonLive<Services>

/** Options of a suite run. */
export interface SuiteOptions {
  /** Timeout of the layer's build and teardown (e.g. starting redis-server). */
  readonly timeout?: number | undefined
}

/** The services, after deleting every key under the prefix (each test starts empty). */
export const fresh = Effect.gen(function*() {
  const queue = yield* JobQueue
  const raw = yield* Raw
  const keys = queue.protocol.keys
  yield* raw.purge(keys.prefix)
  assert.deepStrictEqual(yield* raw.keys(keys.prefix), [], "purged")
  return {
    queue,
    admin: yield* QueueAdmin,
    results: yield* ResultBackend,
    api: yield* TaskApi,
    raw,
    keys
  }
})

/** A unique id with a readable label. */
export const uid = (label: string): string => `${label}-${crypto.randomUUID()}`

/** A timestamp from RFC 3339 text (the test's own constant: must parse). */
export const ts = (text: string): Timestamp.Timestamp => {
  const t = Timestamp.parse(text)
  if (t === undefined) throw new Error(`bad test timestamp ${text}`)
  return t
}

/** Now, from the Clock, as a timestamp. */
export const now = Effect.map(Clock.currentTimeMillis, Timestamp.fromMillis)

/** docs/PROTOCOL.md vector 2: payload bytes no JSON.parse round trip keeps. */
export const payloadBytes = `{"order_id":12345678901234567890,"amt":1.10,"10":"x","2":"y"}` as RawJson

/** A new pending job (Go's NewJob, default max retries), with overrides. */
export const makeJob = (overrides: Partial<Job> = {}): Job => ({
  ...JobModel.make({
    id: uid("job"),
    name: "test_job",
    payload: `{"n":1}` as RawJson,
    priority: "normal",
    now: ts("2025-01-15T10:30:00Z"),
    maxRetries: JobModel.defaultMaxRetries
  }),
  ...overrides
})

/** docs/PROTOCOL.md vector 1 (Go SubmitJob, TZ=Asia/Karachi) for id `id`. */
export const vector1 = (id: string): string =>
  `{"id":"${id}","name":"send_email","payload":{"subject":"Hi \\u003c3","to":"a@b.c"},"status":"pending","priority":"high",` +
  `"created_at":"2025-01-15T15:30:00.123456789+05:00","updated_at":"2025-01-15T15:30:00.123456789+05:00","attempts":0,"max_retries":3}`

/** Asserts a Redis-style TTL (seconds) close below `expected` (a live clock may have run a little). */
export const assertTtl = (actual: number, expected: number, label = "ttl") =>
  assert.isTrue(actual <= expected && actual >= expected - 30, `${label}: expected about ${expected} s, got ${actual}`)

/** A lease request of `owner` for `millis`. */
export const lease = (owner: string, millis: number) => ({ owner, duration: Duration.millis(millis) })

/** Takes the next job with `block` 0, failing the test when there is none or it was dead-lettered. */
export const takeJob = (options: {
  readonly priorities?: ReadonlyArray<JobPriority.JobPriority>
  readonly routingKey?: string
  readonly lease?: { readonly owner: string; readonly duration: Duration.Duration }
} = {}) =>
  Effect.gen(function*() {
    const queue = yield* JobQueue
    const delivery = yield* queue.dequeue({
      priorities: options.priorities ?? JobPriority.all,
      routingKey: options.routingKey,
      block: Duration.zero,
      lease: options.lease
    })
    if (Option.isNone(delivery) || delivery.value._tag !== "Job") {
      return assert.fail(`expected a job, got ${JSON.stringify(delivery)}`)
    }
    return delivery.value
  })

/** Dequeues once with `block` 0 (any outcome). */
export const dequeueNow = Effect.flatMap(Effect.service(JobQueue), (queue) => queue.dequeue({ priorities: JobPriority.all, block: Duration.zero }))

/** The ids of deliveries; dead-lettered ones as `dead:<id>`. */
export const deliveryIds = (deliveries: ReadonlyArray<Delivery>) =>
  deliveries.map((d) => (d._tag === "Job" ? d.job.id : `dead:${d.id}`))

/** The lease state of a job: its expiry score, its token, and whether the owner's held set names it. */
export const leaseState = (keys: Keys, id: string, owner: string) =>
  Effect.gen(function*() {
    const raw = yield* Raw
    return {
      expiry: yield* raw.zscore(keys.leases, id),
      token: (yield* raw.hgetall(keys.tokens))[id],
      held: (yield* raw.smembers(keys.held(owner))).includes(id)
    }
  })

/** Asserts a job holds no lease at all (no expiry, no token, in no held set of `owner`). */
export const assertNoLease = (keys: Keys, id: string, owner: string, label = "no lease") =>
  Effect.gen(function*() {
    assert.deepStrictEqual(yield* leaseState(keys, id, owner), { expiry: undefined, token: undefined, held: false }, label)
  })

/**
 * Asserts the failed result a dead letter of bad data writes: Go's error
 * text, duration 0, completed between `fromMillis` and now, failure TTL.
 */
export const assertBadDataResult = (keys: Keys, id: string, error: string, fromMillis: number) =>
  Effect.gen(function*() {
    const raw = yield* Raw
    const hash = yield* raw.hgetall(keys.result(id))
    assert.deepStrictEqual(Object.keys(hash).sort(), ["completed_at", "duration_ms", "error", "status"], JSON.stringify(hash))
    assert.strictEqual(hash.status, "failed")
    assert.strictEqual(hash.error, error)
    assert.strictEqual(hash.duration_ms, "0")
    const at = Timestamp.parse(hash.completed_at!)
    assert.isDefined(at, hash.completed_at)
    const ms = Timestamp.toMillis(at!)
    assert.isTrue(ms >= Math.floor(fromMillis / 1000) * 1000 && ms <= Date.now(), `completed_at ${hash.completed_at}`)
    assertTtl(yield* raw.ttl(keys.result(id)), 86400, "failed result ttl")
  })

/** What a responder does with a job. */
export type Outcome =
  | { readonly _tag: "Complete"; readonly result?: RawJson | undefined }
  | { readonly _tag: "Fail"; readonly error: string }

/**
 * A stand-in worker: a fiber (scoped to the test) that dequeues jobs and
 * completes or fails them through `JobQueue`, as the handler decides.
 */
export const respond = (handler: (job: Job) => Outcome): Effect.Effect<void, never, JobQueue | Scope.Scope> =>
  Effect.gen(function*() {
    const queue = yield* JobQueue
    const loop = Effect.gen(function*() {
      for (;;) {
        const delivery = yield* queue.dequeue({ priorities: JobPriority.all, block: responderBlock })
        if (Option.isNone(delivery) || delivery.value._tag !== "Job") continue
        const outcome = handler(delivery.value.job)
        const at = yield* now
        if (outcome._tag === "Complete") yield* queue.complete(delivery.value, { result: outcome.result, durationMs: 1, now: at })
        else yield* queue.fail(delivery.value, outcome.error, { durationMs: 1, now: at })
      }
    })
    yield* Effect.forkScoped(Effect.orDie(loop))
  })

/** Collects every page of a paginated listing (bounded, so a cursor bug fails instead of hanging). */
export const collectPages = <E, R>(page: (cursor: string | undefined) => Effect.Effect<{ readonly jobs: ReadonlyArray<Job>; readonly cursor?: string | undefined }, E, R>) =>
  Effect.gen(function*() {
    const jobs: Array<Job> = []
    let cursor: string | undefined = undefined
    for (let i = 0; i < 1000; i++) {
      const p: { readonly jobs: ReadonlyArray<Job>; readonly cursor?: string | undefined } = yield* page(cursor)
      jobs.push(...p.jobs)
      cursor = p.cursor
      if (cursor === undefined) return jobs
    }
    return assert.fail("pagination did not end after 1000 pages")
  })

/**
 * Every page of a `list`: no job twice in one page, and the jobs of all
 * pages without repeats. Redis's SCAN returns a key again when the table
 * shrinks between two calls (its documented guarantee is "at least once"),
 * so a later page may repeat a job; none present throughout may be missing.
 */
export const collectListed = <E, R>(page: (cursor: string | undefined) => Effect.Effect<{ readonly jobs: ReadonlyArray<Job>; readonly cursor?: string | undefined }, E, R>) =>
  Effect.map(
    collectPages((cursor) =>
      Effect.map(page(cursor), (p) => {
        const ids = p.jobs.map((j) => j.id)
        assert.strictEqual(new Set(ids).size, ids.length, `a page lists a job twice: ${JSON.stringify(ids)}`)
        return p
      })
    ),
    (jobs): Array<Job> => [...new Map(jobs.map((j) => [j.id, j] as const)).values()]
  )

/** Asserts the ids are all distinct and equal (as sets) to `expected`. */
export const assertSameIds = (jobs: ReadonlyArray<{ readonly id: string }>, expected: ReadonlyArray<string>, label = "ids") => {
  const ids = jobs.map((j) => j.id)
  assert.strictEqual(new Set(ids).size, ids.length, `${label}: duplicates in ${JSON.stringify(ids)}`)
  assert.deepStrictEqual([...ids].sort(), [...expected].sort(), label)
}

/** A short real pause (the suite runs on the live clock for every implementation). */
export const pause = (millis: number) => Effect.sleep(millis)

/** The delivery's job id (test shorthand). */
export const idOf = (delivery: JobDelivery): string => delivery.job.id

// Internal

const responderBlock = Duration.millis(50)
