/**
 * The memory instance under the contract suite: the memory JobQueue,
 * QueueAdmin and ResultBackend, the direct TaskApi over them, and `Raw`
 * over the same keyspace.
 */
import * as Layer from "effect/Layer"
import * as BananasMemory from "../../src/layers/memory/BananasMemory.ts"
import * as DirectTaskApi from "../../src/layers/DirectTaskApi.ts"
import type { Services } from "../contract/Fixtures.ts"
import * as MemoryRaw from "./MemoryRaw.ts"

/** A fresh memory instance with everything the contract suite needs. */
export const layer = (options?: BananasMemory.Options): Layer.Layer<Services> =>
  Layer.mergeAll(DirectTaskApi.layer, MemoryRaw.layer).pipe(Layer.provideMerge(Layer.orDie(BananasMemory.layerWithStore(options))))
