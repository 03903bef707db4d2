import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Duration from "effect/Duration"
import * as Fiber from "effect/Fiber"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { TestClock } from "effect/testing"
import type { Job } from "../../src/domain/Job.ts"
import * as JobModel from "../../src/domain/Job.ts"
import * as JobDefinition from "../../src/domain/JobDefinition.ts"
import * as RawJson from "../../src/domain/RawJson.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import * as Execution from "../../src/worker/Execution.ts"
import * as Failure from "../../src/worker/Failure.ts"
import * as Handlers from "../../src/worker/HandlerRegistry.ts"

const Add = JobDefinition.make({
  name: "add",
  payload: Schema.Struct({ a: Schema.Int, b: Schema.Int }),
  result: Schema.Struct({ sum: Schema.Int })
})

const Slow = JobDefinition.make({
  name: "slow",
  payload: Schema.Null,
  result: Schema.Void,
  timeout: "2 seconds"
})

const job = (name: string, payload: string, attempts = 0): Job => ({
  ...JobModel.make({ id: "j-1", name, payload: payload as RawJson.RawJson, priority: "normal", now: Timestamp.fromMillis(0), maxRetries: JobModel.defaultMaxRetries }),
  attempts
})

const minute = Duration.minutes(1)

describe("Handlers + Execution", () => {
  it.effect("a typed handler gets the decoded payload and its value is encoded with the result schema", () =>
    Effect.gen(function*() {
      const handlers = Handlers.empty.pipe(Handlers.add(Add, ({ a, b }) => Effect.succeed({ sum: a + b })))
      const outcome = yield* Execution.execute(handlers, job("add", `{"b":2,"a":40}`), minute)
      assert.deepStrictEqual(outcome, { _tag: "Completed", result: `{"sum":42}` as RawJson.RawJson })
    }))

  it.effect("a payload that does not match the schema fails the job with the schema's message", () =>
    Effect.gen(function*() {
      const handlers = Handlers.empty.pipe(Handlers.add(Add, () => Effect.succeed({ sum: 0 })))
      const outcome = yield* Execution.execute(handlers, job("add", `{"a":"x","b":1}`), minute)
      assert.strictEqual(outcome._tag, "Failed")
      if (outcome._tag === "Failed") {
        assert.include(outcome.error, `stored payload of job "add" does not match its schema`)
        assert.include(outcome.error, `at ["a"]`) // the field path
      }
    }))

  it.effect("a raw handler whose result cannot be serialized fails the job saying \"result\" (not payload)", () =>
    Effect.gen(function*() {
      const handlers = Handlers.empty.pipe(
        Handlers.addRaw("bigint", () => Effect.succeed({ total: 10n })),
        Handlers.addRaw("cycle", () => Effect.sync(() => {
          const node: Record<string, unknown> = {}
          node.self = node
          return node
        }))
      )
      for (const name of ["bigint", "cycle"]) {
        const outcome = yield* Execution.execute(handlers, job(name, "null"), minute)
        assert.strictEqual(outcome._tag, "Failed")
        const error = (outcome as { readonly error: string }).error
        assert.match(error, /^result is not JSON-serializable: /)
        assert.notInclude(error, "payload")
      }
    }))

  it.effect("a typed failure becomes the job's error message", () =>
    Effect.gen(function*() {
      const handlers = Handlers.empty.pipe(
        Handlers.add(Add, () => Effect.fail(new Failure.JobError({ message: "smtp: timeout" }))),
        Handlers.addRaw("plain", () => Effect.fail("disk full")),
        Handlers.addRaw("tagged", () => Effect.fail({ _tag: "Boom" }))
      )
      assert.deepStrictEqual(yield* Execution.execute(handlers, job("add", `{"a":1,"b":1}`), minute), { _tag: "Failed", error: "smtp: timeout" })
      assert.deepStrictEqual(yield* Execution.execute(handlers, job("plain", "null"), minute), { _tag: "Failed", error: "disk full" })
      assert.deepStrictEqual(yield* Execution.execute(handlers, job("tagged", "null"), minute), { _tag: "Failed", error: "Boom" })
    }))

  it.effect("a defect (thrown exception) is reported as Go reports a panic", () =>
    Effect.gen(function*() {
      const handlers = Handlers.empty.pipe(
        Handlers.addRaw("throws", (): Effect.Effect<void> => { throw new Error("nil pointer") }),
        Handlers.addRaw("dies", () => Effect.die(new TypeError("bad state"))),
        Handlers.add(Add, () => Effect.sync(() => { throw "oops" }))
      )
      // Go's first line, then the stack frames of the defect (this file's among them).
      for (const [name, first] of [["throws", "PANIC: nil pointer"], ["dies", "PANIC: bad state"]] as const) {
        const outcome = yield* Execution.execute(handlers, job(name, "null"), minute)
        assert.strictEqual(outcome._tag, "Failed")
        const lines = (outcome as { readonly error: string }).error.split("\n")
        assert.strictEqual(lines[0], first)
        assert.isAbove(lines.length, 1)
        assert.isAtMost(lines.length, 21)
        for (const frame of lines.slice(1)) assert.match(frame, /^\s+at\s/)
        assert.isTrue(lines.some((frame) => frame.includes("HandlerRegistry.test.ts")), lines.join("\n"))
      }
      // A defect that is not an Error has no stack: Go's line alone.
      assert.deepStrictEqual(yield* Execution.execute(handlers, job("add", `{"a":1,"b":1}`), minute), { _tag: "Failed", error: "PANIC: oops" })
    }))

  it.effect("an unknown job name fails with Go's message", () =>
    Effect.gen(function*() {
      const outcome = yield* Execution.execute(Handlers.empty, job("nope", "null"), minute)
      assert.deepStrictEqual(outcome, { _tag: "Failed", error: "no handler registered for job: nope" })
    }))

  it.effect("a handler past its definition's timeout is interrupted and fails with Go's deadline message, naming the timeout", () =>
    Effect.gen(function*() {
      let interrupted = false
      const handlers = Handlers.empty.pipe(
        Handlers.add(Slow, () => Effect.never.pipe(Effect.onInterrupt(() => Effect.sync(() => { interrupted = true }))))
      )
      // the worker default (1 minute) is overridden by the definition's 2 seconds
      const fiber = yield* Effect.forkChild(Execution.execute(handlers, job("slow", "null"), minute))
      yield* TestClock.adjust("1999 millis")
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust("1 millis")
      assert.deepStrictEqual(yield* Fiber.join(fiber), {
        _tag: "Failed",
        error: "context cancelled: context deadline exceeded (the handler's own timeout of 2s ran out)"
      })
      assert.strictEqual(Failure.timeoutMessage, "context cancelled: context deadline exceeded")
      assert.isTrue(interrupted)
    }))

  it.effect("the worker's default timeout applies to handlers without one", () =>
    Effect.gen(function*() {
      const handlers = Handlers.empty.pipe(Handlers.addRaw("wait", () => Effect.never))
      const fiber = yield* Effect.forkChild(Execution.execute(handlers, job("wait", "null"), Duration.seconds(5)))
      yield* TestClock.adjust("5 seconds")
      assert.deepStrictEqual(yield* Fiber.join(fiber), {
        _tag: "Failed",
        error: "context cancelled: context deadline exceeded (the worker's jobTimeout of 5s ran out)"
      })
    }))

  it.effect("a raw handler sees the payload bytes untouched, decodes lazily, and may return exact JSON", () =>
    Effect.gen(function*() {
      const payload = `{"order_id":12345678901234567890,"amt":1.10,"10":"x","2":"y"}`
      let seen = ""
      let decoded: unknown
      const handlers = Handlers.empty.pipe(
        Handlers.addRaw("raw", (input) =>
          Effect.gen(function*() {
            seen = input.payload
            decoded = yield* input.decode
            assert.strictEqual(input.attempt, 3)
            assert.strictEqual(input.job.attempts, 2)
            return Result.getOrThrow(RawJson.raw(`{"echo":12345678901234567890}`))
          })),
        Handlers.addRaw("value", () => Effect.succeed({ b: 1, a: "<tag>" })),
        Handlers.addRaw("void", () => Effect.void),
        Handlers.addRaw("bigint", () => Effect.succeed({ n: 1n }))
      )
      assert.deepStrictEqual(yield* Execution.execute(handlers, job("raw", payload, 2), minute), {
        _tag: "Completed",
        result: `{"echo":12345678901234567890}` as RawJson.RawJson
      })
      assert.strictEqual(seen, payload)
      assert.strictEqual((decoded as { amt: number }).amt, 1.1)
      assert.deepStrictEqual(yield* Execution.execute(handlers, job("value", "null"), minute), {
        _tag: "Completed",
        result: `{"a":"\\u003ctag\\u003e","b":1}` as RawJson.RawJson
      })
      assert.deepStrictEqual(yield* Execution.execute(handlers, job("void", "null"), minute), { _tag: "Completed", result: undefined })
      const bad = yield* Execution.execute(handlers, job("bigint", "null"), minute)
      assert.strictEqual(bad._tag, "Failed")
      if (bad._tag === "Failed") assert.include(bad.error, "BigInt")
    }))

  it.effect("a raw handler's decode of corrupt payload text fails with a SerializationError", () =>
    Effect.gen(function*() {
      const handlers = Handlers.empty.pipe(Handlers.addRaw("raw", (input) => input.decode))
      const outcome = yield* Execution.execute(handlers, job("raw", "{not json"), minute)
      assert.deepStrictEqual(outcome, { _tag: "Failed", error: "stored JSON is not valid" })
    }))

  it("the registry replaces a handler registered twice and lists names", () => {
    const handlers = Handlers.empty.pipe(
      Handlers.addRaw("a", () => Effect.succeed(1)),
      Handlers.addRaw("a", () => Effect.succeed(2), { timeout: "3 seconds" }),
      Handlers.add(Add, () => Effect.succeed({ sum: 1 }))
    )
    assert.deepStrictEqual(Handlers.names(handlers), ["a", "add"])
    assert.isTrue(Duration.equals(Handlers.get(handlers, "a")!.timeout!, Duration.seconds(3)))
    assert.isUndefined(Handlers.get(handlers, "b"))
    assert.isTrue(Handlers.isHandlers(handlers))
    assert.isFalse(Handlers.isHandlers({}))
  })

  it("failure messages follow Go's wording", () => {
    assert.strictEqual(Failure.noHandlerMessage("x"), "no handler registered for job: x")
    assert.strictEqual(Failure.panicMessage(new Error("boom")), "PANIC: boom")
    assert.strictEqual(Failure.messageOf({ code: 7 }), `{"code":7}`)
    assert.strictEqual(Failure.messageOf(42), "42")
  })
})
