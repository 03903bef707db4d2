/**
 * Test harness: a private `redis-server` on a free loopback port, started
 * for a test file and stopped after it. Never touches the shared instance on
 * 6379. Fails loudly (never skips) when `redis-server` is not on PATH.
 */
import { spawn, type ChildProcess } from "node:child_process"
import { createServer } from "node:net"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Context from "effect/Context"
import { Redis as IORedis } from "ioredis"
import { refuseInUnit } from "./Projects.ts"

export interface RedisServerInfo {
  readonly port: number
  readonly url: string
  /** A plain ioredis client for raw commands in tests (closed with the server). */
  readonly raw: IORedis
}

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on("error", reject)
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      srv.close(() => resolve(port))
    })
  })

/** Starts redis-server; resolves once it answers PING. */
export const startRedisServer = async (): Promise<{ port: number; url: string; stop: () => Promise<void>; child: ChildProcess }> => {
  refuseInUnit("redis-server")
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort()
    const child = spawn("redis-server", [
      "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
      "--maxclients", "20000", "--loglevel", "warning"
    ], { stdio: ["ignore", "ignore", "pipe"] })
    const spawnError = await new Promise<Error | undefined>((resolve) => {
      child.once("error", (e) => resolve(e))
      child.once("spawn", () => resolve(undefined))
    })
    if (spawnError !== undefined) {
      throw new Error(`cannot start redis-server (is it installed and on PATH?): ${spawnError.message}`)
    }
    const url = `redis://127.0.0.1:${port}`
    if (await waitForPing(port, child)) {
      const stop = () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve()
          child.once("exit", () => resolve())
          child.kill("SIGKILL")
        })
      return { port, url, stop, child }
    }
    child.kill("SIGKILL") // port race: try another
  }
  throw new Error("redis-server did not start after 5 attempts")
}

const waitForPing = async (port: number, child: ChildProcess): Promise<boolean> => {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return false
    const client = new IORedis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
    client.on("error", () => {})
    try {
      await client.connect()
      if ((await client.ping()) === "PONG") {
        client.disconnect()
        return true
      }
    } catch {
      // not up yet
    }
    client.disconnect()
    await new Promise((r) => setTimeout(r, 25))
  }
  return false
}

/** The private Redis of a test file, as an Effect service. */
export class RedisServer extends Context.Service<RedisServer, RedisServerInfo>()("test/RedisServer") {
  static readonly layer: Layer.Layer<RedisServer> = Layer.effect(
    RedisServer,
    Effect.acquireRelease(
      Effect.promise(async () => {
        const server = await startRedisServer()
        const raw = new IORedis(server.url)
        raw.on("error", () => {})
        return { server, raw }
      }),
      ({ server, raw }) => Effect.promise(async () => { raw.disconnect(); await server.stop() })
    ).pipe(Effect.map(({ server, raw }) => RedisServer.of({ port: server.port, url: server.url, raw })))
  )
}

/** A unique key prefix, so tests sharing one server never see each other's keys. */
export const uniquePrefix = (label = "t"): string => `${label}-${crypto.randomUUID().slice(0, 8)}:`
