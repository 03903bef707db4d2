/**
 * The storage port (`JobStore`) on Redis. Plans become the arguments of
 * the `apply` interpreter script; takes run the `take` script; reads are
 * single commands. Plans applied in the same turn of the event loop (a
 * burst of completions, concurrent submits) share one script call per
 * chunk: each plan is still its own atomic step, and a worker or producer
 * under load pays about one round trip per burst instead of one per job.
 *
 * Waiting for work: every write that makes work available publishes
 * `queue:wake` in the same step; an idle dequeue listens on it through the
 * client's shared `Subscriber` (confirmed before its last look, so no
 * wake-up is lost) and also re-looks every `dequeuePollInterval` (default
 * 25 ms), since jobs pushed by Go producers publish nothing.
 *
 * @stability unstable
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { StorageError } from "../../domain/Errors.ts"
import type { Guard, Outcome, Plan, Write } from "../../protocol/Plan.ts"
import { guardType, keyTypes, writeType } from "../../protocol/Plan.ts"
import type { TakeRequest } from "../../protocol/Take.ts"
import { JobStore, type StoreFailure } from "../../store/JobStore.ts"
import { type Arg, RedisPort, toFailure } from "./RedisPort.ts"
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
    let encoder = Encoder.make()
    let owners: Array<Pending> = []
    let slots: Array<number> = [] // per plan of the chunk: its index in its owner's plans
    const send = () => {
      const { keys, args } = encoder.finish()
      let last: Pending | undefined
      for (const owner of owners) {
        if (owner !== last) owner.chunks++
        last = owner
      }
      const chunkOwners = owners
      const chunkSlots = slots
      port.evalScript(Scripts.apply, keys, args).then(
        (reply) => {
          const codes = reply as ReadonlyArray<number>
          for (let i = 0; i < chunkSlots.length; i++) {
            const owner = chunkOwners[i]!
            const slot = chunkSlots[i]!
            owner.outcomes[slot] = decodeOutcome(codes[i]!, keys, owner.plans[slot]!)
          }
          settleChunk(chunkOwners)
        },
        (cause: unknown) => {
          for (const owner of chunkOwners) owner.failure ??= toFailure(owner.operation, port.target, cause)
          settleChunk(chunkOwners)
        }
      )
      encoder = Encoder.make()
      owners = []
      slots = []
    }
    for (const p of batch) {
      for (let i = 0; i < p.plans.length; i++) {
        encoder.add(p.plans[i]!)
        owners.push(p)
        slots.push(i)
        if (slots.length === settings.batchChunkSize) send()
      }
    }
    if (slots.length > 0) send()
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
    if (--p.chunks > 0) return
    p.resume(p.failure !== undefined ? Effect.fail(p.failure) : Effect.succeed(p.outcomes as ReadonlyArray<Outcome>))
  }

  const apply = (operation: string, plans: ReadonlyArray<Plan>): Effect.Effect<ReadonlyArray<Outcome>, StoreFailure> =>
    plans.length === 0
      ? Effect.succeed([])
      : Effect.callback<ReadonlyArray<Outcome>, StoreFailure>((resume) => {
        pending.push({ operation, plans, outcomes: new Array(plans.length), chunks: 0, failure: undefined, resume })
        // A microtask: every plan of the current burst joins the call.
        if (pending.length === 1) queueMicrotask(flush)
      })

  // --- take ---------------------------------------------------------------------

  const take = (request: TakeRequest) => {
    const lease = request.lease
    const keys = lease === undefined
      ? [...request.sources, request.processing]
      : [...request.sources, request.processing, lease.leases, lease.tokens, lease.held]
    const args: Array<Arg> = lease === undefined
      ? [request.sources.length, request.max, "", "", 0, 0]
      : [request.sources.length, request.max, lease.expiresAt, `${lease.owner}:`, lease.firstToken, lease.heartbeatMillis]
    return command("dequeue", undefined, (p) => p.evalScript(Scripts.take, keys, args)).pipe(
      Effect.map((reply) => reply as ReadonlyArray<string>)
    )
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
    get: (key) => Effect.map(send("get", key, "GET", [key]), (v) => (v as string | null) ?? undefined),
    mget: (keys) => keys.length === 0 ? Effect.succeed([]) : Effect.map(send("get", undefined, "MGET", keys), strings),
    lrange: (key, start, stop) => Effect.map(send("read", key, "LRANGE", [key, start, stop]), (v) => v as ReadonlyArray<string>),
    lpos: (key, member) => Effect.map(send("read", key, "LPOS", [key, member]), (v) => v !== null),
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
      Effect.map(send("list", undefined, "SCAN", [cursor, "MATCH", escapeGlob(prefix) + "*", "COUNT", count]), (v) => {
        const [next, keys] = v as [string, ReadonlyArray<string>]
        return [next, keys] as const
      }),
    awaitWork: (_sources, maxMillis) =>
      Effect.gen(function*() {
        const signal = WakeSignal.make()
        // The wait for Redis's confirmation is part of the wait for work,
        // bounded like it (a silent pub/sub connection cannot hang it).
        yield* Effect.timeoutOption(Effect.ignore(subscriber.listen(protocol.keys.wake, signal.notify)), maxMillis)
        return {
          next: (millis: number) => Effect.asVoid(signal.awaitFor(Math.min(settings.dequeuePollMillis, millis)))
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

/**
 * Builds the script arguments of plans, as `Scripts.apply` reads them:
 * every key once (in `KEYS`); per plan a program (its typed keys, its guard
 * count, one byte per op code and operand, two per key index) followed by
 * the plan's values, each once.
 *
 * @category encoding
 * @since 0.2.0
 */
export const Encoder = {
  make: (): {
    readonly add: (plan: Plan) => void
    readonly finish: () => { readonly keys: Array<string>; readonly args: Array<Arg> }
  } => {
    const keys: Array<string> = []
    const keyIndex = new Map<string, string>()
    const args: Array<Arg> = [0]
    let plans = 0
    let values: Array<string> = []
    const k = (key: string): string => {
      let code = keyIndex.get(key)
      if (code === undefined) {
        const i = keys.push(key)
        if (i >= keyCodes.length) throw new Error("apply: too many keys in one call")
        code = keyCodes[i]!
        keyIndex.set(key, code)
      }
      return code
    }
    const v = (value: string | number): string => {
      const text = typeof value === "number" ? String(value) : value
      let i = values.indexOf(text)
      if (i < 0) i = values.push(text) - 1
      if (i >= valueCodes.length) throw new Error("apply: too many values in one plan")
      return valueCodes[i]!
    }
    let typed = ""
    let typedCount = 0
    const need = (key: string, type: string | undefined) => {
      if (type === undefined) return
      const index = k(key)
      for (let j = 0; j < typed.length; j += 3) if (typed.startsWith(index, j)) return
      typed += index + typeCode[type]!
      typedCount++
    }
    const guardOps = (g: Guard): string => {
      switch (g.op) {
        case "absent": return "a" + k(g.key)
        case "exists": return "x" + k(g.key)
        case "eq": return "e" + k(g.key) + v(g.value)
        case "ne": return "n" + k(g.key) + v(g.value)
        case "heq": return "h" + k(g.key) + v(g.field) + v(g.value)
        case "hnil": return "H" + k(g.key) + v(g.field)
        case "lhas": return "l" + k(g.key) + v(g.member)
        case "zhas": return "z" + k(g.key) + v(g.member)
        case "zle": return "Z" + k(g.key) + v(g.member) + v(g.max)
        case "snot": return "s" + k(g.key) + v(g.member)
      }
    }
    const writeOps = (w: Write): string => {
      switch (w.op) {
        case "set": return w.ttl === undefined ? "S" + k(w.key) + v(w.value) : "X" + k(w.key) + v(w.value) + v(w.ttl)
        case "del": return "D" + k(w.key)
        case "lpush": return "L" + k(w.key) + v(w.value)
        case "rpush": return "R" + k(w.key) + v(w.value)
        case "lrem": return "M" + k(w.key) + v(w.count) + v(w.value)
        case "zadd": return (w.nx === true ? "N" : "A") + k(w.key) + v(w.score) + v(w.member)
        case "zrem": return "Q" + k(w.key) + v(w.member)
        case "hset": {
          let out = "T" + k(w.key) + countCodes[w.fields.length * 2]!
          for (const [f, value] of w.fields) out += v(f) + v(value)
          return out
        }
        case "hdel": return "E" + k(w.key) + v(w.field)
        case "sadd": return "B" + k(w.key) + v(w.member)
        case "srem": return "C" + k(w.key) + v(w.member)
        case "expire": return "P" + k(w.key) + v(w.seconds)
        case "pexpire": return "Y" + k(w.key) + v(w.millis)
        case "publish": return "U  " + v(w.channel) + v(w.message)
      }
    }
    return {
      add: (plan) => {
        values = []
        typed = ""
        typedCount = 0
        for (const g of plan.guards) {
          need(g.key, guardType[g.op])
          if (g.appliedIf !== undefined) need(g.appliedIf.key, "string")
        }
        for (const w of plan.writes) if (w.op !== "publish") need(w.key, writeType[w.op])
        let program = countCodes[typedCount]! + typed + countCodes[plan.guards.length]!
        for (const g of plan.guards) {
          program += guardOps(g)
          program += g.appliedIf === undefined ? "   " : k(g.appliedIf.key) + v(g.appliedIf.value)
        }
        for (const w of plan.writes) program += writeOps(w)
        args.push(countCodes[values.length]! + program)
        for (const value of values) args.push(value)
        plans++
      },
      finish: () => {
        args[0] = plans
        return { keys, args }
      }
    }
  }
}

/**
 * The script arguments of plans (see `Encoder`).
 *
 * @category encoding
 * @since 0.2.0
 */
export const encode = (plans: ReadonlyArray<Plan>): { readonly keys: Array<string>; readonly args: Array<Arg> } => {
  const encoder = Encoder.make()
  for (const plan of plans) encoder.add(plan)
  return encoder.finish()
}

// Internal

/** The output of a plan refused because it was already applied (`Scripts.apply`). */
const alreadyAppliedCode = -1_000_000

/** The two bytes of key index i (base 95 from 32), computed once. */
const keyCodes: ReadonlyArray<string> = Array.from({ length: 95 * 95 }, (_, i) => String.fromCharCode(32 + Math.floor(i / 95), 32 + (i % 95)))
/** The byte of value number i + 1, and the byte of count i. */
const valueCodes: ReadonlyArray<string> = Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i))
const countCodes: ReadonlyArray<string> = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i))

/** The byte of each key type in a program. */
const typeCode: Readonly<Record<string, string>> = { string: "s", list: "l", zset: "z", hash: "h", set: "t" }

/** Plans of one caller waiting for their script calls. */
interface Pending {
  readonly operation: string
  readonly plans: ReadonlyArray<Plan>
  readonly outcomes: Array<Outcome | undefined>
  chunks: number
  failure: StoreFailure | undefined
  readonly resume: (effect: Effect.Effect<ReadonlyArray<Outcome>, StoreFailure>) => void
}

const decodeOutcome = (code: number, keys: ReadonlyArray<string>, plan: Plan): Outcome => {
  if (code === 0) return { _tag: "Applied" }
  if (code === alreadyAppliedCode) return { _tag: "Refused", reason: "alreadyApplied" }
  if (code > 0) return { _tag: "Refused", reason: plan.guards[code - 1]!.reason }
  const key = keys[-code - 1]!
  const expected = keyTypes(plan).find(([k]) => k === key)?.[1] ?? "string"
  return { _tag: "WrongType", key, expected }
}

const escapeGlob = (s: string): string => s.replace(/[*?[\]\\]/g, "\\$&")
