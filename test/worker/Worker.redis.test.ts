import { layer } from "@effect/vitest"
import { RedisServer } from "../support/RedisServer.ts"
import { redis } from "./support/Backend.ts"
import { workerSuite } from "./WorkerSuite.ts"

layer(RedisServer.layer, { excludeTestServices: true })("Worker on Redis", (it) => {
  workerSuite(it, redis)
})
