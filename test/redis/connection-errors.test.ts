/**
 * Errors that say what to do when Redis cannot be used: building the
 * Redis layer fails with a `ConnectionError` naming the address tried, the
 * cause's code and what to check (nothing listening, a host that does not
 * resolve, a wrong password, a missing one, a database index out of range,
 * TLS on a plain port, a certificate the client does not trust); a URL
 * that is empty, malformed or not `redis(s)://` is a `ValidationError`
 * naming the option (`url`, `redisUrl`) or the variable (`REDIS_URL`).
 */
import { createServer as createTlsServer, type TLSSocket } from "node:tls"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as References from "effect/References"
import { Redis } from "ioredis"
import { Client } from "../../src/client/Client.ts"
import { ConnectionError, ValidationError } from "../../src/domain/Errors.ts"
import * as BananasRedis from "../../src/layers/redis/BananasRedis.ts"
import { freePort, startRedisServer } from "../support/RedisServer.ts"
import * as TlsFixture from "../support/TlsFixture.ts"

type Server = Awaited<ReturnType<typeof startRedisServer>>
let server: Server
let tlsPort: number
const tlsSockets = new Set<TLSSocket>()
const tls = createTlsServer({ key: TlsFixture.privateKey, cert: TlsFixture.certificate }, (socket) => {
  tlsSockets.add(socket)
  socket.on("error", () => {})
  socket.on("close", () => tlsSockets.delete(socket))
})

beforeAll(async () => {
  server = await startRedisServer()
  const admin = new Redis(server.url)
  await admin.config("SET", "requirepass", "secret")
  admin.disconnect()
  await new Promise<void>((resolve) => tls.listen(0, "127.0.0.1", resolve))
  tlsPort = (tls.address() as { readonly port: number }).port
})

afterAll(async () => {
  for (const socket of tlsSockets) socket.destroy()
  await new Promise<void>((resolve) => tls.close(() => resolve()))
  await server.stop()
})

/** Builds the Redis layer; returns its typed failure (the test fails on success or a defect). */
const failureOf = (options: BananasRedis.Options) =>
  Effect.gen(function*() {
    const exit = yield* Effect.exit(Effect.scoped(Layer.build(BananasRedis.layer({ driverOptions: { connectTimeout: 1_000 }, ...options }))))
    assert.isTrue(Exit.isFailure(exit), "expected the layer to fail")
    const reason = Exit.isFailure(exit) ? exit.cause.reasons.find((r) => r._tag === "Fail") : undefined
    assert.isDefined(reason, `expected a typed failure, got ${String(Exit.isFailure(exit) ? exit.cause : exit)}`)
    return (reason as { readonly error: BananasRedis.LayerError }).error
  }).pipe(Effect.provideService(References.MinimumLogLevel, "None"))

const assertConnection = (error: BananasRedis.LayerError, ...parts: ReadonlyArray<string>) => {
  assert.instanceOf(error, ConnectionError)
  assert.strictEqual((error as ConnectionError).operation, "connect")
  for (const part of parts) assert.include(error.message, part)
}

describe("ConnectionError: the address, the cause, what to check", () => {
  it.effect("nothing listening: ECONNREFUSED", () =>
    Effect.gen(function*() {
      const port = yield* Effect.promise(freePort)
      const error = yield* failureOf({ url: `redis://127.0.0.1:${port}` })
      assertConnection(error, `cannot connect to Redis at 127.0.0.1:${port} (ECONNREFUSED)`, "is Redis running, and are the host and port right?")
    }))

  it.effect("a host that does not resolve: ENOTFOUND", () =>
    Effect.gen(function*() {
      const error = yield* failureOf({ url: "redis://no-such-host.invalid:6390" })
      assertConnection(error, "cannot connect to Redis at no-such-host.invalid:6390 (", "the host name does not resolve")
      assert.match(error.message, /\((ENOTFOUND|EAI_AGAIN)\)/)
    }))

  it.effect("a wrong password: WRONGPASS", () =>
    Effect.gen(function*() {
      const error = yield* failureOf({ url: `redis://:wrong@127.0.0.1:${server.port}` })
      assertConnection(error, `127.0.0.1:${server.port} (WRONGPASS)`, "check the credentials in the URL")
    }))

  it.effect("no password where one is required: NOAUTH", () =>
    Effect.gen(function*() {
      const error = yield* failureOf({ url: `redis://127.0.0.1:${server.port}` })
      assertConnection(error, `127.0.0.1:${server.port} (NOAUTH)`, "the server requires a password")
    }))

  it.effect("a database index out of range (which the driver only logs, then uses database 0)", () =>
    Effect.gen(function*() {
      const error = yield* failureOf({ url: `redis://:secret@127.0.0.1:${server.port}/99` })
      assertConnection(error, `127.0.0.1:${server.port} (DB_INDEX_OUT_OF_RANGE)`, "ERR DB index is out of range", "beyond the server's `databases` setting")
    }))

  it.effect("rediss:// to a plain Redis port", () =>
    Effect.gen(function*() {
      const error = yield* failureOf({ url: `rediss://:secret@127.0.0.1:${server.port}` })
      assertConnection(error, `127.0.0.1:${server.port} (ETIMEDOUT)`, "with rediss:// the server must speak TLS on this port")
    }))

  it.effect("a TLS server whose certificate the client does not trust", () =>
    Effect.gen(function*() {
      const error = yield* failureOf({ url: `rediss://127.0.0.1:${tlsPort}` })
      assertConnection(error, `127.0.0.1:${tlsPort} (DEPTH_ZERO_SELF_SIGNED_CERT)`, "the TLS handshake failed: check the server's certificate")
    }))

  it.effect("the right credentials and database connect", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.scoped(Layer.build(BananasRedis.layer({ url: `redis://:secret@127.0.0.1:${server.port}/1` }))))
      assert.isTrue(Exit.isSuccess(exit))
    }))
})

describe("ValidationError: a URL that cannot be Redis's, naming where it came from", () => {
  const cases = [
    ["an empty URL", "", "is empty"],
    ["text that is not a URL", "not a url", `is not a URL: "not a url"`],
    ["another scheme", "http://localhost:6379", `must start with redis:// or rediss://, got "http://"`]
  ] as const

  for (const [label, url, expected] of cases) {
    it.effect(`${label}, from options: url`, () =>
      Effect.gen(function*() {
        const error = yield* failureOf({ url })
        assert.instanceOf(error, ValidationError)
        assert.strictEqual((error as ValidationError).field, "url")
        assert.include(error.message, `url ${expected}`)
      }))

    it.effect(`${label}, from the environment: REDIS_URL`, () =>
      Effect.gen(function*() {
        const exit = yield* Effect.exit(Effect.scoped(Layer.build(BananasRedis.layerConfig()))).pipe(
          // Effect's providers read an empty variable as unset (then the default address) unless told to keep it.
          Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { REDIS_URL: url }, preserveEmptyStrings: true })))
        )
        const reason = Exit.isFailure(exit) ? exit.cause.reasons.find((r) => r._tag === "Fail") : undefined
        const error = (reason as { readonly error: unknown } | undefined)?.error
        assert.instanceOf(error, ValidationError)
        assert.strictEqual((error as ValidationError).field, "REDIS_URL")
        assert.include((error as ValidationError).message, `REDIS_URL ${expected}`)
      }))
  }

  it("from the Promise client: redisUrl", async () => {
    const client = new Client({ redisUrl: "http://localhost:6379" })
    const error: unknown = await client.stats().then(() => undefined, (e: unknown) => e)
    await client.close()
    assert.instanceOf(error, ValidationError)
    assert.strictEqual((error as ValidationError).field, "redisUrl")
    assert.include((error as ValidationError).message, `redisUrl must start with redis:// or rediss://`)
  })
})
