/**
 * The Lua scripts of the Redis layer, each a typed descriptor: its source,
 * and `call`, which builds the `KEYS` and `ARGV` of one call from typed
 * parameters (or says which bound of Redis or Lua they would break, so
 * nothing is sent) and carries the one function that decodes its reply.
 * There are three, and none decides anything: transitions are decided in
 * TypeScript (`protocol/Transitions`) and arrive as plans; scripts only
 * make them atomic.
 *
 * - `applyPlans`: a generic plan interpreter (types, guards, writes), the
 *   Redis twin of `MemoryJobStore.applyPlan` (in `ApplyPlans`).
 * - `takeJobs`: the dequeue step (`protocol/Take`).
 * - `readResult`: the reads of waiters (result hash, plus the job), batched.
 *
 * Job JSON is never built or parsed in Lua (cjson would turn a 20-digit
 * integer into a float); no wire constant is written in Lua (TTLs, scores
 * and messages arrive as ARGV); every key a script touches is declared in
 * `KEYS`, except the job keys `takeJobs` reads for the ids it pops (built
 * from the job key prefix it is given; see `protocol/Take`), and all of
 * them hash to the slot of the prefix's hash tag on Redis Cluster.
 *
 * Scripts run with `EVALSHA`, falling back to `EVAL` (which caches the
 * script) on `NOSCRIPT`, so a Redis restart or `SCRIPT FLUSH` is harmless.
 *
 * @stability unstable
 * @since 0.1.0
 */

import * as Result from "effect/Result"
import type { Taken, TakeRequest } from "../../protocol/Take.ts"
import { applyPlans } from "./ApplyPlans.ts"
import { type Arg, RedisFailure } from "./RedisPort.ts"
import { type Call, describe, descriptor, type Script } from "./Script.ts"
import * as ScriptLimits from "./ScriptLimits.ts"
import type { LimitExceeded } from "./ScriptLimits.ts"

export {
  /**
   * The plan interpreter (`ApplyPlans`).
   *
   * @category scripts
   * @since 0.2.0
   */
  applyPlans
}

/**
 * The dequeue step: its call for a `TakeRequest` (refused when the request
 * takes more ids than one `unpack` may spread), its reply the jobs taken
 * with their data.
 *
 * @category scripts
 * @since 0.2.0
 */
export const takeJobs = descriptor("takeJobs", `
-- takeJobs: moves up to max ids into processing, strict priority, oldest first,
-- and reads their job data (see src/protocol/Take.ts).
--
-- KEYS[1..n]: the source lists, in priority order
-- KEYS[n+1]: queue:processing
-- KEYS[n+2..n+4] (with a lease): leases (zset), lease:tokens (hash),
--   worker:{owner} (set)
-- KEYS[last] (with 'paused'): paused (set of paused queue names)
-- ARGV, each value after its label (labels for MONITOR):
--   'sources' n (the number of sources), 'max' m (the most ids to take, >= 1),
--   'jobs' <prefix>job: (the job key prefix: the one key built here, in the
--   hash tag of the declared ones), then with a lease: 'lease-until'
--   (expiry, epoch ms), 'tokens' <owner>: (the token prefix) and the first
--   token number, 'heartbeat' (TTL of worker:{owner}, ms); then with a
--   paused set: 'paused' and the n sources' queue names
-- Output: id, data, id, data, ... for the ids taken, in order (data false
--   when job:{id} is missing or not a string; empty when every source is
--   empty), or the error 'WRONGTYPE <key> is not a <type>' before anything
--   moved.
local sourceCount = tonumber(ARGV[2])
local max = tonumber(ARGV[4])
local jobs = ARGV[6]
local leased = ARGV[7] == 'lease-until'
local processing = KEYS[sourceCount + 1]
local pausedAt = leased and 14 or 7
local pausedKey = ARGV[pausedAt] == 'paused' and KEYS[sourceCount + (leased and 5 or 2)] or nil

-- Every source empty (an idle poll): nothing to take and nothing written,
-- so one EXISTS and no type checks (a wrong-typed source exists: checked below).
if redis.call('EXISTS', unpack(KEYS, 1, sourceCount)) == 0 then return {} end

local function expect(key, wanted)
  local actual = redis.call('TYPE', key).ok
  if actual ~= 'none' and actual ~= wanted then
    return redis.error_reply('WRONGTYPE ' .. key .. ' is not a ' .. wanted)
  end
end
for i = 1, sourceCount + 1 do
  local bad = expect(KEYS[i], 'list')
  if bad then return bad end
end
if leased then
  local bad = expect(KEYS[sourceCount + 2], 'zset') or expect(KEYS[sourceCount + 3], 'hash') or expect(KEYS[sourceCount + 4], 'set')
  if bad then return bad end
end

-- Paused queues (ours): a source named in the paused set is skipped and
-- its ids stay queued. Nothing paused costs one TYPE.
local skip = {}
if pausedKey then
  local pausedType = redis.call('TYPE', pausedKey).ok
  if pausedType == 'set' then
    skip = redis.call('SMISMEMBER', pausedKey, unpack(ARGV, pausedAt + 1, pausedAt + sourceCount))
  elseif pausedType ~= 'none' then
    return redis.error_reply('WRONGTYPE ' .. pausedKey .. ' is not a set')
  end
end

local ids = {}
for i = 1, sourceCount do
  local got = skip[i] ~= 1 and redis.call('RPOP', KEYS[i], max - #ids)
  if got then
    for j = 1, #got do ids[#ids + 1] = got[j] end
    if #ids >= max then break end
  end
end
if #ids == 0 then return {} end
redis.call('LPUSH', processing, unpack(ids))
if leased then
  local leases, tokens, held = KEYS[sourceCount + 2], KEYS[sourceCount + 3], KEYS[sourceCount + 4]
  local expiry, prefix, first = ARGV[8], ARGV[10], tonumber(ARGV[11])
  local scored, tokened = {}, {}
  for j = 1, #ids do
    scored[2 * j - 1] = expiry
    scored[2 * j] = ids[j]
    tokened[2 * j - 1] = ids[j]
    tokened[2 * j] = prefix .. string.format('%.0f', first + j - 1)
  end
  redis.call('ZADD', leases, unpack(scored))
  redis.call('HSET', tokens, unpack(tokened))
  redis.call('SADD', held, unpack(ids))
  redis.call('PEXPIRE', held, ARGV[13])
end
-- The data: one MGET (a key of another type reads as nil, as missing).
local jobKeys = {}
for j = 1, #ids do jobKeys[j] = jobs .. ids[j] end
local datas = redis.call('MGET', unpack(jobKeys))
local out = {}
for j = 1, #ids do
  out[2 * j - 1] = ids[j]
  out[2 * j] = datas[j]
end
return out`, (script, request: TakeRequest): Call<ReadonlyArray<Taken>> | LimitExceeded => {
  const bad = takeLimit(request)
  if (bad !== undefined) return bad
  const lease = request.lease
  const keys = lease === undefined
    ? [...request.sources, request.processing]
    : [...request.sources, request.processing, lease.leases, lease.tokens, lease.held]
  const args: Array<Arg> = lease === undefined
    ? ["sources", request.sources.length, "max", request.max, "jobs", request.jobs]
    : ["sources", request.sources.length, "max", request.max, "jobs", request.jobs, "lease-until", lease.expiresAt, "tokens", `${lease.owner}:`, lease.firstToken, "heartbeat", lease.heartbeatMillis]
  const paused = request.paused
  if (paused !== undefined) {
    keys.push(paused.key)
    args.push("paused", ...paused.names)
  }
  return { script, keys, args, decode: taken }
})

/**
 * Waiters' reads of results, any number in one call: its call for the
 * result and job keys of each, its reply per waiter the result hash and,
 * when the hash says failed, the job's data (to tell a final failure from
 * an attempt about to be retried), or the error Redis gave for that
 * waiter's keys alone (a wrong-typed key fails its own read, no other).
 *
 * @category scripts
 * @since 0.1.0
 */
export const readResult = descriptor("readResult", `
-- readResult: waiters' reads, each atomic with the step that wrote it.
--
-- KEYS: result:{id}, job:{id} per waiter, in pairs.
-- Output: per waiter {hash} or, when the hash says failed, {hash, job data
--   or false} (to tell a final failure from an attempt about to be
--   retried); a waiter whose result key Redis refuses gets that error.
local out = {}
for k = 1, #KEYS, 2 do
  local hash = redis.pcall('HGETALL', KEYS[k])
  if hash.err then
    out[#out + 1] = hash
  else
    local read = {hash}
    for i = 1, #hash, 2 do
      if hash[i] == 'status' and hash[i + 1] == 'failed' then
        local jobKey = KEYS[k + 1]
        if redis.call('TYPE', jobKey).ok == 'string' then read[2] = redis.call('GET', jobKey) else read[2] = false end
        break
      end
    end
    out[#out + 1] = read
  end
end
return out`, (script, pairs: ReadonlyArray<readonly [resultKey: string, jobKey: string]>): Call<ReadonlyArray<ResultRead | RedisFailure>> => {
  const keys: Array<string> = []
  for (const [resultKey, jobKey] of pairs) keys.push(resultKey, jobKey)
  return { script, keys, args: [], decode: (reply) => resultReads(reply, pairs.length) }
})

/**
 * Every script, for `SCRIPT LOAD` at start.
 *
 * @category scripts
 * @since 0.1.0
 */
export const all: ReadonlyArray<Script> = [applyPlans, takeJobs, readResult]

/**
 * What `readResult` read: the result hash (empty when there is none) and,
 * when it says failed, the job's data (`undefined` when the job is gone).
 *
 * @category models
 * @since 0.2.0
 */
export interface ResultRead {
  /** The result hash's fields. */
  readonly fields: Readonly<Record<string, string>>
  /** The job's data, read when the hash says failed. */
  readonly job: string | undefined
}

// Internal
/** A reply of strings. */
const strings = (reply: unknown): Result.Result<ReadonlyArray<string>, string> => {
  if (!Array.isArray(reply)) return Result.fail(`expected an array of strings, got ${describe(reply)}`)
  for (const id of reply) if (typeof id !== "string") return Result.fail(`expected strings, got ${describe(reply)}`)
  return Result.succeed(reply)
}

/** `id, data, id, data, ...` (data nil when missing), as `takeJobs` returns them. */
const taken = (reply: unknown): Result.Result<ReadonlyArray<Taken>, string> => {
  if (!Array.isArray(reply) || reply.length % 2 !== 0) return Result.fail(`expected id, data pairs, got ${describe(reply)}`)
  const out: Array<Taken> = []
  for (let i = 0; i < reply.length; i += 2) {
    const id = reply[i], data = reply[i + 1]
    if (typeof id !== "string" || (data !== null && typeof data !== "string")) return Result.fail(`expected id, data pairs, got ${describe(reply)}`)
    out.push({ id, data: data ?? undefined })
  }
  return Result.succeed(out)
}

/** `{hash}` or `{hash, data or nil}`, one waiter's read as `readResult` returns it. */
const resultRead = (reply: unknown): Result.Result<ResultRead, string> => {
  if (!Array.isArray(reply) || reply.length < 1 || reply.length > 2) return Result.fail(`expected {hash[, job]}, got ${describe(reply)}`)
  const [flat, job] = reply
  const hash = strings(flat)
  if (Result.isFailure(hash)) return Result.fail(hash.failure)
  if (job !== undefined && job !== null && typeof job !== "string") return Result.fail(`expected the job's data, got ${describe(job)}`)
  const fields: Record<string, string> = {}
  const list = hash.success
  for (let i = 0; i + 1 < list.length; i += 2) fields[list[i]!] = list[i + 1]!
  return Result.succeed({ fields, job: job ?? undefined })
}

/** One read per waiter, as `readResult` returns them: a read, or Redis's error for that waiter's keys. */
const resultReads = (reply: unknown, n: number): Result.Result<ReadonlyArray<ResultRead | RedisFailure>, string> => {
  if (!Array.isArray(reply) || reply.length !== n) return Result.fail(`expected ${n} reads, got ${describe(reply)}`)
  const out: Array<ResultRead | RedisFailure> = []
  for (const one of reply) {
    if (one instanceof Error) {
      out.push(new RedisFailure("reply", one.message, undefined, one))
      continue
    }
    const read = resultRead(one)
    if (Result.isFailure(read)) return Result.fail(read.failure)
    out.push(read.success)
  }
  return Result.succeed(out)
}

/** What `takeJobs` cannot send: more sources or ids than one `unpack` spreads, numbers Redis refuses. */
const takeLimit = (request: TakeRequest): LimitExceeded | undefined => {
  if (request.sources.length < 1 || request.sources.length > ScriptLimits.maxUnpack) {
    return ScriptLimits.exceeded(`a take reads 1 to ${ScriptLimits.maxUnpack} source lists, got ${request.sources.length}`)
  }
  if (request.paused !== undefined && request.paused.names.length !== request.sources.length) {
    return ScriptLimits.exceeded(`a take names each of its ${request.sources.length} sources in the paused set, got ${request.paused.names.length} names`)
  }
  const lease = request.lease
  const most = Math.floor(ScriptLimits.maxUnpack / 2)
  return ScriptLimits.checkInteger("the most ids of one take", request.max, 1, most) ??
    (lease === undefined ? undefined : (
      ScriptLimits.checkInteger("a lease expiry (epoch ms)", lease.expiresAt, 0, Number.MAX_SAFE_INTEGER) ??
        ScriptLimits.checkInteger("a lease's first token", lease.firstToken, 0, Number.MAX_SAFE_INTEGER) ??
        ScriptLimits.checkInteger("a heartbeat (ms)", lease.heartbeatMillis, 1, ScriptLimits.maxExpirySeconds * 1000)
    ))
}
