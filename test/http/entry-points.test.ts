/**
 * The core entry points (`.`, `./protocol`, `./worker`), the HTTP contract (`./http`),
 * the webhook receiver (`./webhooks`) and the HTTP TaskApi never load
 * `@effect/platform-node`: a service using Bananas over HTTP needs only
 * `effect` (its fetch client). Checked on the import graph of the sources
 * (every relative import followed), and by the package's export map.
 */
import { readFileSync } from "node:fs"
import { dirname, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"

const root = fileURLToPath(new URL("../../", import.meta.url))

/** Every module reachable from `entry` by relative imports, with the bare specifiers each one imports. */
const graph = (entry: string): Map<string, ReadonlyArray<string>> => {
  const seen = new Map<string, ReadonlyArray<string>>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    const text = readFileSync(file, "utf8")
    const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^"']*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1] ?? m[2]!)
    seen.set(file, specifiers.filter((s) => !s.startsWith(".")))
    for (const s of specifiers) if (s.startsWith(".")) visit(resolve(dirname(file), s))
  }
  visit(resolve(root, entry))
  return seen
}

const loaders = (entry: string) =>
  [...graph(entry)].filter(([, bare]) => bare.some((s) => s.startsWith("@effect/platform-node"))).map(([file]) => file.slice(root.length))

describe("entry points", () => {
  for (const entry of ["src/index.ts", "src/protocol.ts", "src/worker/index.ts", "src/http/index.ts", "src/webhooks/index.ts", "src/http/HttpTaskApi.ts"]) {
    it(`${entry} never imports @effect/platform-node`, () => {
      assert.isAbove(graph(entry).size, 3, "the walk found the modules")
      assert.deepStrictEqual(loaders(entry), [])
    })
  }

  it("the gateway and the standalone receiver do (the walk can find it)", () => {
    assert.include(loaders("src/gateway/index.ts"), "src/gateway/Gateway.ts")
    assert.include(loaders("src/webhooks/node.ts"), "src/webhooks/Standalone.ts")
  })

  it("package.json exports every entry point", () => {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, "utf8")) as { exports: Record<string, unknown> }
    for (const name of [".", "./protocol", "./worker", "./http", "./gateway", "./webhooks", "./webhooks/node"]) assert.property(pkg.exports, name)
  })
})
