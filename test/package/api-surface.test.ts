/**
 * The public API, entry point by entry point (`package.json` "exports"),
 * is exactly the checked-in list `test/package/api-surface.json`: adding,
 * removing or renaming an export fails here until the list is rewritten
 * (`node scripts/api-surface.ts --write`), so growing the API is a change a
 * reviewer sees. The list is read from the sources by the TypeScript
 * checker; the modules' runtime keys must agree with it (a name listed as
 * a value exists at runtime, and nothing but the listed values and the
 * `@internal` ones does).
 */
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { count, entryPoints, listFile, read, type Surface } from "../../scripts/api-surface.ts"

const root = fileURLToPath(new URL("../../", import.meta.url))
const checkedIn = JSON.parse(readFileSync(listFile, "utf8")) as Surface
const current = read()

/** The runtime keys a listed namespace path (`""` for the module itself) should have: its direct value members. */
const valuesUnder = (lines: ReadonlyArray<string>, path: string): Array<string> =>
  lines
    .filter((l) => !l.startsWith("type "))
    .filter((l) => path === "" ? !l.includes(".") : l.startsWith(`${path}.`) && !l.slice(path.length + 1).includes("."))
    .map((l) => path === "" ? l : l.slice(path.length + 1))
    .sort()

const isModuleNamespace = (u: unknown): u is Record<string, unknown> => Object.prototype.toString.call(u) === "[object Module]"

describe("the public API", () => {
  it("every entry point exports exactly the checked-in names (run `node scripts/api-surface.ts --write` to accept a change)", { timeout: 60_000 }, () => {
    assert.deepStrictEqual(Object.keys(current.public), entryPoints().map((e) => e.specifier))
    for (const [specifier, names] of Object.entries(current.public)) {
      assert.deepStrictEqual(names, checkedIn[specifier], `${specifier} differs from test/package/api-surface.json`)
    }
    assert.deepStrictEqual(Object.keys(checkedIn), Object.keys(current.public), "the list has one entry per entry point")
  })

  it("the root stays small: at most 27 names, none of the protocol core", () => {
    const top = checkedIn["@bananas/effect"]!.filter((n) => !n.replace(/^type /, "").includes("."))
    assert.isAtMost(count(top).values + count(top).types, 27, top.join(", "))
    for (const core of ["Plan", "Take", "Transitions", "Wire", "Keys", "Events", "RedisPort", "MemoryStore", "JobQueue", "DirectTaskApi"]) {
      assert.notInclude(top, core)
      assert.include(checkedIn["@bananas/effect/protocol"]!, core)
    }
  })

  it("the modules' runtime keys are the listed values (and the @internal ones)", { timeout: 60_000 }, async () => {
    for (const entry of entryPoints()) {
      const module: unknown = await import(`${root}${entry.source}`)
      const lines = [...current.public[entry.specifier]!, ...current.internal[entry.specifier]!]
      const spaces = ["", ...current.public[entry.specifier]!.filter((l) => !l.startsWith("type "))]
      for (const path of spaces) {
        const value = path === "" ? module : path.split(".").reduce<unknown>((at, key) => (at as Record<string, unknown>)[key], module)
        assert.notStrictEqual(value, undefined, `${entry.specifier}: ${path} exists at runtime`)
        if (!isModuleNamespace(value)) continue
        assert.deepStrictEqual(Object.keys(value).sort(), valuesUnder(lines, path), `${entry.specifier}: runtime keys of ${path === "" ? "the module" : path}`)
      }
    }
  })
})
