/**
 * The suite's randomness (test/support/Seed.ts, SummaryReporter.ts): one
 * seed per run, in the environment of every test worker; the same seed and
 * label give the same draws; a failing run prints the seed that replays it,
 * a passing one does not.
 */
import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import type { TestModule } from "vitest/node"
import { between, parseSeed, random, seedVariable, testSeed } from "../support/Seed.ts"
import { SummaryReporter } from "../support/SummaryReporter.ts"

const draws = (next: () => number, n = 8) => Array.from({ length: n }, () => between(next, 0, 1_000_000))

/** What the reporter writes at the end of a run of one module holding tests in these states. */
const summaryOf = (states: ReadonlyArray<"passed" | "failed">, reason: string): string => {
  const module = {
    project: { name: "unit" },
    relativeModuleId: "test/x.test.ts",
    diagnostic: () => ({ duration: 1500 }),
    children: { allTests: () => states.map((state) => ({ result: () => ({ state }) })) }
  } as unknown as TestModule
  const write = process.stdout.write
  let out = ""
  process.stdout.write = ((chunk: string) => {
    out += chunk
    return true
  }) as typeof process.stdout.write
  try {
    new SummaryReporter().onTestRunEnd([module], [], reason)
  } finally {
    process.stdout.write = write
  }
  return out
}

describe("test seeds", () => {
  it("the run's seed is in the environment, and fast-check draws from it", () => {
    assert.strictEqual(process.env[seedVariable], String(testSeed))
    assert.strictEqual(fc.readConfigureGlobal().seed, testSeed)
  })

  it("the same seed and label replay the same draws; another label or seed draws others", () => {
    assert.deepStrictEqual(draws(random("a", 42)), draws(random("a", 42)))
    assert.notDeepEqual(draws(random("a", 42)), draws(random("b", 42)))
    assert.notDeepEqual(draws(random("a", 42)), draws(random("a", 43)))
    for (const x of draws(random("range", testSeed), 1_000)) assert.isTrue(x >= 0 && x < 1_000_000)
  })

  it("a seed that is not a 32-bit integer is refused, naming the variable", () => {
    assert.strictEqual(parseSeed("0"), 0)
    assert.strictEqual(parseSeed("4294967295"), 4_294_967_295)
    for (const bad of ["-1", "1.5", "x", "4294967296"]) {
      assert.throws(() => parseSeed(bad), new RegExp(`^${seedVariable}=`))
    }
  })

  it("a failing run's summary prints the seed that replays it; a passing one does not", () => {
    const failed = summaryOf(["passed", "failed"], "failed")
    assert.include(failed, "unit      1 files     2 tests 1 failed 1.5 s of test time")
    assert.include(failed, `${seedVariable}=${testSeed} replays`)
    const passed = summaryOf(["passed"], "passed")
    assert.include(passed, "unit      1 files     1 tests 1.5 s of test time")
    assert.notInclude(passed, seedVariable)
  })
})
