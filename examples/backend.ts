/**
 * The backend the examples run on (a helper, not an example): in memory by
 * default; on Redis when `REDIS_URL` is set.
 *
 * On Redis each backend uses a fresh throwaway key prefix
 * (`bananas-example-<random>:`) and purges it when released, so running the
 * examples never touches the `bananas:` queues that Go, Python or other
 * TypeScript programs share. Real applications keep the default prefix.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { BananasMemory, BananasRedis, type ConnectionError, Queue, type ResultBackend } from "../src/index.ts"

/** `REDIS_URL`, when set. */
export const redisUrl: string | undefined = process.env.REDIS_URL === "" ? undefined : process.env.REDIS_URL

/** `"memory"` or `"redis"`. */
export const backendName: "memory" | "redis" = redisUrl === undefined ? "memory" : "redis"

/** A fresh throwaway key prefix (used on Redis). */
export const examplePrefix = (): string => `bananas-example-${crypto.randomUUID().slice(0, 8)}:`

/**
 * A fresh backend providing `Queue` and `ResultBackend`: a new empty memory
 * instance, or Redis under a new throwaway prefix (purged on release).
 */
export const makeBackend = (prefix: string = examplePrefix()): Layer.Layer<Queue | ResultBackend, ConnectionError> =>
  redisUrl === undefined
    ? BananasMemory.layer()
    : purgeOnRelease.pipe(Layer.provideMerge(BananasRedis.layer({ url: redisUrl, prefix })))

const purgeOnRelease = Layer.effectDiscard(Effect.gen(function*() {
  const queue = yield* Queue
  yield* Effect.addFinalizer(() => Effect.ignore(queue.purge))
}))
