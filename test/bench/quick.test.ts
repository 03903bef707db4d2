/**
 * The bench suite's quick mode as a smoke test: `node bench/run.ts --quick`
 * runs every scenario for every system (on its own redis-server) and writes
 * its JSON; this checks that each expected system of each scenario produced
 * a finite value for every metric it reports. No timing is asserted: the
 * numbers of a smoke run on a busy machine mean nothing (BENCHMARKS.md holds
 * a full run).
 */
import { assert, describe, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import { mkdtemp, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"

const run = promisify(execFile)
const root = new URL("../..", import.meta.url).pathname

interface Result {
  readonly id: string
  readonly metrics: ReadonlyArray<{ readonly key: string }>
  readonly systems: ReadonlyArray<{ readonly key: string; readonly samples: ReadonlyArray<Record<string, number>>; readonly median: Record<string, number> }>
}

const all = ["raw-ours", "raw-go", "bullmq", "ours-redis", "ours-memory"]
const expected: Readonly<Record<string, ReadonlyArray<string>>> = {
  "submit-serial": all,
  "submit-100": [...all, "ours-http"],
  batch: all,
  "rpc-1": all,
  "rpc-100": all,
  "rpc-all": all,
  "worker-1": all,
  "worker-50": all,
  "worker-200": all,
  pickup: ["ours-sdk", "ours-go", "bullmq", "raw-go"],
  "idle-load": ["ours-redis", "bullmq", "raw-go"],
  rss: ["bare", "ours-redis", "bullmq"],
  package: ["ours-redis"]
}
/** Metrics a system does not report in quick mode (or at all). */
const absent = (scenario: string, system: string, metric: string): boolean =>
  (scenario === "rss" && system === "bare" && metric !== "idle") ||
  (scenario === "package" && metric === "installed") ||
  (scenario.startsWith("rpc") && system === "ours-memory" && metric === "connections") ||
  (scenario === "pickup" && system === "raw-go" && !metric.startsWith("normal"))

describe("bench quick mode", () => {
  it("runs every scenario for every system and writes a value for each metric", async () => {
    const dir = await mkdtemp(join(tmpdir(), "bananas-bench-"))
    try {
      const out = join(dir, "results.json")
      await run(process.execPath, [join(root, "bench/run.ts"), "--quick", "--out", out], { cwd: root, timeout: 100_000, maxBuffer: 16 << 20 })
      const report = JSON.parse(await readFile(out, "utf8")) as { readonly mode: string; readonly results: ReadonlyArray<Result> }
      assert.strictEqual(report.mode, "quick")
      assert.deepStrictEqual(report.results.map((r) => r.id), Object.keys(expected))
      for (const result of report.results) {
        assert.deepStrictEqual(result.systems.map((s) => s.key), expected[result.id], result.id)
        for (const system of result.systems) {
          assert.isAtLeast(system.samples.length, 1, `${result.id}/${system.key}`)
          for (const { key } of result.metrics) {
            if (absent(result.id, system.key, key)) continue
            const value = system.median[key]
            // RSS growth may be negative (memory given back); every other figure is a count, a rate or a size.
            assert.isTrue(typeof value === "number" && Number.isFinite(value) && (key.endsWith("rowth") || value >= 0), `${result.id}/${system.key}/${key} = ${value}`)
          }
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }, 110_000)
})
