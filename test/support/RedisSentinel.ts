/**
 * Test harness: a Sentinel-managed Redis — one master, one replica
 * (`--replicaof`) and three sentinels (`redis-server sentinel-<port>.conf
 * --sentinel`, quorum 2), all private processes on free loopback ports with
 * their configs and logs in a temp dir.
 *
 * The sentinels use `down-after-milliseconds` 1000 and `failover-timeout`
 * 3000 by default and `resolve-hostnames no`, so a killed master is failed
 * over in seconds. Start resolves once the replica's link is up and every
 * sentinel reports the master (`SENTINEL get-master-addr-by-name`), the
 * replica (`SENTINEL replicas`, link ok) and the two other sentinels — a
 * sentinel that has not met its peers cannot win a failover election.
 *
 * Faults: `killMaster()` SIGKILLs the process the sentinels currently call
 * master and returns its port; `waitForFailover(oldPort)` waits until every
 * live sentinel reports another master and that node says `role:master`,
 * and returns its port. Stop: SIGKILL everything, remove the temp dir.
 *
 * APIs: `startRedisSentinel()` (Promise, `stop()`), and the `RedisSentinel`
 * Effect service (`RedisSentinel.layer`, `RedisSentinel.layerWith(options)`).
 */
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import {
  freePorts,
  logTail,
  makeTempDir,
  parseInfo,
  redisCommand,
  removeTempDir,
  spawnRedis,
  waitUntil,
  type RedisProcess
} from "./RedisProcess.ts"

const HOST = "127.0.0.1"

export interface HostPort {
  readonly host: string
  readonly port: number
}

export interface RedisSentinelOptions {
  /** The monitored master's name (default "bananas"). */
  readonly name?: string
  readonly downAfterMilliseconds?: number
  readonly failoverTimeout?: number
  /** Bound for the whole start (default 30 s). */
  readonly timeoutMs?: number
}

export interface RedisSentinelHandle {
  readonly name: string
  /** The three sentinels, e.g. for ioredis `{ sentinels, name }`. */
  readonly sentinels: ReadonlyArray<HostPort>
  /** The ports the master and the replica started on (roles change on failover). */
  readonly masterPort: number
  readonly replicaPort: number
  readonly dir: string
  /** The master port the first sentinel that answers reports now. */
  currentMasterPort(): Promise<number>
  /** SIGKILLs the current master; returns its port. */
  killMaster(): Promise<number>
  /** Waits until every live sentinel reports a master other than `oldPort` that says `role:master`; its port. */
  waitForFailover(oldPort: number, timeoutMs?: number): Promise<number>
  /** SIGKILLs every process and removes the temp dir. Idempotent. */
  stop(): Promise<void>
}

const sentinelConf = (o: {
  port: number
  dir: string
  name: string
  masterPort: number
  downAfter: number
  failoverTimeout: number
}) =>
  [
    `port ${o.port}`,
    `bind ${HOST}`,
    `dir ${o.dir}`,
    `logfile ${join(o.dir, `sentinel-${o.port}.log`)}`,
    "sentinel resolve-hostnames no",
    `sentinel monitor ${o.name} ${HOST} ${o.masterPort} 2`,
    `sentinel down-after-milliseconds ${o.name} ${o.downAfter}`,
    `sentinel failover-timeout ${o.name} ${o.failoverTimeout}`,
    `sentinel parallel-syncs ${o.name} 1`,
    ""
  ].join("\n")

/** `SENTINEL replicas` / `sentinels` entries are flat [k, v, k, v] arrays. */
const fields = (entry: unknown): Record<string, string> => {
  const out: Record<string, string> = {}
  const flat = entry as Array<string>
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!
  return out
}

/** Spawns with fresh ports until one is not taken (port races), up to 5 times. */
const spawnWithRetry = async (
  used: Array<number>,
  start: (port: number) => Promise<RedisProcess>
): Promise<RedisProcess> => {
  let lastError: unknown
  for (let attempt = 0; attempt < 5; attempt++) {
    const [port] = await freePorts(1, used)
    try {
      const proc = await start(port!)
      used.push(port!)
      return proc
    } catch (e) {
      lastError = e
    }
  }
  throw lastError
}

export const startRedisSentinel = async (options: RedisSentinelOptions = {}): Promise<RedisSentinelHandle> => {
  const name = options.name ?? "bananas"
  const downAfter = options.downAfterMilliseconds ?? 1_000
  const failoverTimeout = options.failoverTimeout ?? 3_000
  const timeoutMs = options.timeoutMs ?? 30_000
  const started = Date.now()
  const remaining = () => Math.max(1_000, timeoutMs - (Date.now() - started))
  const dir = makeTempDir("sentinel")
  const byPort = new Map<number, RedisProcess>()
  const used: Array<number> = []
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    await Promise.all([...byPort.values()].map((p) => p.stop()))
    removeTempDir(dir)
  }
  const dataArgs = (port: number) => [
    "--port", String(port), "--bind", HOST, "--save", "", "--appendonly", "no",
    "--dir", dir, "--logfile", join(dir, `redis-${port}.log`),
    "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0"
  ]
  try {
    const master = await spawnWithRetry(used, (port) =>
      spawnRedis(dataArgs(port), { port, logFile: join(dir, `redis-${port}.log`) }))
    byPort.set(master.port, master)
    const replica = await spawnWithRetry(used, (port) =>
      spawnRedis([...dataArgs(port), "--replicaof", HOST, String(master.port)], { port, logFile: join(dir, `redis-${port}.log`) }))
    byPort.set(replica.port, replica)
    await waitUntil("the replica's link to the master", remaining(), async () => {
      const info = parseInfo(String(await redisCommand(replica.port, ["INFO", "replication"])))
      return info["master_link_status"] === "up"
    })

    const sentinels: Array<RedisProcess> = []
    for (let i = 0; i < 3; i++) {
      const proc = await spawnWithRetry(used, (port) => {
        const conf = join(dir, `sentinel-${port}.conf`)
        writeFileSync(conf, sentinelConf({ port, dir, name, masterPort: master.port, downAfter, failoverTimeout }))
        return spawnRedis([conf, "--sentinel"], { port, logFile: join(dir, `sentinel-${port}.log`) })
      })
      byPort.set(proc.port, proc)
      sentinels.push(proc)
    }
    await waitUntil("every sentinel to know the master, the replica and the other sentinels", remaining(), async () => {
      for (const s of sentinels) {
        const addr = (await redisCommand(s.port, ["SENTINEL", "get-master-addr-by-name", name])) as Array<string> | null
        if (addr === null || addr[1] !== String(master.port)) return false
        const replicas = ((await redisCommand(s.port, ["SENTINEL", "replicas", name])) as Array<unknown>).map(fields)
        const ok = replicas.some((r) =>
          r["port"] === String(replica.port) && r["master-link-status"] === "ok" &&
          !/s_down|disconnected/.test(r["flags"] ?? ""))
        if (!ok) return false
        const peers = (await redisCommand(s.port, ["SENTINEL", "sentinels", name])) as Array<unknown>
        if (peers.length < 2) return false
      }
      return true
    }, 100)

    const liveSentinels = () => sentinels.filter((s) => !s.exited)
    const askMaster = async (port: number): Promise<number | undefined> => {
      const addr = (await redisCommand(port, ["SENTINEL", "get-master-addr-by-name", name])) as Array<string> | null
      return addr === null ? undefined : Number(addr[1])
    }
    const currentMasterPort = async (): Promise<number> => {
      for (const s of liveSentinels()) {
        const port = await askMaster(s.port).catch(() => undefined)
        if (port !== undefined) return port
      }
      throw new Error("no sentinel answered get-master-addr-by-name")
    }

    return {
      name,
      sentinels: sentinels.map((s) => ({ host: HOST, port: s.port })),
      masterPort: master.port,
      replicaPort: replica.port,
      dir,
      currentMasterPort,
      killMaster: async () => {
        const port = await currentMasterPort()
        const proc = byPort.get(port)
        if (proc === undefined) throw new Error(`the sentinels' master ${port} is not a process of this fixture`)
        await proc.stop()
        return port
      },
      waitForFailover: async (oldPort, timeout = 20_000) => {
        let found = -1
        await waitUntil(`the sentinels to promote a new master (old ${oldPort})`, timeout, async () => {
          const reported = await Promise.all(liveSentinels().map((s) => askMaster(s.port)))
          const first = reported[0]
          if (first === undefined || first === oldPort || reported.some((p) => p !== first)) return false
          const info = parseInfo(String(await redisCommand(first, ["INFO", "replication"])))
          if (info["role"] !== "master") return false
          found = first
          return true
        })
        return found
      },
      stop
    }
  } catch (e) {
    const logs = [...byPort.values()].map((p) => logTail(p.logFile, 8)).join("")
    await stop()
    throw new Error(`${e instanceof Error ? e.message : String(e)}${logs}`)
  }
}

export interface RedisSentinelService {
  readonly name: string
  readonly sentinels: ReadonlyArray<HostPort>
  readonly masterPort: number
  readonly replicaPort: number
  readonly dir: string
  /** The Promise API of the same fixture. */
  readonly handle: RedisSentinelHandle
  readonly currentMasterPort: Effect.Effect<number>
  readonly killMaster: Effect.Effect<number>
  readonly waitForFailover: (oldPort: number, timeoutMs?: number) => Effect.Effect<number>
}

/** A private master + replica + 3 sentinels for a test file, as an Effect service. */
export class RedisSentinel extends Context.Service<RedisSentinel, RedisSentinelService>()("test/RedisSentinel") {
  static readonly layerWith = (options: RedisSentinelOptions = {}): Layer.Layer<RedisSentinel> =>
    Layer.effect(
      RedisSentinel,
      Effect.acquireRelease(
        Effect.promise(() => startRedisSentinel(options)),
        (handle) => Effect.promise(() => handle.stop())
      ).pipe(Effect.map((handle) =>
        RedisSentinel.of({
          name: handle.name,
          sentinels: handle.sentinels,
          masterPort: handle.masterPort,
          replicaPort: handle.replicaPort,
          dir: handle.dir,
          handle,
          currentMasterPort: Effect.promise(() => handle.currentMasterPort()),
          killMaster: Effect.promise(() => handle.killMaster()),
          waitForFailover: (oldPort, timeoutMs) => Effect.promise(() => handle.waitForFailover(oldPort, timeoutMs))
        })
      ))
    )

  /** Master "bananas", down-after 1000 ms, failover-timeout 3000 ms. */
  static readonly layer: Layer.Layer<RedisSentinel> = RedisSentinel.layerWith()
}
