/**
 * Real processes for the webhook tests: a gateway (`src/gateway/main.ts`)
 * delivering to a receiver, killed with SIGKILL, and a bounded poll.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import * as Effect from "effect/Effect"

const root = fileURLToPath(new URL("../../", import.meta.url))

/** A running gateway process and what it printed so far. */
export interface GatewayProcess {
  readonly child: ChildProcess
  readonly port: number
  readonly output: () => string
}

/** Starts a gateway on `port` over `redisUrl`, delivering to `receiverPort` (extra env on top). */
export const startGateway = (options: {
  readonly redisUrl: string
  readonly prefix: string
  readonly apiKey: string
  readonly secret: string
  readonly receiverPort: number
  readonly port: number
  readonly env?: Record<string, string> | undefined
}): Promise<GatewayProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["src/gateway/main.ts"], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        REDIS_URL: options.redisUrl,
        BANANAS_PREFIX: options.prefix,
        BANANAS_API_KEYS: `test:${options.apiKey}`,
        BANANAS_PORT: String(options.port),
        BANANAS_HOST: "127.0.0.1",
        BANANAS_WEBHOOK_URLS: `http://127.0.0.1:${options.receiverPort}/`,
        BANANAS_WEBHOOK_SECRET: options.secret,
        ...options.env
      }
    })
    let output = ""
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${output}`)), 20_000)
    const onData = (d: Buffer) => {
      output += d.toString()
      if (output.includes("bananas gateway listening")) {
        clearTimeout(timer)
        resolve({ child, port: options.port, output: () => output })
      }
    }
    child.stdout!.on("data", onData)
    child.stderr!.on("data", onData)
    child.once("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`gateway exited (${code}):\n${output}`))
    })
  })

/** SIGKILLs a child and waits for its exit. */
export const kill = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once("exit", () => resolve())
    child.kill("SIGKILL")
  })

/** Polls `check` every 100 ms until true, for at most `millis`. */
export const until = (label: string, millis: number, check: () => boolean) =>
  Effect.gen(function*() {
    const end = Date.now() + millis
    while (!check()) {
      if (Date.now() > end) return yield* Effect.die(new Error(`timed out waiting for ${label}`))
      yield* Effect.sleep(100)
    }
  })
