/**
 * The `applyPlans` arguments (no Redis): what a plan looks like on the wire
 * (readable operation names and full keys), that a reference reader of the
 * grammar the Lua interpreter walks gets every plan back unchanged (every
 * operation, every key declared in KEYS once), that every bound of Redis
 * and Lua is refused before anything is built into the call, and the
 * decoding of replies (`Scripts` descriptors, `decodeOutcome`).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Result from "effect/Result"
import * as JobModel from "../../src/domain/Job.ts"
import * as JobCodec from "../../src/domain/JobCodec.ts"
import type { RawJson } from "../../src/domain/RawJson.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import * as PlanEncoding from "../../src/layers/redis/PlanEncoding.ts"
import { decodeOutcome, encode, type EncodedPlans, makeEncoder } from "../../src/layers/redis/PlanEncoding.ts"
import * as ScriptLimits from "../../src/layers/redis/ScriptLimits.ts"
import { RedisFailure } from "../../src/layers/redis/RedisPort.ts"
import * as Scripts from "../../src/layers/redis/Scripts.ts"
import { type Guard, guardType, type Plan, type Write, writeType } from "../../src/protocol/Plan.ts"
import * as Take from "../../src/protocol/Take.ts"
import * as T from "../../src/protocol/Transitions.ts"
import * as Wire from "../../src/protocol/Wire.ts"

const p = Wire.make()
const now = Timestamp.fromMillis(Date.parse("2025-01-15T10:30:00Z"))
const job = JobModel.make({ id: "7", name: "email", payload: `{"to":"a@b.c"}` as RawJson, priority: "normal", now, maxRetries: 3 })
const json = JobCodec.encode(job)

/** A plan with every guard and write operation. */
const everything: Plan = {
  guards: [
    { op: "absent", key: "k:absent", reason: "duplicate", appliedIf: { key: "k:string", value: "other" } },
    { op: "exists", key: "k:exists", reason: "notWaiting" },
    { op: "eq", key: "k:string", value: "v", reason: "changed" },
    { op: "ne", key: "k:string", value: "w", reason: "changed" },
    { op: "heq", key: "k:hash", field: "f", value: "v", reason: "notHeld" },
    { op: "hnil", key: "k:hash", field: "g", reason: "notHeld" },
    { op: "lhas", key: "k:list", member: "m", reason: "notHeld" },
    { op: "zhas", key: "k:zset", member: "m", reason: "notWaiting" },
    { op: "zle", key: "k:zset", member: "m", max: 1.5, reason: "notDue" },
    { op: "snot", key: "k:set", member: "m", reason: "ownerAlive", appliedIf: { key: "k:string", value: "the value" } }
  ],
  writes: [
    { op: "set", key: "k:string", value: "the value" },
    { op: "set", key: "k:other", value: "x", ttl: 60 },
    { op: "del", key: "k:gone" },
    { op: "lpush", key: "k:list", value: "a" },
    { op: "rpush", key: "k:list", value: "b" },
    { op: "lrem", key: "k:list", count: -1, value: "a" },
    { op: "ltrim", key: "k:list", start: 0, stop: 99 },
    { op: "zadd", key: "k:zset", score: 2.5, member: "m" },
    { op: "zadd", key: "k:zset", score: 3, member: "n", nx: true },
    { op: "zrem", key: "k:zset", member: "m" },
    { op: "hset", key: "k:hash", fields: [["a", "1"], ["b", "2"]] },
    { op: "hdel", key: "k:hash", field: "a" },
    { op: "sadd", key: "k:set", member: "m" },
    { op: "srem", key: "k:set", member: "m" },
    { op: "expire", key: "k:hash", seconds: 10 },
    { op: "pexpire", key: "k:set", millis: 500 },
    { op: "publish", channel: "c:wake", message: "normal" },
    { op: "announce", key: "k:hash", channel: "c:notify", message: "ready", data: "c:data", tag: "1.5" }
  ]
}

/**
 * A reader of the arguments, walking them as the Lua script does (its
 * grammar, independently of the encoder): each plan's name and guards and
 * writes back, and every key read from a key position.
 */
const read = (encoded: EncodedPlans) => {
  const { args } = encoded
  const at = (i: number): string => String(args[i])
  const plans: Array<{ readonly name: string; readonly plan: Plan }> = []
  const used = new Set<string>()
  const key = (i: number) => {
    used.add(at(i))
    return at(i)
  }
  let i = 0
  while (i < args.length) {
    const name = at(i)
    const sizes: Record<string, number> = { absent: 2, exists: 2, eq: 3, ne: 3, heq: 4, hnil: 3, lhas: 3, zhas: 3, zle: 4, snot: 3 }
    const writeOps = new Set(["set", "setex", "del", "lpush", "rpush", "lrem", "ltrim", "zadd", "zaddnx", "zrem", "hset", "hdel", "sadd", "srem", "expire", "pexpire", "publish", "announce"])
    let pos = i + 1
    const guards: Array<Guard> = []
    const pendingSet: Array<[number, string]> = []
    for (let g = 0; sizes[at(pos)] !== undefined; g++) {
      const op = at(pos)
      const k = key(pos + 1)
      const a = at(pos + 2)
      const b = at(pos + 3)
      const base = op === "absent" || op === "exists" ? { op, key: k }
        : op === "eq" || op === "ne" ? { op, key: k, value: a }
        : op === "heq" ? { op, key: k, field: a, value: b }
        : op === "hnil" ? { op, key: k, field: a }
        : op === "zle" ? { op, key: k, member: a, max: Number(b) }
        : { op, key: k, member: a }
      pos += sizes[op]!
      let appliedIf: { key: string; value: string } | undefined
      if (at(pos) === "applied-if") {
        appliedIf = { key: key(pos + 1), value: at(pos + 2) }
        pos += 3
      } else if (at(pos) === "applied-if-set") {
        appliedIf = { key: key(pos + 1), value: "" }
        pendingSet.push([g, at(pos + 1)])
        pos += 2
      }
      guards.push({ ...base, reason: "changed", ...(appliedIf === undefined ? {} : { appliedIf }) } as Guard)
    }
    const writes: Array<Write> = []
    while (pos < args.length && writeOps.has(at(pos))) {
      const op = at(pos)
      const k = op === "publish" ? at(pos + 1) : key(pos + 1)
      const a = args[pos + 2]!
      const b = args[pos + 3]!
      switch (op) {
        case "set": writes.push({ op, key: k, value: String(a) }); pos += 3; break
        case "setex": writes.push({ op: "set", key: k, value: String(a), ttl: Number(b) }); pos += 4; break
        case "del": writes.push({ op, key: k }); pos += 2; break
        case "lpush":
        case "rpush": writes.push({ op, key: k, value: String(a) }); pos += 3; break
        case "lrem": writes.push({ op, key: k, count: Number(a), value: String(b) }); pos += 4; break
        case "ltrim": writes.push({ op, key: k, start: Number(a), stop: Number(b) }); pos += 4; break
        case "zadd": writes.push({ op, key: k, score: Number(a), member: String(b) }); pos += 4; break
        case "zaddnx": writes.push({ op: "zadd", key: k, score: Number(a), member: String(b), nx: true }); pos += 4; break
        case "zrem":
        case "sadd":
        case "srem": writes.push({ op, key: k, member: String(a) }); pos += 3; break
        case "hset": {
          const fields: Array<readonly [string, string]> = []
          for (let f = 0; f < Number(a); f++) fields.push([at(pos + 3 + 2 * f), at(pos + 4 + 2 * f)])
          writes.push({ op, key: k, fields })
          pos += 3 + 2 * Number(a)
          break
        }
        case "hdel": writes.push({ op, key: k, field: String(a) }); pos += 3; break
        case "expire": writes.push({ op, key: k, seconds: Number(a) }); pos += 3; break
        case "pexpire": writes.push({ op, key: k, millis: Number(a) }); pos += 3; break
        case "publish": writes.push({ op, channel: k, message: String(a) }); pos += 3; break
        case "announce": writes.push({ op, key: k, channel: String(a), message: String(b), data: at(pos + 4), tag: at(pos + 5) }); pos += 6; break
        default: throw new Error(`unknown write ${op} at ${pos}`)
      }
    }
    for (const [g, k] of pendingSet) {
      const set = writes.find((w) => w.op === "set" && w.key === k)
      guards[g] = { ...guards[g]!, appliedIf: { key: k, value: set !== undefined && set.op === "set" ? set.value : "<none>" } }
    }
    plans.push({ name, plan: { guards, writes } })
    i = pos
  }
  return { plans, used }
}

/** A plan without its guards' reasons (the wire does not carry them: the reply names the guard). */
const shape = (plan: Plan) => ({
  guards: plan.guards.map((g) => ({ ...g, reason: "changed" })),
  writes: plan.writes.map((w) => (w.op === "set" && w.ttl === undefined ? { op: w.op, key: w.key, value: w.value } : w))
})

const encoded = (plans: ReadonlyArray<readonly [string, Plan]>, bounds?: Parameters<typeof makeEncoder>[0]): EncodedPlans => {
  const out = encode(plans, bounds)
  if (ScriptLimits.isExceeded(out)) throw new Error(out.message)
  return out
}

const claim = { id: job.id, token: "w1:1" }
const transitions: ReadonlyArray<readonly [string, Plan]> = [
  ["enqueue", T.enqueue(p, job)],
  ["schedule", T.schedule(p, job, Timestamp.addSeconds(now, 60))],
  ["complete", T.complete(p, claim, job, { durationMs: 5, now, result: `{"ok":1}` as RawJson }).plan],
  ["fail", T.fail(p, claim, job, "boom", { durationMs: 5, now }).plan],
  ["fail", T.fail(p, { id: job.id, token: undefined }, { ...job, attempts: 3 }, "boom", { durationMs: 5, now }).plan],
  ["release", T.release(p, claim, job)],
  ["renew", T.renew(p, claim, 123_456, 30_000)],
  ["deadLetterData", T.deadLetterData(p, claim, { data: "garbage", goError: "invalid character", now }).plan],
  ["everything", everything]
]

describe("PlanEncoding", () => {
  it("a submit reads as the commands it stands for: its name, guards and writes by name, keys in full", () => {
    const { keys, args } = encoded([["enqueue", T.enqueue(p, job)]])
    assert.deepStrictEqual(keys, ["bananas:job:7", "bananas:result:7", "bananas:queue:normal"])
    assert.deepStrictEqual(args, [
      "enqueue",
      "absent", "bananas:job:7", "applied-if-set", "bananas:job:7",
      "set", "bananas:job:7", json,
      "del", "bananas:result:7",
      "lpush", "bananas:queue:normal", "7",
      "publish", "bananas:queue:wake", "normal"
    ])
  })

  it("every transition's plan (and one with every operation) reads back unchanged; every key is in KEYS exactly once", () => {
    const out = encoded(transitions)
    const { plans, used } = read(out)
    assert.strictEqual(out.plans, transitions.length)
    assert.deepStrictEqual(plans.map((x) => x.name), transitions.map(([name]) => name))
    transitions.forEach(([, plan], i) => {
      assert.deepStrictEqual(shape(plans[i]!.plan), shape(plan), transitions[i]![0])
    })
    assert.strictEqual(new Set(out.keys).size, out.keys.length, "each key once")
    assert.deepStrictEqual([...used].sort(), [...out.keys].sort(), "the keys read are exactly KEYS")
  })

  it("the JSON an appliedIf compares is named (applied-if-set) when the plan sets it, else sent as is", () => {
    const args = encoded([["complete", T.complete(p, claim, job, { durationMs: 1, now }).plan]]).args
    assert.isTrue(args.includes("applied-if-set"))
    assert.strictEqual(args.filter((a) => typeof a === "string" && a.startsWith("{")).length, 1, "the job JSON goes once")
    const other = encoded([["everything", everything]]).args
    const i = other.indexOf("applied-if")
    assert.deepStrictEqual(other.slice(i, i + 3), ["applied-if", "k:string", "other"])
  })

  it("the script knows the type each wire operation needs: Plan's rule under the wire names", () => {
    assert.deepStrictEqual(PlanEncoding.wireTypes, {
      eq: "string", ne: "string", heq: "hash", hnil: "hash", lhas: "list", zhas: "zset", zle: "zset", snot: "set",
      set: "string", setex: "string", lpush: "list", rpush: "list", lrem: "list", ltrim: "list", zadd: "zset", zaddnx: "zset", zrem: "zset",
      hset: "hash", hdel: "hash", sadd: "set", srem: "set", announce: "hash", "applied-if": "string", "applied-if-set": "string"
    })
    for (const [op, type] of Object.entries({ ...guardType, ...writeType })) assert.strictEqual(PlanEncoding.wireTypes[op], type, op)
    assert.include(Scripts.applyPlans.lua, `["lpush"] = "list"`)
  })

  describe("bounds: refused before anything is added (the call keeps only the plans before)", () => {
    const bad: ReadonlyArray<readonly [string, Plan, RegExp]> = [
      ["an HSET over Lua's unpack bound", { guards: [], writes: [{ op: "hset", key: "h", fields: Array.from({ length: 3951 }, (_, i) => [`f${i}`, "v"] as const) }] }, /HSET of h sets 1 to 3950 fields.*got 3951/],
      ["an HSET of no field", { guards: [], writes: [{ op: "hset", key: "h", fields: [] }] }, /got 0/],
      ["a TTL of 0 (SET EX refuses it)", { guards: [], writes: [{ op: "set", key: "s", value: "v", ttl: 0 }] }, /TTL \(s\) of s must be an integer in \[1, /],
      ["a fractional TTL", { guards: [], writes: [{ op: "set", key: "s", value: "v", ttl: 1.5 }] }, /got 1.5/],
      ["a NaN score", { guards: [], writes: [{ op: "zadd", key: "z", score: Number.NaN, member: "m" }] }, /score in z must be a finite number, got NaN/],
      ["an infinite score", { guards: [], writes: [{ op: "zadd", key: "z", score: Infinity, member: "m" }] }, /got Infinity/],
      ["an infinite zle bound", { guards: [{ op: "zle", key: "z", member: "m", max: Infinity, reason: "notDue" }], writes: [] }, /zle bound/],
      ["a fractional LREM count", { guards: [], writes: [{ op: "lrem", key: "l", count: 0.5, value: "v" }] }, /LREM count/],
      ["a fractional LTRIM stop", { guards: [], writes: [{ op: "ltrim", key: "l", start: 0, stop: 0.5 }] }, /LTRIM stop/],
      ["an expiry past Redis's range", { guards: [], writes: [{ op: "expire", key: "k", seconds: 1e13 }] }, /expiry \(s\) of k/],
      ["a fractional PEXPIRE", { guards: [], writes: [{ op: "pexpire", key: "k", millis: 1.5 }] }, /expiry \(ms\) of k/],
      ["a step named like an operation", { guards: [], writes: [{ op: "del", key: "k" }] }, /cannot be named set/],
      ["a key used as two types", { guards: [{ op: "eq", key: "k", value: "v", reason: "changed" }], writes: [{ op: "lpush", key: "k", value: "v" }] }, /plan uses k as string and list/]
    ]
    for (const [what, plan, message] of bad) {
      it(what, () => {
        const encoder = makeEncoder()
        assert.isUndefined(encoder.add("enqueue", T.enqueue(p, job)))
        const before = encoder.finish()
        const snapshot = { keys: [...before.keys], args: [...before.args] }
        const added = encoder.add(what.startsWith("a step named") ? "set" : "bad", plan)
        assert.isTrue(ScriptLimits.isExceeded(added), what)
        assert.match(ScriptLimits.isExceeded(added) ? added.message : "", message)
        const after = encoder.finish()
        assert.deepStrictEqual({ keys: [...after.keys], args: [...after.args] }, snapshot, "nothing of the refused plan")
        assert.strictEqual(encoder.size(), 1)
      })
    }

    it("an argument over the bytes of one argument (proto-max-bulk-len, measured in UTF-8)", () => {
      const plan = (value: string): Plan => ({ guards: [], writes: [{ op: "set", key: "s", value }] })
      assert.isFalse(ScriptLimits.isExceeded(encode([["ok", plan("é".repeat(50))]], { maxArgumentBytes: 100 })), "100 bytes")
      const refused = encode([["big", plan("é".repeat(51))]], { maxArgumentBytes: 100 })
      assert.isTrue(ScriptLimits.isExceeded(refused))
      assert.match(ScriptLimits.isExceeded(refused) ? refused.message : "", /over the 100 bytes of one argument/)
    })

    it("a call over its characters: the plan goes to the next call (full); one plan alone over it is refused", () => {
      const encoder = makeEncoder({ maxChars: 400 })
      assert.isUndefined(encoder.add("enqueue", T.enqueue(p, job)))
      const other = JobModel.make({ id: "8", name: "email", payload: `{"to":"a@b.c"}` as RawJson, priority: "normal", now, maxRetries: 3 })
      assert.strictEqual(encoder.add("enqueue", T.enqueue(p, other)), "full")
      assert.strictEqual(encoder.size(), 1)
      assert.deepStrictEqual(encoder.finish().keys, ["bananas:job:7", "bananas:result:7", "bananas:queue:normal"], "nothing of the plan that did not fit")
      const alone = makeEncoder({ maxChars: 100 }).add("enqueue", T.enqueue(p, job))
      assert.isTrue(ScriptLimits.isExceeded(alone))
      assert.match(ScriptLimits.isExceeded(alone) ? alone.message : "", /over the 100 one call carries/)
    })

    it("takeJobs: more ids than one unpack spreads, no source, or numbers Redis refuses", () => {
      const lease = { owner: "w", expiresAt: 1000, firstToken: 1, heartbeatMillis: 30_000 }
      const request = (max: number, extra: Partial<typeof lease> = {}) => Take.make(p, { priorities: ["high", "normal"], max, lease: { ...lease, ...extra } })
      assert.isFalse(ScriptLimits.isExceeded(Scripts.takeJobs.call(request(3950))))
      for (const [r, message] of [
        [request(3951), /most ids of one take must be an integer in \[1, 3950\], got 3951/],
        [request(0), /got 0/],
        [request(1, { expiresAt: Number.NaN }), /lease expiry/],
        [request(1, { heartbeatMillis: 0 }), /heartbeat/],
        [{ ...request(1), sources: [] }, /1 to 7900 source lists, got 0/],
        [{ ...request(1), paused: { key: "bananas:paused", names: ["queue:high"] } }, /names each of its 2 sources in the paused set, got 1/]
      ] as const) {
        const call = Scripts.takeJobs.call(r)
        assert.isTrue(ScriptLimits.isExceeded(call))
        assert.match(ScriptLimits.isExceeded(call) ? call.message : "", message)
      }
    })
  })

  describe("replies", () => {
    it("applyPlans: one integer per plan, or a failure naming what came", () => {
      const call = Scripts.applyPlans.call(encoded(transitions.slice(0, 2)))
      assert.deepStrictEqual(call.decode([0, 1]), Result.succeed([0, 1]))
      assert.isTrue(Result.isFailure(call.decode([0])))
      assert.isTrue(Result.isFailure(call.decode(["0", 1])))
      assert.isTrue(Result.isFailure(call.decode("OK")))
    })

    it("takeJobs: the jobs taken, each with its data", () => {
      const call = Scripts.takeJobs.call(Take.make(p, { priorities: ["normal"], max: 2 }))
      if (ScriptLimits.isExceeded(call)) return assert.fail(call.message)
      assert.deepStrictEqual(call.keys, ["bananas:queue:normal", "bananas:queue:processing", "bananas:paused"])
      assert.deepStrictEqual(call.args, ["sources", 1, "max", 2, "jobs", "bananas:job:", "paused", "queue:normal"], "each value after its label")
      const leased = Scripts.takeJobs.call(Take.make(p, { priorities: ["normal"], max: 2, lease: { owner: "w", expiresAt: 9, firstToken: 4, heartbeatMillis: 30_000 } }))
      if (ScriptLimits.isExceeded(leased)) return assert.fail(leased.message)
      assert.deepStrictEqual(leased.args, ["sources", 1, "max", 2, "jobs", "bananas:job:", "lease-until", 9, "tokens", "w:", 4, "heartbeat", 30_000, "paused", "queue:normal"])
      assert.deepStrictEqual(leased.keys.at(-1), "bananas:paused", "the paused set last, after the lease's keys")
      assert.deepStrictEqual(call.decode(["a", "{}", "b", null]), Result.succeed([{ id: "a", data: "{}" }, { id: "b", data: undefined }]))
      assert.deepStrictEqual(call.decode([]), Result.succeed([]))
      assert.isTrue(Result.isFailure(call.decode([1, "x"])))
      assert.isTrue(Result.isFailure(call.decode(["a"])), "an id without its data")
    })

    it("readResult: per waiter the hash as fields, and the job's data when read, or Redis's error for that waiter", () => {
      const call = Scripts.readResult.call([["r", "j"], ["r2", "j2"]])
      assert.deepStrictEqual(call.keys, ["r", "j", "r2", "j2"], "each waiter's result and job keys, in pairs")
      const one = (reply: unknown) => Scripts.readResult.call([["r", "j"]]).decode([reply])
      assert.deepStrictEqual(one([["status", "failed", "error", "x"], "data"]), Result.succeed([{ fields: { status: "failed", error: "x" }, job: "data" }]))
      assert.deepStrictEqual(one([["status", "completed"]]), Result.succeed([{ fields: { status: "completed" }, job: undefined }]))
      assert.deepStrictEqual(one([[], null]), Result.succeed([{ fields: {}, job: undefined }]))
      assert.isTrue(Result.isFailure(one([["a"], 5])))
      assert.isTrue(Result.isFailure(one(null)))
      const refused = call.decode([new Error("WRONGTYPE Operation against a key holding the wrong kind of value"), [["status", "completed"]]])
      assert.isTrue(Result.isSuccess(refused))
      if (Result.isSuccess(refused)) {
        const [first, second] = refused.success
        assert.instanceOf(first, RedisFailure)
        assert.match((first as RedisFailure).message, /^WRONGTYPE/)
        assert.deepStrictEqual(second, { fields: { status: "completed" }, job: undefined })
      }
      assert.isTrue(Result.isFailure(call.decode([[["status", "completed"]]])), "one read for two waiters")
    })

    it("decodeOutcome: 0 applied, g the g-th guard's reason, -1000000 already applied, -t the t-th typed key; anything else undefined", () => {
      const plan = T.complete(p, claim, job, { durationMs: 1, now }).plan
      assert.deepStrictEqual(decodeOutcome(0, plan), { _tag: "Applied" })
      assert.deepStrictEqual(decodeOutcome(1, plan), { _tag: "Refused", reason: "notHeld" })
      assert.deepStrictEqual(decodeOutcome(-1_000_000, plan), { _tag: "Refused", reason: "alreadyApplied" })
      assert.deepStrictEqual(decodeOutcome(-1, plan), { _tag: "WrongType", key: "bananas:lease:tokens", expected: "hash" })
      assert.deepStrictEqual(decodeOutcome(-2, plan), { _tag: "WrongType", key: "bananas:job:7", expected: "string" })
      assert.isUndefined(decodeOutcome(2, plan))
      assert.isUndefined(decodeOutcome(-99, plan))
    })
  })
})
