/**
 * `node scripts/api-surface.ts [--write]`: the exported names of every
 * entry point of the package (`package.json` "exports"), through
 * `export * as Name` namespaces: one line per name, `Name` for a runtime
 * value (what `Object.keys` of the module shows) and `type Name` for a
 * type-only export. Prints them, or with `--write` writes them to
 * `test/package/api-surface.json`, the checked-in list
 * `test/package/api-surface.test.ts` compares them with: growing the API
 * is a visible change of that file.
 */
import { readFileSync, writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import ts from "typescript"

const root = fileURLToPath(new URL("../", import.meta.url))

/** Where the checked-in list lives. */
export const listFile = `${root}test/package/api-surface.json`

/** The entry points of `package.json` "exports": public specifier to source file (`@bananas/effect/worker` to `src/worker/index.ts`). */
export const entryPoints = (): ReadonlyArray<{ readonly specifier: string; readonly source: string }> => {
  const pkg = JSON.parse(readFileSync(`${root}package.json`, "utf8")) as {
    readonly name: string
    readonly exports: Readonly<Record<string, string | { readonly default: string }>>
  }
  return Object.entries(pkg.exports).flatMap(([subpath, target]) => {
    if (typeof target === "string") return [] // ./package.json
    const source = target.default.replace(/^\.\/dist\//, "src/").replace(/\.js$/, ".ts")
    return [{ specifier: subpath === "." ? pkg.name : `${pkg.name}${subpath.slice(1)}`, source }]
  })
}

/** Per entry point, its names: `Name` / `Space.name` for values, `type Name` for type-only exports, sorted. */
export type Surface = Readonly<Record<string, ReadonlyArray<string>>>

/**
 * The exported names of every entry point, read from the sources with the
 * TypeScript checker: `public`, and `internal` (marked `@internal`: the
 * build strips them from the declarations, though their values stay
 * reachable at runtime).
 */
export const read = (): { readonly public: Surface; readonly internal: Surface } => {
  const entries = entryPoints()
  const program = ts.createProgram({
    rootNames: entries.map((e) => `${root}${e.source}`),
    options: { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, allowImportingTsExtensions: true, noEmit: true, strict: true, skipLibCheck: true }
  })
  const checker = program.getTypeChecker()
  const resolve = (symbol: ts.Symbol) => (symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol)
  const isNamespace = (symbol: ts.Symbol) =>
    (symbol.flags & ts.SymbolFlags.ValueModule) !== 0 && (symbol.declarations ?? []).every(ts.isSourceFile)
  const isValue = (exported: ts.Symbol, target: ts.Symbol) =>
    (target.flags & ts.SymbolFlags.Value) !== 0 && !(exported.declarations ?? []).some(isTypeOnly)

  // What `stripInternal` removes: declarations marked `@internal` (not re-export specifiers, which it keeps).
  const isInternal = (target: ts.Symbol) => (target.declarations ?? []).length > 0 && (target.declarations ?? []).every(markedInternal)

  const publicNames: Record<string, ReadonlyArray<string>> = {}
  const internalNames: Record<string, ReadonlyArray<string>> = {}
  for (const entry of entries) {
    const source = program.getSourceFile(`${root}${entry.source}`)
    const module = source === undefined ? undefined : checker.getSymbolAtLocation(source)
    if (module === undefined) throw new Error(`cannot read ${entry.source}`)
    const names: Array<string> = []
    const internal: Array<string> = []
    const walk = (prefix: string, symbol: ts.Symbol) => {
      for (const exported of checker.getExportsOfModule(symbol)) {
        if (exported.name === "prototype") continue // of a class merged with a namespace
        const target = resolve(exported)
        const name = `${prefix}${exported.name}`
        const line = isNamespace(target) || isValue(exported, target) ? name : `type ${name}`
        if (isInternal(target)) {
          internal.push(line)
          continue
        }
        names.push(line)
        // A module namespace (`export * as`), or the types declared in a namespace merged with a class (`Client.Options`).
        if (isNamespace(target) || (target.flags & ts.SymbolFlags.NamespaceModule) !== 0) walk(`${name}.`, target)
      }
    }
    walk("", module)
    publicNames[entry.specifier] = names.sort((a, b) => key(a).localeCompare(key(b)))
    internalNames[entry.specifier] = internal.sort((a, b) => key(a).localeCompare(key(b)))
  }
  return { public: publicNames, internal: internalNames }
}

/** The public names of every entry point (see `read`). */
export const surface = (): Surface => read().public

/** How many names of a surface: top-level runtime values and type-only exports, and every name through namespaces. */
export const count = (names: ReadonlyArray<string>) => {
  const top = names.filter((n) => !n.replace(/^type /, "").includes("."))
  return {
    values: top.filter((n) => !n.startsWith("type ")).length,
    types: top.filter((n) => n.startsWith("type ")).length,
    members: names.length
  }
}

// Internal

/** An export declared `export type { ... }` / `import type` (a type-only alias of a value). */
const isTypeOnly = (d: ts.Declaration): boolean =>
  (ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly)) ||
  (ts.isNamespaceExport(d) && d.parent.isTypeOnly)

/** A declaration whose leading JSDoc says `@internal` (what `stripInternal` removes). */
const markedInternal = (node: ts.Node): boolean => {
  const anchor = ts.isVariableDeclaration(node) ? node.parent.parent : node
  const text = anchor.getSourceFile().getFullText()
  return (ts.getLeadingCommentRanges(text, anchor.pos) ?? []).some((r) => text.slice(r.pos, r.end).includes("@internal"))
}

/** Sorts by name, a value before its members, whatever the `type ` marker. */
const key = (line: string) => line.replace(/^type /, "")

if (import.meta.main) {
  const current = surface()
  if (process.argv.includes("--write")) writeFileSync(listFile, `${JSON.stringify(current, null, 2)}\n`)
  for (const [specifier, names] of Object.entries(current)) {
    const c = count(names)
    process.stdout.write(`${specifier}: ${c.values} values + ${c.types} types at the top, ${c.members} names in all\n`)
  }
}
