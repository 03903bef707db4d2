/**
 * One version everywhere, the one of package.json: the CHANGELOG's top
 * entry, the OpenAPI document (and so its `/docs` page), `bananas
 * --version`, the examples' service version; no JSDoc `@since` names a
 * later version; the CHANGELOG states the peer ranges package.json has.
 */
import { assert, describe, it } from "@effect/vitest"
import { OpenApi } from "effect/http-api"
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import * as Version from "../../src/cli/Version.ts"
import { Api } from "../../src/http/Api.ts"

const pkg = JSON.parse(readFileSync("package.json", "utf8")) as {
  readonly version: string
  readonly peerDependencies: Readonly<Record<string, string>>
}
const changelog = readFileSync("CHANGELOG.md", "utf8")

const files = (dir: string): Array<string> =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? files(path) : path.endsWith(".ts") ? [path] : []
  })

const compare = (a: string, b: string): number => {
  const [x, y] = [a.split(".").map(Number), b.split(".").map(Number)]
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0)
  return 0
}

describe("the package version", () => {
  it("is the CHANGELOG's top entry", () => {
    assert.strictEqual(/^## (\S+)/m.exec(changelog)?.[1], pkg.version)
  })
  it("is the OpenAPI document's (and its /docs page's)", () => {
    assert.strictEqual(OpenApi.fromApi(Api).info.version, pkg.version)
  })
  it("is what bananas --version prints", () => {
    assert.strictEqual(Version.line("bananas"), `bananas ${pkg.version}`)
  })
  it("is the tarball the README installs", () => {
    assert.include(readFileSync("README.md", "utf8"), `bananas-effect-${pkg.version}.tgz`)
  })
  it("is the examples' service version", () => {
    for (const file of files("examples")) {
      for (const m of readFileSync(file, "utf8").matchAll(/serviceVersion: "([^"]+)"/g)) assert.strictEqual(m[1], pkg.version, file)
    }
  })
  it("is not older than any @since", () => {
    for (const file of files("src")) {
      for (const m of readFileSync(file, "utf8").matchAll(/@since (\d+\.\d+\.\d+)/g)) {
        assert.isAtMost(compare(m[1]!, pkg.version), 0, `${file}: @since ${m[1]} is after ${pkg.version}`)
      }
    }
  })
  it("comes with the CHANGELOG's peer ranges", () => {
    for (const [name, range] of Object.entries(pkg.peerDependencies).filter(([n]) => n === "effect" || n === "ioredis")) {
      assert.include(changelog, `\`${name}\` (\`${range}\`)`, name)
    }
  })
})
