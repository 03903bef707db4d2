/**
 * The README's install line, as a new user runs it: the package is built
 * and packed in a temporary folder (the working tree's `dist/` is never
 * touched), then a fresh application runs the README's exact
 * `npm install effect ioredis <tarball>` (no versions: the registry's
 * current majors), and `npm ls` must be clean, a further
 * `npm install -D typescript` must succeed, the packed manifest must have
 * no install-time scripts, and the `bananas` bin must run from the
 * application (with `@effect/platform-node` installed as the README says).
 *
 * npm's cache lives in the system temp directory across runs (shared with
 * the pack test), so only the first run downloads anything.
 */
import * as Commands from "./Commands.ts"
import { type Run, show } from "./Commands.ts"
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, assert, describe, it } from "@effect/vitest"

const root = fileURLToPath(new URL("../../", import.meta.url))
const readme = readFileSync(join(root, "README.md"), "utf8")

const work = mkdtempSync(join(tmpdir(), "bananas-install-"))
const cache = join(tmpdir(), "bananas-effect-npm-cache")

afterAll(() => rmSync(work, { recursive: true, force: true }))

/**
 * Runs a command with this Node first on the PATH (the CLI needs Node
 * 22.19+; the system's may be older) and a shared npm cache.
 */
const run = (file: string, args: ReadonlyArray<string>, cwd: string): Promise<Run> =>
  Commands.run(file, args, cwd, { env: { PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}`, npm_config_cache: cache }, timeoutMs: 150_000 })

/** The README's install command for a tarball: `npm install ... /path/to/<name>.tgz`. */
const installLine = (): ReadonlyArray<string> => {
  const line = readme.split("\n").find((l) => /^npm install .*\.tgz\b/.test(l))
  assert.isDefined(line, "the README has a tarball install line")
  return line!.replace(/\s+#.*$/, "").trim().split(/\s+/)
}

/** Builds (tsc into a staging folder) and packs without lifecycle scripts; returns the tarball's path. */
const pack = async (): Promise<string> => {
  const stage = join(work, "stage")
  mkdirSync(stage)
  for (const entry of ["package.json", "README.md", "CHANGELOG.md", "LICENSE", "src"]) cpSync(join(root, entry), join(stage, entry), { recursive: true })
  const built = await run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.build.json"), "--outDir", join(stage, "dist")], root)
  assert.strictEqual(built.code, 0, show(built))
  const packed = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], stage)
  assert.strictEqual(packed.code, 0, show(packed))
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf("["))) as ReadonlyArray<{ readonly filename: string }>
  return join(work, info!.filename)
}

describe("the README's install line in a fresh application", () => {
  it("installs the tarball with the registry's current majors; npm ls is clean; the CLI runs", { timeout: 400_000 }, async () => {
    const tarball = await pack()

    // The manifest users install has no install-time scripts (npm would warn every adopter).
    const listed = await run("tar", ["-xzOf", tarball, "package/package.json"], work)
    assert.strictEqual(listed.code, 0, show(listed))
    const manifest = JSON.parse(listed.stdout) as { readonly scripts?: Readonly<Record<string, string>>; readonly peerDependencies: Readonly<Record<string, string>> }
    for (const hook of ["preinstall", "install", "postinstall", "prepare"]) {
      assert.isUndefined(manifest.scripts?.[hook], `the packed manifest has no "${hook}" script`)
    }

    const app = join(work, "app")
    mkdirSync(app)
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "fresh-app", version: "1.0.0", private: true, type: "module" }))

    // Exactly the README's command, the tarball's path put in.
    const [npm, ...args] = installLine().map((word) => (word.endsWith(".tgz") ? tarball : word))
    assert.strictEqual(npm, "npm")
    assert.deepStrictEqual(args.slice(0, 3), ["install", "effect", "ioredis"], "the README installs the peers without versions")
    const installed = await run("npm", [...args, "--no-audit", "--no-fund"], app)
    assert.strictEqual(installed.code, 0, show(installed))
    assert.notMatch(installed.stderr, /ERESOLVE|peer dep|install script/i, show(installed))

    const ls = await run("npm", ["ls"], app)
    assert.strictEqual(ls.code, 0, `npm ls is clean\n${show(ls)}`)

    // What the application got: the registry's current majors, inside our peer ranges.
    const versionOf = (name: string) => (JSON.parse(readFileSync(join(app, "node_modules", name, "package.json"), "utf8")) as { version: string }).version
    const latest = async (name: string) => (await run("npm", ["view", name, "version"], app)).stdout.trim()
    for (const peer of ["effect", "ioredis"]) {
      assert.strictEqual(versionOf(peer).split(".")[0], (await latest(peer)).split(".")[0], `${peer}: the registry's current major`)
    }

    // The next install still resolves (issue 18: it failed with ERESOLVE).
    const dev = await run("npm", ["install", "--no-audit", "--no-fund", "-D", "typescript"], app)
    assert.strictEqual(dev.code, 0, show(dev))

    // The CLI: --version without the optional peer; a command once the README's platform line is installed.
    const bin = join(app, "node_modules", ".bin", "bananas")
    const version = await run(bin, ["--version"], app)
    assert.strictEqual(version.code, 0, show(version))
    assert.strictEqual(version.stdout.trim(), `bananas ${(JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version}`)
    const platform = readme.split("\n").find((l) => l.includes("npm install @effect/platform-node"))
    assert.isDefined(platform, "the README says how to install the CLI's peer")
    const withPlatform = await run("npm", ["install", "--no-audit", "--no-fund", `@effect/platform-node@^${versionOf("effect").split(".")[0]}`], app)
    assert.strictEqual(withPlatform.code, 0, show(withPlatform))
    assert.strictEqual((await run("npm", ["ls"], app)).code, 0, "npm ls stays clean")
    const help = await run(bin, ["list", "--help"], app)
    assert.strictEqual(help.code, 0, show(help))
    assert.include(help.stdout, "--status")
  })
})
