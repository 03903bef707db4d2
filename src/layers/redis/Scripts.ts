/**
 * The Lua scripts behind every job state transition on Redis, each one
 * atomic step. Job JSON is never built or parsed in Lua (cjson would turn a
 * 20-digit integer into a float): rewrites are encoded in TypeScript by
 * `JobCodec` and passed in as arguments. Every key a script touches is
 * declared in `KEYS`, except the job key `dequeue` derives from the id it
 * pops (it shares the prefix, so with a hash-tagged prefix it shares the
 * slot too).
 *
 * Scripts run with `EVALSHA`, falling back to `EVAL` (which caches the
 * script) on `NOSCRIPT`, so a Redis restart or `SCRIPT FLUSH` is harmless.
 *
 * @stability unstable
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import type { Redis } from "ioredis"

/**
 * A Lua script and its SHA1.
 *
 * @category models
 * @since 0.1.0
 */
export interface Script {
  readonly name: string
  readonly lua: string
  readonly sha: string
}

/**
 * Runs a script on the client (`EVALSHA`, `EVAL` on `NOSCRIPT`).
 *
 * @category execution
 * @since 0.1.0
 */
export const run = (
  client: Redis,
  script: Script,
  keys: ReadonlyArray<string>,
  args: ReadonlyArray<string | number>
): Promise<unknown> =>
  client.evalsha(script.sha, keys.length, ...keys, ...args).catch((error: unknown) =>
    error instanceof Error && error.message.startsWith("NOSCRIPT")
      ? client.eval(script.lua, keys.length, ...keys, ...args)
      : Promise.reject(error)
  )

/**
 * Loads every script into the server's cache (one round trip), so the
 * first calls do not each fall back to `EVAL`.
 *
 * @category execution
 * @since 0.1.0
 */
export const loadAll = async (client: Redis): Promise<void> => {
  await Promise.all(all.map((s) => client.script("LOAD", s.lua)))
}

/**
 * `SET job` then `LPUSH queue`, and `PUBLISH` the wake-up for idle workers.
 *
 * KEYS: job, queue. ARGV: json, id, wake channel, priority.
 *
 * @category scripts
 * @since 0.1.0
 */
export const enqueue = define("enqueue", `
redis.call('SET', KEYS[1], ARGV[1])
redis.call('LPUSH', KEYS[2], ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1`)

/**
 * `SET job` and `ZADD queue:scheduled <unix seconds> id`.
 *
 * KEYS: job, scheduled. ARGV: json, score, id.
 *
 * @category scripts
 * @since 0.1.0
 */
export const schedule = define("schedule", `
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1`)

/**
 * The dequeue fast path, for up to `max` jobs: ids are popped oldest first
 * (`RPOP`, Go's `BRPOPLPUSH` end) from the first list until it is empty,
 * then from the next (strict priority), and pushed into processing in the
 * order taken (`LPUSH`, so processing looks exactly as after as many
 * `LMOVE ... RIGHT LEFT`); their leases are recorded and their data read in
 * the same step. Returns `{ids, datas}` (a data entry is nil when missing)
 * or nil when every list is empty.
 *
 * KEYS: queue_1..queue_n, processing, leases. ARGV: job key prefix, lease
 * expiry (epoch ms, or "" for none), max (>= 1).
 *
 * @category scripts
 * @since 0.1.0
 */
export const dequeue = define("dequeue", `
local n = #KEYS - 2
local want = tonumber(ARGV[3])
local ids = {}
for i = 1, n do
  local got = redis.call('RPOP', KEYS[i], want - #ids)
  if got then
    for j = 1, #got do ids[#ids + 1] = got[j] end
    if #ids >= want then break end
  end
end
if #ids == 0 then return false end
redis.call('LPUSH', KEYS[n + 1], unpack(ids))
local jobKeys = {}
local leases = {}
for j = 1, #ids do
  jobKeys[j] = ARGV[1] .. ids[j]
  leases[2 * j - 1] = ARGV[2]
  leases[2 * j] = ids[j]
end
if ARGV[2] ~= '' then redis.call('ZADD', KEYS[n + 2], unpack(leases)) end
return {ids, redis.call('MGET', unpack(jobKeys))}`)

/**
 * Go's dead-lettering of a dequeued id whose data is missing or corrupted:
 * the error record (7 days), `LPUSH dead`, out of processing and leases.
 *
 * KEYS: job, dead, processing, leases. ARGV: record, id.
 *
 * @category scripts
 * @since 0.1.0
 */
export const deadLetter = define("deadLetter", `
redis.call('SET', KEYS[1], ARGV[1], 'EX', 604800)
redis.call('LPUSH', KEYS[2], ARGV[2])
redis.call('LREM', KEYS[3], 1, ARGV[2])
redis.call('ZREM', KEYS[4], ARGV[2])
return 1`)

/**
 * The end of one or more jobs, each exactly Go's sequence for it: rewritten
 * job (with its TTL), out of processing and leases, optionally `LPUSH
 * dead`, the result hash merged (`HSET`) with its TTL, and `PUBLISH
 * result:notify:{id} ready`. Used by complete and by the final failure;
 * the jobs finishing at the same moment share one call (one atomic step
 * that contains each job's).
 *
 * KEYS: processing, leases, dead, then per job: job, result. ARGV per job:
 * json, id, job TTL (s), result TTL (s), notify channel, "1" to
 * dead-letter, number of hash fields, hash fields...
 *
 * @category scripts
 * @since 0.1.0
 */
export const finish = define("finish", `
local a = 1
for k = 4, #KEYS, 2 do
  local id = ARGV[a + 1]
  redis.call('SET', KEYS[k], ARGV[a], 'EX', ARGV[a + 2])
  redis.call('LREM', KEYS[1], 1, id)
  redis.call('ZREM', KEYS[2], id)
  if ARGV[a + 5] == '1' then redis.call('LPUSH', KEYS[3], id) end
  local n = tonumber(ARGV[a + 6])
  redis.call('HSET', KEYS[k + 1], unpack(ARGV, a + 7, a + 6 + n))
  redis.call('EXPIRE', KEYS[k + 1], ARGV[a + 3])
  redis.call('PUBLISH', ARGV[a + 4], 'ready')
  a = a + 7 + n
end
return 1`)

/**
 * A failed attempt that will be retried (Go's backoff): rewritten job (no
 * TTL), `ZADD queue:scheduled <floor unix s>`, out of processing and
 * leases. No result, no notification.
 *
 * KEYS: job, scheduled, processing, leases. ARGV: json, score, id.
 *
 * @category scripts
 * @since 0.1.0
 */
export const retry = define("retry", `
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
redis.call('LREM', KEYS[3], 1, ARGV[3])
redis.call('ZREM', KEYS[4], ARGV[3])
return 1`)

/**
 * Gives a job back (graceful shutdown): out of processing and leases, back
 * at the head of its queue (`RPUSH`, the end `LMOVE` pops), wake-up
 * published. Returns 0 when it was not in processing.
 *
 * KEYS: processing, queue, leases. ARGV: id, wake channel, priority.
 *
 * @category scripts
 * @since 0.1.0
 */
export const release = define("release", `
redis.call('ZREM', KEYS[3], ARGV[1])
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1`)

/**
 * Recovers one job whose lease expired, if it still did and the job data is
 * still what the reaper read: out of leases and processing, the rewritten
 * data stored, the id pushed to its target list, and a message published.
 * A lease whose id is no longer in processing (finished by a worker that
 * keeps no leases) is dropped. Returns 1 when recovered.
 *
 * KEYS: job, processing, leases, target list, result. ARGV: id, now (ms),
 * "1" if data was read, data read, new data, job TTL (s, "0" = none),
 * "L"/"R" push side, channel, message, result TTL (s, "0" = no result),
 * hash fields...
 *
 * @category scripts
 * @since 0.1.0
 */
export const reap = define("reap", `
local score = redis.call('ZSCORE', KEYS[3], ARGV[1])
if not score or tonumber(score) > tonumber(ARGV[2]) then return 0 end
local data = redis.call('GET', KEYS[1])
if ARGV[3] == '1' then
  if data ~= ARGV[4] then return 0 end
elseif data then return 0 end
redis.call('ZREM', KEYS[3], ARGV[1])
if redis.call('LREM', KEYS[2], 1, ARGV[1]) == 0 then return 0 end
if ARGV[6] == '0' then redis.call('SET', KEYS[1], ARGV[5])
else redis.call('SET', KEYS[1], ARGV[5], 'EX', ARGV[6]) end
if ARGV[7] == 'R' then redis.call('RPUSH', KEYS[4], ARGV[1]) else redis.call('LPUSH', KEYS[4], ARGV[1]) end
if ARGV[10] ~= '0' then
  redis.call('HSET', KEYS[5], unpack(ARGV, 11))
  redis.call('EXPIRE', KEYS[5], ARGV[10])
end
if ARGV[8] ~= '' then redis.call('PUBLISH', ARGV[8], ARGV[9]) end
return 1`)

/**
 * Promotes one due job, only if this caller's `ZREM` removed it (so
 * concurrent promoters push it once) and its score is still due (it was not
 * rescheduled since it was read): `SET` without `scheduled_for`, `LPUSH`
 * its queue, wake-up published.
 *
 * KEYS: scheduled, job, queue. ARGV: id, max score, json, wake channel,
 * priority.
 *
 * @category scripts
 * @since 0.1.0
 */
export const promote = define("promote", `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) > tonumber(ARGV[2]) then return 0 end
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('SET', KEYS[2], ARGV[3])
redis.call('LPUSH', KEYS[3], ARGV[1])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1`)

/**
 * Cancels a waiting job if its data is still what the caller read (-1
 * otherwise: read again): removed from its queue and the scheduled set (0
 * when it was in neither), marked failed (7 days), failed result stored
 * and `ready` published.
 *
 * KEYS: job, queue, scheduled, result. ARGV: id, data read, new data,
 * result TTL (s), notify channel, hash fields...
 *
 * @category scripts
 * @since 0.1.0
 */
export const cancel = define("cancel", `
if redis.call('GET', KEYS[1]) ~= ARGV[2] then return -1 end
local removed = redis.call('LREM', KEYS[2], 0, ARGV[1]) + redis.call('ZREM', KEYS[3], ARGV[1])
if removed == 0 then return 0 end
redis.call('SET', KEYS[1], ARGV[3], 'EX', 604800)
redis.call('HSET', KEYS[4], unpack(ARGV, 6))
redis.call('EXPIRE', KEYS[4], ARGV[4])
redis.call('PUBLISH', ARGV[5], 'ready')
return 1`)

/**
 * Requeues a dead-lettered job if its data is still what the caller read
 * (-1 otherwise): out of the dead list (0 when not there), rewritten data
 * without TTL, `LPUSH` its queue, wake-up published.
 *
 * KEYS: job, dead, queue. ARGV: id, data read, new data, wake channel,
 * priority.
 *
 * @category scripts
 * @since 0.1.0
 */
export const requeueDead = define("requeueDead", `
if redis.call('GET', KEYS[1]) ~= ARGV[2] then return -1 end
if redis.call('LREM', KEYS[2], 0, ARGV[1]) == 0 then return 0 end
redis.call('SET', KEYS[1], ARGV[3])
redis.call('LPUSH', KEYS[3], ARGV[1])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1`)

/**
 * Stores a result: `HSET` (merging, as Go), `EXPIRE`, `PUBLISH ready`.
 *
 * KEYS: result. ARGV: TTL (s), notify channel, hash fields...
 *
 * @category scripts
 * @since 0.1.0
 */
export const storeResult = define("storeResult", `
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[2], 'ready')
return 1`)

/**
 * One read for a waiter: the result hash, plus the job data when the
 * result says `failed` (to tell a final failure from a retried attempt).
 *
 * KEYS: result, job. Returns `{hash}` or `{hash, data|nil}`.
 *
 * @category scripts
 * @since 0.1.0
 */
export const checkResult = define("checkResult", `
local h = redis.call('HGETALL', KEYS[1])
for i = 1, #h, 2 do
  if h[i] == 'status' and h[i + 1] == 'failed' then
    return {h, redis.call('GET', KEYS[2])}
  end
end
return {h}`)

// Internal

function define(name: string, lua: string): Script {
  const body = lua.trim()
  return { name, lua: body, sha: createHash("sha1").update(body).digest("hex") }
}

const all: ReadonlyArray<Script> = [
  enqueue, schedule, dequeue, deadLetter, finish, retry, release, reap, promote, cancel, requeueDead, storeResult, checkResult
]
