/**
 * `npm start`: runs the end-to-end demo (`Demo.ts`) in one process, on the
 * embedded in-memory backend, or on Redis when `REDIS_URL` is set (keys
 * under `BANANAS_PREFIX`, default `bananas-demo:`, so that workers on the
 * Redis's `bananas:` queues never see the demo's jobs). Exits by itself.
 *
 * @since 0.1.0
 */

import { NodeRuntime } from "@effect/platform-node"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as References from "effect/References"
import * as DirectTaskApi from "../../src/layers/DirectTaskApi.ts"
import * as BananasMemory from "../../src/layers/memory/BananasMemory.ts"
import * as BananasRedis from "../../src/layers/redis/BananasRedis.ts"
import * as Demo from "./Demo.ts"

/**
 * The backend layer for the environment, and its description.
 *
 * @category layers
 * @since 0.1.0
 */
export const backendFromEnv = (env: NodeJS.ProcessEnv) => {
  const url = env.REDIS_URL
  if (url === undefined || url === "") {
    return { name: "the in-memory backend (set REDIS_URL to run on Redis)", layer: BananasMemory.layer() }
  }
  const prefix = env.BANANAS_PREFIX || "bananas-demo:"
  return {
    name: `Redis at ${redactUrl(url)} (keys under "${prefix}")`,
    layer: BananasRedis.layer({ url, prefix, connectionName: "bananas-demo" })
  }
}

/**
 * The demo, with its backend and the TaskApi over it; logs below `Error`
 * are hidden so the demo's own progress lines stay readable.
 *
 * @category programs
 * @since 0.1.0
 */
export const main = (env: NodeJS.ProcessEnv) => {
  const backend = backendFromEnv(env)
  return Demo.program(backend.name).pipe(
    Effect.scoped,
    Effect.provide(DirectTaskApi.layer.pipe(Layer.provideMerge(backend.layer))),
    Effect.provideService(References.MinimumLogLevel, "Error"),
    Effect.timeout("60 seconds")
  )
}

// Internal

const redactUrl = (url: string): string => url.replace(/\/\/([^@/]*)@/, "//***@")

if (import.meta.main) {
  NodeRuntime.runMain(Effect.asVoid(main(process.env)))
}
