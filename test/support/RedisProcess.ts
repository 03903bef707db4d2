/**
 * Test harness plumbing shared by the multi-process fixtures (RedisCluster,
 * RedisSentinel): spawn a `redis-server` on a loopback port, wait for it to
 * answer, run one-off commands against it, poll a condition with a deadline,
 * and own a temp dir.
 *
 * Every process spawned here is SIGKILLed by `stop()`; as a safety net, the
 * ones still alive when the test process exits are killed (and the temp dirs
 * made here removed) from a `process.on("exit")` hook, so a crashed or
 * interrupted test file leaves nothing behind. Never touches 6379: ports
 * come from `freePort()`.
 */
import { spawn, type ChildProcess } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Redis as IORedis } from "ioredis"
import { refuseInUnit } from "./Projects.ts"
import { freePort } from "./RedisServer.ts"

export { freePort }

const live = new Set<ChildProcess>()
const dirs = new Set<string>()
let exitHook = false
const installExitHook = () => {
  if (exitHook) return
  exitHook = true
  process.once("exit", () => {
    for (const child of live) child.kill("SIGKILL")
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })
}

/** A temp dir for one fixture; `removeTempDir` (or process exit) deletes it. */
export const makeTempDir = (label: string): string => {
  installExitHook()
  const dir = mkdtempSync(join(tmpdir(), `bananas-${label}-`))
  dirs.add(dir)
  return dir
}

export const removeTempDir = (dir: string): void => {
  rmSync(dir, { recursive: true, force: true })
  dirs.delete(dir)
}

export interface RedisProcess {
  readonly port: number
  readonly child: ChildProcess
  /** Where the process logs (when it was given a `--logfile`). */
  readonly logFile: string | undefined
  readonly exited: boolean
  /** SIGKILL, resolved once the process is gone. Idempotent. */
  stop(): Promise<void>
}

/**
 * Spawns `redis-server ...args` (the caller puts `--port` and friends in
 * `args`); resolves once it answers PING, or rejects (after killing it) if
 * it exits or does not answer within `timeoutMs`.
 */
export const spawnRedis = async (
  args: ReadonlyArray<string>,
  options: { readonly port: number; readonly logFile?: string; readonly timeoutMs?: number }
): Promise<RedisProcess> => {
  refuseInUnit("redis-server")
  installExitHook()
  const child = spawn("redis-server", [...args], { stdio: ["ignore", "ignore", "pipe"] })
  let stderr = ""
  child.stderr?.on("data", (d: Buffer) => { stderr += d.toString() })
  const spawnError = await new Promise<Error | undefined>((resolve) => {
    child.once("error", (e) => resolve(e))
    child.once("spawn", () => resolve(undefined))
  })
  if (spawnError !== undefined) {
    throw new Error(`cannot start redis-server (is it installed and on PATH?): ${spawnError.message}`)
  }
  live.add(child)
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once("exit", () => resolve())
  })
  void exited.then(() => live.delete(child))
  const proc: RedisProcess = {
    port: options.port,
    child,
    logFile: options.logFile,
    get exited() {
      return child.exitCode !== null || child.signalCode !== null
    },
    stop: async () => {
      if (!proc.exited) child.kill("SIGKILL")
      await exited
    }
  }
  const deadline = Date.now() + (options.timeoutMs ?? 10_000)
  while (Date.now() < deadline && !proc.exited) {
    const pong = await redisCommand(options.port, ["PING"]).catch(() => undefined)
    if (pong === "PONG") return proc
    await delay(25)
  }
  const why = proc.exited ? `exited (code ${child.exitCode})` : "did not answer PING"
  await proc.stop()
  throw new Error(`redis-server on port ${options.port} ${why}: ${stderr.trim()} ${logTail(options.logFile)}`.trim())
}

/** One command on a short-lived connection (no retries, 2 s connect timeout). */
export const redisCommand = async (port: number, command: ReadonlyArray<string>): Promise<unknown> => {
  const client = new IORedis({
    host: "127.0.0.1",
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 2_000,
    enableReadyCheck: false,
    enableOfflineQueue: false
  })
  client.on("error", () => {})
  try {
    await client.connect()
    const [name, ...rest] = command
    return await client.call(name!, ...rest)
  } finally {
    client.disconnect()
  }
}

export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Polls `check` until it returns true; throws `what` (and the last error) after `timeoutMs`. */
export const waitUntil = async (
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
  intervalMs = 50
): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  let last: unknown = undefined
  for (;;) {
    try {
      if (await check()) return
    } catch (e) {
      last = e
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last === undefined ? "" : `: ${String(last)}`}`)
    }
    await delay(intervalMs)
  }
}

/** `a:b\r\nc:d` (INFO, CLUSTER INFO) as a record. */
export const parseInfo = (text: string): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(":")
    if (i > 0 && !line.startsWith("#")) out[line.slice(0, i)] = line.slice(i + 1)
  }
  return out
}

/** The last lines of a log file, for error messages. */
export const logTail = (file: string | undefined, lines = 15): string => {
  if (file === undefined) return ""
  try {
    return `\n--- ${file} ---\n` + readFileSync(file, "utf8").trim().split("\n").slice(-lines).join("\n")
  } catch {
    return ""
  }
}

/** `n` distinct free loopback ports, none of them in `exclude`. */
export const freePorts = async (n: number, exclude: ReadonlyArray<number> = []): Promise<Array<number>> => {
  const ports: Array<number> = []
  while (ports.length < n) {
    const p = await freePort()
    if (p !== 6379 && !ports.includes(p) && !exclude.includes(p)) ports.push(p)
  }
  return ports
}
