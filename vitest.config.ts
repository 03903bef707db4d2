import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // empties test-results/faults.json (one line per fault test of the run)
    globalSetup: ["test/support/faultResultsSetup.ts"]
  }
})
