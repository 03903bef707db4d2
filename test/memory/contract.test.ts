/**
 * The contract suite on the memory layers (default prefix, Go's TTLs).
 */
import { contractSuite } from "../contract/index.ts"
import * as MemoryContract from "./MemoryContract.ts"

contractSuite("memory", () => MemoryContract.layer())
