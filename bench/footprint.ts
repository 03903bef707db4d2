/**
 * Footprint scenarios: RSS of a process idle and under load (each
 * measurement a fresh process, `footprint-child.ts`), and the size of the
 * package: the packed tarball (`npm pack --dry-run`) and, in full mode, the
 * installed size of the tarball with its dependencies (production only).
 */
import { execFile } from "node:child_process"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import type { RunContext, Sample, Scenario } from "./support.ts"

const run = promisify(execFile)
const root = new URL("..", import.meta.url).pathname

/** The footprint scenarios. */
export const scenarios = (): Array<Scenario> => [
  {
    id: "rss",
    quickRounds: 1,
    title: (s) => `RSS, MB (idle after GC; peak, and RSS and live-heap growth from 10% to the end of a ${(s.soakMillis / 1000).toFixed(0)} s load of batches of 500 no-op jobs)`,
    metrics: [
      { key: "idle", label: "idle MB", better: "lower", digits: 1 },
      { key: "peak", label: "peak MB", better: "lower", digits: 1 },
      { key: "growth", label: "growth MB", better: "lower", digits: 1 },
      { key: "heapGrowth", label: "heap growth MB", better: "lower", digits: 1 },
      { key: "jobs", label: "jobs run", better: "higher" }
    ],
    systems: [
      { id: "bare", note: "effect + one ioredis connection", run: (ctx) => child(ctx, "bare") },
      { id: "ours-redis", note: "client + idle Worker (concurrency 50)", run: (ctx) => child(ctx, "ours") },
      { id: "bullmq", note: "Queue + idle Worker (concurrency 50)", run: (ctx) => child(ctx, "bullmq") }
    ]
  },
  {
    id: "package",
    quickRounds: 1,
    title: () => "package size, KB (installed: the tarball and its production dependencies; full mode)",
    metrics: [
      { key: "tarball", label: "tarball KB", better: "lower" },
      { key: "unpacked", label: "unpacked KB", better: "lower" },
      { key: "files", label: "files", better: "lower" },
      { key: "installed", label: "installed KB", better: "lower" }
    ],
    systems: [{ id: "ours-redis", label: "@bananas/effect", run: packageSize }]
  }
]

// Internal

/** `npm run build` (dist/), once per run: full mode measures the JavaScript users run. */
let building: Promise<unknown> | undefined
const built = () => (building ??= run("npm", ["run", "build"], { cwd: root, timeout: 300_000 }))

const child = async (ctx: RunContext, kind: string): Promise<Sample> => {
  const soak = kind === "bare" ? 0 : ctx.sizes.soakMillis
  if (ctx.mode === "full") await built()
  const { stdout } = await run(process.execPath, ["--expose-gc", join(root, "bench/footprint-child.ts"), kind, ctx.url, String(soak), ctx.mode === "full" ? "dist" : "src"], {
    timeout: soak + 60_000,
    maxBuffer: 1 << 20
  })
  return JSON.parse(stdout.trim().split("\n").pop()!) as Sample
}

const packageSize = async (ctx: RunContext): Promise<Sample> => {
  if (ctx.mode === "full") await built()
  const { stdout } = await run("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root, timeout: 120_000, maxBuffer: 16 << 20 })
  const [info] = JSON.parse(stdout) as Array<{ size: number; unpackedSize: number; entryCount: number }>
  const sample: Record<string, number> = { tarball: info!.size / 1024, unpacked: info!.unpackedSize / 1024, files: info!.entryCount }
  if (ctx.mode === "full") sample.installed = await installedSize()
  return sample
}

/** Packs the package and installs the tarball (production dependencies only) in a temporary directory; its `du` in KB. */
const installedSize = async (): Promise<number> => {
  const dir = await mkdtemp(join(tmpdir(), "bananas-install-"))
  try {
    const { stdout } = await run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", dir], { cwd: root, timeout: 120_000, maxBuffer: 16 << 20 })
    const [info] = JSON.parse(stdout) as Array<{ filename: string }>
    await run("npm", ["init", "-y"], { cwd: dir })
    await run("npm", ["install", "--omit=dev", "--no-audit", "--no-fund", "--prefer-offline", join(dir, info!.filename)], { cwd: dir, timeout: 300_000 })
    const du = await run("du", ["-sk", join(dir, "node_modules")])
    return Number(du.stdout.split(/\s/)[0])
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
