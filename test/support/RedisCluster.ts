/**
 * Test harness: a real Redis Cluster of 3 masters and no replicas, made of
 * private `redis-server` processes on free loopback ports (client port and
 * cluster-bus port both picked free, `--cluster-port`), with their
 * `nodes-<port>.conf` and logs in a temp dir.
 *
 * Start: spawn the nodes, `redis-cli --cluster create ... --cluster-replicas 0
 * --cluster-yes`, then wait until every node's `CLUSTER INFO` reports
 * `cluster_state:ok`, all 16384 slots assigned and every node known. Stop:
 * SIGKILL every node and remove the temp dir (also done if start fails).
 *
 * APIs: `startRedisCluster()` (Promise, `stop()`), and the `RedisCluster`
 * Effect service (`RedisCluster.layer`, `RedisCluster.layerWith(options)`).
 */
import { execFile } from "node:child_process"
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

export interface ClusterNode {
  readonly host: string
  readonly port: number
  /** The cluster bus port (`--cluster-port`). */
  readonly busPort: number
}

export interface RedisClusterOptions {
  /** Number of masters (default 3; Redis needs at least 3). */
  readonly masters?: number
  /** Extra `redis-server` arguments for every node. */
  readonly extraArgs?: ReadonlyArray<string>
  /** Bound for the whole start (default 30 s). */
  readonly timeoutMs?: number
}

export interface RedisClusterHandle {
  readonly nodes: ReadonlyArray<ClusterNode>
  /** `{ host, port }` of every node, e.g. for `new Cluster(startupNodes)`. */
  readonly startupNodes: ReadonlyArray<{ readonly host: string; readonly port: number }>
  /** The temp dir holding the nodes' config files and logs. */
  readonly dir: string
  /** SIGKILLs every node and removes the temp dir. Idempotent. */
  stop(): Promise<void>
}

const HOST = "127.0.0.1"

const run = (file: string, args: ReadonlyArray<string>, timeoutMs: number): Promise<string> =>
  new Promise((resolve, reject) => {
    execFile(file, [...args], { timeout: timeoutMs, killSignal: "SIGKILL" }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`${file} ${args.join(" ")} failed: ${error.message}\n${stdout}\n${stderr}`))
      else resolve(stdout)
    })
  })

const spawnNode = async (dir: string, exclude: Array<number>, extraArgs: ReadonlyArray<string>): Promise<{ node: ClusterNode; proc: RedisProcess }> => {
  let lastError: unknown
  for (let attempt = 0; attempt < 5; attempt++) {
    const [port, busPort] = await freePorts(2, exclude)
    const logFile = join(dir, `redis-${port}.log`)
    try {
      const proc = await spawnRedis([
        "--port", String(port), "--bind", HOST,
        "--cluster-enabled", "yes",
        "--cluster-config-file", join(dir, `nodes-${port}.conf`),
        "--cluster-port", String(busPort),
        "--save", "", "--appendonly", "no",
        "--dir", dir, "--logfile", logFile,
        ...extraArgs
      ], { port: port!, logFile })
      exclude.push(port!, busPort!)
      return { node: { host: HOST, port: port!, busPort: busPort! }, proc }
    } catch (e) {
      lastError = e // most likely a port race: pick new ports
    }
  }
  throw lastError
}

/** Starts a cluster; resolves once every node reports `cluster_state:ok`. */
export const startRedisCluster = async (options: RedisClusterOptions = {}): Promise<RedisClusterHandle> => {
  const masters = options.masters ?? 3
  const timeoutMs = options.timeoutMs ?? 30_000
  const started = Date.now()
  const remaining = () => Math.max(1_000, timeoutMs - (Date.now() - started))
  const dir = makeTempDir("cluster")
  const procs: Array<RedisProcess> = []
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    await Promise.all(procs.map((p) => p.stop()))
    removeTempDir(dir)
  }
  try {
    const nodes: Array<ClusterNode> = []
    const used: Array<number> = []
    for (let i = 0; i < masters; i++) {
      const { node, proc } = await spawnNode(dir, used, options.extraArgs ?? [])
      nodes.push(node)
      procs.push(proc)
    }
    await run("redis-cli", [
      "--cluster", "create", ...nodes.map((n) => `${n.host}:${n.port}`),
      "--cluster-replicas", "0", "--cluster-yes"
    ], remaining())
    await waitUntil(`cluster_state:ok on all ${masters} nodes`, remaining(), async () => {
      for (const node of nodes) {
        const info = parseInfo(String(await redisCommand(node.port, ["CLUSTER", "INFO"])))
        if (info["cluster_state"] !== "ok") return false
        if (info["cluster_slots_assigned"] !== "16384") return false
        if (info["cluster_known_nodes"] !== String(masters)) return false
      }
      return true
    })
    return {
      nodes,
      startupNodes: nodes.map(({ host, port }) => ({ host, port })),
      dir,
      stop
    }
  } catch (e) {
    const logs = procs.map((p) => logTail(p.logFile, 8)).join("")
    await stop()
    throw new Error(`${e instanceof Error ? e.message : String(e)}${logs}`)
  }
}

export interface RedisClusterInfo {
  readonly nodes: ReadonlyArray<ClusterNode>
  readonly startupNodes: ReadonlyArray<{ readonly host: string; readonly port: number }>
  readonly dir: string
}

/** A private Redis Cluster for a test file, as an Effect service. */
export class RedisCluster extends Context.Service<RedisCluster, RedisClusterInfo>()("test/RedisCluster") {
  static readonly layerWith = (options: RedisClusterOptions = {}): Layer.Layer<RedisCluster> =>
    Layer.effect(
      RedisCluster,
      Effect.acquireRelease(
        Effect.promise(() => startRedisCluster(options)),
        (cluster) => Effect.promise(() => cluster.stop())
      ).pipe(Effect.map(({ nodes, startupNodes, dir }) => RedisCluster.of({ nodes, startupNodes, dir })))
    )

  /** 3 masters, no replicas. */
  static readonly layer: Layer.Layer<RedisCluster> = RedisCluster.layerWith()
}
