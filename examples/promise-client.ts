/**
 * The Promise client, for TypeScript programs that do not use Effect: the
 * reference Bananas client's API (`submitJob`, `submitJobScheduled`,
 * `getJob`, `getResult`, `submitAndWait`, `close`), rejecting with the
 * SDK's tagged errors.
 *
 *   node examples/promise-client.ts                         # in memory
 *   REDIS_URL=redis://localhost:6379 node examples/promise-client.ts
 *
 * A worker must run for `submitAndWait` to complete. Here it runs in this
 * process (an Effect worker); in production it is any Bananas worker (Go or
 * Effect) on the same Redis.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { Client, JobFailedError, TimeoutError, ValidationError } from "../src/index.ts"
import { Failure, Handlers, Worker } from "../src/worker/index.ts"
import { backendName, examplePrefix, makeBackend, redisUrl } from "./backend.ts"

const handlers = Handlers.empty.pipe(
  Handlers.addRaw("send_email", () => Effect.void),
  Handlers.addRaw("slow_export", () => Effect.sleep("300 millis")),
  Handlers.addRaw("generate_report", ({ decode }) =>
    Effect.map(decode, (payload) => ({ report: `sales for ${(payload as { month: string }).month}`, rows: 3 }))),
  Handlers.addRaw("always_fails", () => Effect.fail(new Failure.JobError({ message: "upstream unavailable" })))
)

// In memory, the client's own layer carries the worker. On Redis, the
// worker runs on its own runtime and the client connects by URL.
const prefix = examplePrefix()
const workerLayer = Worker.layer({ handlers }).pipe(Layer.provideMerge(makeBackend(prefix)))
const workerRuntime = redisUrl === undefined ? undefined : ManagedRuntime.make(workerLayer)
const client = redisUrl === undefined
  ? new Client({ layer: workerLayer })
  : new Client({ redisUrl, keyPrefix: prefix, successTTL: 60 * 60 * 1000 })

try {
  await workerRuntime?.context() // start the Redis worker

  const id = await client.submitJob("send_email", { to: "ada@example.com" }, "high", "welcome mail")
  const job = await client.getJob(id)
  console.log(`submitted ${job?.name}: status=${job?.status} priority=${job?.priority} payload=${job?.rawPayload}`)

  const at = new Date(Date.now() + 60 * 60 * 1000)
  const scheduledId = await client.submitJobScheduled("send_reminder", { user: 42 }, "low", at)
  const scheduled = await client.getJob(scheduledId)
  console.log(`scheduled send_reminder for ${scheduled?.scheduledFor?.toISOString()}: status=${scheduled?.status}`)
  console.log(`cancelled it: ${await client.cancel(scheduledId)}`)
  // A job that is no longer waiting cannot be cancelled: false.
  console.log(`cancelled it again: ${await client.cancel(scheduledId)}`)

  const result = await client.submitAndWait("generate_report", { month: "2025-01" }, "normal", 10_000)
  console.log(`generate_report ${result.status}: ${JSON.stringify(result.result)}`)
  console.log(`getResult: ${(await client.getResult(result.jobId))?.rawResult}`)

  // Failures reject with the SDK's error classes.
  try {
    await client.submitAndWait({ name: "always_fails", payload: {}, maxRetries: 1, timeout: 10_000 })
  } catch (e) {
    if (e instanceof JobFailedError) console.log(`always_fails rejected with JobFailedError: ${e.error}`)
    else throw e
  }
  try {
    await client.submitJob("send_email", {}, "urgent" as never)
  } catch (e) {
    if (e instanceof ValidationError) console.log(`priority "urgent" rejected with ValidationError (field ${e.field})`)
    else throw e
  }
  try {
    await client.submitAndWait("slow_export", {}, "normal", 50)
  } catch (e) {
    if (e instanceof TimeoutError) console.log(`slow_export rejected with TimeoutError after ${e.timeoutMillis} ms`)
    else throw e
  }
  console.log(`dead letters: ${(await client.stats()).dead}`)
  console.log(`done (${backendName})`)
} finally {
  await client.close()
  await workerRuntime?.dispose()
}
