/**
 * A client that connects while Redis is still loading its dataset (just
 * after a restart: the port answers, every command says `LOADING`) is ready
 * moments after the load ends — not a whole second later. (ioredis's ready
 * check waits Redis's `loading_eta_seconds` — 1 s or more early in a load —
 * before it asks again, unless `maxLoadingRetryTime` is lower; the fault
 * suite's Redis restarts measured ~0.9 s resumes whenever a reconnect hit
 * the AOF load.)
 *
 * A fake Redis on a loopback port answers `INFO` with `loading:1` (and an
 * estimate of 1 s to go, as Redis reports early in a load) for its first
 * 150 ms, then `loading:0`.
 */
import { createServer, type Socket } from "node:net"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as IoRedis from "../../src/layers/redis/IoRedis.ts"

const loadingFor = 150

const fakeLoadingRedis = () =>
  Effect.acquireRelease(
    Effect.promise(() =>
      new Promise<{ port: number; close: () => Promise<void> }>((resolve) => {
        const started = Date.now()
        const sockets = new Set<Socket>()
        const server = createServer((socket) => {
          sockets.add(socket)
          socket.on("close", () => sockets.delete(socket))
          socket.on("error", () => {})
          socket.on("data", (chunk: Buffer) => {
            // one reply per command: INFO tells whether the load is over, PING pongs, anything else is OK
            const commands = chunk.toString("latin1").split("*").slice(1)
            for (const command of commands) {
              const name = command.split("\r\n")[2]?.toLowerCase()
              if (name === "info") {
                const body = Date.now() - started < loadingFor ? "# Persistence\r\nloading:1\r\nloading_eta_seconds:1\r\n" : "# Persistence\r\nloading:0\r\n"
                socket.write(`$${Buffer.byteLength(body)}\r\n${body}\r\n`)
              } else if (name === "ping") socket.write("+PONG\r\n")
              else socket.write("+OK\r\n")
            }
          })
        })
        server.listen(0, "127.0.0.1", () => {
          const address = server.address()
          const port = typeof address === "object" && address !== null ? address.port : 0
          resolve({
            port,
            close: () => new Promise<void>((done) => {
              for (const s of sockets) s.destroy()
              server.close(() => done())
            })
          })
        })
      })
    ),
    (fake) => Effect.promise(() => fake.close())
  )

describe("connecting while Redis loads its dataset", () => {
  it.live("the client is ready within a few hundred ms of the load's end, not after ioredis's 1 s loading wait", () =>
    Effect.gen(function*() {
      const fake = yield* fakeLoadingRedis()
      const started = Date.now()
      yield* Layer.build(IoRedis.layer({ url: `redis://127.0.0.1:${fake.port}` })).pipe(Effect.orDie)
      const readyAfter = Date.now() - started
      assert.isAtLeast(readyAfter, loadingFor - 20, "it waited for the load")
      assert.isBelow(readyAfter, loadingFor + 300, `ready ${readyAfter} ms after connecting (the load took ${loadingFor} ms)`)
    }))
})
