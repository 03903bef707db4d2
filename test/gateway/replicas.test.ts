/**
 * `Replicas.supervise` runs in the caller's context: the line it logs when
 * a replica exits and is replaced goes through the caller's logger, not
 * Effect's default one; interrupted, it stops its replicas and returns.
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"

const fixture = fileURLToPath(new URL("./fixtures/replicas.ts", import.meta.url))

describe("Replicas.supervise", () => {
  it("logs a replica's restart through the caller's logger, and stops its replicas when interrupted", async () => {
    const child = spawn(process.execPath, [fixture], { stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    child.stdout.on("data", (d: Buffer) => void (output += d.toString()))
    child.stderr.on("data", (d: Buffer) => void (output += d.toString()))
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000)
      child.once("exit", (c) => {
        clearTimeout(timer)
        resolve(c)
      })
    })
    assert.strictEqual(code, 0, output)
    const lines = output.split("\n").filter((l) => l !== "")
    assert.include(lines, "custom|Info|bananas gateway: 1 processes", output)
    assert.isTrue(lines.some((l) => /^custom\|Warn\|bananas gateway process \d+ exited \(3\); starting another$/.test(l)), output)
    assert.deepStrictEqual(lines.filter((l) => !l.startsWith("custom|")), [], "every line through the caller's logger")
  }, 30_000)
})
