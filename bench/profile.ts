/**
 * Profiles one system of one scenario: a warm-up run, then a run under the
 * V8 CPU profiler (the same sampler as `node --cpu-prof`, started around the
 * measured run only). Writes `.bench-out/profile-<scenario>-<system>.cpuprofile`
 * (open it in Chrome DevTools or speedscope for the flame graph) and prints
 * where the time went: by group (idle, GC, Effect's runtime, ioredis, Node's
 * streams, each SDK module) and the functions with the most self time.
 *
 *   node bench/profile.ts <scenario id> [system key, default ours-redis] [--quick]
 */
import { mkdir, writeFile } from "node:fs/promises"
import { Session } from "node:inspector/promises"
import { dirname, join } from "node:path"
import { Redis } from "ioredis"
import { startRedisServer } from "../test/support/RedisServer.ts"
import * as footprint from "./footprint.ts"
import * as rpc from "./rpc.ts"
import * as submit from "./submit.ts"
import { hooks, type Mode, type RunContext, sizesOf } from "./support.ts"
import * as worker from "./worker.ts"

const [scenarioId, systemKey = "ours-redis"] = process.argv.slice(2).filter((a) => !a.startsWith("--"))
const mode: Mode = process.argv.includes("--quick") ? "quick" : "full"
const scenario = [...submit.scenarios(), ...rpc.scenarios(), ...worker.scenarios(), ...footprint.scenarios()].find((s) => s.id === scenarioId)
const system = scenario?.systems.find((s) => (s.key ?? s.id) === systemKey)
if (scenario === undefined || system === undefined) {
  process.stderr.write(`usage: node bench/profile.ts <scenario> [system]; unknown ${scenarioId} / ${systemKey}\n`)
  process.exit(2)
}

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
}
interface Profile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

const server = await startRedisServer()
const admin = new Redis(server.url)
const ctx: RunContext = { url: server.url, port: server.port, admin, sizes: sizesOf(mode), mode }
await admin.flushall()
await system.run(ctx) // warm-up
await admin.flushall()
const session = new Session()
session.connect()
await session.post("Profiler.enable")
await session.post("Profiler.setSamplingInterval", { interval: 200 })
// Only the measured section of the run (what `time` times) is profiled.
let profile: Profile | undefined
let cpu = { user: 0, system: 0 }
hooks.around = async (body) => {
  await session.post("Profiler.start")
  const cpu0 = process.cpuUsage()
  try {
    return await body()
  } finally {
    cpu = process.cpuUsage(cpu0)
    profile ??= ((await session.post("Profiler.stop")) as unknown as { profile: Profile }).profile
  }
}
const sample = await system.run(ctx)
session.disconnect()
if (profile === undefined) throw new Error(`${scenarioId} / ${systemKey} has no measured section`)
admin.disconnect()
await server.stop()

const out = join(dirname(new URL(import.meta.url).pathname), "..", ".bench-out", `profile-${scenarioId}-${systemKey}.cpuprofile`)
await mkdir(dirname(out), { recursive: true })
await writeFile(out, JSON.stringify(profile))

const { samples, timeDeltas, nodes } = profile
const selfMicros = new Map<number, number>()
samples.forEach((id, i) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (timeDeltas[i] ?? 0)))
const groups = new Map<string, number>()
const functions = new Map<string, number>()
for (const node of nodes) {
  const micros = selfMicros.get(node.id) ?? 0
  if (micros === 0) continue
  const { functionName, url, lineNumber } = node.callFrame
  const group = groupOf(url, functionName)
  groups.set(group, (groups.get(group) ?? 0) + micros)
  const name = `${functionName || "(anonymous)"} ${url === "" ? "" : `${shortUrl(url)}:${lineNumber + 1}`}`
  functions.set(name, (functions.get(name) ?? 0) + micros)
}
const total = [...groups.values()].reduce((a, b) => a + b, 0)
// The profiler's own calls (inspector `post`) are not the program's.
const busy = total - (groups.get("(idle)") ?? 0) - (groups.get("(profiler)") ?? 0)
const line = (label: string, micros: number) =>
  `${(micros / 1000).toFixed(1).padStart(9)} ms ${((micros / busy) * 100).toFixed(1).padStart(5)}%  ${label}`
process.stdout.write(`${scenario.id} / ${systemKey} (${mode}): ${JSON.stringify(sample)}\n`)
process.stdout.write(`process CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms; sampled ${(total / 1000).toFixed(0)} ms, busy ${(busy / 1000).toFixed(0)} ms (% of busy)\n\nby group:\n`)
for (const [group, micros] of [...groups].sort((a, b) => b[1] - a[1]).filter(([g]) => g !== "(idle)" && g !== "(profiler)").slice(0, 18)) process.stdout.write(line(group, micros) + "\n")
process.stdout.write(`\nnode: functions: ${[...functions].filter(([n]) => / node:(?!inspector)/.test(n)).sort((a, b) => b[1] - a[1]).slice(0, 6).map(([n, v]) => `${n.split(" ")[0]} ${(v / 1000).toFixed(0)} ms`).join(", ")}\n`)
process.stdout.write("\nfunctions, self time:\n")
for (const [name, micros] of [...functions].sort((a, b) => b[1] - a[1]).filter(([n]) => !n.startsWith("(idle)") && !n.includes("node:inspector")).slice(0, 25)) process.stdout.write(line(name, micros) + "\n")
process.stdout.write(`\nprofile: ${out}\n`)
process.exit(0)

// Internal

function groupOf(url: string, functionName: string): string {
  if (url === "") return functionName.startsWith("(") ? functionName : `native: ${functionName}`
  if (url.includes("/node_modules/effect/")) return "effect (fibers, scheduling, spans, context)"
  if (/\/node_modules\/(ioredis|redis-parser|denque|standard-as-callback|@ioredis)\//.test(url)) return "ioredis (command writing, reply parsing)"
  if (url.includes("/node_modules/bullmq/") || url.includes("/node_modules/msgpackr")) return "bullmq"
  if (url === "node:inspector") return "(profiler)"
  if (url.startsWith("node:")) return "node: (streams, net, timers)"
  if (url.includes("/src/")) return `src/${url.split("/src/")[1]}`
  if (url.includes("/bench/")) return `bench/${url.split("/bench/")[1]}`
  return shortUrl(url)
}

function shortUrl(url: string): string {
  return url.replace(/^.*\/node_modules\//, "").replace(/^file:\/\/.*\/(src|bench|test)\//, "$1/")
}
