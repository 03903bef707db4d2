/**
 * The README's CLI documentation is real: its example block runs line by
 * line against a private Redis (the worker of its first line included),
 * every `# =>` output is checked, and its environment table lists every
 * variable the source reads.
 */
import { assert, describe, it, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { readdirSync, readFileSync, statSync } from "node:fs"
import { connect } from "node:net"
import { join } from "node:path"
import * as Backend from "../../src/cli/Backend.ts"
import { freePort, RedisServer, uniquePrefix } from "../support/RedisServer.ts"
import { runCli } from "./support.ts"

const readme = readFileSync("README.md", "utf8")

/** The words of a shell line: bare words and single-quoted strings. */
const words = (line: string): Array<string> => [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? "")

/** The `bananas` lines of the section's first `count` shell blocks. */
const cliBlocks = (count: number): ReadonlyArray<{ readonly argv: ReadonlyArray<string>; readonly background: boolean; readonly expect?: string }> => {
  const section = readme.slice(readme.indexOf("## Command line"), readme.indexOf("## Environment variables"))
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].slice(0, count).map((m) => m[1] ?? "")
  return blocks.join("").split("\n").filter((l) => l.startsWith("bananas ")).map((line) => {
    const [command = "", comment = ""] = line.split(/\s+#\s*/, 2)
    const background = command.trimEnd().endsWith("&")
    const argv = words(command.replace(/&\s*$/, "")).slice(1)
    const expect = comment.startsWith("=> ") ? comment.slice(3) : undefined
    return expect === undefined ? { argv, background } : { argv, background, expect }
  })
}

/** Resolves once something accepts connections on the port. */
const listening = async (port: number): Promise<void> => {
  for (let i = 0; i < 400; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1", () => (socket.end(), resolve(true)))
      socket.on("error", () => resolve(false))
    })
    if (up) return
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`nothing listens on ${port}`)
}

const sourceFiles = (dir: string): Array<string> =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : []
  })

describe("README", () => {
  layer(RedisServer.layer, { excludeTestServices: true })((it) => {
    it.effect("the CLI example block runs, and prints what it says", () =>
      Effect.gen(function*() {
        const server = yield* RedisServer
        const base = ["--redis-url", server.url, "--prefix", uniquePrefix("readme")]
        const run = (argv: ReadonlyArray<string>) => runCli([...base, ...argv]).pipe(Effect.provide(Backend.layerLive))
        // The README's gateway port, replaced by a free one.
        const port = String(yield* Effect.promise(freePort))
        const lines = cliBlocks(2).map((l) => ({ ...l, argv: l.argv.map((a) => a.replace(/\b8080\b/, port)) }))
        assert.isAtLeast(lines.length, 11)
        const background: Array<Fiber.Fiber<unknown>> = []
        for (const { argv, background: bg, expect } of lines) {
          if (bg) {
            background.push(yield* Effect.forkChild(run([...argv, "--log-level", "none"])))
            if (argv[0] === "serve") yield* Effect.promise(() => listening(Number(port)))
            continue
          }
          const r = yield* run(argv)
          assert.strictEqual(r.code, 0, `bananas ${argv.join(" ")}: ${r.stderr}`)
          if (expect !== undefined) assert.strictEqual(r.stdout, expect, argv.join(" "))
        }
        assert.strictEqual(background.length, 2, "the blocks start a worker and a gateway")
        for (const fiber of background) yield* Fiber.interrupt(fiber)
      }))
  })

  describe("the environment table", () => {
    const names = new Set(
      sourceFiles("src").flatMap((file) =>
        [...readFileSync(file, "utf8").matchAll(/Config\.\w+\("([A-Z][A-Z0-9_]*)"\)|\benv\.([A-Z][A-Z0-9_]*)/g)].map((m) => m[1] ?? m[2] ?? "")
      )
    )
    const table = readme.slice(readme.indexOf("## Environment variables"))
    it("finds the variables in the source", () => assert.isAtLeast(names.size, 5))
    for (const name of [...names].sort()) {
      it(`lists ${name}`, () => assert.match(table, new RegExp(`^\\| (\`[A-Z_]+\`, )*\`${name}\`(, \`[A-Z_]+\`)* \\|`, "m")))
    }
  })
})
