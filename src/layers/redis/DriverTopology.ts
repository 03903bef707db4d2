/**
 * The topology-specific parts of the ioredis adapter that need no ioredis
 * import (the adapter, `IoRedis`, stays the only module that has one): the
 * command routing of a cluster client, and the settings of a Sentinel
 * client. Both work on the driver through the small structural types below.
 *
 * @stability unstable
 * @since 0.2.0
 */

import { type Arg, RedisFailure } from "./RedisPort.ts"
import * as Topology from "./Topology.ts"

/**
 * What the routing needs of one node of a cluster client.
 *
 * @category models
 * @since 0.2.0
 */
export interface ClusterNode {
  /** Where the node is. */
  readonly options: { readonly host?: string | undefined; readonly port?: number | undefined }
  /** Sends a command to this node. */
  readonly call: (command: string, ...args: Array<Arg>) => Promise<unknown>
}

/**
 * What the routing needs of a cluster client.
 *
 * @category models
 * @since 0.2.0
 */
export interface ClusterClient {
  /** Per slot, the `host:port` of the nodes serving it (the master first). */
  readonly slots: ReadonlyArray<ReadonlyArray<string> | undefined>
  /** The masters. */
  readonly nodes: (role: "master") => ReadonlyArray<ClusterNode>
  /** Sends a command, routed by the slot of its keys (a keyless one: a random node). */
  readonly call: (command: string, ...args: Array<Arg>) => Promise<unknown>
}

/**
 * A command on a cluster: keyed commands are routed by the driver; `SCAN`
 * goes to the master owning the slot of its `MATCH` pattern's hash tag (a
 * keyless command would reach a random node, holding other keys), and
 * `SCRIPT` (e.g. `LOAD` before an `EVALSHA` on any slot) to every master,
 * answering with the first one's reply. Rejects like the driver (a
 * `CLUSTERDOWN` reply when no owner is known).
 *
 * @category combinators
 * @since 0.2.0
 */
export const sendToCluster = (cluster: ClusterClient, command: string, args: ReadonlyArray<Arg>): Promise<unknown> => {
  switch (command.toUpperCase()) {
    case "SCAN":
      return scanNode(cluster, args).then((node) => node.call(command, ...args))
    case "SCRIPT":
      return Promise.all(cluster.nodes("master").map((node) => node.call(command, ...args))).then((replies) => replies[0])
    default:
      return cluster.call(command, ...args)
  }
}

/**
 * The driver settings of a Sentinel client: ask the sentinels for the
 * master; until `connected()` (the first connection is up) unreachable
 * sentinels end the attempt, so the layer fails with a clear error, after
 * it they are retried (ioredis's default delays); a write that meets
 * `READONLY` (a demoted master) makes the client reconnect to the master
 * the sentinels name and resend it (every plan is idempotent).
 *
 * @category constructors
 * @since 0.2.0
 */
export const sentinelSettings = (
  topology: Extract<Topology.Topology, { readonly _tag: "Sentinel" }>,
  connected: () => boolean
) => {
  const { name, username, password, sentinelPassword, db, tls } = topology.options
  return {
    sentinels: [...topology.sentinels],
    name,
    role: "master" as const,
    sentinelRetryStrategy: (times: number): number | null => (connected() ? Math.min(times * 10, 1000) : null),
    reconnectOnError: (error: Error): 2 | false => (error.message.startsWith("READONLY") ? 2 : false),
    failoverDetector: true,
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    ...(sentinelPassword === undefined ? {} : { sentinelPassword }),
    ...(db === undefined ? {} : { db }),
    ...(tls === true ? { tls: {}, enableTLSForSentinelMode: true } : {})
  }
}

// Internal

const scanNode = (cluster: ClusterClient, args: ReadonlyArray<Arg>): Promise<ClusterNode> => {
  const slot = Topology.scanSlot(args)
  const owner = slot === undefined ? undefined : cluster.slots[slot]?.[0]
  const node = owner === undefined ? undefined : cluster.nodes("master").find((n) => `${n.options.host}:${n.options.port}` === owner)
  if (node !== undefined) return Promise.resolve(node)
  const why = slot === undefined ? "its MATCH pattern has no hash tag" : `no master is known for slot ${slot}`
  return Promise.reject(new RedisFailure("reply", `CLUSTERDOWN cannot route SCAN on the cluster: ${why}`, undefined, undefined))
}
