/**
 * Shared pieces of the contract suite: the services under test, a fresh
 * (purged) start for each test, job builders, the Go-shaped vectors of
 * PROTOCOL.md §6, a responder standing in for a worker, and assertion
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
import { Queue } from "../../src/services/Queue.ts"
import { ResultBackend } from "../../src/services/ResultBackend.ts"
import { TaskApi } from "../../src/services/TaskApi.ts"
import { Raw } from "./Raw.ts"

/** What every implementation under test provides. */
export type Services = Queue | ResultBackend | TaskApi | Raw

/** The test API of a suite block. */
export type It = Vitest.MethodsNonLive<Services>

/** Options of a suite run. */
export interface SuiteOptions {
  /** Timeout of the layer's build and teardown (e.g. starting redis-server). */
  readonly timeout?: number | undefined
}

/** The services, after deleting every key under the prefix (each test starts empty). */
export const fresh = Effect.gen(function*() {
  const queue = yield* Queue
  yield* queue.purge
  return {
    queue,
    results: yield* ResultBackend,
    api: yield* TaskApi,
    raw: yield* Raw,
    keys: queue.keys
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

/** PROTOCOL.md vector 2: payload bytes no JSON.parse round trip keeps. */
export const payloadBytes = `{"order_id":12345678901234567890,"amt":1.10,"10":"x","2":"y"}` as RawJson

/** A new pending job (Go's NewJob), with overrides. */
export const makeJob = (overrides: Partial<Job> = {}): Job => ({
  ...JobModel.make({
    id: uid("job"),
    name: "test_job",
    payload: `{"n":1}` as RawJson,
    priority: "normal",
    now: ts("2025-01-15T10:30:00Z")
  }),
  ...overrides
})

/** PROTOCOL.md vector 1 (Go SubmitJob, TZ=Asia/Karachi) for id `id`. */
export const vector1 = (id: string): string =>
  `{"id":"${id}","name":"send_email","payload":{"subject":"Hi \\u003c3","to":"a@b.c"},"status":"pending","priority":"high",` +
  `"created_at":"2025-01-15T15:30:00.123456789+05:00","updated_at":"2025-01-15T15:30:00.123456789+05:00","attempts":0,"max_retries":3}`

/** Asserts a Redis-style TTL (seconds) close below `expected` (a live clock may have run a little). */
export const assertTtl = (actual: number, expected: number, label = "ttl") =>
  assert.isTrue(actual <= expected && actual >= expected - 30, `${label}: expected about ${expected} s, got ${actual}`)

/** Takes the next job with `block` 0, failing the test when there is none or it was dead-lettered. */
export const takeJob = (options: { readonly priorities?: ReadonlyArray<JobPriority.JobPriority>; readonly routingKey?: string; readonly lease?: { readonly owner: string; readonly duration: Duration.Duration } } = {}) =>
  Effect.gen(function*() {
    const queue = yield* Queue
    const delivery = yield* queue.dequeue({
      priorities: options.priorities ?? JobPriority.all,
      routingKey: options.routingKey,
      block: zeroBlock,
      lease: options.lease
    })
    if (Option.isNone(delivery) || delivery.value._tag !== "Job") {
      return assert.fail(`expected a job, got ${JSON.stringify(delivery)}`)
    }
    return delivery.value.job
  })

/** What a responder does with a job. */
export type Outcome =
  | { readonly _tag: "Complete"; readonly result?: RawJson | undefined }
  | { readonly _tag: "Fail"; readonly error: string }

/**
 * A stand-in worker: a fiber (scoped to the test) that dequeues jobs and
 * completes or fails them through `Queue`, as the handler decides.
 */
export const respond = (handler: (job: Job) => Outcome): Effect.Effect<void, never, Queue | Scope.Scope> =>
  Effect.gen(function*() {
    const queue = yield* Queue
    const loop = Effect.gen(function*() {
      for (;;) {
        const delivery = yield* queue.dequeue({ priorities: JobPriority.all, block: responderBlock })
        if (Option.isNone(delivery) || delivery.value._tag !== "Job") continue
        const job = delivery.value.job
        const outcome = handler(job)
        const at = yield* now
        if (outcome._tag === "Complete") yield* queue.complete(job, { result: outcome.result, durationMs: 1, now: at })
        else yield* queue.fail(job, outcome.error, { durationMs: 1, now: at })
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

/** Asserts the ids are all distinct and equal (as sets) to `expected`. */
export const assertSameIds = (jobs: ReadonlyArray<{ readonly id: string }>, expected: ReadonlyArray<string>, label = "ids") => {
  const ids = jobs.map((j) => j.id)
  assert.strictEqual(new Set(ids).size, ids.length, `${label}: duplicates in ${JSON.stringify(ids)}`)
  assert.deepStrictEqual([...ids].sort(), [...expected].sort(), label)
}

/** A short real pause (the suite runs on the live clock for every implementation). */
export const pause = (millis: number) => Effect.sleep(millis)

// Internal

const zeroBlock = Duration.zero
const responderBlock = Duration.millis(50)
