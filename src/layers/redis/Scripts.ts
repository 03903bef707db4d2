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
-- ARGV[1]: the number of plans. Then, per plan: its program, then its values.
-- A program is a string of single bytes (a count or a number is 32 + it; a
-- key index is two bytes, base 95 from 32):
--   1. the number of values following the program in ARGV;
--   2. the number of typed keys, then each: its index and the type it must
--      have or not exist with (s string, l list, z zset, h hash, t set);
--   3. the number of guards, then guards and writes, each: its code, its key
--      index ('  ' for none), one byte per operand (the operand's value
--      number, from 1); T (HSET) first has the number of its operands; a
--      guard ends with three more bytes: a key index and a value number
--      ('   ' for none) — when the guard does not hold and GET of that key
--      equals that value, the plan is refused as already applied (0 + the
--      code -1 in the output) instead of by this guard.
--   Guards (checked in order):            Writes (applied in order):
--     a  EXISTS k is 0                      S SET k v           X SET k v EX ttl
--     x  EXISTS k is 1                      D DEL k             L LPUSH k v
--     e  GET k equals v                     R RPUSH k v         M LREM k count v
--     n  GET k differs from v               A ZADD k score m    N ZADD k NX score m
--     h  HGET k f equals v                  Q ZREM k m          T HSET k f v ...
--     H  HEXISTS k f is 0                   E HDEL k f          B SADD k m
--     l  LPOS k m finds it                  C SREM k m          P EXPIRE k seconds
--     z  ZSCORE k m exists                  Y PEXPIRE k millis  U PUBLISH channel message
--     Z  ZSCORE k m exists and <= max       K LTRIM k start stop
--     s  SISMEMBER k m is 0
-- Output: one integer per plan: 0 applied; g > 0 the g-th guard refused it;
--   -1000000 already applied (a guard failed but its appliedIf holds);
--   -k KEYS[k] holds another type than the plan needs (types are checked
--   before guards, guards before any write: a refused plan writes nothing).
--   A key's type is read once per call (plans keep every key the type of the
--   layout: a write keeps its key's type, or deletes it); an a/x guard on a
--   key whose type this plan just read needs no EXISTS. Identical PUBLISHes
--   of one call go out once (a wake-up is a wake-up).
local byte, call = string.byte, redis.call
local typeName = { [115] = 'string', [108] = 'list', [122] = 'zset', [104] = 'hash', [116] = 'set' }
local keyType = {}
local seenIn, seenNone = {}, {}
local published = {}
local outcomes = {}
local at = 2

for plan = 1, tonumber(ARGV[1]) do
  local program = ARGV[at]
  local v = at -- value j is ARGV[v + j]
  at = at + 1 + byte(program, 1) - 32
  local status = 0
  -- Types.
  local pos = 3
  for _ = 1, byte(program, 2) - 32 do
    local k1, k2, t = byte(program, pos, pos + 2)
    pos = pos + 3
    if status == 0 then
      local k = (k1 - 32) * 95 + k2 - 32
      local actual = keyType[k]
      if actual == nil then
        actual = call('TYPE', KEYS[k]).ok
        if actual ~= 'none' then keyType[k] = actual end
        -- Read in this plan, before its writes: its guards need no EXISTS.
        seenIn[k] = plan
        seenNone[k] = actual == 'none'
      end
      if actual ~= 'none' and actual ~= typeName[t] then status = -k end
    end
  end
  local guards = byte(program, pos) - 32
  pos = pos + 1
  -- Guards.
  for g = 1, guards do
    if status ~= 0 then break end
    local op, k1, k2, a, b = byte(program, pos, pos + 4)
    local key = KEYS[(k1 - 32) * 95 + k2 - 32]
    local ok
    if op == 104 then ok = call('HGET', key, ARGV[v + a - 32]) == ARGV[v + b - 32]; pos = pos + 5
    elseif op == 97 then
      local k = (k1 - 32) * 95 + k2 - 32
      if seenIn[k] == plan then ok = seenNone[k] else ok = call('EXISTS', key) == 0 end
      pos = pos + 3
    elseif op == 110 then ok = call('GET', key) ~= ARGV[v + a - 32]; pos = pos + 4
    elseif op == 120 then
      local k = (k1 - 32) * 95 + k2 - 32
      if seenIn[k] == plan then ok = not seenNone[k] else ok = call('EXISTS', key) == 1 end
      pos = pos + 3
    elseif op == 101 then ok = call('GET', key) == ARGV[v + a - 32]; pos = pos + 4
    elseif op == 72 then ok = call('HEXISTS', key, ARGV[v + a - 32]) == 0; pos = pos + 4
    elseif op == 108 then ok = call('LPOS', key, ARGV[v + a - 32]) ~= false; pos = pos + 4
    elseif op == 122 then ok = call('ZSCORE', key, ARGV[v + a - 32]) ~= false; pos = pos + 4
    elseif op == 90 then
      local score = call('ZSCORE', key, ARGV[v + a - 32])
      ok = score ~= false and tonumber(score) <= tonumber(ARGV[v + b - 32])
      pos = pos + 5
    elseif op == 115 then ok = call('SISMEMBER', key, ARGV[v + a - 32]) == 0; pos = pos + 4
    else error('apply: unknown guard ' .. op) end
    local j1, j2, jv = byte(program, pos, pos + 2)
    pos = pos + 3
    if not ok then
      status = g
      if (j1 ~= 32 or j2 ~= 32) and call('GET', KEYS[(j1 - 32) * 95 + j2 - 32]) == ARGV[v + jv - 32] then status = -1000000 end
    end
  end
  -- Writes.
  local size = #program
  while status == 0 and pos <= size do
    local op, k1, k2, a, b = byte(program, pos, pos + 4)
    local key = KEYS[(k1 - 32) * 95 + k2 - 32]
    if op == 88 then call('SET', key, ARGV[v + a - 32], 'EX', ARGV[v + b - 32]); pos = pos + 5
    elseif op == 77 then call('LREM', key, ARGV[v + a - 32], ARGV[v + b - 32]); pos = pos + 5
    elseif op == 75 then call('LTRIM', key, ARGV[v + a - 32], ARGV[v + b - 32]); pos = pos + 5
    elseif op == 81 then call('ZREM', key, ARGV[v + a - 32]); pos = pos + 4
    elseif op == 69 then call('HDEL', key, ARGV[v + a - 32]); pos = pos + 4
    elseif op == 67 then call('SREM', key, ARGV[v + a - 32]); pos = pos + 4
    elseif op == 84 then
      local fields = {}
      for j = 1, a - 32 do fields[j] = ARGV[v + byte(program, pos + 3 + j) - 32] end
      call('HSET', key, unpack(fields))
      pos = pos + 4 + a - 32
    elseif op == 80 then call('EXPIRE', key, ARGV[v + a - 32]); pos = pos + 4
    elseif op == 85 then
      local channel, message = ARGV[v + a - 32], ARGV[v + b - 32]
      local note = channel .. '\\0' .. message
      if not published[note] then
        published[note] = true
        call('PUBLISH', channel, message)
      end
      pos = pos + 5
    elseif op == 83 then call('SET', key, ARGV[v + a - 32]); pos = pos + 4
    elseif op == 76 then call('LPUSH', key, ARGV[v + a - 32]); pos = pos + 4
    elseif op == 82 then call('RPUSH', key, ARGV[v + a - 32]); pos = pos + 4
    elseif op == 65 then call('ZADD', key, ARGV[v + a - 32], ARGV[v + b - 32]); pos = pos + 5
    elseif op == 78 then call('ZADD', key, 'NX', ARGV[v + a - 32], ARGV[v + b - 32]); pos = pos + 5
    elseif op == 66 then call('SADD', key, ARGV[v + a - 32]); pos = pos + 4
    elseif op == 89 then call('PEXPIRE', key, ARGV[v + a - 32]); pos = pos + 4
    elseif op == 68 then call('DEL', key); pos = pos + 3
    else error('apply: unknown write ' .. op) end
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
  local scored, tokened = {}, {}
  for j = 1, #ids do
    scored[2 * j - 1] = ARGV[3]
    scored[2 * j] = ids[j]
    tokened[2 * j - 1] = ids[j]
    tokened[2 * j] = ARGV[4] .. string.format('%.0f', first + j - 1)
  end
  redis.call('ZADD', leases, unpack(scored))
  redis.call('HSET', tokens, unpack(tokened))
  redis.call('SADD', held, unpack(ids))
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
