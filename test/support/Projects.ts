/**
 * The test suite's three vitest projects, by speed (vitest.config.ts builds
 * them from these lists; `test/suite/projects.test.ts` checks them):
 *
 * - `unit`: no Redis, no child process, nothing slow; `npm run test:unit`,
 *   the inner loop (under a minute on 2 cores). Its files share their
 *   worker's modules (not isolated), so a unit test restores any global
 *   state it changes (environment variables, fast-check's configuration).
 * - `faults`: process kills, Redis restarts and freezes, the soak, the
 *   bench smoke run, the dashboard in Chromium: slow or timing-sensitive,
 *   so they run one file at a time, last.
 * - `builds`: the packed package and the API reference, built and
 *   installed in temporary folders: CPU-bound with no timing bound, so they
 *   share the `redis` project's two workers (whose files mostly wait on
 *   sockets and child processes) instead of running alone after it.
 * - `redis`: everything else (contract suites on Redis, the differential
 *   test, Go interop, HTTP gateway, CLI, examples). A new test file lands
 *   here unless a `unit` or `faults` pattern names it.
 *
 * A unit pattern covers a folder of pure tests, so new files there are unit
 * tests; a file in such a folder that needs Redis is named `*.redis.test.ts`.
 * A file named for a kill (`*kill*`, `*Kill*`) is a fault test wherever it is.
 */
import { readdirSync } from "node:fs"
import { join, matchesGlob } from "node:path"

/** Every test file. */
export const allTests = "test/**/*.test.ts"

/** The unit project: these patterns, minus `unitExceptions`. */
export const unitTests: ReadonlyArray<string> = [
  "test/domain/**/*.test.ts",
  "test/protocol/**/*.test.ts",
  "test/structure/**/*.test.ts",
  "test/memory/**/*.test.ts",
  "test/layers/*.test.ts",
  "test/suite/**/*.test.ts",
  "test/worker/{Handlers,LeaseRenewalWarning,Observability,Options,Survive,TraceContext,Worker.clock,Worker.memory}.test.ts",
  "test/http/{contract.memory,entry-points,openapi}.test.ts",
  "test/webhooks/{handler,mount}.test.ts",
  "test/cli/help.test.ts"
]

/** Files under a unit pattern that need Redis. */
export const unitExceptions: ReadonlyArray<string> = [
  "**/*.redis.test.ts",
  "test/protocol/events.test.ts"
]

/** The builds project. */
export const buildTests: ReadonlyArray<string> = [
  "test/package/{pack,install}.test.ts",
  "test/docs/docs.test.ts"
]

/** The faults project. */
export const faultTests: ReadonlyArray<string> = [
  "test/faults/**/*.test.ts",
  "test/**/*{kill,Kill}*.test.ts",
  "test/sentinel/**/*.test.ts",
  "test/support-fixtures/**/*.test.ts",
  "test/package/**/*.test.ts",
  "test/docs/**/*.test.ts",
  "test/bench/**/*.test.ts",
  "test/dashboard/**/*.test.ts"
]

/** Which project runs `file` (a path relative to the repository, with `/`): builds first, then faults, then unit, else redis. */
export const projectOf = (file: string): ProjectName =>
  buildTests.some((p) => matchesGlob(file, p))
    ? "builds"
    : faultTests.some((p) => matchesGlob(file, p))
    ? "faults"
    : unitTests.some((p) => matchesGlob(file, p)) && !unitExceptions.some((p) => matchesGlob(file, p))
    ? "unit"
    : "redis"

/** Every test file under `root` (relative paths with `/`, sorted). */
export const testFiles = (root: string): ReadonlyArray<string> => {
  const found: Array<string> = []
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules") walk(path)
      } else if (matchesGlob(path, allTests)) found.push(path)
    }
  }
  walk("test")
  return found.sort()
}

/** The environment variable naming the project a test runs in (set per project by vitest.config.ts). */
export const projectVariable = "BANANAS_TEST_PROJECT"

/** The project names (`builds` runs alongside `redis`). */
export type ProjectName = "unit" | "redis" | "builds" | "faults"

/** Throws when a unit test starts `what` (a redis-server): the unit project stays free of Redis. */
export const refuseInUnit = (what: string): void => {
  if (process.env[projectVariable] === "unit") {
    throw new Error(
      `a unit test started ${what}: name the file *.redis.test.ts (or list it in test/support/Projects.ts) so it runs in the redis project`
    )
  }
}
