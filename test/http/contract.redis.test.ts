/**
 * The contract suite (the same one memory and Redis pass) with `TaskApi`
 * over HTTP: the real gateway started on an ephemeral port over this
 * file's private redis-server, the HTTP TaskApi on fetch.
 */
import { contractSuite } from "../contract/index.ts"
import { overRedis } from "./Fixtures.ts"

contractSuite("HTTP gateway on Redis", () => overRedis(), { timeout: 30_000 })
