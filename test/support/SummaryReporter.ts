/**
 * The last lines of a run, beside vitest's `minimal` reporter (which prints
 * only failures and the totals): one line per project (files, tests, summed
 * test time), the slowest files (where CI time goes), and, when anything
 * failed, the seed that replays the run's random choices.
 */
import type { Reporter, TestModule } from "vitest/node"
import { seedVariable } from "./Seed.ts"

/** How many of the slowest files the summary names. */
const slowest = 5

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`

/** The reporter: `reporters: ["minimal", new SummaryReporter()]`. */
export class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, errors: ReadonlyArray<unknown>, reason: string): void {
    const projects = new Map<string, { files: number; tests: number; failed: number; ms: number }>()
    for (const module of modules) {
      const name = module.project.name || "default"
      const entry = projects.get(name) ?? { files: 0, tests: 0, failed: 0, ms: 0 }
      entry.files++
      entry.ms += module.diagnostic().duration
      for (const test of module.children.allTests()) {
        entry.tests++
        if (test.result().state === "failed") entry.failed++
      }
      projects.set(name, entry)
    }
    const lines = [...projects].map(([name, p]) =>
      `  ${name.padEnd(7)} ${String(p.files).padStart(3)} files ${String(p.tests).padStart(5)} tests ${p.failed > 0 ? `${p.failed} failed ` : ""}${seconds(p.ms)} of test time`
    )
    const slow = [...modules].sort((a, b) => b.diagnostic().duration - a.diagnostic().duration).slice(0, slowest)
    lines.push(`  slowest: ${slow.map((m) => `${m.relativeModuleId} ${seconds(m.diagnostic().duration)}`).join(", ")}`)
    if (reason === "failed" || errors.length > 0) {
      lines.push(`  ${seedVariable}=${process.env[seedVariable]} replays this run's random delays and property inputs`)
    }
    process.stdout.write(`\n${lines.join("\n")}\n`)
  }
}
