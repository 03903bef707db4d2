/**
 * `node scripts/doc-coverage.ts`: lists what the public API leaves
 * undocumented (exit 1 when anything is), for the package's entry points
 * `@bananas/effect`, `@bananas/effect/protocol` and `@bananas/effect/worker`
 * (the HTTP, gateway and webhook entry points still have undocumented
 * fields):
 *
 * - every export, through `export * as Name` namespaces, has a JSDoc
 *   comment;
 * - every property of an exported interface, object type, class or
 *   service shape (and of the object types nested in them, and of the
 *   inline option objects of exported functions) declared in `src/` has
 *   one; in a union of object types, a variant documented as a whole
 *   documents its fields, and a declaration whose comment names a member
 *   in backticks (`` `url` `` in "POSTs to `url`") documents that member:
 *   a short summary is enough, no comment has to restate a name. Members
 *   inherited from Effect or the standard library, and private ones, are
 *   not counted.
 *
 * `test/docs/doc-coverage.test.ts` runs it, so an undocumented member
 * fails CI.
 */
import { fileURLToPath } from "node:url"
import ts from "typescript"
import { entryPoints as packageEntryPoints } from "./api-surface.ts"

const root = fileURLToPath(new URL("../", import.meta.url))
export const entryPoints = packageEntryPoints().filter((e) =>
  ["@bananas/effect", "@bananas/effect/protocol", "@bananas/effect/worker"].includes(e.specifier)
)

/**
 * Whether the nearest enclosing declaration with a JSDoc comment (the
 * interface, type, class or property holding `member`) names it in
 * backticks: `/** Where events go: \`url\`, and \`secret\` signs them. *\/`.
 */
export const namedByEnclosingComment = (member: ts.Node, name: string): boolean => {
  for (let node = member.parent; node !== undefined && !ts.isSourceFile(node); node = node.parent) {
    const comments = ts.getJSDocCommentsAndTags(node)
    if (comments.length > 0) return comments.some((c) => c.getText().includes(`\`${name}\``))
  }
  return false
}

/** What the public API leaves undocumented, one `path: what` line each, and how many members were checked. */
export const check = (): { readonly undocumented: ReadonlyArray<string>; readonly checked: number } => {
  const config = ts.getParsedCommandLineOfConfigFile(`${root}tsconfig.build.json`, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"))
    }
  })!
  const program = ts.createProgram({ rootNames: config.fileNames, options: config.options })
  const checker = program.getTypeChecker()
  const undocumented = new Set<string>()
  let checked = 0
  const seenSymbols = new Set<ts.Symbol>()
  const seenTypes = new Set<ts.Node>()

  const inSrc = (node: ts.Node) => node.getSourceFile().fileName.startsWith(`${root}src/`)
  const documented = (symbol: ts.Symbol) =>
    symbol.getDocumentationComment(checker).length > 0 ||
    (symbol.declarations ?? []).some((d) => ts.getJSDocCommentsAndTags(d).length > 0)
  const resolve = (symbol: ts.Symbol) => (symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol)

  /** A variant of a union of object types documented as a whole (`/** SET key value *\/ | { op: "set"; ... }`) documents its fields. */
  const inDocumentedVariant = (declaration: ts.Node) => {
    const literal = declaration.parent
    if (literal === undefined || !ts.isTypeLiteralNode(literal) || !ts.isUnionTypeNode(literal.parent)) return false
    // The comment sits before the variant's `|`: look between the previous variant (or the union's start) and this one.
    const union = literal.parent
    const index = union.types.indexOf(literal)
    const from = index === 0 ? union.pos : union.types[index - 1]!.end
    return literal.getSourceFile().getFullText().slice(from, literal.getStart()).includes("/**")
  }

  const member = (path: string, symbol: ts.Symbol) => {
    const declarations = (symbol.declarations ?? []).filter(inSrc)
    if (declarations.length === 0) return
    checked++
    const covered = (d: ts.Node) => inDocumentedVariant(d) || namedByEnclosingComment(d, symbol.name)
    if (!documented(symbol) && !declarations.every(covered)) undocumented.add(`${path}: property not documented`)
    for (const d of declarations) {
      const typeNode = (ts.isPropertySignature(d) || ts.isPropertyDeclaration(d)) ? d.type : undefined
      if (typeNode !== undefined) typeLiterals(path, typeNode)
    }
  }

  /** Properties of the inline object types in a type node (`{ ... }`, in unions, arrays and function parameters too). */
  const typeLiterals = (path: string, node: ts.Node) => {
    if (ts.isTypeLiteralNode(node)) {
      if (seenTypes.has(node)) return
      seenTypes.add(node)
      for (const m of node.members) {
        if ((ts.isPropertySignature(m) || ts.isMethodSignature(m)) && m.name !== undefined) {
          const symbol = checker.getSymbolAtLocation(m.name)
          if (symbol !== undefined) member(`${path}.${symbol.name}`, symbol)
        }
      }
      return
    }
    if (ts.isTypeReferenceNode(node)) return // a named type is checked where it is declared
    ts.forEachChild(node, (child) => typeLiterals(path, child))
  }

  const propertiesOf = (path: string, type: ts.Type) => {
    for (const property of checker.getPropertiesOfType(type)) {
      if (property.name.startsWith("__@") || property.name.startsWith("~") || property.name.startsWith("#")) continue
      const modifiers = ts.getCombinedModifierFlags(property.valueDeclaration ?? property.declarations?.[0] ?? ({} as ts.Declaration))
      if (modifiers & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) continue
      member(`${path}.${property.name}`, property)
    }
  }

  const declaration = (path: string, symbol: ts.Symbol) => {
    if (seenSymbols.has(symbol)) return
    seenSymbols.add(symbol)
    const declarations = (symbol.declarations ?? []).filter(inSrc)
    if (declarations.length === 0) return
    if (symbol.flags & ts.SymbolFlags.ValueModule && declarations.every(ts.isSourceFile)) {
      for (const exported of checker.getExportsOfModule(symbol)) declaration(`${path}.${exported.name}`, resolve(exported))
      return
    }
    checked++
    if (!documented(symbol)) undocumented.add(`${path}: not documented`)
    for (const d of declarations) {
      if (ts.isInterfaceDeclaration(d) || ts.isTypeAliasDeclaration(d)) {
        propertiesOf(path, checker.getDeclaredTypeOfSymbol(symbol))
        if (ts.isTypeAliasDeclaration(d)) typeLiterals(path, d.type)
      } else if (ts.isClassDeclaration(d)) {
        const instance = checker.getDeclaredTypeOfSymbol(symbol)
        propertiesOf(path, instance)
        // A service key: its shape (`Context.Service<Self, Shape>`).
        const service = instance.getProperty("Service")
        if (service !== undefined) propertiesOf(`${path}.Service`, checker.getTypeOfSymbolAtLocation(service, d))
      } else if (ts.isFunctionDeclaration(d) || ts.isVariableDeclaration(d)) {
        const type = ts.isVariableDeclaration(d) ? d.type ?? d.initializer : d
        if (type !== undefined) {
          ts.forEachChild(type, (child) => {
            if (ts.isParameter(child) && child.type !== undefined) typeLiterals(`${path}(${child.name.getText()})`, child.type)
          })
        }
        if (ts.isVariableDeclaration(d) && d.initializer !== undefined && (ts.isArrowFunction(d.initializer) || ts.isFunctionExpression(d.initializer))) {
          for (const p of d.initializer.parameters) if (p.type !== undefined) typeLiterals(`${path}(${p.name.getText()})`, p.type)
        }
      }
    }
  }

  for (const entry of entryPoints) {
    const source = program.getSourceFile(`${root}${entry.source}`)
    const module = source === undefined ? undefined : checker.getSymbolAtLocation(source)
    if (module === undefined) throw new Error(`cannot read ${entry.source}`)
    for (const exported of checker.getExportsOfModule(module)) declaration(`${entry.specifier}:${exported.name}`, resolve(exported))
  }
  return { undocumented: [...undocumented].sort(), checked }
}

if (import.meta.main) {
  const { undocumented, checked } = check()
  for (const line of undocumented) process.stdout.write(`${line}\n`)
  process.stdout.write(`${undocumented.length} of ${checked} public declarations and members undocumented\n`)
  process.exitCode = undocumented.length === 0 ? 0 : 1
}
