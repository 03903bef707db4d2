/**
 * The plan interpreter: the Lua script that carries out plans, each one
 * atomic step, the Redis twin of `MemoryJobStore.applyPlan` (types, guards,
 * writes; see `protocol/Plan`). Its arguments are built by `PlanEncoding`.
 *
 * @stability unstable
 * @since 0.2.0
 */

import * as Result from "effect/Result"
import * as PlanEncoding from "./PlanEncoding.ts"
import type { EncodedPlans } from "./PlanEncoding.ts"
import { type Call, describe, descriptor, luaTable } from "./Script.ts"

/**
 * The plan interpreter: carries out plans, each one atomic step. Its
 * arguments are readable in `MONITOR`: per plan its name (the operation),
 * then its key types, guards and writes as operation names followed by
 * their key and operands (see `PlanEncoding`).
 *
 * @category scripts
 * @since 0.2.0
 */
export const applyPlans = descriptor("applyPlans", `
-- applyPlans: carries out plans, each one atomic step (src/protocol/Plan.ts;
-- the arguments are built by src/layers/redis/PlanEncoding.ts).
--
-- KEYS: every key the plans touch, each once (for Redis Cluster); ARGV names
-- keys in full.
-- ARGV, per plan:
--   its name (the operation, for MONITOR and SLOWLOG; never the name of an
--   operation below: the next plan starts at the first entry that names
--   none), then its guards, each: <op> <key> <operands>, optionally
--     followed by 'applied-if' <key> <value> (GET key equals value) or
--     'applied-if-set' <key> (GET key equals what this plan's set of key
--     writes): when the guard does not hold but that does, the plan is
--     refused as already applied;
--   then the writes, to the plan's end: <op> <key> <operands>.
--   Guards (checked in order):            Writes (applied in order):
--     absent k     EXISTS k is 0            set k v            setex k v ttl
--     exists k     EXISTS k is 1            del k              lpush k v
--     eq k v       GET k equals v           rpush k v          lrem k count v
--                                           ltrim k start stop
--     ne k v       GET k differs from v     zadd k score m     zaddnx k score m
--     heq k f v    HGET k f equals v        zrem k m           hset k n f v ...
--     hnil k f     HEXISTS k f is 0         hdel k f           sadd k m
--     lhas k m     LPOS k m finds it        srem k m           expire k seconds
--     zhas k m     ZSCORE k m exists        pexpire k millis   publish channel message
--     zle k m max  ZSCORE k m exists, <= max
--     snot k m     SISMEMBER k m is 0       announce k channel message data tag:
--                                              PUBLISH channel message and, when it
--                                              reached a subscriber and data has
--                                              one, PUBLISH data
--                                              tag..'\\n'..(HGETALL k as JSON)
-- Every key an operation reads or writes must have the type the operation
-- needs (\`needs\`, from src/protocol/Plan.ts), or not exist.
-- Output: one integer per plan: 0 applied; g > 0 the g-th guard refused it;
--   -1000000 already applied; -t the t-th key needing a type (in the order
--   of the plan's operations) holds another type (types are checked before
--   guards, guards before any write: a refused plan writes nothing). A
--   key's type is read once per call while the plans want it as that type
--   (a write keeps its key's type, or empties or deletes it); an
--   absent/exists guard on a key whose type this plan just
--   read needs no EXISTS. Identical PUBLISHes of one call go out once (a
--   wake-up is a wake-up).
-- Fewer commands, the same outcome:
-- - The key of a plan's first write, when the write is a command Redis
--   refuses on a wrong type before it changes anything and no guard reads
--   the key, is type-checked by that write (run with pcall) instead of a
--   TYPE: nothing is written before it. When the plan is refused anyway
--   (a guard, or a later key's type), its TYPE is read then, so the
--   outcome is the one a TYPE first would give.
-- - zrem, hdel and srem of one key are gathered over the call's plans and
--   sent as one variadic command just before anything else reads or writes
--   the key (a guard on a gathered member answers as Redis would after
--   the removal), and at the end: a burst of outcomes ends its leases in
--   three commands, not three per job.
local ARGV, call = ARGV, redis.call -- locals: faster than a global per read
local needs = { ${luaTable(PlanEncoding.wireTypes)} }
local size = { absent = 2, exists = 2, eq = 3, ne = 3, heq = 4, hnil = 3, lhas = 3, zhas = 3, zle = 4, snot = 3,
  ['applied-if'] = 3, ['applied-if-set'] = 2, set = 3, setex = 4, del = 2, lpush = 3, rpush = 3, lrem = 4, ltrim = 4, zadd = 4,
  zaddnx = 4, zrem = 3, hdel = 3, sadd = 3, srem = 3, expire = 3, pexpire = 3, publish = 3, announce = 6 } -- hset: 3 + 2n
local guard = { absent = true, exists = true, eq = true, ne = true, heq = true, hnil = true, lhas = true, zhas = true, zle = true, snot = true }
-- Guards that read one member: a gathered removal of another member changes nothing they see.
local memberGuard = { heq = true, hnil = true, zhas = true, zle = true, snot = true }
-- Writes that Redis refuses on a wrong type before changing anything (a first write may check its key's type).
local selfChecked = { lpush = true, rpush = true, lrem = true, ltrim = true, zadd = true, zaddnx = true, hset = true, sadd = true }
local removal = { zrem = 'ZREM', hdel = 'HDEL', srem = 'SREM' }
local keyType, typedIn, seenIn, seenNone = {}, {}, {}, {}
local published = {}
local outcomes = {}
local at, plan, count = 1, 0, #ARGV

-- Gathered removals: key -> { command, n, has = { member = true }, members... }, in the order first gathered.
-- The running plan's own gathers (gathered entry, position), dropped if
-- the call fails in it: its removals must not outlive its failed write.
local gathered, gatheredOrder = {}, {}
local mine, mineN = {}, 0
local function flush(key)
  local g = gathered[key]
  gathered[key] = nil
  call(g.command, key, unpack(g, 1, g.n))
end
local function gather(key, command, member)
  local g = gathered[key]
  if g ~= nil and g.command ~= command then flush(key); g = nil end
  if g == nil then
    g = { command = command, n = 0, has = {}, key = key }
    gathered[key] = g
    gatheredOrder[#gatheredOrder + 1] = key
  end
  if not g.has[member] then
    g.has[member] = true
    g.n = g.n + 1
    g[g.n] = member
    mine[mineN + 1], mine[mineN + 2] = g, g.n
    mineN = mineN + 2
    if g.n >= 1000 then flush(key) end
  end
end

-- The first write of a plan whose key's TYPE was left to it: a wrong type fails it and nothing else.
local wrongType = false
local function checked(...)
  local reply = redis.pcall(...)
  if type(reply) == 'table' and reply.err then
    if string.sub(reply.err, 1, 9) ~= 'WRONGTYPE' then error(reply) end
    wrongType = true
  end
  return reply
end

local function run()
while at <= count do
  plan = plan + 1
  mineN = 0
  local status = 0
  -- Types: each key once, in the order of the operations; the walk also
  -- finds the plan's end (the next entry that names no operation).
  local pos, t = at + 1, 0
  local firstWrite, lateKey, lateT, lateWant
  while true do
    local op = ARGV[pos]
    local step = size[op]
    if step == nil then
      if op ~= 'hset' then break end
      step = 3 + 2 * tonumber(ARGV[pos + 2])
    end
    if firstWrite == nil and not guard[op] and op ~= 'applied-if' and op ~= 'applied-if-set' then firstWrite = pos end
    local want = needs[op]
    if want and status == 0 then
      local key = ARGV[pos + 1]
      if typedIn[key] ~= plan then
        typedIn[key] = plan
        t = t + 1
        local actual = keyType[key]
        -- Cached: the key has that type or none (emptied, deleted); another wanted type reads it again.
        if actual ~= want then actual = nil end
        if actual == nil then
          if pos == firstWrite and selfChecked[op] then
            lateKey, lateT, lateWant = key, t, want
            actual = 'none'
          else
            if gathered[key] then flush(key) end
            actual = call('TYPE', key).ok
            if actual ~= 'none' then keyType[key] = actual else keyType[key] = nil end
            -- Read in this plan, before its writes: its guards need no EXISTS.
            seenIn[key] = plan
            seenNone[key] = actual == 'none'
          end
        end
        if actual ~= 'none' and actual ~= want then status = -t end
      end
    end
    pos = pos + step
  end
  local stop = pos - 1 -- the plan's last entry
  -- Guards.
  pos = at + 1
  local g = 0
  local appliedIfSet
  while guard[ARGV[pos]] do
    local op, key = ARGV[pos], ARGV[pos + 1]
    g = g + 1
    if status == 0 then
      local pending = gathered[key]
      local gone = false
      if pending ~= nil then
        if memberGuard[op] then gone = pending.has[ARGV[pos + 2]] == true else flush(key) end
      end
      local ok
      if op == 'heq' then ok = not gone and call('HGET', key, ARGV[pos + 2]) == ARGV[pos + 3]
      elseif op == 'absent' then
        if seenIn[key] == plan then ok = seenNone[key] else ok = call('EXISTS', key) == 0 end
      elseif op == 'ne' then ok = call('GET', key) ~= ARGV[pos + 2]
      elseif op == 'exists' then
        if seenIn[key] == plan then ok = not seenNone[key] else ok = call('EXISTS', key) == 1 end
      elseif op == 'eq' then ok = call('GET', key) == ARGV[pos + 2]
      elseif op == 'hnil' then ok = gone or call('HEXISTS', key, ARGV[pos + 2]) == 0
      elseif op == 'lhas' then ok = call('LPOS', key, ARGV[pos + 2]) ~= false
      elseif op == 'zhas' then ok = not gone and call('ZSCORE', key, ARGV[pos + 2]) ~= false
      elseif op == 'zle' then
        local score = not gone and call('ZSCORE', key, ARGV[pos + 2])
        ok = score ~= false and tonumber(score) <= tonumber(ARGV[pos + 3])
      else ok = gone or call('SISMEMBER', key, ARGV[pos + 2]) == 0 end -- snot
      if not ok then status = g end
    end
    pos = pos + size[op]
    local next = ARGV[pos]
    if next == 'applied-if' then
      if status == g then
        if gathered[ARGV[pos + 1]] then flush(ARGV[pos + 1]) end
        if call('GET', ARGV[pos + 1]) == ARGV[pos + 2] then status = -1000000 end
      end
      pos = pos + 3
    elseif next == 'applied-if-set' then
      if status == g then appliedIfSet = ARGV[pos + 1] end
      pos = pos + 2
    end
  end
  if appliedIfSet ~= nil then
    -- Refused: already applied when the key holds what this plan's set of it writes.
    if gathered[appliedIfSet] then flush(appliedIfSet) end
    local p = pos
    while p <= stop do
      local op = ARGV[p]
      if (op == 'set' or op == 'setex') and ARGV[p + 1] == appliedIfSet then
        if call('GET', appliedIfSet) == ARGV[p + 2] then status = -1000000 end
        break
      end
      if op == 'hset' then p = p + 3 + 2 * tonumber(ARGV[p + 2]) else p = p + size[op] end
    end
  end
  -- The key whose TYPE was left to the first write: read now if the plan is refused anyway.
  local call = call
  if lateKey ~= nil then
    if status == 0 then
      call = checked
    else
      if gathered[lateKey] then flush(lateKey) end
      local actual = call('TYPE', lateKey).ok
      if actual ~= 'none' then keyType[lateKey] = actual else keyType[lateKey] = nil end
      if actual ~= 'none' and actual ~= lateWant then status = -lateT end
    end
  end
  -- Writes.
  while status == 0 and pos <= stop do
    local op, key = ARGV[pos], ARGV[pos + 1]
    local gone = removal[op]
    if gone ~= nil then gather(key, gone, ARGV[pos + 2]); pos = pos + 3
    else
      if gathered[key] then flush(key) end
      if op == 'set' then call('SET', key, ARGV[pos + 2]); pos = pos + 3
      elseif op == 'lpush' then call('LPUSH', key, ARGV[pos + 2]); pos = pos + 3
      elseif op == 'publish' then
        local message = ARGV[pos + 2]
        local note = key .. '\0' .. message
        if not published[note] then
          published[note] = true
          call('PUBLISH', key, message)
        end
        pos = pos + 3
      elseif op == 'lrem' then call('LREM', key, ARGV[pos + 2], ARGV[pos + 3]); pos = pos + 4
      elseif op == 'ltrim' then call('LTRIM', key, ARGV[pos + 2], ARGV[pos + 3]); pos = pos + 4
      elseif op == 'hset' then
        local last = pos + 2 + 2 * tonumber(ARGV[pos + 2])
        call('HSET', key, unpack(ARGV, pos + 3, last))
        pos = last + 1
      elseif op == 'setex' then call('SET', key, ARGV[pos + 2], 'EX', ARGV[pos + 3]); pos = pos + 4
      elseif op == 'expire' then call('EXPIRE', key, ARGV[pos + 2]); pos = pos + 3
      elseif op == 'del' then call('DEL', key); pos = pos + 2
      elseif op == 'rpush' then call('RPUSH', key, ARGV[pos + 2]); pos = pos + 3
      elseif op == 'zadd' then call('ZADD', key, ARGV[pos + 2], ARGV[pos + 3]); pos = pos + 4
      elseif op == 'zaddnx' then call('ZADD', key, 'NX', ARGV[pos + 2], ARGV[pos + 3]); pos = pos + 4
      elseif op == 'sadd' then call('SADD', key, ARGV[pos + 2]); pos = pos + 3
      elseif op == 'pexpire' then call('PEXPIRE', key, ARGV[pos + 2]); pos = pos + 3
      elseif op == 'announce' then
        -- The hash rides along only when a waiter listens for it.
        if call('PUBLISH', ARGV[pos + 2], ARGV[pos + 3]) > 0 and call('PUBSUB', 'NUMSUB', ARGV[pos + 4])[2] > 0 then
          call('PUBLISH', ARGV[pos + 4], ARGV[pos + 5] .. '\\n' .. cjson.encode(call('HGETALL', key)))
        end
        pos = pos + 6
      else error(redis.error_reply('applyPlans: unknown write ' .. tostring(op))) end
    end
    if call == checked then
      call = redis.call
      if wrongType then wrongType = false; status = -lateT else keyType[lateKey] = lateWant end
    end
  end
  outcomes[plan] = status
  at = stop + 1
end
end
-- A call that fails midway still ends the removals its applied plans
-- gathered; the failing plan's own are dropped (a failed first write, OOM,
-- leaves the plan unapplied, as when nothing was gathered).
local ran, failure = pcall(run)
if not ran then
  for i = mineN - 1, 1, -2 do
    local g, n = mine[i], mine[i + 1]
    if gathered[g.key] == g and n <= g.n then
      for j = n, g.n do g.has[g[j]] = nil end
      g.n = n - 1
    end
  end
end
for _, key in ipairs(gatheredOrder) do
  local g = gathered[key]
  if g and g.n > 0 then flush(key) end
end
if not ran then
  -- As if raised here: Redis's own errors keep their code (OOM, ...).
  if type(failure) == 'table' then return failure end
  if string.find(failure, '^[A-Z]+ ') then return redis.error_reply(failure) end
  error(failure, 0)
end
return outcomes`, (script, encoded: EncodedPlans): Call<ReadonlyArray<number>> => ({
  script,
  keys: encoded.keys,
  args: encoded.args,
  decode: (reply) => integers(reply, encoded.plans)
}))

/**
 * A data message of `announce` (`result:data:{id}`): the tag of the job
 * whose outcome it is, and the result hash. `undefined` when the message
 * is not one (another writer's): the waiter then only re-checks.
 *
 * @category decoding
 * @since 0.2.0
 */
export const decodeResultData = (message: string): { readonly tag: string; readonly fields: Readonly<Record<string, string>> } | undefined => {
  const newline = message.indexOf("\n")
  if (newline < 0) return undefined
  let flat: unknown
  try {
    flat = JSON.parse(message.slice(newline + 1))
  } catch {
    return undefined
  }
  // cjson writes an empty table as {}: no hash, nothing to read.
  if (!Array.isArray(flat) || flat.length === 0 || flat.length % 2 !== 0) return undefined
  const fields: Record<string, string> = {}
  for (let i = 0; i < flat.length; i += 2) {
    const field = flat[i], value = flat[i + 1]
    if (typeof field !== "string" || typeof value !== "string") return undefined
    fields[field] = value
  }
  return { tag: message.slice(0, newline), fields }
}

// Internal

/** A reply of `count` integers. */
const integers = (reply: unknown, count: number): Result.Result<ReadonlyArray<number>, string> => {
  if (!Array.isArray(reply) || reply.length !== count) return Result.fail(`expected ${count} integers, got ${describe(reply)}`)
  for (const code of reply) if (typeof code !== "number") return Result.fail(`expected integers, got ${describe(reply)}`)
  return Result.succeed(reply)
}
