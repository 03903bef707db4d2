/**
 * The result backend on its own: store a result, read it, wait for one that
 * arrives later, and delete it. This is the `result:{id}` hash and the
 * `result:notify:{id}` notification Go workers and clients use.
 *
 *   node examples/result-backend.ts
 *   REDIS_URL=redis://localhost:6379 node examples/result-backend.ts
 */
import { NodeRuntime } from "@effect/platform-node"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { RawJson, ResultBackend, Timestamp } from "../src/index.ts"
import { JobResult } from "../src/protocol.ts"
import { backendName, makeBackend } from "./backend.ts"

const program = Effect.gen(function*() {
  const results = yield* ResultBackend
  const now = Effect.map(Clock.currentTimeMillis, Timestamp.fromMillis)

  // Store: result JSON is carried as raw text (big integers keep their digits).
  const value = yield* Effect.fromResult(RawJson.fromText(`{"invoice":12345678901234567890,"total":"99.90"}`))
  yield* results.store({ jobId: "job-1", status: "completed", result: value, completedAt: yield* now, durationMs: 42 })

  // Get: Option.none() when there is no result.
  const stored = yield* results.get("job-1")
  if (Option.isSome(stored)) {
    yield* Console.log(`job-1 ${stored.value.status} in ${stored.value.durationMs} ms: ${stored.value.result}`)
    // Go's JSON form of a JobResult (duration in nanoseconds):
    yield* Console.log(`as Go's JobResult: ${JobResult.toGoJson(stored.value)}`)
  }
  yield* Console.log(`job-2 has a result: ${Option.isSome(yield* results.get("job-2"))}`)

  // Wait: subscribes first, then checks, so a result stored meanwhile is
  // never missed. Here another fiber stores it 200 ms later.
  yield* Effect.forkChild(
    Effect.gen(function*() {
      yield* Effect.sleep("200 millis")
      yield* results.store({ jobId: "job-2", status: "failed", error: "smtp: timeout", completedAt: yield* now, durationMs: 5126 })
    })
  )
  const waited = yield* results.wait("job-2", Duration.seconds(5))
  yield* Console.log(`waited for job-2: ${waited.status} (${waited.error})`)

  // A wait that nobody answers ends with a TimeoutError.
  const timeout = yield* Effect.flip(results.wait("job-3", Duration.millis(100)))
  yield* Console.log(`waiting for job-3 ended with ${timeout._tag}`)

  // Delete: true when there was a result.
  yield* Console.log(`deleted job-1: ${yield* results.delete("job-1")}, again: ${yield* results.delete("job-1")}`)
  yield* Console.log(`done (${backendName})`)
})

program.pipe(Effect.provide(makeBackend()), NodeRuntime.runMain)
