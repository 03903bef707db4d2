/**
 * The worker registry's rules, once: what a worker's heartbeat writes
 * (`worker_info:{id}`, a hash with a TTL, and its expiry in
 * `worker_registry`), what its departure removes, and how a registration
 * reads back. Ours only: Go neither writes nor reads these keys. A
 * heartbeat runs every few seconds, never per job.
 *
 * @since 0.2.0
 */

import type { WorkerInfo } from "../domain/WorkerInfo.ts"
import * as JobPriority from "../domain/JobPriority.ts"
import type { Plan } from "./Plan.ts"
import type { Protocol } from "./Wire.ts"

/**
 * The fields of `worker_info:{id}`, in the order a heartbeat writes them.
 *
 * @category constants
 * @since 0.2.0
 */
export const fields = {
  id: "id",
  host: "host",
  pid: "pid",
  concurrency: "concurrency",
  priorities: "priorities",
  routingKey: "routing_key",
  startedAt: "started_at",
  beatAt: "beat_at",
  inFlight: "in_flight",
  processed: "processed",
  failed: "failed",
  version: "version"
} as const

/**
 * How long after its expiry a registration's id is taken out of
 * `worker_registry` by another worker's heartbeat (its hash is gone by
 * then: Redis expired it).
 *
 * @category constants
 * @since 0.2.0
 */
export const staleAfterMillis = 60_000

/**
 * A heartbeat: writes the registration (`HSET` every field, `PEXPIRE` it
 * `ttlMillis`), scores the id in `worker_registry` by its expiry, and
 * removes the ids found expired for `staleAfterMillis` (`stale`, read by
 * the caller).
 *
 * @category constructors
 * @since 0.2.0
 */
export const beat = (p: Protocol, info: WorkerInfo, nowMillis: number, ttlMillis: number, stale: ReadonlyArray<string>): Plan => {
  const key = p.keys.workerInfo(info.id)
  return {
    guards: [],
    writes: [
      // A worker's options are fixed for its life: the fields never shrink, so no HDEL.
      { op: "hset", key, fields: encode(info) },
      { op: "pexpire", key, millis: ttlMillis },
      { op: "zadd", key: p.keys.workerRegistry, score: nowMillis + ttlMillis, member: info.id },
      ...stale.filter((id) => id !== info.id).map((id) => ({ op: "zrem", key: p.keys.workerRegistry, member: id } as const))
    ]
  }
}

/**
 * A worker stopping: its registration goes.
 *
 * @category constructors
 * @since 0.2.0
 */
export const leave = (p: Protocol, id: string): Plan => ({
  guards: [],
  writes: [{ op: "del", key: p.keys.workerInfo(id) }, { op: "zrem", key: p.keys.workerRegistry, member: id }]
})

/**
 * The hash fields of a registration.
 *
 * @category encoding
 * @since 0.2.0
 */
export const encode = (info: WorkerInfo): ReadonlyArray<readonly [string, string]> => [
  [fields.id, info.id],
  [fields.host, info.host],
  [fields.pid, String(info.pid)],
  [fields.concurrency, String(info.concurrency)],
  [fields.priorities, info.priorities.join(",")],
  ...(info.routingKey === undefined ? [] : [[fields.routingKey, info.routingKey] as const]),
  [fields.startedAt, info.startedAt],
  [fields.beatAt, info.beatAt],
  [fields.inFlight, String(info.inFlight)],
  [fields.processed, String(info.processed)],
  [fields.failed, String(info.failed)],
  [fields.version, info.version]
]

/**
 * A registration as read (`HGETALL`); none when the hash is gone or not
 * one a heartbeat wrote (a missing field, a count that is not an integer).
 *
 * @category decoding
 * @since 0.2.0
 */
export const decode = (hash: Readonly<Record<string, string>>): WorkerInfo | undefined => {
  const int = (name: string) => {
    const text = hash[name]
    const n = text === undefined ? NaN : Number(text)
    return Number.isSafeInteger(n) ? n : undefined
  }
  const id = hash[fields.id]
  const host = hash[fields.host]
  const startedAt = hash[fields.startedAt]
  const beatAt = hash[fields.beatAt]
  const version = hash[fields.version]
  const pid = int(fields.pid)
  const concurrency = int(fields.concurrency)
  const inFlight = int(fields.inFlight)
  const processed = int(fields.processed)
  const failed = int(fields.failed)
  const priorities = (hash[fields.priorities] ?? "").split(",").filter(JobPriority.isJobPriority)
  if (
    id === undefined || host === undefined || startedAt === undefined || beatAt === undefined || version === undefined ||
    pid === undefined || concurrency === undefined || inFlight === undefined || processed === undefined || failed === undefined
  ) return undefined
  const routingKey = hash[fields.routingKey]
  return { id, host, pid, concurrency, priorities, ...(routingKey === undefined ? {} : { routingKey }), startedAt, beatAt, inFlight, processed, failed, version }
}
