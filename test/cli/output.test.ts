/**
 * The CLI's text helpers and log lines: unknown (zero) times show as "–",
 * relative times are rounded, counts agree with their noun, and log lines
 * are one line each with repeats rate-limited.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { TestClock, TestConsole } from "effect/testing"
import * as Logging from "../../src/cli/Logging.ts"
import * as Output from "../../src/cli/Output.ts"

describe("Output", () => {
  const now = Date.UTC(2026, 0, 1)
  it("shows an unknown (zero) time as –, not thousands of days ago", () => {
    assert.strictEqual(Output.relative(0, now), "–")
    assert.strictEqual(Output.relative(Number.NaN, now), "–")
  })
  it("rounds: a job due in 10 min a moment ago is still 'in 10 min'", () => {
    assert.strictEqual(Output.relative(now + 600_000 - 40, now), "in 10 min")
    assert.strictEqual(Output.relative(now - 2 * 3_600_000, now), "2 h ago")
  })
  it("counts in the singular and the plural", () => {
    assert.strictEqual(Output.count(1, "dead-lettered job"), "1 dead-lettered job")
    assert.strictEqual(Output.count(0, "job"), "0 jobs")
  })
  it("keeps a table row on one line", () => {
    const table = Output.table(["ID", "ERROR"], [["1", "Missing key\n  at [\"name\"]"]], (_, text) => text)
    assert.deepStrictEqual(table.split("\n"), ["ID  ERROR", "1   Missing key at [\"name\"]"])
  })
})

describe("Logging", () => {
  const logged = (format: Logging.Format, verbose: boolean) =>
    Effect.gen(function*() {
      const failure = new Error("connect ECONNREFUSED 127.0.0.1:1\n    at TCPConnectWrap")
      for (let i = 0; i < 50; i++) yield* Effect.logWarning("dequeue failed; retrying", failure)
      yield* TestClock.adjust(Logging.repeatWindowMillis + 1)
      yield* Effect.logWarning("dequeue failed; retrying", failure)
      return (yield* TestConsole.errorLines).map(String)
    }).pipe(Logging.withLogger(format, verbose))

  it.effect("text: one line per entry, repeats within a minute counted, not printed", () =>
    Effect.gen(function*() {
      const lines = yield* logged("text", false)
      assert.strictEqual(lines.length, 2, lines.join("\n"))
      assert.match(lines[0]!, /^\[\d\d:\d\d:\d\d\.\d{3}\] WARN dequeue failed; retrying: connect ECONNREFUSED 127\.0\.0\.1:1 at TCPConnectWrap$/)
      assert.match(lines[1]!, /\(49 more like this in the last minute not shown\)$/)
    }))

  it.effect("json: one JSON object per line", () =>
    Effect.gen(function*() {
      const lines = yield* logged("json", false)
      assert.strictEqual(lines.length, 2)
      const first = JSON.parse(lines[0]!) as Record<string, unknown>
      assert.strictEqual(first.level, "WARN")
      assert.strictEqual(first.message, "dequeue failed; retrying: connect ECONNREFUSED 127.0.0.1:1 at TCPConnectWrap")
      assert.strictEqual((JSON.parse(lines[1]!) as Record<string, unknown>).omitted, 49)
    }))

  it.effect("--verbose adds the error's details", () =>
    Effect.gen(function*() {
      const lines = yield* logged("text", true)
      assert.isAbove(lines[0]!.split("\n").length, 1)
    }))
})
