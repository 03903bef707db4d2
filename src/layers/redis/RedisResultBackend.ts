/**
 * The `ResultBackend` service on Redis: storing, reading and deleting go
 * through the shared store code (`StoreResults`, plans on `JobStore`);
 * waits are `ResultWait`s on the client's shared `Subscriber`.
 *
 * **Waiting.** `wait` subscribes first (awaiting Redis's confirmation),
 * then checks, then sleeps until a notification, so a result stored at any
 * moment after the wait began is seen. Any payload on `result:notify:{id}`
 * is a wake-up (Go publishes `ready`, other SDKs the status); our writers
 * also send the hash itself to a wait that listens for it (`ResultWait`).
 * With a `start` (RPC), the job is submitted together with the SUBSCRIBE,
 * not after its confirmation (a round trip less at 1 in flight), and the
 * first check follows once both are done: the subscription may postdate
 * the job's outcome. Checks asked for in one turn of the event loop share
 * one read (`ResultReads`).
 *
 * @stability unstable
 * @since 0.1.0
 */

import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { timedOut } from "../../domain/Errors.ts"
import { timerMillis } from "../Policies.ts"
import type { JobId } from "../../domain/JobId.ts"
import type * as JobResult from "../../domain/JobResult.ts"
import { ResultBackend, type WaitStart } from "../../services/ResultBackend.ts"
import { JobStore } from "../../store/JobStore.ts"
import * as StoreResults from "../../store/StoreResults.ts"
import { resultTag } from "../../protocol/Transitions.ts"
import { RedisPort } from "./RedisPort.ts"
import * as ResultReads from "./ResultReads.ts"
import { ResultWait, type WaitEnv, type WaitError, WaitHooks } from "./ResultWait.ts"
import type { Settings } from "./Settings.ts"
import { Subscriber } from "./Subscriber.ts"

/**
 * Builds the backend on the `RedisPort`, `Subscriber` and `JobStore` in
 * context (and the `WaitHooks` of tests, if any).
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function*(settings: Settings) {
  const port = yield* RedisPort
  const subscriber = yield* Subscriber
  const shared = StoreResults.make(yield* JobStore)

  const env: WaitEnv = {
    target: port.target,
    read: ResultReads.make(port),
    subscriber,
    keys: settings.protocol.keys,
    pollMillis: settings.waitPollMillis,
    hooks: yield* WaitHooks,
    runFork: Effect.runForkWith(yield* Effect.context<never>()),
    waits: { count: 0 }
  }

  /**
   * The deadline is a plain timer under the live clock; under any other
   * clock (TestClock) it is kept with `Effect.timeoutOrElse`.
   */
  const wait = <E = never>(id: JobId, timeout: Duration.Duration, start?: WaitStart<E>) =>
    Effect.clockWith((clock) => {
      // Longer (or infinite) deadlines, and any under a TestClock, go through the Clock.
      const deadline = timerMillis(clock, timeout)
      const live = deadline !== undefined
      const onTimeout = () => timedOut("waitForResult", timeout, id)
      const run: Effect.Effect<JobResult.JobResult, E | WaitError> = start === undefined
        ? Effect.callback<JobResult.JobResult, WaitError>((resume) => {
          const w = new ResultWait(env, id, deadline, onTimeout)
          w.resume = resume
          w.listen(false)
          return Effect.sync(() => w.cancel())
        })
        : Effect.acquireUseRelease(
          Effect.sync(() => {
            const w = new ResultWait(env, id, deadline, onTimeout)
            w.listen(true)
            return w
          }),
          // The submission goes out with the SUBSCRIBE, not after its
          // confirmation (a round trip less); so the first check, once both
          // are done, is made even for a job created now.
          (w) =>
            Effect.flatMap(start.run, (fresh) =>
              Effect.callback<JobResult.JobResult, WaitError>((resume) => {
                if (fresh && start.job !== undefined) w.tag = resultTag(start.job)
                w.resume = resume
                w.start()
              })),
          (w) => Effect.sync(() => w.cancel())
        )
      return live ? run : Effect.timeoutOrElse(run, { duration: timeout, orElse: () => Effect.fail(onTimeout()) })
    })

  return ResultBackend.of({ store: shared.store, get: shared.get, wait, delete: shared.delete })
})

/**
 * The Redis result backend as a layer.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (settings: Settings): Layer.Layer<ResultBackend, never, RedisPort | Subscriber | JobStore> =>
  Layer.effect(ResultBackend, make(settings))
