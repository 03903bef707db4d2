/**
 * The storage port (`JobStore`) on Redis. Plans become the arguments of
 * the `applyPlans` interpreter script; takes run the `takeJobs` script; reads are
 * single commands. Plans applied in the same turn of the event loop (a
 * burst of completions, concurrent submits) share one script call per
 * chunk: each plan is still its own atomic step, and a worker or producer
 * under load pays about one round trip per burst instead of one per job.
 *
 * Waiting for work: every write that makes work available publishes
 * `queue:wake` in the same step; an idle dequeue listens on it through the
 * client's shared `Subscriber` (one lasting subscription, confirmed before
 * the first wait's last look, so no wake-up is lost) and also re-looks every
 * `dequeuePollInterval` (default 1 s), since jobs pushed by Go producers
 * publish nothing.
 *
 * @stability unstable
 * @since 0.2.0
 */

import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import { StorageError } from "../../domain/Errors.ts"
import { markAnswered, markLost, markSent, type Progress } from "../../domain/WriteOutcome.ts"
import * as Keys from "../../protocol/Keys.ts"
import type { Outcome, Plan } from "../../protocol/Plan.ts"
import type { TakeRequest } from "../../protocol/Take.ts"
import { writes } from "../../store/Apply.ts"
import { JobStore, type StoreFailure } from "../../store/JobStore.ts"
import * as PlanEncoding from "./PlanEncoding.ts"
import { type Arg, RedisFailure, RedisPort, toFailure } from "./RedisPort.ts"
import * as ScriptLimits from "./ScriptLimits.ts"
import * as Scripts from "./Scripts.ts"
import type { Settings } from "./Settings.ts"
import { Subscriber } from "./Subscriber.ts"
import * as WakeSignal from "./WakeSignal.ts"

/**
 * Builds the store on the `RedisPort` and `Subscriber` in context.
 *
 * @category constructors
 * @since 0.2.0
 */
export const make = Effect.fnUntraced(function*(settings: Settings) {
  const port = yield* RedisPort
  const subscriber = yield* Subscriber
  const { protocol } = settings

  if (!port.isCluster) {
    yield* Effect.tryPromise({
      try: () => Promise.all(Scripts.all.map((s) => port.send("SCRIPT", ["LOAD", s.lua]))),
      catch: (cause) => toFailure("scriptLoad", port.target, cause)
    })
  }

  // --- plans, batched per turn of the event loop ------------------------------

  let pending: Array<Pending> = []

  const flush = () => {
    const batch = pending
    pending = []
    try {
      dispatch(batch)
    } catch (cause) {
      // A bug in building or sending a call: every caller of this flush resumes with it, none is stranded.
      for (const p of batch) {
        p.failure ??= new StorageError({ operation: p.operation, reason: "Other", message: `${p.operation}: could not send its steps to Redis: ${String(cause)}`, cause })
        resume(p)
      }
    }
  }

  /** Sends a batch's plans, `chunkSizeOf` plans per script call; a plan that breaks a bound fails its caller, unsent. */
  const dispatch = (batch: ReadonlyArray<Pending>) => {
    let encoder = PlanEncoding.makeEncoder()
    let owners: Array<Pending> = []
    let slots: Array<number> = [] // per plan of the chunk: its index in its owner's plans
    const send = () => {
      const encoded = encoder.finish()
      let last: Pending | undefined
      for (const owner of owners) {
        if (owner !== last) owner.chunks++
        last = owner
      }
      const chunkOwners = owners
      const chunkSlots = slots
      encoder = PlanEncoding.makeEncoder()
      owners = []
      slots = []
      if (tracked) track(chunkOwners, chunkSlots, markSent)
      port.evalScript(Scripts.applyPlans.call(encoded)).then(
        (codes) => {
          for (let i = 0; i < chunkSlots.length; i++) {
            const owner = chunkOwners[i]!
            const slot = chunkSlots[i]!
            const outcome = PlanEncoding.decodeOutcome(codes[i]!, owner.plans[slot]!)
            if (outcome === undefined) {
              owner.failure ??= new StorageError({ operation: owner.operation, reason: "Script", message: `${owner.operation}: ${Scripts.applyPlans.name} answered ${codes[i]} for a step it cannot have refused so` })
              continue
            }
            owner.outcomes[slot] = outcome
            if (owner.progress !== undefined) markAnswered(owner.progress, slot, writes(outcome))
          }
          settleChunk(chunkOwners)
        },
        (cause: unknown) => {
          for (const owner of chunkOwners) owner.failure ??= toFailure(owner.operation, port.target, cause)
          if (tracked) {
            // A refusal wrote nothing; a lost call wrote nothing when it was never sent.
            const failure = toFailure("apply", port.target, cause)
            const refused = failure instanceof StorageError && failure.reason !== "Script" && failure.reason !== "Other"
            const unsent = refused || (cause instanceof RedisFailure && cause.unsent)
            track(chunkOwners, chunkSlots, (p, slot) => markLost(p, slot, unsent))
          }
          settleChunk(chunkOwners)
        }
      )
    }
    let tracked = false
    let total = 0
    for (const p of batch) {
      if (p.progress !== undefined) tracked = true
      total += p.plans.length
    }
    const chunkSize = chunkSizeOf(batch.length, total, settings.batchChunkSize)
    for (const p of batch) {
      p.chunks++ // held while its plans are added: settled only once all of them are sent and answered
      for (let i = 0; i < p.plans.length && p.failure === undefined; i++) {
        let added = encoder.add(p.operation, p.plans[i]!)
        if (added === "full") {
          send()
          added = encoder.add(p.operation, p.plans[i]!)
        }
        if (added !== undefined) {
          p.failure = ScriptLimits.toError(p.operation, added === "full" ? ScriptLimits.exceeded("one step is over the characters one call carries") : added)
          break
        }
        owners.push(p)
        slots.push(i)
        if (slots.length === chunkSize) send()
      }
    }
    if (slots.length > 0) send()
    for (const p of batch) settle(p)
  }

  /** Records `mark` for every plan of a chunk whose owner keeps a progress. */
  const track = (chunkOwners: ReadonlyArray<Pending>, chunkSlots: ReadonlyArray<number>, mark: (p: Progress, slot: number) => void) => {
    for (let i = 0; i < chunkSlots.length; i++) {
      const progress = chunkOwners[i]!.progress
      if (progress !== undefined) mark(progress, chunkSlots[i]!)
    }
  }

  /** Settles every owner of a chunk once for it (an owner's plans may be many in one chunk). */
  const settleChunk = (chunkOwners: ReadonlyArray<Pending>) => {
    let last: Pending | undefined
    for (const owner of chunkOwners) {
      if (owner === last) continue
      last = owner
      settle(owner)
    }
  }

  const settle = (p: Pending) => {
    if (--p.chunks === 0) resume(p)
  }

  /** Resumes the caller, once. */
  const resume = (p: Pending) => {
    if (p.resumed) return
    p.resumed = true
    if (p.failure !== undefined) return p.resume(Effect.fail(p.failure))
    // Every slot answered: the array is handed over as it is (no copy per caller).
    for (let i = 0; i < p.outcomes.length; i++) {
      if (p.outcomes[i] === undefined) return p.resume(Effect.fail(new StorageError({ operation: p.operation, reason: "Other", message: `${p.operation}: a step got no answer` })))
    }
    p.resume(Effect.succeed(p.outcomes as ReadonlyArray<Outcome>))
  }

  const apply = (operation: string, plans: ReadonlyArray<Plan>, progress?: Progress): Effect.Effect<ReadonlyArray<Outcome>, StoreFailure> =>
    plans.length === 0
      ? Effect.succeed([])
      : Effect.callback<ReadonlyArray<Outcome>, StoreFailure>((resume) => {
        pending.push({ operation, plans, outcomes: new Array(plans.length), chunks: 0, failure: undefined, resume, resumed: false, progress })
        // A microtask: every plan of the current burst joins the call.
        if (pending.length === 1) queueMicrotask(flush)
      })

  // --- take ---------------------------------------------------------------------

  // Idle takes wait on one lasting subscription to `queue:wake`, opened by
  // the first wait and kept for the store's life: a worker going idle pays
  // no SUBSCRIBE / UNSUBSCRIBE, and every waiting take of this client wakes
  // on each message. After a reconnect the `Subscriber` subscribes again and
  // wakes it (messages sent meanwhile are lost).
  const storeScope = yield* Effect.scope
  const wakeups = WakeSignal.make()
  let listening = false
  /**
   * Opens the lasting subscription, waiting at most `maxMillis` for Redis's
   * confirmation. Each attempt registers in a scope of its own: one that is
   * not confirmed in time (or fails) is removed, so the next wait starts a
   * fresh `SUBSCRIBE` rather than waiting on a confirmation that may never
   * come; a confirmed one lives as long as the store.
   */
  const listenForWork = (maxMillis: number) =>
    Effect.suspend(() => {
      if (listening) return Effect.void
      return Effect.flatMap(Scope.fork(storeScope), (attempt) =>
        subscriber.listen(protocol.keys.wake, wakeups.notify).pipe(
          Scope.provide(attempt),
          Effect.timeoutOption(maxMillis),
          Effect.option,
          Effect.flatMap((confirmed) =>
            Option.isSome(confirmed) && Option.isSome(confirmed.value)
              ? Effect.sync(() => { listening = true })
              : Scope.close(attempt, Exit.void)
          ),
          Effect.onInterrupt(() => Scope.close(attempt, Exit.void))
        ))
    })

  const take = (request: TakeRequest) => {
    const call = Scripts.takeJobs.call(request)
    return ScriptLimits.isExceeded(call)
      ? Effect.fail(ScriptLimits.toError("dequeue", call))
      : command("dequeue", undefined, (p) => p.evalScript(call))
  }

  // --- reads ----------------------------------------------------------------------

  /** One driver call; a WRONGTYPE reply names `key` when the call reads one key. */
  const command = <A>(operation: string, key: string | undefined, f: (p: RedisPort["Service"]) => Promise<A>) =>
    Effect.tryPromise({
      try: () => f(port),
      catch: (cause) => {
        const failure = toFailure(operation, port.target, cause)
        return failure instanceof StorageError && failure.reason === "WrongType" && failure.key === undefined && key !== undefined
          ? new StorageError({ ...failure, key, message: `${failure.message} (key ${key})` })
          : failure
      }
    })

  const send = (operation: string, key: string | undefined, name: string, args: ReadonlyArray<Arg>) =>
    command(operation, key, (p) => p.send(name, args))

  const strings = (reply: unknown): ReadonlyArray<string | undefined> =>
    (reply as ReadonlyArray<string | null>).map((v) => v ?? undefined)

  const store = JobStore.of({
    protocol,
    apply,
    take,
    touch: (key, millis) => Effect.asVoid(send("heartbeat", key, "PEXPIRE", [key, millis])),
    exists: (keys) => keys.length === 0 ? Effect.succeed(0) : Effect.map(send("read", undefined, "EXISTS", keys), Number),
    get: (key) => Effect.map(send("get", key, "GET", [key]), (v) => (v as string | null) ?? undefined),
    mget: (keys) => keys.length === 0 ? Effect.succeed([]) : Effect.map(send("get", undefined, "MGET", keys), strings),
    lrange: (key, start, stop) => Effect.map(send("read", key, "LRANGE", [key, start, stop]), (v) => v as ReadonlyArray<string>),
    lpos: (key, member) => Effect.map(send("read", key, "LPOS", [key, member]), (v) => v !== null),
    zfirst: (key) =>
      Effect.map(send("read", key, "ZRANGE", [key, 0, 0, "WITHSCORES"]), (v) => {
        const [member, score] = v as ReadonlyArray<string>
        return member === undefined ? undefined : [member, Number(score)] as const
      }),
    zscore: (key, member) =>
      Effect.map(send("read", key, "ZSCORE", [key, member]), (v) => (v === null ? undefined : Number(v as string))),
    zrangeByScore: (key, max, offset, count) =>
      Effect.map(send("read", key, "ZRANGEBYSCORE", [key, "-inf", max, "LIMIT", offset, count]), (v) => v as ReadonlyArray<string>),
    hgetall: (key) =>
      Effect.map(send("read", key, "HGETALL", [key]), (v) => {
        const flat = v as ReadonlyArray<string> | Record<string, string>
        if (!Array.isArray(flat)) return flat as Record<string, string>
        const out: Record<string, string> = {}
        for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!
        return out
      }),
    hmget: (key, fields) => fields.length === 0 ? Effect.succeed([]) : Effect.map(send("read", key, "HMGET", [key, ...fields]), strings),
    smembers: (key) => Effect.map(send("read", key, "SMEMBERS", [key]), (v) => v as ReadonlyArray<string>),
    sizes: (lists, zsets) =>
      // Sent together: one round trip (auto-pipelining).
      Effect.all({
        lists: Effect.forEach(lists, (key) => Effect.map(send("stats", key, "LLEN", [key]), Number), { concurrency: "unbounded" }),
        zsets: Effect.forEach(zsets, (key) => Effect.map(send("stats", key, "ZCARD", [key]), Number), { concurrency: "unbounded" })
      }, { concurrency: "unbounded" }),
    scan: (cursor, prefix, count) =>
      Effect.map(send("list", undefined, "SCAN", [cursor, "MATCH", Keys.escapeGlob(prefix) + "*", "COUNT", count]), (v) => {
        const [next, keys] = v as [string, ReadonlyArray<string>]
        return [next, keys] as const
      }),
    // Redis's SCAN cursors are unsigned 64-bit decimals; anything else is an error reply.
    isScanCursor: (cursor) => /^(?:0|[1-9][0-9]{0,19})$/.test(cursor) && BigInt(cursor) <= 0xffff_ffff_ffff_ffffn,
    // Only once the lasting subscription is confirmed does a mark miss nothing
    // (a reconnect notifies, so it moves every mark on).
    workMark: () => (listening ? wakeups.current() : undefined),
    awaitWork: (_sources, maxMillis, since) =>
      Effect.gen(function*() {
        // The wait for Redis's confirmation is part of the wait for work,
        // bounded like it (a silent pub/sub connection cannot hang it).
        yield* listenForWork(maxMillis)
        let seen = since ?? wakeups.current()
        return {
          next: (millis: number) =>
            Effect.suspend(() => {
              const looked = seen
              seen = wakeups.current()
              return wakeups.awaitAfter(looked, Math.min(settings.dequeuePollMillis, millis))
            })
        }
      })
  })
  return store
})

/**
 * The store as a layer (needs the `RedisPort` and `Subscriber`).
 *
 * @category layers
 * @since 0.2.0
 */
export const layer = (settings: Settings): Layer.Layer<JobStore, StoreFailure, RedisPort | Subscriber> =>
  Layer.effect(JobStore, make(settings))

// Internal

/** Plans of one caller waiting for their script calls. */
interface Pending {
  readonly operation: string
  readonly plans: ReadonlyArray<Plan>
  readonly outcomes: Array<Outcome | undefined>
  /** Chunks sent and not answered yet, plus one while its plans are being added. */
  chunks: number
  failure: StoreFailure | undefined
  readonly resume: (effect: Effect.Effect<ReadonlyArray<Outcome>, StoreFailure>) => void
  /** True once `resume` was called. */
  resumed: boolean
  /** Where to record what became of each plan (batch submissions). */
  readonly progress: Progress | undefined
}

/**
 * A burst of callers' plans at least this long goes out as two script
 * calls (see `chunkSizeOf`).
 */
const splitFrom = 32

/**
 * The most plans of one script call for a flush of `callers` callers'
 * `plans` plans. A burst of many callers (`splitFrom` plans or more) goes
 * out as two calls, not one: Redis runs the second while the first's
 * callers resume and send their next steps. In one call Node and Redis
 * waited for each other in turn (submits at 100 in flight: 1.2–1.7 times
 * the jobs/s as two; BENCHMARKS.md). A lone caller's plans (a batch) go
 * `batchChunkSize` per call, all sent at once.
 */
const chunkSizeOf = (callers: number, plans: number, batchChunkSize: number): number =>
  callers < 2 || plans < splitFrom ? batchChunkSize : Math.min(batchChunkSize, Math.ceil(plans / 2))
