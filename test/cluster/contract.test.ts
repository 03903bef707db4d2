/**
 * The contract suite (JobQueue, QueueAdmin, ResultBackend, TaskApi) on a
 * real 3-master Redis Cluster: `BananasRedis.layer({ cluster })` with a
 * hash-tagged prefix, the direct TaskApi over it, and `Raw` as ioredis
 * Cluster commands. Every step of the suite (multi-key scripts, MGET, the
 * admin's SCAN, result notifications over pub/sub) must work on it, i.e.
 * no CROSSSLOT and no key on a wrong node.
 */
import * as Layer from "effect/Layer"
import * as DirectTaskApi from "../../src/layers/DirectTaskApi.ts"
import { contractSuite } from "../contract/index.ts"
import { RedisCluster } from "../support/RedisCluster.ts"
import { bananas, rawLayer, taggedPrefix } from "./support.ts"

contractSuite(
  "redis cluster",
  () =>
    Layer.mergeAll(DirectTaskApi.layer, rawLayer).pipe(
      Layer.provideMerge(bananas({ prefix: taggedPrefix("contract") })),
      Layer.provideMerge(RedisCluster.layer),
      Layer.orDie
    ),
  { timeout: 45_000 }
)
