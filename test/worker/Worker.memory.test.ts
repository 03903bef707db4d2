import { layer } from "@effect/vitest"
import * as Layer from "effect/Layer"
import { memory } from "./support/Backend.ts"
import { workerSuite } from "./WorkerSuite.ts"

layer(Layer.empty, { excludeTestServices: true })("Worker on the memory layer", (it) => {
  workerSuite(it, memory)
})
