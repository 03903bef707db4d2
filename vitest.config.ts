import { randomInt } from "node:crypto"
import { defineConfig } from "vitest/config"
import { fileURLToPath } from "node:url"
import { type ProjectName, projectOf, projectVariable, testFiles } from "./test/support/Projects.ts"
import { parseSeed, seedVariable } from "./test/support/Seed.ts"
import { SummaryReporter } from "./test/support/SummaryReporter.ts"

// One seed per run, inherited by the test workers and the processes they spawn; printed when a run fails.
process.env[seedVariable] = String(parseSeed(process.env[seedVariable] ?? String(randomInt(0, 2 ** 31))))

/**
 * Four projects by speed (`projectOf` in test/support/Projects.ts says which file goes where: each
 * file in exactly one; the lists are read when vitest starts, so restart a watch to see a new file): unit,
 * then redis with builds alongside, then faults. `npm test` runs all four;
 * `npm run test:unit` (or `test:redis`, `test:builds`, `test:faults`) one.
 */
const files = testFiles(fileURLToPath(new URL(".", import.meta.url)))
const project = (name: ProjectName, groupOrder: number, maxWorkers: number, isolate = true) => ({
  extends: true,
  test: {
    name,
    include: files.filter((file) => projectOf(file) === name),
    env: { [projectVariable]: name },
    sequence: { groupOrder },
    maxWorkers,
    isolate
  }
})

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // empties test-results/faults.json (one line per fault test of the run)
    globalSetup: ["test/support/faultResultsSetup.ts"],
    // fast-check draws from the run's seed
    setupFiles: ["test/support/seedSetup.ts"],
    // A passing run prints a summary: failures with their logs, the totals, one line per project.
    reporters: ["minimal", new SummaryReporter()],
    silent: "passed-only",
    projects: [
      // Pure: CPU-bound, so as many workers as cores; the files of a worker share its module cache
      // (isolate: false: 14 s instead of 36 s here), so a unit test leaves no global state behind.
      project("unit", 0, 2, false),
      // Private redis-servers, sockets and CLI processes: one file per core.
      project("redis", 1, 2),
      // The package and API reference builds: CPU-bound, untimed; in redis's group, sharing its two
      // workers (vitest runs the projects of one group in one pool), so they overlap redis files.
      project("builds", 1, 2),
      // Kills, restarts, timing bounds, the bench smoke run, the browser: one file at a time.
      project("faults", 2, 1)
    ]
  }
})
