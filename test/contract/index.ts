/**
 * The contract suite: one set of tests for every implementation of
 * `Queue` + `ResultBackend` + `TaskApi` (memory, Redis, later HTTP).
 *
 * Usage (one file per implementation):
 *
 * ```ts
 * contractSuite("memory", () => MemoryContract.layer())
 * ```
 *
 * `makeLayer` is called once: all tests of the run share that instance, run
 * one after another, and each starts by purging its prefix. The run uses
 * the live clock for every implementation (a real Redis cannot follow
 * TestClock), with waits of tens of milliseconds.
 */
import { layer } from "@effect/vitest"
import type * as Layer from "effect/Layer"
import type { Services, SuiteOptions } from "./Fixtures.ts"
import { queueTests } from "./QueueSuite.ts"
import { resultBackendTests } from "./ResultBackendSuite.ts"
import { taskApiTests } from "./TaskApiSuite.ts"

export type { Services, SuiteOptions } from "./Fixtures.ts"
export { Raw } from "./Raw.ts"

/** Runs the Queue, ResultBackend and TaskApi contracts against one instance. */
export const contractSuite = <E>(name: string, makeLayer: () => Layer.Layer<Services, E>, options?: SuiteOptions) =>
  layer(makeLayer(), suiteOptions(options))(`contract: ${name}`, (it) => {
    queueTests(it)
    resultBackendTests(it)
    taskApiTests(it)
  })

/** Runs only the Queue contract. */
export const queueSuite = <E>(name: string, makeLayer: () => Layer.Layer<Services, E>, options?: SuiteOptions) =>
  layer(makeLayer(), suiteOptions(options))(`Queue contract: ${name}`, queueTests)

/** Runs only the ResultBackend contract. */
export const resultBackendSuite = <E>(name: string, makeLayer: () => Layer.Layer<Services, E>, options?: SuiteOptions) =>
  layer(makeLayer(), suiteOptions(options))(`ResultBackend contract: ${name}`, resultBackendTests)

/** Runs only the TaskApi contract. */
export const taskApiSuite = <E>(name: string, makeLayer: () => Layer.Layer<Services, E>, options?: SuiteOptions) =>
  layer(makeLayer(), suiteOptions(options))(`TaskApi contract: ${name}`, taskApiTests)

const suiteOptions = (options: SuiteOptions | undefined) => ({
  excludeTestServices: true, // live clock: the same time for memory and a real Redis
  concurrent: false, // tests purge the shared prefix
  ...(options?.timeout !== undefined ? { timeout: options.timeout } : {})
})
