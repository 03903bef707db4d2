/**
 * The contract suite with `TaskApi` over HTTP in-process: the gateway's
 * routes as a web handler (no socket) over a memory instance.
 */
import { contractSuite } from "../contract/index.ts"
import { inMemory } from "./Fixtures.ts"

contractSuite("HTTP gateway in-process on memory", () => inMemory())
