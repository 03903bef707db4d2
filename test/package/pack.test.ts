/**
 * The package as users get it: `npm run build` and `npm pack` in a copy of
 * the repository in a temporary directory (the working tree's `dist/` is
 * never deleted or rebuilt, so `npx bananas` keeps working while tests
 * run; the test checks it is untouched), the build leaving the bin
 * executable; then a fresh application in a temporary directory, on another effect 4.x version
 * than ours, installs the tarball. It must get a single copy of effect (a
 * nested second copy breaks types and runtime checks), no
 * `@effect/platform-node`, compile under strict `nodenext` TypeScript with
 * library checks on, and run a small program in memory, on this Node and
 * on Node 20 (the oldest `engines` admits).
 *
 * npm's cache lives in the system temp directory across runs, so only the
 * first run downloads anything.
 */
import { run, show } from "./Commands.ts"
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, assert, describe, it } from "@effect/vitest"

const root = fileURLToPath(new URL("../../", import.meta.url))
const ours = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  readonly name: string
  readonly version: string
  readonly peerDependencies: Readonly<Record<string, string>>
}

/**
 * The effect the application brings: the lowest release of our peer range
 * (4.1: the HTTP client decodes answers with `HttpApiClient.decodeResponse`,
 * new in 4.1; 4.0.x fails at import).
 */
const appEffect = "4.1.0"

/** The oldest Node major the package supports (`engines`); the program runs on it too (the `node` package of the registry). */
const oldestNode = "20"

const work = mkdtempSync(join(tmpdir(), "bananas-pack-"))
const cache = join(tmpdir(), "bananas-effect-npm-cache")
const app = join(work, "app")
/** The copy of the repository that is built and packed. */
const source = join(work, "source")

/** Not copied: installed or generated trees (the copy links node_modules; dist/ is what the copy builds). */
const notCopied = /^(node_modules|\.git|dist|test-results|coverage|docs\/api|\.bench-out|\.scratch)(\/|$)/

/** Each file of a dist/ folder with its mode and modification time (empty when there is none). */
const distSnapshot = (dist: string): ReadonlyArray<string> =>
  existsSync(dist)
    ? readdirSync(dist, { recursive: true, encoding: "utf8" }).sort().map((file) => {
      const stat = statSync(join(dist, file))
      return `${file} ${stat.mode.toString(8)} ${stat.mtimeMs}`
    })
    : []

afterAll(() => rmSync(work, { recursive: true, force: true }))

const npm = (args: ReadonlyArray<string>, cwd: string) => run("npm", args, cwd)

/** Every installed package named `name` under `dir` (its node_modules, nested ones included). */
const copiesOf = (dir: string, name: string): Array<string> => {
  const found: Array<string> = []
  const walk = (modules: string) => {
    if (!existsSync(modules)) return
    for (const entry of readdirSync(modules)) {
      const scoped = entry.startsWith("@")
      const packages = scoped ? readdirSync(join(modules, entry)).map((p) => `${entry}/${p}`) : [entry]
      for (const pkg of packages) {
        const at = join(modules, pkg)
        if (pkg === name && existsSync(join(at, "package.json"))) found.push(at)
        walk(join(at, "node_modules"))
      }
    }
  }
  walk(join(dir, "node_modules"))
  return found
}

const program = `import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { Bananas, JobDefinition, Tasks } from "@bananas/effect"
import { Handlers, Worker } from "@bananas/effect/worker"

const Greet = JobDefinition.make({
  name: "greet",
  payload: Schema.Struct({ name: Schema.String }),
  result: Schema.Struct({ greeting: Schema.String })
})

const handlers = Handlers.empty.pipe(
  Handlers.add(Greet, ({ name }) => Effect.succeed({ greeting: "Hello, " + name + "!" }))
)

const program = Effect.gen(function*() {
  const { greeting } = yield* Tasks.call(Greet, { name: "Ada" })
  const rejected = yield* Effect.flip(Tasks.submit("", {}))
  const field = rejected._tag === "ValidationError" ? rejected.field : "?"
  const stats = yield* Tasks.stats()
  return greeting + " / " + rejected._tag + " on " + field + " / processing: " + stats.processing
})

const app = Worker.layer({ handlers }).pipe(Layer.provideMerge(Bananas.layerMemory()))

Effect.runPromise(program.pipe(Effect.provide(app))).then(
  (line) => process.stdout.write(line + "\\n"),
  (error: unknown) => {
    process.stderr.write(String(error) + "\\n")
    process.exitCode = 1
  }
)
`

const tsconfig = {
  compilerOptions: {
    target: "ES2023",
    // DOM: effect 4.1's own declarations (effect/crypto) name CryptoKey and JsonWebKey.
    lib: ["ES2023", "DOM"],
    module: "nodenext",
    moduleResolution: "nodenext",
    types: ["node"],
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    verbatimModuleSyntax: true,
    skipLibCheck: false,
    outDir: "out"
  },
  include: ["main.ts"]
}

describe("the packed package in a fresh application", () => {
  it("installs with a single copy of effect, compiles under strict nodenext and runs", { timeout: 300_000 }, async () => {
    // The application's effect is its own copy (not ours, linked): the package brings none.
    assert.strictEqual(ours.peerDependencies.effect, `^${appEffect}`, "the app uses the lowest effect of our peer range")

    // 1. The build and npm pack, in a copy: the working tree's dist/ is left as it is.
    const workingDist = join(root, "dist")
    const before = distSnapshot(workingDist)
    cpSync(root, source, { recursive: true, filter: (from) => !notCopied.test(relative(root, from).replaceAll("\\", "/")) })
    symlinkSync(join(root, "node_modules"), join(source, "node_modules"), "dir")
    const built = await npm(["run", "build"], source)
    assert.strictEqual(built.code, 0, show(built))
    assert.strictEqual(statSync(join(source, "dist/cli/main.js")).mode & 0o777, 0o755, "npm run build leaves the bin executable")
    const packed = await npm(["pack", "--ignore-scripts", "--json", "--pack-destination", work], source)
    assert.strictEqual(packed.code, 0, show(packed))
    assert.deepStrictEqual(distSnapshot(workingDist), before, "the working tree's dist/ is untouched")
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf("["))) as ReadonlyArray<{
      readonly filename: string
      readonly files: ReadonlyArray<{ readonly path: string }>
    }>
    const files = info!.files.map((f) => f.path)
    for (const required of ["LICENSE", "README.md", "CHANGELOG.md", "package.json", "dist/index.js", "dist/index.d.ts", "dist/index.d.ts.map", "dist/worker/index.d.ts", "src/index.ts"]) {
      assert.include(files, required)
    }
    assert.include(files, "dist/cli/main.js", "the bananas bin ships")
    for (const asset of ["index.html", "app.js", "app.css"]) assert.include(files, `src/gateway/dashboard/${asset}`, "the dashboard's files ship (dist/gateway/Dashboard.js reads them from src/)")

    // 2. A fresh application on another effect 4.x, with only the required peers.
    mkdirSync(app)
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "fresh-app", version: "1.0.0", private: true, type: "module" }))
    const installed = await npm([
      "install", "--no-audit", "--no-fund", "--prefer-offline", "--cache", cache,
      `effect@${appEffect}`, `ioredis@5.11.1`, "@types/node@24.19.2", "typescript@5.9.3", `node@${oldestNode}`, join(work, info!.filename)
    ], app)
    assert.strictEqual(installed.code, 0, show(installed))

    const effects = copiesOf(app, "effect")
    assert.deepStrictEqual(effects, [join(app, "node_modules", "effect")], "exactly one copy of effect")
    assert.strictEqual((JSON.parse(readFileSync(join(effects[0]!, "package.json"), "utf8")) as { version: string }).version, appEffect)
    assert.deepStrictEqual(copiesOf(app, "@effect/platform-node"), [], "the core entry points need no @effect/platform-node")
    assert.deepStrictEqual(copiesOf(app, ours.name).length, 1)

    // The declarations keep each module's header, and their maps point at the shipped sources.
    const installedRoot = join(app, "node_modules", ...ours.name.split("/"))
    // The bin's entry (dist/cli/main.js) exports nothing: its declaration file is empty.
    const declarations = files.filter((f) => f.startsWith("dist/") && f.endsWith(".d.ts") && f !== "dist/cli/main.d.ts")
    assert.isAbove(declarations.length, 50)
    for (const file of declarations) {
      const text = readFileSync(join(installedRoot, file), "utf8")
      assert.isTrue(text.startsWith("/**"), `${file} keeps its module header`)
      const map = JSON.parse(readFileSync(join(installedRoot, `${file}.map`), "utf8")) as { readonly sources: ReadonlyArray<string> }
      for (const source of map.sources) assert.isTrue(existsSync(join(installedRoot, dirname(file), source)), `${file}.map: ${source} shipped`)
    }

    // 3. Strict nodenext, library checks on.
    writeFileSync(join(app, "tsconfig.json"), JSON.stringify(tsconfig, null, 2))
    writeFileSync(join(app, "main.ts"), program)
    const compiled = await run(process.execPath, [join(app, "node_modules/typescript/bin/tsc"), "-p", app], app)
    assert.strictEqual(compiled.code, 0, show(compiled))

    // 4. It runs, on this Node and on the oldest the package's engines admit.
    const node20 = join(app, "node_modules/node/bin/node")
    const version = await run(node20, ["--version"], app)
    assert.match(version.stdout, new RegExp(`^v${oldestNode}\\.`), show(version))
    assert.strictEqual((JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { engines: { node: string } }).engines.node, `>=${oldestNode}`)
    for (const node of [process.execPath, node20]) {
      const ran = await run(node, [join(app, "out/main.js")], app)
      assert.strictEqual(ran.code, 0, `${node}\n${show(ran)}`)
      assert.include(ran.stdout, "Hello, Ada! / ValidationError on name / processing: 0")
    }

    // 5. The bananas bin: a clear line when its Node or its optional peer is missing, then it works.
    const bin = join(app, "node_modules", ".bin", "bananas")
    const oldNode = await run(node20, [bin, "--help"], app)
    assert.strictEqual(oldNode.code, 1, show(oldNode))
    assert.match(oldNode.stderr, /^error: bananas needs Node 22\.19 or newer/)
    const noPlatform = await run(process.execPath, [bin, "--help"], app)
    assert.strictEqual(noPlatform.code, 1, show(noPlatform))
    assert.match(noPlatform.stderr, /^error: the bananas command needs @effect\/platform-node .*npm install @effect\/platform-node/)
    const platform = await npm(["install", "--no-audit", "--no-fund", "--prefer-offline", "--cache", cache, `@effect/platform-node@${appEffect}`], app)
    assert.strictEqual(platform.code, 0, show(platform))
    const help = await run(process.execPath, [bin, "--help"], app)
    assert.strictEqual(help.code, 0, show(help))
    assert.match(help.stdout, /^USAGE\n {2}bananas <subcommand> \[flags\]$/m)
    const binVersion = await run(process.execPath, [bin, "--version"], app)
    assert.strictEqual(binVersion.stdout.trim(), `bananas ${ours.version}`)
  })
})
