/**
 * Support for the Redis layer tests: a client layer on the test file's
 * private redis-server (fresh prefix by default), the same stack over a
 * custom `RedisPort` (e.g. one whose pub/sub connections reach a silent
 * peer), raw command helpers, and fixed timestamps for the docs/PROTOCOL.md
 * vectors.
 */
import { createServer, type Socket } from "node:net"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import * as Option from "effect/Option"
import { Redis } from "ioredis"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import * as BananasRedis from "../../src/layers/redis/BananasRedis.ts"
import * as IoRedis from "../../src/layers/redis/IoRedis.ts"
import * as RedisJobStore from "../../src/layers/redis/RedisJobStore.ts"
import { type PubSubConnection, RedisPort } from "../../src/layers/redis/RedisPort.ts"
import * as RedisResultBackend from "../../src/layers/redis/RedisResultBackend.ts"
import { WaitHooks } from "../../src/layers/redis/ResultWait.ts"
import * as Settings from "../../src/layers/redis/Settings.ts"
import * as Subscriber from "../../src/layers/redis/Subscriber.ts"
import { type DequeueOptions, JobQueue, type JobDelivery } from "../../src/services/JobQueue.ts"
import type { QueueAdmin } from "../../src/services/QueueAdmin.ts"
import type { ResultBackend } from "../../src/services/ResultBackend.ts"
import * as StoreAdmin from "../../src/layers/StoreAdmin.ts"
import * as StoreQueue from "../../src/layers/StoreQueue.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"
import * as WireAudit from "../support/WireAudit.ts"

/** What a test gets: the services, the driver port and the shared subscriber. */
export type Client = JobQueue | QueueAdmin | ResultBackend | RedisPort | Subscriber.Subscriber

/** The backend's options, and the hooks its result waits run (tests only). */
export interface Options extends BananasRedis.Options {
  readonly testHooks?: WaitHooks | undefined
}

/**
 * The services of `BananasRedis.layer` over the `RedisPort` in context,
 * composed exactly as `BananasRedis.layer` composes them (store, queue,
 * admin, result backend with the test hooks), plus the `Subscriber`.
 */
export const stack = (options: Options = {}) => {
  const settings = Result.getOrThrow(Settings.make(options))
  const results = RedisResultBackend.layer(settings).pipe(Layer.provide(Layer.succeed(WaitHooks, options.testHooks)))
  return Layer.mergeAll(StoreQueue.layer, StoreAdmin.layer, results).pipe(
    Layer.provideMerge(RedisJobStore.layer(settings)),
    Layer.provideMerge(Subscriber.layer)
  )
}

/**
 * A client on the file's redis-server: `BananasRedis.layer`'s services on
 * the ioredis port (`IoRedis.layer`), a fresh prefix unless given.
 */
export const client = (options: Options = {}): Layer.Layer<Client, never, RedisServer> =>
  Layer.unwrap(Effect.gen(function*() {
    const server = yield* RedisServer
    const all: Options = { url: server.url, prefix: uniquePrefix("r"), ...options }
    return stack(all).pipe(Layer.provideMerge(IoRedis.layer(all)), Layer.orDie)
  }))

/** The raw ioredis client of the test server. */
export const raw: Effect.Effect<Redis, never, RedisServer> = Effect.map(RedisServer, (s) => s.raw)

/** Runs a raw command. */
export const cmd = <A>(f: (r: Redis) => Promise<A>): Effect.Effect<A, never, RedisServer> =>
  Effect.flatMap(raw, (r) => Effect.promise(() => f(r)))

/** Deletes every key under `prefix` (glob characters in it taken literally), with SCAN. */
export const purge = (prefix: string) =>
  cmd(async (r) => {
    const keys = await WireAudit.scanKeys(r, prefix)
    for (let i = 0; i < keys.length; i += 500) await r.del(...keys.slice(i, i + 500))
  })

/** Every key under `prefix` (SCAN), sorted. */
export const keysUnder = (prefix: string) => cmd((r) => WireAudit.scanKeys(r, prefix))

/** The key layout of the client in context. */
export const keys = Effect.map(JobQueue, (q) => q.protocol.keys)

/** A timestamp from RFC 3339 text (dies when invalid). */
export const ts = (text: string): Timestamp.Timestamp => {
  const t = Timestamp.parse(text)
  if (t === undefined) throw new Error(`bad timestamp ${text}`)
  return t
}

/** Gets a job through the SDK, dying when absent. */
export const getJob = (id: string) =>
  Effect.flatMap(JobQueue, (q) => q.get(id)).pipe(
    Effect.flatMap((o) => (Option.isSome(o) ? Effect.succeed(o.value) : Effect.die(new Error(`job ${id} not found`))))
  )

/**
 * Dequeues (no blocking, no lease unless given) through the SDK, dying
 * when nothing was delivered as a job; returns the delivery (what
 * complete / fail / release take).
 */
export const takeJob = (
  priorities: ReadonlyArray<"high" | "normal" | "low"> = ["high", "normal", "low"],
  options?: Pick<DequeueOptions, "lease" | "routingKey">
) =>
  Effect.flatMap(JobQueue, (q) => q.dequeue({ priorities, block: Duration.zero, ...options })).pipe(
    Effect.flatMap((o): Effect.Effect<JobDelivery> =>
      Option.isSome(o) && o.value._tag === "Job"
        ? Effect.succeed(o.value)
        : Effect.die(new Error(`expected a job, got ${JSON.stringify(o)}`))
    )
  )

/** Polls `check` in real time until it holds; dies after `timeoutMs`. */
export const eventually = <E, R>(what: string, check: Effect.Effect<boolean, E, R>, timeoutMs = 5_000) =>
  Effect.gen(function*() {
    const deadline = Date.now() + timeoutMs
    while (!(yield* check)) {
      if (Date.now() > deadline) return yield* Effect.die(new Error(`timed out waiting for: ${what}`))
      // A real timer, not Effect.sleep: under TestClock that would never fire.
      yield* Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 5)))
    }
  })

/** Subscribers of a channel on the server (`PUBSUB NUMSUB`). */
export const numsub = (channel: string) =>
  cmd((r) => r.pubsub("NUMSUB", channel)).pipe(Effect.map((reply) => Number((reply as Array<unknown>)[1])))

/**
 * A raw subscriber (its own connection) on `channels`, collecting
 * `channel message` pairs; `stop` waits until `count` arrived (at most a
 * second), disconnects, and returns them.
 */
export const listenRaw = (...channels: ReadonlyArray<string>) =>
  cmd(async (r) => {
    const s = r.duplicate()
    s.on("error", () => {})
    const got: Array<readonly [string, string]> = []
    s.on("message", (c: string, m: string) => got.push([c, m]))
    await s.subscribe(...channels)
    return {
      got,
      stop: (count: number) =>
        Effect.promise(async () => {
          for (let i = 0; i < 200 && got.length < count; i++) await new Promise((res) => setTimeout(res, 5))
          s.disconnect()
          return [...got]
        })
    }
  })

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

/** Calls of `command` in `INFO commandstats` since the last `CONFIG RESETSTAT` (0 when never called). */
export const calls = (command: string) =>
  cmd((r) => r.info("commandstats")).pipe(
    Effect.map((stats) => Number(new RegExp(`^cmdstat_${command}:calls=(\\d+),`, "m").exec(stats)?.[1] ?? 0))
  )

/** Audits every key under `prefix` of the test server against the wire shape (`WireAudit`). */
export const audit = (prefix: string) => Effect.flatMap(RedisServer, (server) => Effect.promise(() => WireAudit.audit(server.raw, prefix)))

/**
 * The ioredis port on the file's redis-server, except that its pub/sub
 * connections (the subscriber's) reach a TCP peer that accepts and never
 * answers: they never become ready and report no error. Commands and
 * scripts go to the real server.
 */
export const silentSubscriberPort: Layer.Layer<RedisPort, never, RedisServer> = Layer.effect(
  RedisPort,
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
    const real = yield* Effect.orDie(IoRedis.make({ url: server.url }))
    const pubsub = (): PubSubConnection => {
      const c = new Redis({ host: "127.0.0.1", port, lazyConnect: true, autoResubscribe: false })
      return {
        isReady: () => c.status === "ready",
        subscribe: (channels) => c.subscribe(...channels).then(() => undefined),
        unsubscribe: (channels) => c.unsubscribe(...channels).then(() => undefined),
        onMessage: (listener) => void c.on("message", (channel: string, message: string) => listener(channel, message)),
        onReady: (listener) => void c.on("ready", listener),
        onError: (listener) => void c.on("error", listener),
        connect: () => void c.connect().catch(() => {}),
        close: () => c.disconnect()
      }
    }
    return RedisPort.of({ ...real, pubsub })
  })
)

/** `stack` over `silentSubscriberPort`. */
export const silentClient = (options: BananasRedis.Options = {}): Layer.Layer<Client, never, RedisServer> =>
  stack({ prefix: uniquePrefix("silent"), ...options }).pipe(Layer.provideMerge(silentSubscriberPort), Layer.orDie)
