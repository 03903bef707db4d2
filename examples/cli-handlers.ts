/**
 * A handlers module for `bananas worker --handlers examples/cli-handlers.ts`:
 * the worker imports it and runs the `handlers` it exports.
 *
 * - `greet` is a typed job (payload and result checked by their schemas):
 *   `bananas call greet --data '{"name":"Ada"}'` prints `{"greeting":"Hello, Ada!"}`.
 * - `echo` takes any payload and returns its exact JSON text.
 * - `always_fails` fails every run (it ends in the dead-letter list after
 *   its retries: `--max-retries 1` makes that immediate).
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { JobDefinition, RawJson } from "../src/index.ts"
import { Failure, Handlers } from "../src/worker/index.ts"

/** The typed `greet` job. */
export const Greet = JobDefinition.make({
  name: "greet",
  payload: Schema.Struct({ name: Schema.String }),
  result: Schema.Struct({ greeting: Schema.String })
})

/** What the worker runs, by job name. */
export const handlers = Handlers.empty.pipe(
  Handlers.add(Greet, ({ name }) => Effect.succeed({ greeting: `Hello, ${name}!` })),
  Handlers.addRaw("echo", ({ payload }) => Effect.succeed(new RawJson.Raw(payload))),
  Handlers.addRaw("always_fails", () => Effect.fail(new Failure.JobError({ message: "this job always fails" })))
)

if (import.meta.main) {
  // Run directly, the module only lists what it handles.
  await Effect.runPromise(Effect.log(`handlers: ${Handlers.names(handlers).join(", ")}`))
}
