/**
 * The Lua scripts of the Redis layer. There are three, and none decides
 * anything: transitions are decided in TypeScript (`protocol/Transitions`)
 * and arrive as plans; scripts only make them atomic.
 *
 * - `apply`: a generic plan interpreter (types, guards, writes), the Redis
 *   twin of `MemoryJobStore.applyPlan`.
 * - `take`: the dequeue step (`protocol/Take`).
 * - `checkResult`: the read of a waiter (result hash, plus the job).
 *
 * Job JSON is never built or parsed in Lua (cjson would turn a 20-digit
 * integer into a float); no wire constant is written in Lua (TTLs, scores
 * and messages arrive as ARGV); every key a script touches is declared in
 * `KEYS` (no key is built inside a script), so all of them hash to the
 * slot of the prefix's hash tag on Redis Cluster.
 *
 * Scripts run with `EVALSHA`, falling back to `EVAL` (which caches the
 * script) on `NOSCRIPT`, so a Redis restart or `SCRIPT FLUSH` is harmless.
 *
 * @stability unstable
 * @since 0.1.0
 */
import { createHash } from "node:crypto"

/**
 * A Lua script and its SHA1.
 *
 * @category models
 * @since 0.1.0
 */
export interface Script {
  /** A name for logs and errors. */
  readonly name: string
  /** The Lua source. */
  readonly lua: string
  /** Its SHA1, for `EVALSHA`. */
  readonly sha: string
}

/**
 * The plan interpreter.
 *
 * @category scripts
 * @since 0.2.0
 */
export const apply: Script = define("apply", `
-- apply: carries out plans, each one atomic step (see src/protocol/Plan.ts).
--
-- KEYS: every key the plans touch, each once; plans name them by index.
-- ARGV[1]: the number of plans. Then, per plan:
--   ntypes, then ntypes pairs: key index, the type the plan needs
--     (string | list | zset | hash | set)
--   nguards, then nguards quadruples: op, key index, a, b
--     absent k / exists k           EXISTS k is 0 / 1
--     eq k v / ne k v               GET k equals / differs from v
--     heq k f v / hnil k f          HGET k f equals v / HEXISTS k f is 0
--     lhas k m                      LPOS k m finds it
--     zhas k m / zle k m max        ZSCORE k m exists / exists and <= max
--     snot k m                      SISMEMBER k m is 0
--   nwrites, then per write: op, key index (0: none), nargs, args...
--     set k v | setex k v ttl | del k | lpush k v | rpush k v | lrem k count v
--     zadd k score m | zaddnx k score m | zrem k m | hset k f v ... | hdel k f
--     sadd k m | srem k m | expire k seconds | pexpire k millis | publish - channel message
-- Output: one integer per plan: 0 applied; g > 0 the g-th guard refused it;
--   -k KEYS[k] holds another type than the plan needs. A refused plan writes
--   nothing. Identical PUBLISHes of one call go out once (a wake-up is a wake-up).
local planCount = tonumber(ARGV[1])
local published = {}

local function holds(op, key, a, b)
  if op == 'absent' then return redis.call('EXISTS', key) == 0 end
  if op == 'exists' then return redis.call('EXISTS', key) == 1 end
  if op == 'eq' then return redis.call('GET', key) == a end
  if op == 'ne' then return redis.call('GET', key) ~= a end
  if op == 'heq' then return redis.call('HGET', key, a) == b end
  if op == 'hnil' then return redis.call('HEXISTS', key, a) == 0 end
  if op == 'lhas' then return redis.call('LPOS', key, a) ~= false end
  if op == 'zhas' then return redis.call('ZSCORE', key, a) ~= false end
  if op == 'zle' then
    local score = redis.call('ZSCORE', key, a)
    return score ~= false and tonumber(score) <= tonumber(b)
  end
  if op == 'snot' then return redis.call('SISMEMBER', key, a) == 0 end
  error('apply: unknown guard ' .. tostring(op))
end

local function write(op, key, at, nargs)
  if op == 'set' then redis.call('SET', key, ARGV[at])
  elseif op == 'setex' then redis.call('SET', key, ARGV[at], 'EX', ARGV[at + 1])
  elseif op == 'del' then redis.call('DEL', key)
  elseif op == 'lpush' then redis.call('LPUSH', key, ARGV[at])
  elseif op == 'rpush' then redis.call('RPUSH', key, ARGV[at])
  elseif op == 'lrem' then redis.call('LREM', key, ARGV[at], ARGV[at + 1])
  elseif op == 'zadd' then redis.call('ZADD', key, ARGV[at], ARGV[at + 1])
  elseif op == 'zaddnx' then redis.call('ZADD', key, 'NX', ARGV[at], ARGV[at + 1])
  elseif op == 'zrem' then redis.call('ZREM', key, ARGV[at])
  elseif op == 'hset' then redis.call('HSET', key, unpack(ARGV, at, at + nargs - 1))
  elseif op == 'hdel' then redis.call('HDEL', key, ARGV[at])
  elseif op == 'sadd' then redis.call('SADD', key, ARGV[at])
  elseif op == 'srem' then redis.call('SREM', key, ARGV[at])
  elseif op == 'expire' then redis.call('EXPIRE', key, ARGV[at])
  elseif op == 'pexpire' then redis.call('PEXPIRE', key, ARGV[at])
  elseif op == 'publish' then
    local note = ARGV[at] .. '\\0' .. ARGV[at + 1]
    if not published[note] then
      published[note] = true
      redis.call('PUBLISH', ARGV[at], ARGV[at + 1])
    end
  else
    error('apply: unknown write ' .. tostring(op))
  end
end

local outcomes = {}
local at = 2
for plan = 1, planCount do
  local status = 0
  local typeCount = tonumber(ARGV[at]); at = at + 1
  for _ = 1, typeCount do
    if status == 0 then
      local k = tonumber(ARGV[at])
      local actual = redis.call('TYPE', KEYS[k]).ok
      if actual ~= 'none' and actual ~= ARGV[at + 1] then status = -k end
    end
    at = at + 2
  end
  local guardCount = tonumber(ARGV[at]); at = at + 1
  for g = 1, guardCount do
    if status == 0 and not holds(ARGV[at], KEYS[tonumber(ARGV[at + 1])], ARGV[at + 2], ARGV[at + 3]) then status = g end
    at = at + 4
  end
  local writeCount = tonumber(ARGV[at]); at = at + 1
  for _ = 1, writeCount do
    local op, k, nargs = ARGV[at], tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2])
    if status == 0 then write(op, KEYS[k], at + 3, nargs) end
    at = at + 3 + nargs
  end
  outcomes[plan] = status
end
return outcomes`)

/**
 * The dequeue step.
 *
 * @category scripts
 * @since 0.2.0
 */
export const take: Script = define("take", `
-- take: moves up to max ids into processing, strict priority, oldest first
-- (see src/protocol/Take.ts).
--
-- KEYS[1..n]: the source lists, in priority order
-- KEYS[n+1]: queue:processing
-- KEYS[n+2..n+4] (with a lease): leases (zset), lease:tokens (hash),
--   worker:{owner} (set)
-- ARGV[1]: n, the number of sources
-- ARGV[2]: max, the most ids to take (>= 1)
-- ARGV[3]: lease expiry, epoch ms ('' = no lease)
-- ARGV[4]: token prefix ('<owner>:'); ARGV[5]: the first token number
-- ARGV[6]: heartbeat (TTL of worker:{owner}), ms
-- Output: the ids taken, in order (empty when every source is empty), or
--   the error 'WRONGTYPE <key> is not a <type>' before anything moved.
local sourceCount = tonumber(ARGV[1])
local max = tonumber(ARGV[2])
local leased = ARGV[3] ~= ''
local processing = KEYS[sourceCount + 1]

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

local ids = {}
for i = 1, sourceCount do
  local got = redis.call('RPOP', KEYS[i], max - #ids)
  if got then
    for j = 1, #got do ids[#ids + 1] = got[j] end
    if #ids >= max then break end
  end
end
if #ids == 0 then return ids end
redis.call('LPUSH', processing, unpack(ids))
if leased then
  local leases, tokens, held = KEYS[sourceCount + 2], KEYS[sourceCount + 3], KEYS[sourceCount + 4]
  local first = tonumber(ARGV[5])
  for j = 1, #ids do
    redis.call('ZADD', leases, ARGV[3], ids[j])
    redis.call('HSET', tokens, ids[j], ARGV[4] .. string.format('%.0f', first + j - 1))
    redis.call('SADD', held, ids[j])
  end
  redis.call('PEXPIRE', held, ARGV[6])
end
return ids`)

/**
 * A waiter's read.
 *
 * @category scripts
 * @since 0.1.0
 */
export const checkResult: Script = define("checkResult", `
-- checkResult: one read for a waiter, atomic with the step that wrote it.
--
-- KEYS[1]: result:{id}; KEYS[2]: job:{id}
-- Output: {hash} or, when the hash says failed, {hash, job data or false}
--   (to tell a final failure from an attempt about to be retried).
local resultKey, jobKey = KEYS[1], KEYS[2]
local hash = redis.call('HGETALL', resultKey)
for i = 1, #hash, 2 do
  if hash[i] == 'status' and hash[i + 1] == 'failed' then
    local jobType = redis.call('TYPE', jobKey).ok
    if jobType ~= 'string' then return {hash, false} end
    return {hash, redis.call('GET', jobKey)}
  end
end
return {hash}`)

/**
 * Every script, for `SCRIPT LOAD` at start.
 *
 * @category scripts
 * @since 0.1.0
 */
export const all: ReadonlyArray<Script> = [apply, take, checkResult]

// Internal

function define(name: string, lua: string): Script {
  const body = lua.trim()
  return { name, lua: body, sha: createHash("sha1").update(body).digest("hex") }
}
