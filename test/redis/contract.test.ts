/**
 * The contract suite (JobQueue, QueueAdmin, ResultBackend, TaskApi) on the
 * Redis layers, against this file's private redis-server:
 * `BananasRedis.layer`, the direct TaskApi over it, and `Raw` as plain
 * Redis commands.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as DirectTaskApi from "../../src/layers/DirectTaskApi.ts"
import * as BananasRedis from "../../src/layers/redis/BananasRedis.ts"
import { contractSuite } from "../contract/index.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"
import * as RedisRaw from "./RedisRaw.ts"

const redisLayer = Layer.unwrap(Effect.gen(function*() {
  const server = yield* RedisServer
  return BananasRedis.layer({ url: server.url, prefix: uniquePrefix("contract") })
}))

contractSuite(
  "redis",
  () =>
    Layer.mergeAll(DirectTaskApi.layer, RedisRaw.layer).pipe(
      Layer.provideMerge(redisLayer),
      Layer.provideMerge(RedisServer.layer),
      Layer.orDie
    ),
  { timeout: 30_000 }
)
