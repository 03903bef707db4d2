/**
 * `npm run bench` (full) / `npm run bench:quick` (the smoke run CI does in
 * `npm test`): every scenario for every system on one private redis-server,
 * interleaved over rounds, printed as tables of medians with ratios against
 * (a) raw ioredis sending our commands and (c) BullMQ, and written as JSON.
 *
 *   node bench/run.ts [--quick] [--out file.json] [--only id,id,...]
 *
 * BENCH_ROUNDS overrides the rounds. Systems from `bench/http.ts` (the HTTP
 * gateway, after its merge) join the scenarios they name when that module
 * exists: it exports `httpSystems(): Promise<ReadonlyArray<{ scenario, system }>>`
 * (system id `ours-http`).
 */
import { execFileSync } from "node:child_process"
import { existsSync } from "node:fs"
import { mkdir, writeFile } from "node:fs/promises"
import { cpus, platform, release, totalmem } from "node:os"
import { dirname, join } from "node:path"
import * as footprint from "./footprint.ts"
import * as rpc from "./rpc.ts"
import * as submit from "./submit.ts"
import { formatResult, type Mode, runScenarios, type Scenario, sizesOf, type SystemSpec } from "./support.ts"
import * as worker from "./worker.ts"

const args = process.argv.slice(2)
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name)
  return i < 0 ? undefined : args[i + 1]
}
const mode: Mode = args.includes("--quick") || process.env.BENCH_MODE === "quick" ? "quick" : "full"
const here = dirname(new URL(import.meta.url).pathname)
const out = flag("--out") ?? join(here, "..", ".bench-out", `results-${mode}.json`)
const only = flag("--only")?.split(",")

const all: Array<Scenario> = [...submit.scenarios(), ...rpc.scenarios(), ...worker.scenarios(), ...footprint.scenarios()]

// The HTTP gateway's systems (bench/http.ts), once merged.
const httpModule = join(here, "http.ts")
if (existsSync(httpModule)) {
  const mod = (await import(httpModule)) as { readonly httpSystems?: () => Promise<ReadonlyArray<{ readonly scenario: string; readonly system: SystemSpec }>> }
  for (const { scenario, system } of (await mod.httpSystems?.()) ?? []) all.find((s) => s.id === scenario)?.systems.push(system)
}

const scenarios = only === undefined ? all : all.filter((s) => only.includes(s.id))
const sizes = sizesOf(mode)
const machine = {
  cpus: cpus().length,
  cpu: cpus()[0]?.model ?? "unknown",
  memoryGB: Math.round(totalmem() / 2 ** 30),
  os: `${platform()} ${release()}`,
  node: process.version,
  redis: execFileSync("redis-server", ["--version"]).toString().trim()
}
process.stdout.write(`bench (${mode}): ${sizes.rounds} rounds, systems interleaved; ${machine.cpus} x ${machine.cpu}, Node ${machine.node}, ${machine.redis}\n`)
const started = performance.now()
const results = await runScenarios(scenarios, mode, (result) => process.stdout.write(formatResult(result) + "\n"))
const report = { mode, sizes, machine, startedAt: new Date().toISOString(), durationMs: performance.now() - started, results }
await mkdir(dirname(out), { recursive: true })
await writeFile(out, JSON.stringify(report, null, 2))
process.stdout.write(`\n${results.length} scenarios in ${(report.durationMs / 1000).toFixed(1)} s; results in ${out}\n`)
process.exit(0)
