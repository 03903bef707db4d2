#!/usr/bin/env node
/**
 * The `bananas` executable: checks that this Node can run it, then runs
 * the CLI on the real process (Node's stdio, file system and terminal;
 * Redis or the HTTP gateway from the flags), logs on stderr, and exits
 * with the invocation's exit code. SIGINT / SIGTERM interrupt it: the
 * long-running commands stop gracefully and exit 0, others exit 130.
 *
 * @since 0.2.0
 */

import * as Module from "node:module"

const [major = 0, minor = 0] = process.versions.node.split(".").map(Number)
if (major < 22 || (major === 22 && minor < 19)) {
  console.error(`error: bananas needs Node 22.19 or newer (Effect's Node platform); this is Node ${process.versions.node}`)
  process.exit(1)
}

// `bananas --version` alone is answered before loading the command tree (scripts call it in loops).
if (process.argv.length === 3 && process.argv[2] === "--version") {
  const Version = await import("./Version.ts")
  console.log(Version.line("bananas"))
  process.exit(0)
}

// Compiled code is cached between runs (the CLI loads a few hundred modules).
Module.enableCompileCache?.()
try {
  await import("./Process.ts")
} catch (error) {
  if ((error as { code?: unknown }).code === "ERR_MODULE_NOT_FOUND" && String(error).includes("@effect/platform-node")) {
    console.error("error: the bananas command needs @effect/platform-node (an optional peer dependency): npm install @effect/platform-node")
    process.exit(1)
  }
  throw error
}
