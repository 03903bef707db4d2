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
 * Its log lines (a replica restarted) go through the caller's logger.
 *
 * @category running
 * @since 0.2.0
 */
export const supervise = (processes: number): Effect.Effect<never> =>
  Effect.acquireUseRelease(
    Effect.map(Effect.context<never>(), (context) => {
      // The cluster's events arrive outside any fiber: their logs run in the caller's context.
      const runFork = Effect.runForkWith(context)
      const state = { stopping: false }
      const restart = (worker: { readonly process: { readonly pid?: number | undefined } }, code: number) => {
        if (state.stopping) return
        runFork(Effect.logWarning(`bananas gateway process ${worker.process.pid} exited (${code}); starting another`))
        cluster.fork()
      }
      cluster.on("exit", restart)
      for (let i = 0; i < processes; i++) cluster.fork()
      return { state, restart }
    }),
    () => Effect.andThen(Effect.logInfo(`bananas gateway: ${processes} processes`), Effect.never),
    ({ restart, state }) =>
      Effect.callback<void>((resume) => {
        state.stopping = true
        cluster.off("exit", restart)
        const alive = () => Object.values(cluster.workers ?? {}).filter((w) => w !== undefined && !w.isDead())
        if (alive().length === 0) return resume(Effect.void)
        const exited = () => {
          if (alive().length > 0) return
          cluster.off("exit", exited)
          resume(Effect.void)
        }
        cluster.on("exit", exited)
        for (const worker of alive()) worker?.kill("SIGTERM")
      })
  )
