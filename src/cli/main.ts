#!/usr/bin/env node
/**
 * The `bananas` executable: runs the CLI on the real process (Node's
 * stdio, file system and terminal; Redis or the HTTP gateway from the
 * flags), logs on stderr, and exits with the invocation's exit code.
 * SIGINT / SIGTERM interrupt it: long-running commands stop gracefully,
 * and the exit code is 130.
 *
 * @since 0.2.0
 */
import { enableCompileCache } from "node:module"

// Compiled code is cached between runs (the CLI loads a few hundred modules), then the CLI is loaded.
enableCompileCache()
await import("./Process.ts")
