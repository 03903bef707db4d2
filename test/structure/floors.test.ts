/**
 * The import floors of `src/` (ARCHITECTURE.md): every import of every
 * module, type-only and dynamic ones included, read with TypeScript's own
 * pre-parser, against three rules.
 *
 * 1. No import runs against the floors: a module imports only modules of
 *    its own floor or of a floor below it.
 * 2. Above the layers, the two backends are reached only through their
 *    public faces: `layers/redis/BananasRedis.ts` (which re-exports the
 *    `RedisPort`), `layers/memory/BananasMemory.ts` and
 *    `layers/memory/MemoryStore.ts`.
 * 3. Nothing in `src/` imports a file outside `src/` (examples, tests,
 *    scripts): what `dist/` ships is built from `src/` alone.
 */
import { readdirSync, readFileSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import ts from "typescript"

const root = fileURLToPath(new URL("../../", import.meta.url))

/** The floors, lowest first; a module belongs to the first floor one of whose paths it starts with. */
const floors: ReadonlyArray<{ readonly name: string; readonly paths: ReadonlyArray<string> }> = [
  { name: "domain", paths: ["src/domain/"] },
  { name: "protocol", paths: ["src/protocol/"] },
  { name: "store", paths: ["src/store/"] },
  { name: "services", paths: ["src/services/"] },
  { name: "layers", paths: ["src/layers/", "src/http/", "src/Tasks.ts", "src/TaskOptions.ts", "src/Bananas.ts"] },
  { name: "runtimes", paths: ["src/worker/", "src/webhooks/", "src/client/", "src/index.ts", "src/protocol.ts", "src/JobModels.ts"] },
  { name: "gateway", paths: ["src/gateway/"] },
  { name: "cli", paths: ["src/cli/"] }
]

/** What modules outside `src/layers/` may import of each backend's folder. */
const faces: ReadonlyArray<{ readonly folder: string; readonly modules: ReadonlyArray<string> }> = [
  { folder: "src/layers/redis/", modules: ["src/layers/redis/BananasRedis.ts"] },
  { folder: "src/layers/memory/", modules: ["src/layers/memory/BananasMemory.ts", "src/layers/memory/MemoryStore.ts"] }
]

const floorOf = (file: string): number => floors.findIndex((f) => f.paths.some((p) => (p.endsWith("/") ? file.startsWith(p) : file === p)))

/** What is wrong with `from` (a path under the root) importing `to`, if anything. */
export const violation = (from: string, to: string): string | undefined => {
  if (!to.startsWith("src/")) return `${from} imports ${to}, outside src/`
  const a = floorOf(from), b = floorOf(to)
  if (a < 0) return `${from} is on no floor: add its folder to the floors of test/structure/floors.test.ts and ARCHITECTURE.md`
  if (b < 0) return `${to} is on no floor: add its folder to the floors of test/structure/floors.test.ts and ARCHITECTURE.md`
  if (b > a) return `${from} (${floors[a]!.name}) imports ${to} (${floors[b]!.name}), a floor above it`
  for (const face of faces) {
    if (to.startsWith(face.folder) && !from.startsWith("src/layers/") && !face.modules.includes(to)) {
      return `${from} imports ${to}: outside the layers, ${face.folder} is reached only through ${face.modules.join(" or ")}`
    }
  }
  return undefined
}

const sources = (dir: string): ReadonlyArray<string> =>
  readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(`${dir}/${e.name}`) : e.name.endsWith(".ts") ? [`${dir}/${e.name}`] : []
  )

/** Every relative import of every module of `src/`, as paths under the root. */
const imports = (): ReadonlyArray<readonly [string, string]> =>
  sources("src").flatMap((file) =>
    ts.preProcessFile(readFileSync(join(root, file), "utf8"), true, true).importedFiles
      .map((i) => i.fileName)
      .filter((s) => s.startsWith("."))
      .map((s) => [file, relative(root, resolve(root, dirname(file), s))] as const)
  )

describe("import floors", () => {
  it("no module of src/ imports against the floors, around a backend's face, or outside src/", () => {
    const edges = imports()
    assert.isAbove(edges.length, 500, "the parser found the imports")
    assert.deepStrictEqual([...new Set(edges.flatMap(([from, to]) => violation(from, to) ?? []))], [])
  })

  it("every module of src/ is on a floor", () => {
    assert.deepStrictEqual(sources("src").filter((f) => floorOf(f) < 0), [])
  })

  it("the rules catch what they forbid", () => {
    assert.include(violation("src/domain/Submission.ts", "src/protocol/Keys.ts"), "a floor above it")
    assert.include(violation("src/store/Recovery.ts", "src/services/JobQueue.ts"), "a floor above it")
    assert.include(violation("src/worker/Worker.ts", "src/gateway/Gateway.ts"), "a floor above it")
    assert.include(violation("src/gateway/Gateway.ts", "src/layers/redis/RedisPort.ts"), "only through src/layers/redis/BananasRedis.ts")
    assert.include(violation("src/cli/commands/Processes.ts", "examples/demo/main.ts"), "outside src/")
    assert.isUndefined(violation("src/gateway/Gateway.ts", "src/layers/redis/BananasRedis.ts"))
    assert.isUndefined(violation("src/layers/redis/BananasRedis.ts", "src/layers/redis/RedisPort.ts"))
    assert.isUndefined(violation("src/services/JobQueue.ts", "src/store/JobStore.ts"))
  })
})
