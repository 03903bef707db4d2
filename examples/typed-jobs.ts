/**
 * Typed jobs: a `JobDefinition` pairs a job name with payload and result
 * Schemas. Producers `Tasks.call` it and get a typed result (or a typed
 * `JobFailedError`); the worker registers a typed handler for it. Both
 * sides validate with the same schemas, and Schema transformations (here a
 * `DateTimeUtc`) travel as JSON.
 *
 *   node examples/typed-jobs.ts
 *   REDIS_URL=redis://localhost:6379 node examples/typed-jobs.ts
 */
import { NodeRuntime } from "@effect/platform-node"
import * as Console from "effect/Console"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { JobDefinition, Tasks } from "../src/index.ts"
import { Failure, Handlers, Worker } from "../src/worker/index.ts"
import { backendName, makeBackend } from "./backend.ts"

// Shared by producers and workers (e.g. in a `jobs.ts` module).
const ResizeImage = JobDefinition.make({
  name: "resize_image",
  payload: Schema.Struct({
    url: Schema.String,
    width: Schema.Int.check(Schema.isGreaterThan(0)),
    requestedAt: Schema.DateTimeUtc
  }),
  result: Schema.Struct({ url: Schema.String, bytes: Schema.Int }),
  priority: "high",
  maxRetries: 1,
  timeout: "10 seconds"
})

// The worker side: `payload` is typed (and already decoded: requestedAt is
// a DateTime.Utc), the returned value must match the result schema.
const handlers = Handlers.empty.pipe(
  Handlers.add(ResizeImage, (payload) =>
    payload.width > 4096
      ? Effect.fail(new Failure.JobError({ message: `width ${payload.width} is larger than 4096` }))
      : Effect.succeed({
        url: payload.url.replace(/\.png$/, `-${payload.width}.png`),
        bytes: payload.width * 96
      }))
)

const program = Effect.gen(function*() {
  const requestedAt = yield* DateTime.now

  // call = submit + wait + decode: `thumb` is { url: string; bytes: number }.
  const thumb = yield* Tasks.call(ResizeImage, { url: "https://example.com/cat.png", width: 128, requestedAt })
  yield* Console.log(`resized: ${thumb.url} (${thumb.bytes} bytes)`)

  // The handler's failure arrives as a typed JobFailedError.
  const tooWide = yield* Tasks.call(ResizeImage, { url: "https://example.com/cat.png", width: 10_000, requestedAt }).pipe(
    Effect.map((r) => `unexpected success: ${r.url}`),
    Effect.catchTag("JobFailedError", (e) => Effect.succeed(`resize failed: ${e.error}`))
  )
  yield* Console.log(tooWide)

  // A payload that does not match the schema is rejected before it is sent.
  const invalid = yield* Effect.flip(Tasks.call(ResizeImage, { url: "https://example.com/cat.png", width: 1.5, requestedAt }))
  yield* Console.log(`width 1.5 rejected with ${invalid._tag}`)

  // submitTyped submits without waiting; the stored payload is plain JSON
  // any Go or Python worker can read.
  const { id } = yield* Tasks.submitTyped(ResizeImage, { url: "https://example.com/dog.png", width: 64, requestedAt })
  const job = yield* Tasks.getJob(id)
  yield* Console.log(`stored payload of ${job.name}: ${job.payload.replace(/"requestedAt":"[^"]+"/, `"requestedAt":"..."`)}`)
  yield* Console.log(`done (${backendName})`)
})

program.pipe(
  Effect.provide(Worker.layer({ handlers }).pipe(Layer.provideMerge(makeBackend()))),
  NodeRuntime.runMain
)
