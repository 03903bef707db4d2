/**
 * The gateway entry point's flags: `--api-keys`, `--insecure`, `--port`,
 * `--host` (with a space or `=`) become option overrides.
 */
import { assert, describe, it } from "@effect/vitest"
import { parseFlags } from "../../src/gateway/main.ts"

describe("gateway flags", () => {
  it("parses every flag, in both spellings", () => {
    const flags = parseFlags(["--insecure", "--port", "9090", "--host=127.0.0.1", "--api-keys", "ci:s3cr3t,ops:t0k3n"])
    assert.strictEqual(flags.insecure, true)
    assert.strictEqual(flags.port, 9090)
    assert.strictEqual(flags.host, "127.0.0.1")
    assert.deepStrictEqual(flags.apiKeys?.map((k) => typeof k === "string" ? k : k.id), ["ci", "ops"])
    assert.deepStrictEqual(parseFlags([]), {})
  })
})
