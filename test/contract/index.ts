/**
 * The contract suite: one set of tests for every implementation of
 * `JobQueue` + `QueueAdmin` + `ResultBackend` + `TaskApi` + `Schedules`
 * (memory, Redis, Redis Cluster, and `TaskApi` + `Schedules` over HTTP).
 *
 * Usage (one file per implementation):
 *
 * ```ts
 * contractSuite("memory", () => MemoryContract.layer())
 * ```
 *
 * `makeLayer` is called once: all tests of the run share that instance, run
 * one after another, and each starts by purging its prefix through `Raw`.
 * The run uses the live clock for every implementation (a real Redis cannot
 * follow TestClock), with waits of tens of milliseconds.
 */
import { layer } from "@effect/vitest"
import type * as Layer from "effect/Layer"
import { adminTests } from "./AdminSuite.ts"
import { attemptTests } from "./AttemptSuite.ts"
import type { It, Services, SuiteOptions } from "./Fixtures.ts"
import { leaseTests } from "./LeaseSuite.ts"
import { queueTests } from "./QueueSuite.ts"
import { resultBackendTests } from "./ResultBackendSuite.ts"
import { schedulesTests } from "./SchedulesSuite.ts"
import { taskApiTests } from "./TaskApiSuite.ts"

export type { Services, SuiteOptions } from "./Fixtures.ts"
export { Raw } from "./Raw.ts"

/** The JobQueue contract: producers and takes, attempt ends, leases and recovery. */
export const jobQueueTests = (it: It) => {
  queueTests(it)
  attemptTests(it)
  leaseTests(it)
}

/** Runs the JobQueue, QueueAdmin, ResultBackend, TaskApi and Schedules contracts against one instance. */
export const contractSuite = <E>(name: string, makeLayer: () => Layer.Layer<Services, E>, options?: SuiteOptions) =>
  layer(makeLayer(), suiteOptions(options))(`contract: ${name}`, (it) => {
    jobQueueTests(it)
    adminTests(it)
    resultBackendTests(it)
    taskApiTests(it)
    schedulesTests(it)
  })

/** Runs only the JobQueue contract. */
export const jobQueueSuite = <E>(name: string, makeLayer: () => Layer.Layer<Services, E>, options?: SuiteOptions) =>
  layer(makeLayer(), suiteOptions(options))(`JobQueue contract: ${name}`, jobQueueTests)

/** Runs only the QueueAdmin contract. */
export const queueAdminSuite = <E>(name: string, makeLayer: () => Layer.Layer<Services, E>, options?: SuiteOptions) =>
  layer(makeLayer(), suiteOptions(options))(`QueueAdmin contract: ${name}`, adminTests)

/** Runs only the ResultBackend contract. */
export const resultBackendSuite = <E>(name: string, makeLayer: () => Layer.Layer<Services, E>, options?: SuiteOptions) =>
  layer(makeLayer(), suiteOptions(options))(`ResultBackend contract: ${name}`, resultBackendTests)

/** Runs only the Schedules contract. */
export const schedulesSuite = <E>(name: string, makeLayer: () => Layer.Layer<Services, E>, options?: SuiteOptions) =>
  layer(makeLayer(), suiteOptions(options))(`Schedules contract: ${name}`, schedulesTests)

/** Runs only the TaskApi contract. */
export const taskApiSuite = <E>(name: string, makeLayer: () => Layer.Layer<Services, E>, options?: SuiteOptions) =>
  layer(makeLayer(), suiteOptions(options))(`TaskApi contract: ${name}`, taskApiTests)

const suiteOptions = (options: SuiteOptions | undefined) => ({
  excludeTestServices: true, // live clock: the same time for memory and a real Redis
  concurrent: false, // tests purge the shared prefix
  ...(options?.timeout !== undefined ? { timeout: options.timeout } : {})
})
