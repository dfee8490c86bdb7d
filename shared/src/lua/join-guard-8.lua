--[[ join-guard: everything a join must pass before the join script, in one call, counted over
every gate process: the per-address join rate, revocation of the place / client id, single use of
the proof-of-work challenge, and the cap of live places per client address.
KEYS[1] joins-by-ip  hash: w -> start of the current window (ms), n -> joins in it (all
                     addresses), pn -> joins in the window before, a:<address> -> joins in it
KEYS[2] pow-used     zset: challenge id -> its expiry (ms): challenges already spent
KEYS[3] places-of    zset (this address): placeId -> when it was reserved (ms), 0 once seen live
KEYS[4] ident        hash: clientId -> placeId
KEYS[5] queue        zset   KEYS[6] prequeue  zset   KEYS[7] admitted  zset: placeId -> ticket expiry
KEYS[8] revoked      hash: placeId / jti / `cid:<clientId>` -> time revoked
ARGV[1] client address key  ARGV[2] now (ms)  ARGV[3] window (ms, >= 1)  ARGV[4] joins allowed
  per address per window  ARGV[5] challenge id ('' = none)  ARGV[6] challenge expiry (ms)
ARGV[7] the place id a new place would get ('' = resuming by place token: no cap)
ARGV[8] live places allowed per address  ARGV[9] client id ('')  ARGV[10] place id from a
  verified place token ('')  ARGV[11] how long a reservation counts before its place exists (ms)
Returns {code, n, pn, w}: code 1 = go ahead, -30 over the join rate, -31 challenge already used,
-32 too many live places from this address, -10 revoked, -11 bad arguments. n/pn/w let the gate
estimate the event's joins per second (automatic proof-of-work difficulty).
Bounded: the places-of set never holds more than the cap plus reservations pruned here; spent
challenges are pruned 100 at a time. ]]
local now, window = tonumber(ARGV[2]), tonumber(ARGV[3])
local limit, cap, hold = tonumber(ARGV[4]), tonumber(ARGV[8]), tonumber(ARGV[11])
if not now or not window or window < 1 or not limit or not cap or not hold or ARGV[1] == '' then
  return {-11, 0, 0, 0}
end
local start = now - (now % window)
local w = tonumber(redis.call('HGET', KEYS[1], 'w') or '-1')
if w ~= start then
  local prev = 0
  if w == start - window then prev = tonumber(redis.call('HGET', KEYS[1], 'n') or '0') end
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'w', start, 'pn', prev)
  redis.call('PEXPIREAT', KEYS[1], start + 2 * window)
end
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
local pn = tonumber(redis.call('HGET', KEYS[1], 'pn') or '0')
local function reply(code) return {code, n, pn, start} end
if redis.call('HINCRBY', KEYS[1], 'a:' .. ARGV[1], 1) > limit then return reply(-30) end

local cid, byToken = ARGV[9], ARGV[10]
local owned = false
if byToken ~= '' and redis.call('HEXISTS', KEYS[8], byToken) == 1 then return reply(-10) end
if cid ~= '' then
  if redis.call('HEXISTS', KEYS[8], 'cid:' .. cid) == 1 then return reply(-10) end
  owned = redis.call('HGET', KEYS[4], cid)
  if owned and redis.call('HEXISTS', KEYS[8], owned) == 1 then return reply(-10) end
end

local function live(pid)
  if redis.call('ZSCORE', KEYS[5], pid) or redis.call('ZSCORE', KEYS[6], pid) then return true end
  local exp = redis.call('ZSCORE', KEYS[7], pid)
  return exp ~= false and tonumber(exp) > now
end

-- Resuming the live place of this client id creates nothing: no cap, no proof of work spent.
if ARGV[7] == '' or (owned and live(owned)) then return reply(1) end

if ARGV[5] ~= '' then
  if redis.call('ZSCORE', KEYS[2], ARGV[5]) then return reply(-31) end
  local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 100)
  if #old > 0 then redis.call('ZREM', KEYS[2], unpack(old)) end
end

local members = redis.call('ZRANGE', KEYS[3], 0, -1, 'WITHSCORES')
local count = 0
for i = 1, #members, 2 do
  local pid, reserved = members[i], tonumber(members[i + 1])
  if live(pid) then
    count = count + 1
    -- Seen live: from now on it counts only while live (score 0 = no reservation hold left).
    if reserved > 0 then redis.call('ZADD', KEYS[3], 0, pid) end
  elseif reserved > now - hold then
    count = count + 1 -- its join is still in flight
  else
    redis.call('ZREM', KEYS[3], pid)
  end
end
if count >= cap then return reply(-32) end
if ARGV[5] ~= '' then
  redis.call('ZADD', KEYS[2], tonumber(ARGV[6]) or now, ARGV[5])
  redis.call('PEXPIRE', KEYS[2], 600000) -- longer than any challenge lives (CHALLENGE_TTL_MS)
end
redis.call('ZADD', KEYS[3], now, ARGV[7])
redis.call('PEXPIRE', KEYS[3], 86400000)
return reply(1)
