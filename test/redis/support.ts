/**
 * Support for the Redis layer tests: a client layer on the test file's
 * private redis-server (fresh prefix by default), raw command helpers, and
 * fixed timestamps for the PROTOCOL.md vectors.
 */
import { execFile } from "node:child_process"
import { createServer, type Socket } from "node:net"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { Redis } from "ioredis"
import type { Job } from "../../src/domain/Job.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import * as BananasRedis from "../../src/layers/redis/BananasRedis.ts"
import * as RedisConnection from "../../src/layers/redis/RedisConnection.ts"
import * as RedisQueue from "../../src/layers/redis/RedisQueue.ts"
import * as RedisResultBackend from "../../src/layers/redis/RedisResultBackend.ts"
import * as Subscriber from "../../src/layers/redis/Subscriber.ts"
import { Queue } from "../../src/services/Queue.ts"
import type { ResultBackend } from "../../src/services/ResultBackend.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"

/** What a test gets: the services, the subscriber, and the raw server. */
export type Client = Queue | ResultBackend | RedisConnection.RedisConnection | Subscriber.Subscriber

/**
 * A client on the file's redis-server, composed as `BananasRedis.layer`
 * does (plus the Subscriber in context and the result backend's test hooks).
 */
export const client = (
  options: BananasRedis.Options & Pick<RedisResultBackend.RedisResultBackendOptions, "testHooks"> = {}
): Layer.Layer<Client, never, RedisServer> =>
  Layer.unwrap(Effect.gen(function*() {
    const server = yield* RedisServer
    const all = { url: server.url, prefix: uniquePrefix("r"), ...options }
    return Layer.mergeAll(RedisQueue.layer(all), RedisResultBackend.layer(all)).pipe(
      Layer.provideMerge(Subscriber.layer),
      Layer.provideMerge(RedisConnection.layer(all)),
      Layer.orDie
    )
  }))

/** The raw ioredis client of the test server. */
export const raw: Effect.Effect<Redis, never, RedisServer> = Effect.map(RedisServer, (s) => s.raw)

/** Runs a raw command. */
export const cmd = <A>(f: (r: Redis) => Promise<A>): Effect.Effect<A, never, RedisServer> =>
  Effect.flatMap(raw, (r) => Effect.promise(() => f(r)))

/** The key layout of the client in context. */
export const keys = Effect.map(Queue, (q) => q.keys)

/** A timestamp from RFC 3339 text (dies when invalid). */
export const ts = (text: string): Timestamp.Timestamp => {
  const t = Timestamp.parse(text)
  if (t === undefined) throw new Error(`bad timestamp ${text}`)
  return t
}

/** Gets a job through the SDK, dying when absent. */
export const getJob = (id: string) =>
  Effect.flatMap(Queue, (q) => q.get(id)).pipe(
    Effect.flatMap((o) => (Option.isSome(o) ? Effect.succeed(o.value) : Effect.die(new Error(`job ${id} not found`))))
  )

/** Dequeues (no blocking) through the SDK, dying when nothing was delivered as a job. */
export const takeJob = (priorities: ReadonlyArray<"high" | "normal" | "low"> = ["high", "normal", "low"]) =>
  Effect.flatMap(Queue, (q) => q.dequeue({ priorities, block: Duration.zero })).pipe(
    Effect.flatMap((o): Effect.Effect<Job> =>
      Option.isSome(o) && o.value._tag === "Job"
        ? Effect.succeed(o.value.job)
        : Effect.die(new Error(`expected a job, got ${JSON.stringify(o)}`))
    )
  )

/** Polls `check` in real time until it holds; dies after `timeoutMs`. */
export const eventually = <E, R>(what: string, check: Effect.Effect<boolean, E, R>, timeoutMs = 5_000) =>
  Effect.gen(function*() {
    const deadline = Date.now() + timeoutMs
    while (!(yield* check)) {
      if (Date.now() > deadline) return yield* Effect.die(new Error(`timed out waiting for: ${what}`))
      yield* Effect.sleep("5 millis")
    }
  })

/** Subscribers of a channel on the server (`PUBSUB NUMSUB`). */
export const numsub = (channel: string) =>
  cmd((r) => r.pubsub("NUMSUB", channel)).pipe(Effect.map((reply) => Number((reply as Array<unknown>)[1])))

/** Lines of `CLIENT LIST` whose name starts with `name`. */
export const connectionsNamed = (name: string) =>
  cmd((r) => r.client("LIST") as Promise<string>).pipe(
    Effect.map((list) =>
      list.split("\n").filter((line) => {
        const m = / name=(\S*)/.exec(line)
        return m !== null && m[1]!.startsWith(name)
      })
    )
  )

/** Runs the wire-shape audit script against the test server; resolves to its exit code and output. */
export const audit = (prefix: string) =>
  Effect.flatMap(RedisServer, (server) =>
    Effect.callback<{ readonly code: number; readonly output: string }>((resume) => {
      execFile("python3", ["/work/shared/tools/audit-wire-shape.py", String(server.port), prefix], (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1
        resume(Effect.succeed({ code, output: stdout + stderr }))
      })
    }))

/**
 * The command connection of the file's redis-server, except that the
 * connections it duplicates (the subscriber's) reach a TCP peer that accepts
 * and never answers: they never become ready and report no error.
 */
export const silentSubscriberConnection: Layer.Layer<RedisConnection.RedisConnection, never, RedisServer> = Layer.effect(
  RedisConnection.RedisConnection,
  Effect.gen(function*() {
    const sockets = new Set<Socket>()
    const silent = createServer((socket) => {
      sockets.add(socket)
      socket.on("close", () => sockets.delete(socket))
    })
    yield* Effect.acquireRelease(
      Effect.promise(() => new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve))),
      () =>
        Effect.promise(() =>
          new Promise<void>((resolve) => {
            for (const socket of sockets) socket.destroy()
            silent.close(() => resolve())
          })
        )
    )
    const port = (silent.address() as { readonly port: number }).port
    const server = yield* RedisServer
    const connection = yield* Effect.orDie(RedisConnection.make({ url: server.url }))
    return RedisConnection.RedisConnection.of({
      ...connection,
      duplicateUnsafe: () => new Redis({ host: "127.0.0.1", port, lazyConnect: true })
    })
  })
)
