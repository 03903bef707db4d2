/**
 * How the Redis deployment is laid out, in driver-neutral terms: a single
 * server (a URL), a Redis Cluster (`cluster`: some of its nodes) or a
 * Sentinel-managed master (`sentinel`: the sentinels and the master's
 * name). The adapter (`IoRedis`) turns a resolved topology into driver
 * clients; this module checks the options, names the target in messages,
 * and computes the cluster slot of a key (to route `SCAN` to the node that
 * owns the prefix's slot: a keyless command would reach a random node).
 *
 * @stability unstable
 * @since 0.2.0
 */

import * as Result from "effect/Result"
import { ValidationError } from "../../domain/Errors.ts"
import * as Keys from "../../protocol/Keys.ts"

/**
 * A host and a port.
 *
 * @category models
 * @since 0.2.0
 */
export interface HostPort {
  /** Host name or IP address. */
  readonly host: string
  /** TCP port. */
  readonly port: number
}

/**
 * A Redis Cluster: some of its nodes (the driver discovers the rest).
 *
 * @category models
 * @since 0.2.0
 */
export interface ClusterOptions {
  /** Startup nodes: `host:port` text or `{ host, port }` (port default 6379); at least one. */
  readonly nodes: ReadonlyArray<string | HostPort>
  /** ACL user of every node. */
  readonly username?: string | undefined
  /** Password of every node. */
  readonly password?: string | undefined
  /** Connect to every node with TLS (default false). */
  readonly tls?: boolean | undefined
}

/**
 * A master managed by Redis Sentinel: the client asks the sentinels where
 * the master is, and asks again after a failover.
 *
 * @category models
 * @since 0.2.0
 */
export interface SentinelOptions {
  /** The sentinels: `host:port` text or `{ host, port }` (port default 26379); at least one. */
  readonly sentinels: ReadonlyArray<string | HostPort>
  /** The master's name, as in the sentinels' `sentinel monitor <name> ...`. */
  readonly name: string
  /** ACL user of the data nodes (master and replicas). */
  readonly username?: string | undefined
  /** Password of the data nodes. */
  readonly password?: string | undefined
  /** Password of the sentinels, if they require one. */
  readonly sentinelPassword?: string | undefined
  /** Database index on the master (default 0). */
  readonly db?: number | undefined
  /** Connect to the data nodes with TLS (default false). */
  readonly tls?: boolean | undefined
}

/**
 * A checked topology.
 *
 * @category models
 * @since 0.2.0
 */
export type Topology =
  | { readonly _tag: "Standalone" }
  | { readonly _tag: "Cluster"; readonly nodes: ReadonlyArray<HostPort>; readonly options: ClusterOptions }
  | { readonly _tag: "Sentinel"; readonly sentinels: ReadonlyArray<HostPort>; readonly options: SentinelOptions }

/**
 * Checks the topology options: at most one of `url`, `cluster` and
 * `sentinel`; nodes that parse; a sentinel master name.
 *
 * @category constructors
 * @since 0.2.0
 */
export const resolve = (options: {
  readonly url?: string | undefined
  readonly cluster?: ClusterOptions | undefined
  readonly sentinel?: SentinelOptions | undefined
}): Result.Result<Topology, ValidationError> => {
  const given = [options.url !== undefined && "url", options.cluster !== undefined && "cluster", options.sentinel !== undefined && "sentinel"]
    .filter((x) => x !== false)
  if (given.length > 1) {
    return fail(given[1]!, `give only one of url, cluster and sentinel (got ${given.join(" and ")})`)
  }
  if (options.cluster !== undefined) {
    const nodes = parseNodes("cluster.nodes", options.cluster.nodes, 6379)
    return Result.map(nodes, (nodes) => ({ _tag: "Cluster" as const, nodes, options: options.cluster! }))
  }
  if (options.sentinel !== undefined) {
    const sentinel = options.sentinel
    if (typeof sentinel.name !== "string" || sentinel.name.trim() === "") {
      return fail("sentinel.name", "sentinel.name must name the master the sentinels monitor (their `sentinel monitor <name>`)")
    }
    const sentinels = parseNodes("sentinel.sentinels", sentinel.sentinels, 26379)
    return Result.map(sentinels, (sentinels) => ({ _tag: "Sentinel" as const, sentinels, options: sentinel }))
  }
  return Result.succeed({ _tag: "Standalone" })
}

/**
 * Where a cluster or sentinel topology is, for messages (`cluster
 * 127.0.0.1:7000,...`, `sentinel master "mymaster" via 127.0.0.1:26379,...`).
 *
 * @category getters
 * @since 0.2.0
 */
export const describe = (topology: Exclude<Topology, { readonly _tag: "Standalone" }>): string =>
  topology._tag === "Cluster"
    ? `cluster ${topology.nodes.map(text).join(",")}`
    : `sentinel master ${JSON.stringify(topology.options.name)} via ${topology.sentinels.map(text).join(",")}`

/**
 * The key prefix on a topology: the given one, else the default
 * (`Keys.clusterDefaultPrefix` on a cluster, Go's `bananas:` elsewhere).
 * On a cluster a prefix without a hash tag is a `ValidationError` naming
 * `prefix` (`field`).
 *
 * @category constructors
 * @since 0.2.0
 */
export const prefixFor = (
  prefix: string | undefined,
  cluster: boolean,
  field = "prefix"
): Result.Result<string, ValidationError> => {
  if (!cluster) return Result.succeed(prefix ?? Keys.defaultPrefix)
  if (prefix === undefined) return Result.succeed(Keys.clusterDefaultPrefix)
  const problem = Keys.clusterPrefixProblem(prefix)
  return problem === undefined ? Result.succeed(prefix) : fail(field, `${field} ${problem}`)
}

/**
 * The Redis Cluster slot of a key (CRC16 of its hash tag, or of the whole
 * key when it has none, modulo 16384).
 *
 * @category getters
 * @since 0.2.0
 */
export const slotOf = (key: string): number => {
  const tag = Keys.hashTag(key)
  const bytes = new TextEncoder().encode(tag ?? key)
  let crc = 0
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ crcTable[((crc >> 8) ^ byte) & 0xff]!
  return crc % 16384
}

/**
 * The slot a `SCAN ... MATCH <pattern>` is about: the slot of the hash tag
 * of its pattern; undefined when it has no `MATCH` or no hash tag.
 *
 * @category getters
 * @since 0.2.0
 */
export const scanSlot = (args: ReadonlyArray<string | number>): number | undefined => {
  for (let i = 1; i + 1 < args.length; i++) {
    if (String(args[i]).toUpperCase() === "MATCH") {
      const pattern = String(args[i + 1])
      return Keys.hashTag(pattern) === undefined ? undefined : slotOf(pattern)
    }
  }
  return undefined
}

// Internal

const fail = (field: string, message: string) => Result.fail(new ValidationError({ field, message }))

const text = (node: HostPort): string => `${node.host}:${node.port}`

const parseNodes = (
  field: string,
  nodes: ReadonlyArray<string | HostPort> | undefined,
  defaultPort: number
): Result.Result<ReadonlyArray<HostPort>, ValidationError> => {
  if (!Array.isArray(nodes) || nodes.length === 0) return fail(field, `${field} must list at least one host:port`)
  const out: Array<HostPort> = []
  for (const [i, node] of nodes.entries()) {
    const parsed = typeof node === "string" ? parseHostPort(node, defaultPort) : node
    if (parsed === undefined || typeof parsed.host !== "string" || parsed.host === "" || !validPort(parsed.port)) {
      return fail(`${field}[${i}]`, `${field}[${i}] must be host:port or { host, port }, got ${JSON.stringify(node)}`)
    }
    out.push({ host: parsed.host, port: parsed.port })
  }
  return Result.succeed(out)
}

const parseHostPort = (text: string, defaultPort: number): HostPort | undefined => {
  const m = /^(?:redis:\/\/)?(\[[^\]]+\]|[^:/\s]+)(?::(\d+))?\/?$/.exec(text.trim())
  if (m === null) return undefined
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port: m[2] === undefined ? defaultPort : Number(m[2]) }
}

const validPort = (port: unknown): port is number => typeof port === "number" && Number.isInteger(port) && port > 0 && port < 65536

/** CRC16-CCITT (XMODEM), as Redis Cluster hashes keys. */
const crcTable: ReadonlyArray<number> = Array.from({ length: 256 }, (_, n) => {
  let c = n << 8
  for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff
  return c
})
