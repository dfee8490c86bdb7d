-- admit-12.lua: one admission tick of the leader. Checks the lease and fencing token, drops
-- expired tickets from the capacity set, refills the token bucket (kept here, in `stats`, on
-- Redis's clock, so a late tick releases what accrued up to the bucket size and a leader change
-- neither refills nor empties it), re-checks the hard caps (state open, maxActive, units left x
-- overbook; and that this Redis incarnation's stock was verified, node-1.lua) and moves up to min(planned, tokens) places from the head of the line into
-- `admitted`. Writes the admitter bookkeeping in the same step, and after the start appends one
-- entry to the public admission log (`log`): the ticket-number ranges admitted, the numbers
-- skipped because their places had left the line (`gone`), and the bucket and caps in force,
-- so that an outside verifier can re-check every tick (shared/src/fairness).
-- KEYS: 1 event, 2 leader, 3 fence, 4 queue, 5 admitted, 6 admitted-at, 7 stock, 8 stats,
--       9 absent, 10 prequeue, 11 seq, 12 log
-- ARGV: 1 leader id, 2 fencing token, 3 planned count (capacity, stock, queue; not the rate),
--       4 now (ms, the admitter's clock: ticket times), 5 ticket lifetime (ms), 6 maxActive,
--       7 overbook, 8 rate (per s), 9 bucket size, 10 bucket clock (ms; '' = Redis TIME),
--       11 lane mode ('' = no lanes, 'shares', 'strict'), 12 lane shares ('3,1'), 13 lane ids
--       ('members,public')
-- Lanes (shared/src/lanes): lane L holds the scores L * 2^40 + its own numbers 1, 2, ...; each
-- lane keeps its high mark (stats ls:L) and, in shares mode, a carried credit (stats lc:L): the
-- tick's release is credited to the lanes with shoppers waiting by share, each takes the whole
-- part of its credit (at most what waits), and what is left goes one at a time to the lane with
-- the most credit left (it may go into debt); a lane that empties forgets its credit. Strict
-- mode serves the lanes in order. Each lane's ranges are logged in `lanes`, top-level hi is the
-- sum of the lanes' high marks; an event without lanes logs exactly as before.
-- Returns: {count, served, len, tail, admittedTotal, tick, lanes, placeId...} or {-1} (not the
--   leader); `lanes` is '' without lanes, else 'served,tail,len' per lane joined by ';'.
if redis.call('GET', KEYS[2]) ~= ARGV[1] or redis.call('GET', KEYS[3]) ~= ARGV[2] then return {-1} end
local now = tonumber(ARGV[4])
local rate, size = tonumber(ARGV[8]), tonumber(ARGV[9])
local t = tonumber(ARGV[10])
if not t then
  local tm = redis.call('TIME')
  t = tonumber(tm[1]) * 1000 + math.floor(tonumber(tm[2]) / 1000)
end
-- Token bucket: a missing level (first tick) starts full; time never runs backwards here.
local b = redis.call('HMGET', KEYS[8], 'tokens', 'bucketAt', 'logRate', 'logSize', 'logSt', 'handback')
local tokens = size
-- The bucket as the previous tick left it (logged so a verifier can replay the refill).
local tokp, tp = size, t
if b[1] and b[2] then
  tokp, tp = tonumber(b[1]), tonumber(b[2])
  -- The bucket clock never steps back (a failover to a node whose clock is behind): refilling
  -- from an earlier time would release the same interval twice, and the log must show it cannot.
  if t < tp then t = tp end
  tokens = math.min(size, tokp + (t - tp) * rate / 1000)
end
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', '(' .. ARGV[4])
local state = redis.call('HGET', KEYS[1], 'state')
local served = tonumber(redis.call('HGET', KEYS[8], 'served') or '0')
local prevHi, tok0, active, units = served, tokens, 0, 0
local adm, gone = {}, {}
local ids = {}
-- Nobody is admitted while this Redis incarnation's stock is unverified (node-1.lua).
local node = redis.call('HGET', KEYS[1], 'node')
local verified = not node or node == string.match(redis.call('INFO', 'server'), 'run_id:(%w+)')
-- Lanes: their shares, ids, high marks and lengths (read before any admission).
local laned = (ARGV[11] or '') ~= ''
local SPAN = 1099511627776
local L, shares, laneIds, lserved, llen, laneAdm, laneGone = 0, {}, {}, {}, {}, {}, {}
if laned then
  for v in string.gmatch(ARGV[12], '[^,]+') do shares[#shares + 1] = tonumber(v) end
  for v in string.gmatch(ARGV[13], '[^,]+') do laneIds[#laneIds + 1] = v end
  L = #laneIds
  served = 0
  for i = 1, L do
    lserved[i] = tonumber(redis.call('HGET', KEYS[8], 'ls:' .. (i - 1)) or '0')
    served = served + lserved[i]
    llen[i] = redis.call('ZCOUNT', KEYS[4], (i - 1) * SPAN, '(' .. (i * SPAN))
    laneAdm[i], laneGone[i] = {}, {}
  end
  prevHi = served
end

-- How many each lane releases out of `cap` (see the header).
local function split(cap)
  local take, left = {}, cap
  for i = 1, L do take[i] = 0 end
  if ARGV[11] == 'strict' then
    for i = 1, L do
      take[i] = math.min(left, llen[i])
      left = left - take[i]
    end
    return take
  end
  local w, cr = 0, {}
  for i = 1, L do
    cr[i] = tonumber(redis.call('HGET', KEYS[8], 'lc:' .. (i - 1)) or '0')
    if llen[i] > 0 then w = w + shares[i] end
  end
  for i = 1, L do
    if llen[i] > 0 and w > 0 then cr[i] = cr[i] + cap * shares[i] / w end
    take[i] = math.max(0, math.min(llen[i], math.floor(cr[i] + 1e-9)))
    left = left - take[i]
  end
  -- Over the cap (carried credits): the lane that keeps the least credit gives one back.
  while left < 0 do
    local best
    for i = 1, L do
      if take[i] > 0 and (not best or cr[i] - take[i] <= cr[best] - take[best]) then best = i end
    end
    take[best] = take[best] - 1
    left = left + 1
  end
  -- Under the cap while shoppers wait: one at a time to the lane with the most credit left.
  while left > 0 do
    local best
    for i = 1, L do
      if take[i] < llen[i] and shares[i] > 0 and (not best or cr[i] - take[i] > cr[best] - take[best]) then best = i end
    end
    if not best then
      for i = 1, L do
        if take[i] < llen[i] and not best then best = i end
      end
    end
    if not best then break end
    local all = 0
    for i = 1, L do if take[i] < llen[i] then all = all + 1 end end
    -- A lone lane with shoppers left takes the rest at once (no loop per shopper).
    local n = all == 1 and math.min(left, llen[best] - take[best]) or 1
    take[best] = take[best] + n
    left = left - n
  end
  for i = 1, L do
    local c = cr[i] - take[i]
    if llen[i] == 0 or take[i] == llen[i] then c = 0 end
    redis.call('HSET', KEYS[8], 'lc:' .. (i - 1), tostring(c))
  end
  return take
end

-- Append the range [lo, hi] (as JSON text) to a list.
local function ranges(list, lo, hi)
  list[#list + 1] = string.format('[%d,%d]', lo, hi)
end

local function popLanes(cap)
  local take = split(cap)
  local exp = now + tonumber(ARGV[5])
  for i = 1, L do
    if take[i] > 0 then
      local base = (i - 1) * SPAN
      local got = redis.call('ZRANGEBYSCORE', KEYS[4], base, '(' .. (base + SPAN), 'WITHSCORES', 'LIMIT', 0, take[i])
      local lo, hi, nextNo = nil, nil, lserved[i] + 1
      -- Numbers are unique within a lane, so the members got are exactly the scores from the
      -- lane's start to the last one got: one range removal instead of a ZREM each.
      if #got > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[4], base, got[#got]) end
      for j = 1, #got, 2 do
        local pid = got[j]
        redis.call('ZADD', KEYS[5], exp, pid)
        redis.call('HSET', KEYS[6], pid, ARGV[4])
        ids[#ids + 1] = pid
        local s = tonumber(got[j + 1]) - base
        if s > nextNo then ranges(laneGone[i], nextNo, s - 1) end
        if hi and s == hi + 1 then
          hi = s
        else
          if lo then ranges(laneAdm[i], lo, hi) end
          lo, hi = s, s
        end
        if s + 1 > nextNo then nextNo = s + 1 end
      end
      if lo then ranges(laneAdm[i], lo, hi) end
      if hi and hi > lserved[i] then
        served = served + hi - lserved[i]
        lserved[i] = hi
        redis.call('HSET', KEYS[8], 'ls:' .. (i - 1), hi)
      end
    end
  end
end

if state == 'open' and verified then
  active = redis.call('ZCARD', KEYS[5])
  for _, v in ipairs(redis.call('HVALS', KEYS[7])) do units = units + (tonumber(v) or 0) end
  local cap = math.min(tonumber(ARGV[3]), math.floor(tokens + 1e-9), tonumber(ARGV[6]) - active,
    math.floor(units * tonumber(ARGV[7]) + 1e-9) - active)
  if cap > 0 and laned then
    popLanes(cap)
  elseif cap > 0 then
    local popped = redis.call('ZPOPMIN', KEYS[4], cap)
    local exp = now + tonumber(ARGV[5])
    local lo, hi, nextNo = nil, nil, prevHi + 1
    for i = 1, #popped, 2 do
      local pid = popped[i]
      redis.call('ZADD', KEYS[5], exp, pid)
      redis.call('HSET', KEYS[6], pid, ARGV[4])
      -- An absent place stays marked: if nobody collects the ticket within the grace period,
      -- the sweep frees the slot (a dead socket must not hold one until the ticket ends).
      ids[#ids + 1] = pid
      local s = tonumber(popped[i + 1])
      if s > served then served = s end
      -- Log ranges: numbers between the last admitted and this one had left the line.
      if s > nextNo then gone[#gone + 1] = string.format('[%d,%d]', nextNo, s - 1) end
      if hi and s == hi + 1 then
        hi = s
      else
        if lo then adm[#adm + 1] = string.format('[%d,%d]', lo, hi) end
        lo, hi = s, s
      end
      if s + 1 > nextNo then nextNo = s + 1 end
    end
    if lo then adm[#adm + 1] = string.format('[%d,%d]', lo, hi) end
  end
end
tokens = tokens - #ids
if tokens < 0 then tokens = 0 end
local len = redis.call('ZCARD', KEYS[4])
if state == 'prequeue' or state == 'scheduled' then
  len = len + redis.call('ZCARD', KEYS[10])
  -- While opening, the numbers written so far (up to `opening`) are already counted in queue.
  local op = redis.call('HGET', KEYS[1], 'opening')
  if op then len = len - redis.call('ZCOUNT', KEYS[4], '-inf', op) end
end
local tail = tonumber(redis.call('GET', KEYS[11]) or '0')
local laneOut, laneLog = {}, {}
if laned then
  tail = 0
  for i = 1, L do
    local lt = tonumber(redis.call('HGET', KEYS[1], 'lseq:' .. (i - 1)) or '0')
    tail = tail + lt
    local ll = redis.call('ZCOUNT', KEYS[4], (i - 1) * SPAN, '(' .. (i * SPAN))
    laneOut[i] = string.format('%d,%d,%d', lserved[i], lt, ll)
    laneLog[i] = string.format('{"id":"%s","adm":[%s],"gone":[%s],"hi":%d}', laneIds[i],
      table.concat(laneAdm[i], ','), table.concat(laneGone[i], ','), lserved[i])
    if #laneGone[i] > 0 then gone[#gone + 1] = '' end
  end
end
local total = redis.call('HINCRBY', KEYS[8], 'admittedTotal', #ids)
local tick = redis.call('HINCRBY', KEYS[8], 'tick', 1)
redis.call('HSET', KEYS[8], 'tokens', tostring(tokens), 'bucketAt', tostring(t), 'at', ARGV[4],
  'served', served, 'len', len, 'tail', tail)
-- One log entry per tick that admitted or skipped anyone, counts slots the storefront handed
-- back (handback Lua), or changed the rate, bucket size or state; idle ticks in between refill the bucket at the logged rate, which `tokp`/`tp` let a
-- verifier replay exactly.
local back = tonumber(b[6] or '0') or 0
if state ~= 'scheduled' and state ~= 'prequeue' and (#ids > 0 or #gone > 0 or back > 0 or b[3] ~= tostring(rate)
    or b[4] ~= tostring(size) or b[5] ~= state) then
  redis.call('RPUSH', KEYS[12], string.format(
    '{"n":%d,"at":%d,"t":%d,"st":"%s","rate":%.17g,"size":%.17g,"tp":%d,"tokp":%.17g,"tok0":%.17g,"tok":%.17g,"act":%d,"max":%d,"units":%d,"ob":%.17g,"adm":[%s],"gone":[%s],"back":%d,"hi":%d',
    tick, now, t, state, rate, size, tp, tokp, tok0, tokens, active, tonumber(ARGV[6]), units, tonumber(ARGV[7]),
    table.concat(adm, ','), laned and '' or table.concat(gone, ','), back, served)
    .. (laned and (',"lanes":[' .. table.concat(laneLog, ',') .. ']') or '') .. '}')
  redis.call('HSET', KEYS[8], 'logRate', tostring(rate), 'logSize', tostring(size), 'logSt', state, 'handback', 0)
end
local out = {#ids, served, len, tail, total, tick, table.concat(laneOut, ';')}
for _, pid in ipairs(ids) do out[#out + 1] = pid end
return out
