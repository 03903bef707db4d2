/**
 * Start-up of the `bananas` command as users run it: the package is built
 * into a temporary folder (never the working tree's `dist/`), and each
 * command is a fresh `node dist/cli/main.js ...` process, timed from spawn
 * to exit, for:
 *
 * - `node -e 0` (the floor: Node itself),
 * - `bananas --version`,
 * - `bananas --help` (the whole command tree loaded, nothing connected),
 * - `bananas stats` and `bananas get <id>` against a private redis-server
 *   on loopback (a job submitted first so `get` finds one).
 *
 * Wall time (median, p90, over BENCH_CLI_RUNS runs after 2 warm-up runs
 * that fill Node's compile cache) and the CPU time of the child
 * (user + system, from `/usr/bin/time` when present: what the command
 * costs whatever else the machine is doing); the load average is printed
 * with the figures, since a loaded machine stretches wall times.
 *
 *   npm run bench:cli                  # BENCH_CLI_RUNS (default 20)
 */
import { execFileSync, spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, rmSync, symlinkSync, copyFileSync } from "node:fs"
import { loadavg, tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { startRedisServer } from "../test/support/RedisServer.ts"
import { median, quantile } from "./support.ts"

const root = fileURLToPath(new URL("../", import.meta.url))
const RUNS = Number(process.env.BENCH_CLI_RUNS ?? 20)
const timeTool = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined

interface Figures {
  readonly command: string
  readonly wallP50: number
  readonly wallP90: number
  readonly cpuP50: number | undefined
}

/** One run: wall ms and, with /usr/bin/time, the child's user+system ms. */
const once = (args: ReadonlyArray<string>): { wall: number; cpu: number | undefined } => {
  const started = performance.now()
  const r = timeTool === undefined
    ? spawnSync(process.execPath, args, { encoding: "utf8" })
    : spawnSync(timeTool, ["-f", "cpu %U %S", process.execPath, ...args], { encoding: "utf8" })
  const wall = performance.now() - started
  if (r.status !== 0) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr}`)
  const cpu = /cpu (\d+\.\d+) (\d+\.\d+)\s*$/.exec(r.stderr ?? "")
  return { wall, cpu: cpu === null ? undefined : (Number(cpu[1]) + Number(cpu[2])) * 1000 }
}

const measure = (command: string, args: ReadonlyArray<string>): Figures => {
  for (let i = 0; i < 2; i++) once(args)
  const walls: Array<number> = []
  const cpus: Array<number> = []
  for (let i = 0; i < RUNS; i++) {
    const { wall, cpu } = once(args)
    walls.push(wall)
    if (cpu !== undefined) cpus.push(cpu)
  }
  const sorted = [...walls].sort((a, b) => a - b)
  return { command, wallP50: median(walls), wallP90: quantile(sorted, 0.9), cpuP50: cpus.length > 0 ? median(cpus) : undefined }
}

const build = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "bananas-bench-cli-"))
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"))
  copyFileSync(join(root, "package.json"), join(dir, "package.json"))
  execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.build.json"), "--outDir", join(dir, "dist")])
  return dir
}

const main = async () => {
  const dir = build()
  const server = await startRedisServer()
  try {
    const bin = join(dir, "dist/cli/main.js")
    const redis = ["--redis-url", server.url, "--prefix", "bench-cli"]
    const submitted = execFileSync(process.execPath, [bin, ...redis, "--json", "submit", "bench", "--data", "{}"], { encoding: "utf8" })
    const id = (JSON.parse(submitted) as { readonly id: string }).id
    const rows = [
      measure("node -e 0", ["-e", "0"]),
      measure("bananas --version", [bin, "--version"]),
      measure("bananas --help", [bin, "--help"]),
      measure("bananas stats (loopback Redis)", [bin, ...redis, "stats"]),
      measure("bananas get <id> (loopback Redis)", [bin, ...redis, "get", id])
    ]
    const ms = (n: number | undefined) => (n === undefined ? "–" : n.toFixed(0))
    console.log(`CLI start-up, ${RUNS} runs each, Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`)
    console.log("")
    console.log("| command | wall p50 ms | wall p90 ms | CPU p50 ms |")
    console.log("|---|---|---|---|")
    for (const r of rows) console.log(`| ${r.command} | ${ms(r.wallP50)} | ${ms(r.wallP90)} | ${ms(r.cpuP50)} |`)
  } finally {
    await server.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
