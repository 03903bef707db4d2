/**
 * Runs the gateway as several processes sharing its port (Node `cluster`,
 * round robin), so it uses every core; each process is a replica (the rate
 * limit and the webhook deliveries are shared through Redis). Used by
 * `bananas serve --processes` and `npm run gateway -- --processes`.
 *
 * @since 0.2.0
 */

import cluster from "node:cluster"
import * as Effect from "effect/Effect"

/**
 * Whether this process is a replica started by `supervise` (it serves
 * itself) rather than the supervisor.
 *
 * @category predicates
 * @since 0.2.0
 */
export const isReplica = (): boolean => !cluster.isPrimary

/**
 * Starts `processes` replicas of this program (same script, same
 * arguments) and restarts any that exits, until interrupted; then stops
 * them all (SIGTERM: each drains gracefully) and waits for them to exit.
 *
 * @category running
 * @since 0.2.0
 */
export const supervise = (processes: number): Effect.Effect<never> =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const state = { stopping: false }
      const restart = (worker: { readonly process: { readonly pid?: number | undefined } }, code: number) => {
        if (state.stopping) return
        Effect.runFork(Effect.logWarning(`bananas gateway process ${worker.process.pid} exited (${code}); starting another`))
        cluster.fork()
      }
      cluster.on("exit", restart)
      for (let i = 0; i < processes; i++) cluster.fork()
      return state
    }),
    () => Effect.andThen(Effect.logInfo(`bananas gateway: ${processes} processes`), Effect.never),
    (state) =>
      Effect.callback<void>((resume) => {
        state.stopping = true
        const alive = () => Object.values(cluster.workers ?? {}).filter((w) => w !== undefined && !w.isDead())
        if (alive().length === 0) return resume(Effect.void)
        cluster.on("exit", () => alive().length === 0 && resume(Effect.void))
        for (const worker of alive()) worker?.kill("SIGTERM")
      })
  )
