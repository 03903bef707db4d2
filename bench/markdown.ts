/**
 * Renders a results file of `bench/run.ts` as Markdown tables (the tables
 * of BENCHMARKS.md are pasted from this):
 *
 *   node bench/markdown.ts [.bench-out/results-full.json]
 */
import { readFile } from "node:fs/promises"
import type { ScenarioResult, Sizes } from "./support.ts"

const file = process.argv[2] ?? new URL("../.bench-out/results-full.json", import.meta.url).pathname
const report = JSON.parse(await readFile(file, "utf8")) as {
  readonly mode: string
  readonly sizes: Sizes
  readonly machine: Readonly<Record<string, string | number>>
  readonly startedAt: string
  readonly durationMs: number
  readonly results: ReadonlyArray<ScenarioResult>
}

const m = report.machine
const out: Array<string> = [
  `Run of ${report.startedAt.slice(0, 10)} (${report.mode} mode, ${report.sizes.rounds} rounds, ${(report.durationMs / 60_000).toFixed(1)} min): ` +
  `${m.cpus} x ${m.cpu}, ${m.memoryGB} GB, ${m.os}, Node ${m.node}, ${String(m.redis).split(" sha=")[0]}.`
]
for (const r of report.results) {
  out.push("", `**${r.title}**`, "")
  const ratios = r.systems.some((s) => s.vsRawOurs !== undefined || s.vsBullmq !== undefined)
  out.push(`| system | ${r.metrics.map((x) => x.label).join(" | ")}${ratios ? " | vs (a) | vs BullMQ" : ""} | |`)
  out.push(`|---|${r.metrics.map(() => "---:").join("|")}|${ratios ? "---:|---:|" : ""}---|`)
  for (const s of r.systems) {
    const cells = r.metrics.map((x) => {
      const v = s.median[x.key]
      return v === undefined || Number.isNaN(v) ? "–" : v.toFixed(x.digits ?? 0)
    })
    const ratio = (v: number | undefined) => (v === undefined ? "–" : `×${v.toFixed(2)}`)
    out.push(`| ${s.label} | ${cells.join(" | ")}${ratios ? ` | ${ratio(s.vsRawOurs)} | ${ratio(s.vsBullmq)}` : ""} | ${s.note ?? ""} |`)
  }
}
process.stdout.write(out.join("\n") + "\n")
