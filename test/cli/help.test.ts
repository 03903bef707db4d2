/**
 * The help of every command lists its own flags and the shared ones; the
 * root help lists every command; `--version` and the completion scripts
 * work; colours only when the terminal can show them.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { readFileSync } from "node:fs"
import * as Backend from "../../src/cli/Backend.ts"
import * as Cli from "../../src/cli/Cli.ts"
import { runCli, type RunOptions } from "./support.ts"

const shared = ["--redis-url", "--api-url", "--api-key", "--prefix", "--json", "--verbose, -v"]
const payload = ["--data, -d", "--file, -f"]
const jobOptions = ["--priority, -p", "--at", "--in", "--max-retries", "--description", "--route", "--id", "--unique"]
const paging = ["--limit, -n", "--cursor", "--all"]

/** Every command, and the flags its help must list. */
const commands: ReadonlyArray<readonly [ReadonlyArray<string>, ReadonlyArray<string>]> = [
  [["submit"], [...payload, ...jobOptions, "--batch", "--interactive, -i"]],
  [["get"], []],
  [["result"], []],
  [["wait"], ["--timeout, -t"]],
  [["call"], [...payload, ...jobOptions, "--timeout, -t"]],
  [["cancel"], []],
  [["list"], ["--status", "--priority", "--name", "--from", "--to", ...paging]],
  [["stats"], ["--watch, -w", "--interval", "--count"]],
  [["dlq"], []],
  [["dlq", "list"], paging],
  [["dlq", "requeue"], ["--all"]],
  [["dlq", "purge"], ["--yes, -y"]],
  [["queue"], []],
  [["queue", "pause"], ["--route"]],
  [["queue", "resume"], ["--route"]],
  [["queue", "paused"], []],
  [["worker"], ["--handlers", "--concurrency, -c", "--priorities", "--route", "--job-timeout", "--shutdown-timeout", "--scheduler", "--cron", "--reaper", "--worker-id"]],
  [["scheduler"], ["--interval", "--cron", "--promote"]],
  [["reaper"], ["--interval", "--max-age"]],
  [["serve"], ["--port", "--host", "--api-keys", "--insecure", "--processes"]],
  [["completions"], []]
]

const help = (args: ReadonlyArray<string>, options?: RunOptions) => runCli(args, options).pipe(Effect.provide(Backend.layerMemory()))

describe("cli help", () => {
  it.effect("the root help lists every command and the shared flags", () =>
    Effect.gen(function*() {
      const r = yield* help(["--help"])
      assert.strictEqual(r.code, 0)
      for (const [path] of commands) if (path.length === 1) assert.match(r.stdout, new RegExp(`^  ${path[0]}\\s{2,}\\S`, "m"), path[0])
      for (const flag of shared) assert.include(r.stdout, flag)
      assert.include(r.stdout, "--version")
      assert.notInclude(r.stdout, "--version, -v")
      const bare = yield* help([])
      assert.strictEqual(bare.code, 0)
      assert.strictEqual(bare.stdout, r.stdout)
    }))

  for (const [path, flags] of commands) {
    it.effect(`bananas ${path.join(" ")} --help lists its flags`, () =>
      Effect.gen(function*() {
        const r = yield* help([...path, "--help"])
        assert.strictEqual(r.code, 0, r.stderr)
        assert.include(r.stdout, `bananas ${path.join(" ")}`)
        assert.match(r.stdout, /^DESCRIPTION\n {2}\S/)
        for (const flag of flags) assert.match(r.stdout, new RegExp(`^  ${flag.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b`, "m"), `${path.join(" ")}: ${flag}`)
        if ((path[0] !== "dlq" && path[0] !== "queue") || path.length > 1) for (const flag of shared) assert.include(r.stdout, flag, `${path.join(" ")}: ${flag}`)
      }))
  }

  it.effect("--version prints the package version", () =>
    Effect.gen(function*() {
      const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { version: string }
      const r = yield* help(["--version"])
      assert.strictEqual(r.stdout, `bananas ${pkg.version}`)
      assert.strictEqual(Cli.version, pkg.version)
    }))

  it.effect("completions for bash, zsh and fish cover the commands and their flags", () =>
    Effect.gen(function*() {
      for (const shell of ["bash", "zsh", "fish"]) {
        const r = yield* help(["completions", shell])
        assert.strictEqual(r.code, 0, r.stderr)
        for (const word of ["submit", "worker", "dlq", "requeue", "max-retries", "redis-url"]) assert.include(r.stdout, word, `${shell}: ${word}`)
      }
      assert.include((yield* help(["completions", "bash"])).stdout, "complete -F _bananas bananas")
      assert.strictEqual((yield* help(["completions", "tcsh"])).code, 2)
    }))

  it.effect("colours only when the terminal can show them", () =>
    Effect.gen(function*() {
      const plain = yield* help(["stats"])
      assert.notMatch(plain.stdout, /\x1b\[/)
      const coloured = yield* help(["stats"], { colors: true })
      assert.match(coloured.stdout, /\x1b\[1mQUEUE/)
    }))
})
