/**
 * The result backend's reads for its waiters, batched: the reads asked for
 * in one turn of the event loop (a burst of notifications) go out as one
 * `readResult` call per `maxPairs` waiters instead of one call each. Each
 * waiter's read is still atomic on its own keys, and a key Redis refuses
 * fails that waiter's read alone.
 *
 * Internal to the Redis layer.
 *
 * @since 0.2.0
 */

import type { RedisPort } from "./RedisPort.ts"
import * as Scripts from "./Scripts.ts"

/**
 * Reads one waiter's result (its hash, and the job when the hash says
 * failed); rejects with the driver's failure, as `RedisPort.evalScript`.
 *
 * @category models
 * @since 0.2.0
 */
export type ReadResult = (resultKey: string, jobKey: string) => Promise<Scripts.ResultRead>

/**
 * Batched reads on `port`.
 *
 * @category constructors
 * @since 0.2.0
 */
export const make = (port: RedisPort["Service"]): ReadResult => {
  let pending: Array<Pending> = []

  const flush = () => {
    const batch = pending
    pending = []
    for (let i = 0; i < batch.length; i += maxPairs) send(batch.slice(i, i + maxPairs))
  }

  const send = (chunk: ReadonlyArray<Pending>) => {
    port.evalScript(Scripts.readResult.call(chunk.map((p) => p.keys))).then(
      (reads) => {
        for (let i = 0; i < chunk.length; i++) {
          const read = reads[i]!
          if (read instanceof Error) chunk[i]!.reject(read)
          else chunk[i]!.resolve(read)
        }
      },
      (cause: unknown) => {
        for (const p of chunk) p.reject(cause)
      }
    )
  }

  return (resultKey, jobKey) =>
    new Promise<Scripts.ResultRead>((resolve, reject) => {
      pending.push({ keys: [resultKey, jobKey], resolve, reject })
      // A microtask: every read of the current turn joins the call.
      if (pending.length === 1) queueMicrotask(flush)
    })
}

// Internal

/** Most waiters one call reads (keeps each script call short). */
const maxPairs = 500

interface Pending {
  readonly keys: readonly [string, string]
  readonly resolve: (read: Scripts.ResultRead) => void
  readonly reject: (cause: unknown) => void
}
