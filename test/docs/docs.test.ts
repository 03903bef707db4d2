/**
 * The API reference: `npm run docs` (TypeDoc, warnings are errors: a
 * broken link or a public type that is not exported fails it) builds, and
 * every public declaration and member is documented
 * (`scripts/doc-coverage.ts`). Both run in the normal `npm test`, so a
 * broken reference fails CI.
 */
import { execFile } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { check } from "../../scripts/doc-coverage.ts"

const root = fileURLToPath(new URL("../../", import.meta.url))
const out = mkdtempSync(join(tmpdir(), "bananas-docs-"))
afterAll(() => rmSync(out, { recursive: true, force: true }))

describe("API reference", () => {
  it("npm run docs builds the reference without a warning", { timeout: 120_000 }, async () => {
    const run = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile("npm", ["run", "docs", "--", "--out", out], { cwd: root, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, output: stdout + stderr })
      })
    })
    assert.strictEqual(run.code, 0, run.output)
    assert.notMatch(run.output, /\[warning\]|\[error\]/, run.output)
    for (const page of ["index.html", "modules/_bananas_effect.html", "modules/_bananas_effect_worker.html"]) {
      assert.isTrue(existsSync(join(out, page)), `${page} generated`)
    }
    // The JSDoc made it into the reference.
    const definition = readFileSync(join(out, "interfaces/_bananas_effect.JobDefinition.JobDefinition.html"), "utf8")
    assert.include(definition, "maxAttempts")
    assert.include(definition, "which counts runs")
  })

  it("every public declaration and member is documented", { timeout: 60_000 }, () => {
    const { undocumented, checked } = check()
    assert.deepStrictEqual(undocumented, [])
    assert.isAbove(checked, 800, "the checker reached the whole public API")
  })
})
