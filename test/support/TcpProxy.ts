/**
 * Test harness: a TCP proxy (node:net) between a client and a Redis, on a
 * free loopback port, for fault injection.
 *
 * The proxy frames the client's byte stream into RESP commands (arrays of
 * bulk strings, or inline lines) and Redis's byte stream into RESP values,
 * so it can count commands and replies per connection and inject faults at
 * command boundaries:
 *
 * - `cutAfterNextCommand(match)`: the next command (on any connection) that
 *   matches is forwarded, Redis executes it, and when its reply comes back
 *   the proxy drops that reply and destroys both sides of the connection.
 *   The client sees a lost reply for a command that did run. Replies to
 *   commands pipelined before it are still delivered; client bytes after it
 *   are discarded (never reach Redis). One-shot; arm it again for another.
 * - `dropAll()`: destroys every proxied connection now.
 * - `pause()` / `resume()`: stops reading from both sides of every
 *   connection (current and new), as a frozen network; bytes already read
 *   before `pause()` are still delivered.
 * - `refuse(true | false)`: stops / restarts listening on the same port, so
 *   new connections get ECONNREFUSED; existing connections are kept.
 *   (`refuse(false)` rejects if something else took the port meanwhile.)
 *
 * Matching (`CommandMatch`): a string equals the command name
 * (case-insensitive: ioredis sends names in lower case, and a substring test
 * for "SET" would also hit the `CLIENT SETINFO` it sends on connect);
 * `{ contains }` is a substring of the command's raw bytes (a key, a script
 * sha); a RegExp is tested against "NAME arg1 arg2 ..."; a function gets the
 * parsed command.
 *
 * Reply accounting assumes request/response connections: RESP3 pushes (`>`)
 * are forwarded without being counted, but RESP2 pub/sub messages are not
 * told apart from replies, so do not cut on a subscribed connection. No
 * backpressure: a test fixture for small payloads.
 *
 * Two APIs: `startTcpProxy(...)` (plain Promise, `close()` to stop) and the
 * `TcpProxy` Effect service (`makeTcpProxy` scoped, `TcpProxy.layer`,
 * `TcpProxy.layerRedisServer`), closed by the scope that acquired it.
 */
import { connect, createServer, type Server, type Socket } from "node:net"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { RedisServer } from "./RedisServer.ts"

/** One client command, as framed by the proxy. */
export interface ProxyCommand {
  /** The command name, upper-cased ("SET", "EVALSHA"). */
  readonly name: string
  /** The arguments after the name, decoded as latin1 (byte-preserving). */
  readonly args: ReadonlyArray<string>
  /** The exact bytes the client sent for this command. */
  readonly raw: Buffer
  readonly connectionId: number
}

export type CommandMatch =
  | string
  | RegExp
  | { readonly contains: string }
  | ((command: ProxyCommand) => boolean)

/** What `cutAfterNextCommand` reports once the cut happened. */
export interface CutEvent {
  readonly command: ProxyCommand
  readonly connectionId: number
  /** The dropped reply, as Redis sent it. */
  readonly droppedReply: Buffer
  /** Client commands sent after the matched one, never forwarded. */
  readonly discardedCommands: number
}

export interface TcpProxyStats {
  readonly connectionsAccepted: number
  readonly activeConnections: number
  readonly bytesToUpstream: number
  readonly bytesToClient: number
  readonly commandsForwarded: number
  readonly repliesForwarded: number
  /** Forwarded commands by upper-cased name. */
  readonly commandsByName: Readonly<Record<string, number>>
  readonly cuts: number
}

export interface TcpProxyOptions {
  readonly targetPort: number
  readonly targetHost?: string
}

export interface TcpProxyHandle {
  readonly host: string
  readonly port: number
  /** `redis://127.0.0.1:<port>` */
  readonly url: string
  /** Arms a one-shot cut; resolves when it happened, rejects if the proxy closes first. */
  cutAfterNextCommand(match: CommandMatch): Promise<CutEvent>
  /** Destroys every connection now; returns how many there were. */
  dropAll(): number
  pause(): void
  resume(): void
  readonly isPaused: boolean
  /** `true`: stop listening (new connections are refused); `false`: listen again on the same port. */
  refuse(on: boolean): Promise<void>
  stats(): TcpProxyStats
  /** Stops listening, destroys every connection, rejects pending cuts. Idempotent. */
  close(): Promise<void>
}

// ---------------------------------------------------------------------------
// RESP framing

const readLine = (buf: Buffer, pos: number): { line: string; next: number } | undefined => {
  const eol = buf.indexOf("\r\n", pos, "latin1")
  if (eol < 0) return undefined
  return { line: buf.toString("latin1", pos, eol), next: eol + 2 }
}

/**
 * The offset just past one complete RESP value starting at `pos`, or -1 if
 * the buffer does not hold all of it yet. Unknown type bytes are read as an
 * inline line (what a client may send instead of an array).
 */
export const scanRespValue = (buf: Buffer, pos: number): number => {
  if (pos >= buf.length) return -1
  const type = String.fromCharCode(buf[pos]!)
  const header = readLine(buf, pos)
  if (header === undefined) return -1
  const { next } = header
  switch (type) {
    case "+": case "-": case ":": case "_": case ",": case "#": case "(":
      return next
    case "$": case "!": case "=": {
      const n = Number(header.line.slice(1))
      if (n < 0) return next
      const end = next + n + 2
      return end <= buf.length ? end : -1
    }
    case "*": case "~": case ">": case "%": case "|": {
      const n = Number(header.line.slice(1))
      if (n < 0) return next
      let p = next
      const count = type === "%" || type === "|" ? n * 2 : n
      for (let i = 0; i < count; i++) {
        p = scanRespValue(buf, p)
        if (p < 0) return -1
      }
      // an attribute map is followed by the value it annotates
      return type === "|" ? scanRespValue(buf, p) : p
    }
    default:
      return next
  }
}

const parseCommandParts = (raw: Buffer): Array<string> => {
  if (raw[0] !== 0x2a /* '*' */) {
    // inline command; a bare CRLF is an empty command
    return raw.toString("latin1").trim().split(/\s+/).filter((s) => s.length > 0)
  }
  const parts: Array<string> = []
  const header = readLine(raw, 0)!
  const n = Number(header.line.slice(1))
  let p = header.next
  for (let i = 0; i < n; i++) {
    const bulk = readLine(raw, p)!
    if (bulk.line[0] !== "$") {
      parts.push(bulk.line.slice(1))
      p = bulk.next
      continue
    }
    const len = Number(bulk.line.slice(1))
    parts.push(raw.toString("latin1", bulk.next, bulk.next + len))
    p = bulk.next + len + 2
  }
  return parts
}

const matches = (match: CommandMatch, command: ProxyCommand): boolean => {
  if (typeof match === "string") return command.name === match.toUpperCase()
  if (typeof match === "function") return match(command)
  if (match instanceof RegExp) {
    match.lastIndex = 0
    return match.test([command.name, ...command.args].join(" "))
  }
  return command.raw.includes(match.contains, 0, "latin1")
}

// ---------------------------------------------------------------------------
// The proxy

interface ArmedCut {
  readonly match: CommandMatch
  readonly resolve: (event: CutEvent) => void
  readonly reject: (error: Error) => void
}

interface Connection {
  readonly id: number
  readonly client: Socket
  readonly upstream: Socket
  clientBuf: Buffer
  upstreamBuf: Buffer
  sent: number
  replies: number
  cut: { readonly armed: ArmedCut; readonly command: ProxyCommand; readonly replyIndex: number; discarded: number } | undefined
  closed: boolean
}

const EMPTY = Buffer.alloc(0)

const listen = (server: Server, port: number, host: string): Promise<void> =>
  new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e)
    server.once("error", onError)
    server.listen(port, host, () => {
      server.off("error", onError)
      resolve()
    })
  })

/** Starts a proxy on a free loopback port, forwarding to `targetHost:targetPort`. */
export const startTcpProxy = async (options: TcpProxyOptions): Promise<TcpProxyHandle> => {
  const host = "127.0.0.1"
  const targetHost = options.targetHost ?? "127.0.0.1"
  const targetPort = options.targetPort
  const connections = new Set<Connection>()
  const servers = new Set<Server>()
  let listening: Server | undefined
  let armed: Array<ArmedCut> = []
  let paused = false
  let closed = false
  let nextId = 0
  const stats = {
    connectionsAccepted: 0,
    bytesToUpstream: 0,
    bytesToClient: 0,
    commandsForwarded: 0,
    repliesForwarded: 0,
    commandsByName: {} as Record<string, number>,
    cuts: 0
  }

  const teardown = (conn: Connection) => {
    if (conn.closed) return
    conn.closed = true
    connections.delete(conn)
    conn.client.destroy()
    conn.upstream.destroy()
  }

  const onClientData = (conn: Connection, chunk: Buffer) => {
    if (conn.closed) return
    const buf = conn.clientBuf.length === 0 ? chunk : Buffer.concat([conn.clientBuf, chunk])
    let pos = 0
    while (pos < buf.length) {
      const end = scanRespValue(buf, pos)
      if (end < 0) break
      const raw = buf.subarray(pos, end)
      pos = end
      if (conn.cut !== undefined) {
        conn.cut.discarded++
        continue
      }
      const parts = parseCommandParts(raw)
      if (parts.length === 0) {
        // an empty inline line: Redis ignores it and sends no reply
        conn.upstream.write(raw)
        stats.bytesToUpstream += raw.length
        continue
      }
      const command: ProxyCommand = {
        name: parts[0]!.toUpperCase(),
        args: parts.slice(1),
        raw: Buffer.from(raw),
        connectionId: conn.id
      }
      conn.upstream.write(raw)
      conn.sent++
      stats.bytesToUpstream += raw.length
      stats.commandsForwarded++
      stats.commandsByName[command.name] = (stats.commandsByName[command.name] ?? 0) + 1
      const i = armed.findIndex((a) => matches(a.match, command))
      if (i >= 0) {
        const cut = armed[i]!
        armed = armed.filter((_, j) => j !== i)
        conn.cut = { armed: cut, command, replyIndex: conn.sent, discarded: 0 }
      }
    }
    conn.clientBuf = pos >= buf.length ? EMPTY : Buffer.from(buf.subarray(pos))
  }

  const onUpstreamData = (conn: Connection, chunk: Buffer) => {
    if (conn.closed) return
    const buf = conn.upstreamBuf.length === 0 ? chunk : Buffer.concat([conn.upstreamBuf, chunk])
    let pos = 0
    const forwardFrom = 0
    while (pos < buf.length) {
      const end = scanRespValue(buf, pos)
      if (end < 0) break
      const isPush = buf[pos] === 0x3e /* '>' */
      const start = pos
      pos = end
      if (isPush) continue
      conn.replies++
      const cut = conn.cut
      if (cut !== undefined && conn.replies === cut.replyIndex) {
        // deliver the replies before the matched command's, drop its own, cut
        if (start > forwardFrom) {
          conn.client.write(buf.subarray(forwardFrom, start))
          stats.bytesToClient += start - forwardFrom
        }
        stats.cuts++
        const event: CutEvent = {
          command: cut.command,
          connectionId: conn.id,
          droppedReply: Buffer.from(buf.subarray(start, end)),
          discardedCommands: cut.discarded
        }
        teardown(conn)
        cut.armed.resolve(event)
        return
      }
      stats.repliesForwarded++
    }
    if (pos > forwardFrom) {
      conn.client.write(buf.subarray(forwardFrom, pos))
      stats.bytesToClient += pos - forwardFrom
    }
    conn.upstreamBuf = pos >= buf.length ? EMPTY : Buffer.from(buf.subarray(pos))
  }

  const onConnection = (client: Socket) => {
    if (closed) {
      client.destroy()
      return
    }
    stats.connectionsAccepted++
    const upstream = connect({ host: targetHost, port: targetPort })
    client.setNoDelay(true)
    upstream.setNoDelay(true)
    const conn: Connection = {
      id: ++nextId,
      client,
      upstream,
      clientBuf: EMPTY,
      upstreamBuf: EMPTY,
      sent: 0,
      replies: 0,
      cut: undefined,
      closed: false
    }
    connections.add(conn)
    client.on("data", (chunk: Buffer) => onClientData(conn, chunk))
    upstream.on("data", (chunk: Buffer) => onUpstreamData(conn, chunk))
    for (const socket of [client, upstream]) {
      socket.on("error", () => teardown(conn))
      socket.on("close", () => teardown(conn))
      socket.on("end", () => teardown(conn))
      if (paused) socket.pause()
    }
  }

  const startListening = async (port: number): Promise<number> => {
    const server = createServer({ pauseOnConnect: false }, onConnection)
    server.on("error", () => {})
    await listen(server, port, host)
    servers.add(server)
    server.once("close", () => servers.delete(server))
    listening = server
    const address = server.address()
    return typeof address === "object" && address !== null ? address.port : port
  }

  const stopListening = () => {
    if (listening !== undefined) {
      listening.close() // stops accepting now; 'close' waits for its connections
      listening = undefined
    }
  }

  const port = await startListening(0)

  const handle: TcpProxyHandle = {
    host,
    port,
    url: `redis://${host}:${port}`,
    cutAfterNextCommand: (match) => {
      const promise = new Promise<CutEvent>((resolve, reject) => {
        if (closed) return reject(new Error("TcpProxy is closed"))
        armed.push({ match, resolve, reject })
      })
      promise.catch(() => {}) // a cut that is never awaited must not be an unhandled rejection
      return promise
    },
    dropAll: () => {
      const all = [...connections]
      for (const conn of all) teardown(conn)
      return all.length
    },
    pause: () => {
      paused = true
      for (const conn of connections) {
        conn.client.pause()
        conn.upstream.pause()
      }
    },
    resume: () => {
      paused = false
      for (const conn of connections) {
        conn.client.resume()
        conn.upstream.resume()
      }
    },
    get isPaused() {
      return paused
    },
    refuse: async (on) => {
      if (closed) return
      if (on) stopListening()
      else if (listening === undefined) await startListening(port)
    },
    stats: () => ({
      ...stats,
      commandsByName: { ...stats.commandsByName },
      activeConnections: connections.size
    }),
    close: async () => {
      if (closed) return
      closed = true
      stopListening()
      handle.dropAll()
      const pending = armed
      armed = []
      for (const cut of pending) cut.reject(new Error("TcpProxy closed before the cut happened"))
      // each server emits 'close' once its last connection is gone
      await Promise.all([...servers].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
    }
  }
  return handle
}

// ---------------------------------------------------------------------------
// Effect service

export interface TcpProxyService {
  readonly host: string
  readonly port: number
  readonly url: string
  /** The Promise API of the same proxy. */
  readonly handle: TcpProxyHandle
  /** Arms a one-shot cut; the returned effect waits until it happened. */
  readonly cutAfterNextCommand: (match: CommandMatch) => Effect.Effect<Effect.Effect<CutEvent>>
  readonly dropAll: Effect.Effect<number>
  readonly pause: Effect.Effect<void>
  readonly resume: Effect.Effect<void>
  readonly refuse: (on: boolean) => Effect.Effect<void>
  readonly stats: Effect.Effect<TcpProxyStats>
}

/** A proxy closed when the enclosing scope closes. */
export const makeTcpProxy = (options: TcpProxyOptions): Effect.Effect<TcpProxyService, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => startTcpProxy(options)),
    (handle) => Effect.promise(() => handle.close())
  ).pipe(Effect.map((handle): TcpProxyService => ({
    host: handle.host,
    port: handle.port,
    url: handle.url,
    handle,
    cutAfterNextCommand: (match) =>
      Effect.sync(() => {
        const cut = handle.cutAfterNextCommand(match)
        return Effect.promise(() => cut)
      }),
    dropAll: Effect.sync(() => handle.dropAll()),
    pause: Effect.sync(() => handle.pause()),
    resume: Effect.sync(() => handle.resume()),
    refuse: (on) => Effect.promise(() => handle.refuse(on)),
    stats: Effect.sync(() => handle.stats())
  })))

/** A fault-injecting proxy in front of a Redis, as an Effect service. */
export class TcpProxy extends Context.Service<TcpProxy, TcpProxyService>()("test/TcpProxy") {
  /** A proxy to the given target. */
  static readonly layer = (options: TcpProxyOptions): Layer.Layer<TcpProxy> =>
    Layer.effect(TcpProxy, makeTcpProxy(options))

  /** A proxy to the test file's `RedisServer`. */
  static readonly layerRedisServer: Layer.Layer<TcpProxy, never, RedisServer> = Layer.effect(
    TcpProxy,
    Effect.gen(function*() {
      const server = yield* RedisServer
      return yield* makeTcpProxy({ targetPort: server.port })
    })
  )
}
