/**
 * The doc-coverage rule for members (scripts/doc-coverage.ts): a member is
 * documented by its own comment, or by the enclosing declaration's comment
 * naming it in backticks, so a short summary can cover a type's fields
 * without a comment that restates each name.
 */
import { assert, describe, it } from "@effect/vitest"
import ts from "typescript"
import { namedByEnclosingComment } from "../../scripts/doc-coverage.ts"

const source = ts.createSourceFile("fixture.ts", `
/** A webhook target: events are POSTed to \`url\`, signed with \`secret\`. */
export interface Target {
  readonly url: string
  readonly secret: string
  readonly retries: number
  /** Extra headers: \`name\` to value. */
  readonly headers: { readonly name: string; readonly url: string }
}
export interface Bare {
  readonly url: string
}
`, ts.ScriptTarget.ES2023, true)

/** The declaration of member `name` of interface `owner` (or of the type literal of its member `inner`). */
const memberOf = (owner: string, name: string, inner?: string): ts.Node => {
  const declaration = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === owner)!
  const find = (members: ts.NodeArray<ts.TypeElement>, n: string) => members.find((m) => m.name?.getText() === n) as ts.PropertySignature
  if (inner === undefined) return find(declaration.members, name)
  const literal = find(declaration.members, inner).type as ts.TypeLiteralNode
  return find(literal.members, name)
}

describe("doc coverage: a member named by its enclosing comment", () => {
  it("is documented when the nearest enclosing comment names it in backticks", () => {
    assert.isTrue(namedByEnclosingComment(memberOf("Target", "url"), "url"))
    assert.isTrue(namedByEnclosingComment(memberOf("Target", "secret"), "secret"))
    assert.isTrue(namedByEnclosingComment(memberOf("Target", "name", "headers"), "name"))
  })

  it("is not documented when the comment does not name it, or there is no comment", () => {
    assert.isFalse(namedByEnclosingComment(memberOf("Target", "retries"), "retries"))
    // the nearest comment (the headers property's) decides, not the interface's
    assert.isFalse(namedByEnclosingComment(memberOf("Target", "url", "headers"), "url"))
    assert.isFalse(namedByEnclosingComment(memberOf("Bare", "url"), "url"))
  })
})
