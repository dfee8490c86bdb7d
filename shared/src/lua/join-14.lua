--[[ join-14: join the line, or resume a place (named by a verified place token, or found through
the browser's client id), in one call with everything a public join must pass first (the guard):
the per-address join rate, revocation of the place / client id, single use of the proof-of-work
challenge and the cap of live places per client address, counted over every gate process.
One place per client id and event.
KEYS[1] event  KEYS[2] queue  KEYS[3] prequeue  KEYS[4] seq  KEYS[5] ident (clientId -> placeId)
KEYS[6] owner (placeId -> clientId)  KEYS[7] absent  KEYS[8] admitted-at
KEYS[9] joins-by-ip  hash: w -> start of the current window (ms), n -> joins in it (all
        addresses), pn -> joins in the window before, a:<address> -> joins in it
KEYS[10] pow-used    zset: challenge id -> its expiry (ms): challenges already spent
KEYS[11] places-of   zset (this address): placeId -> 0 (a place created from this address)
KEYS[12] admitted    zset: placeId -> ticket expiry   KEYS[13] revoked  hash: placeId / `cid:<cid>`
KEYS[14] codes       hash: lane access credentials (shared/src/keys.ts)
ARGV[1] new place id ('' with ARGV[3] '' too: count the attempt only, join nothing)
ARGV[2] client id ('' = none)  ARGV[3] place id from a verified token ('' = none)  ARGV[4] now (ms)
ARGV[5] client address key ('' or absent = no guard: trusted internal callers only, e.g. the
  place poll resuming a verified token, pre-queue fills in tests and the bench)
ARGV[6] window (ms, >= 1)  ARGV[7] joins allowed per address per window  ARGV[8] challenge id
  ('' = none)  ARGV[9] challenge expiry (ms)  ARGV[10] live places allowed per address
ARGV[11] lane index ('' or absent = an event without lanes)  ARGV[12] '1' when a new place in
  this lane needs a credential  ARGV[13] the credential's field in `codes` ('c:<hmac>' an access
  code, 'j:<sha256 of jti>' a verified invite token; '' = none)
Lanes (shared/src/lanes): a new place in lane L gets score L * 2^40 + (event field lseq:L + 1) in
the line, or L * 2^42 + now in the pre-queue (each lane is one score range there too). A
credential is spent only when a new place is made: an access code must be on record for this lane
and unused; an invite's jti must not be on record. Spent ones are counted per lane (codes fields
~u:L, ~j:L), refused ones too (~x:L), all refused with the same answer (-40).
A join while the sale is opening (event field `opening` set) goes into the line after the frozen
pre-queue.
Returns {code, placeId, phase, score ('' in the pre-queue), resumed (0|1), admittedAt ('' unless
  admitted), n, pn, w}: code 1 = joined (placeId '' when only counted); guard refusals -30 over the
  join rate, -31 challenge already used, -32 too many live places from this address, -10 revoked,
  -11 bad arguments; join refusals -2 unknown event, -3 not open yet, -4 closed, -5 sold out,
  -9 place gone, -33 the client id names an admitted place: only its place token may resume it,
  -40 the lane needs a credential and this one is missing, unknown, used, revoked or for another
  lane (one answer for all: no oracle for which codes exist). 10th: the place's lane index ('' when
  unknown: admitted, or no lanes).
  n/pn/w (guarded calls) let the gate estimate the event's joins per second.
Bounded: places-of is scanned only when it holds the cap (then pruned to the live ones), so it
never holds more than the cap; spent challenges are pruned 100 at a time. ]]
local now = tonumber(ARGV[4])
local guarded = ARGV[5] ~= nil and ARGV[5] ~= ''
-- Run by join-batch-n.lua, ARGV.ctx is shared by the joins of one call: what they would each read
-- again and only this script writes (the event's state, the current join window, TTLs already
-- set) is read once. A separate call has none and reads everything.
local ctx = ARGV.ctx
local n, pn, start = 0, 0, 0
local function reply(code) return {code, '', '', '', 0, '', n, pn, start, ''} end
if not now then return reply(-11) end

local cid, byToken = ARGV[2], ARGV[3] ~= ''
local owned = false -- the place the client id owns (guarded calls read it once here)
local cap
if guarded then
  local window, limit = tonumber(ARGV[6]), tonumber(ARGV[7])
  cap = tonumber(ARGV[10])
  if not window or window < 1 or not limit or not cap then return reply(-11) end
  start = now - (now % window)
  if ctx and ctx.w == start then
    pn = ctx.pn
  else
    local w = redis.call('HMGET', KEYS[9], 'w', 'n', 'pn')
    if tonumber(w[1] or '-1') ~= start then
      if tonumber(w[1] or '-1') == start - window then pn = tonumber(w[2] or '0') end
      redis.call('DEL', KEYS[9])
      redis.call('HSET', KEYS[9], 'w', start, 'pn', pn)
      redis.call('PEXPIREAT', KEYS[9], start + 2 * window)
    else
      pn = tonumber(w[3] or '0')
    end
    if ctx then ctx.w, ctx.pn = start, pn end
  end
  n = redis.call('HINCRBY', KEYS[9], 'n', 1)
  if redis.call('HINCRBY', KEYS[9], 'a:' .. ARGV[5], 1) > limit then return reply(-30) end
  if byToken and redis.call('HEXISTS', KEYS[13], ARGV[3]) == 1 then return reply(-10) end
  if cid ~= '' then
    if redis.call('HEXISTS', KEYS[13], 'cid:' .. cid) == 1 then return reply(-10) end
    owned = redis.call('HGET', KEYS[5], cid)
    if owned and redis.call('HEXISTS', KEYS[13], owned) == 1 then return reply(-10) end
  end
  if ARGV[1] == '' and not byToken then return reply(1) end
end

local state = ctx and ctx.state or redis.call('HGET', KEYS[1], 'state')
if not state then return reply(-2) end
local early = state == 'prequeue' or state == 'scheduled'
-- While the start is being written (open-begin .. last open-chunk) the pre-queue is frozen and
-- its numbers reserved: a new shopper gets the next number after them.
local opening
if ctx and ctx.state then
  opening = ctx.opening
else
  opening = early and redis.call('HEXISTS', KEYS[1], 'opening') == 1
  if ctx then ctx.state, ctx.opening = state, opening end
end

local laned = ARGV[11] ~= nil and ARGV[11] ~= ''
local SPAN, PSPAN = 1099511627776, 4398046511104
local function laneOf(score, span)
  if not laned then return '' end
  return tostring(math.floor(tonumber(score) / span))
end

local function find(pid)
  local at = redis.call('HGET', KEYS[8], pid)
  if at then return 'admitted', '', at, '' end
  local s = redis.call('ZSCORE', KEYS[2], pid)
  if s then return 'queue', s, '', laneOf(s, SPAN) end
  if early then
    local p = redis.call('ZSCORE', KEYS[3], pid)
    if p then return 'prequeue', '', '', laneOf(p, PSPAN) end
  end
  return nil, '', '', ''
end
local function joined(pid, phase, score, resumed, at, lane) return {1, pid, phase, score, resumed, at, n, pn, start, lane} end

local resume = ARGV[3]
if not byToken and cid ~= '' then
  if guarded then resume = owned or '' else resume = redis.call('HGET', KEYS[5], cid) or '' end
end
if resume ~= '' then
  local phase, score, at, lane = find(resume)
  if phase == 'admitted' then
    if not byToken then return reply(-33) end
    redis.call('ZREM', KEYS[7], resume)
    return joined(resume, phase, score, 1, at, lane)
  end
  if phase then
    if state == 'soldout' then return reply(-5) end
    if state == 'closed' then return reply(-4) end
    redis.call('ZREM', KEYS[7], resume)
    return joined(resume, phase, score, 1, '', lane)
  end
  if byToken then return reply(-9) end
  -- The client id pointed at a place that was dropped: forget it and join afresh.
  redis.call('HDEL', KEYS[5], cid)
  redis.call('HDEL', KEYS[6], resume)
end

local pid = ARGV[1]
if guarded then
  -- A new place: the proof of work is spent and the address's live places are capped.
  if ARGV[8] ~= '' then
    if redis.call('ZSCORE', KEYS[10], ARGV[8]) then return reply(-31) end
    local old = redis.call('ZRANGEBYSCORE', KEYS[10], '-inf', now, 'LIMIT', 0, 100)
    if #old > 0 then redis.call('ZREM', KEYS[10], unpack(old)) end
  end
  -- Fewer members than the cap: fewer live places than the cap, nothing to count.
  if redis.call('ZCARD', KEYS[11]) >= cap then
    local count = 0
    for _, p in ipairs(redis.call('ZRANGE', KEYS[11], 0, -1)) do
      if redis.call('ZSCORE', KEYS[2], p) or redis.call('ZSCORE', KEYS[3], p) then
        count = count + 1
      else
        local exp = redis.call('ZSCORE', KEYS[12], p)
        if exp and tonumber(exp) > now then count = count + 1 else redis.call('ZREM', KEYS[11], p) end
      end
    end
    if ctx then ctx.ttl[KEYS[11]] = nil end
    if count >= cap then return reply(-32) end
  end
  if ARGV[8] ~= '' then
    redis.call('ZADD', KEYS[10], tonumber(ARGV[9]) or now, ARGV[8])
    redis.call('PEXPIRE', KEYS[10], 600000) -- longer than any challenge lives (CHALLENGE_TTL_MS)
  end
end

if state == 'soldout' then return reply(-5) end
if state == 'closed' then return reply(-4) end
if state == 'scheduled' then return reply(-3) end

-- The lane's credential, checked before this script's first write for the place.
local lane = laned and tonumber(ARGV[11]) or 0
local cred = ARGV[13] or ''
if laned and ARGV[12] == '1' then
  local kind, ok = string.sub(cred, 1, 2), false
  if kind == 'c:' then
    ok = redis.call('HGET', KEYS[14], cred) == tostring(lane)
  elseif kind == 'j:' then
    ok = redis.call('HEXISTS', KEYS[14], cred) == 0
  end
  if not ok then
    redis.call('HINCRBY', KEYS[14], '~x:' .. lane, 1)
    return reply(-40)
  end
  local spent = lane .. ' ' .. pid .. ' ' .. ARGV[4]
  if kind == 'c:' then
    redis.call('HSET', KEYS[14], cred, 'u ' .. spent)
    redis.call('HINCRBY', KEYS[14], '~u:' .. lane, 1)
  else
    redis.call('HSET', KEYS[14], cred, spent)
    redis.call('HINCRBY', KEYS[14], '~j:' .. lane, 1)
  end
end

local phase, score
if early and not opening then
  redis.call('ZADD', KEYS[3], laned and (lane * PSPAN + now) or now, pid)
  phase, score = 'prequeue', ''
elseif laned then
  score = lane * SPAN + redis.call('HINCRBY', KEYS[1], 'lseq:' .. lane, 1)
  redis.call('ZADD', KEYS[2], score, pid)
  phase, score = 'queue', string.format('%d', score)
else
  score = redis.call('INCR', KEYS[4])
  redis.call('ZADD', KEYS[2], score, pid)
  phase, score = 'queue', tostring(score)
end
if cid ~= '' then
  redis.call('HSET', KEYS[5], cid, pid)
  redis.call('HSET', KEYS[6], pid, cid)
end
if guarded then
  -- A set emptied by the prune above is created again here, without a TTL: set it again.
  if redis.call('ZADD', KEYS[11], 0, pid) == 1 and not (ctx and ctx.ttl[KEYS[11]]) then
    redis.call('PEXPIRE', KEYS[11], 86400000)
    if ctx then ctx.ttl[KEYS[11]] = true end
  end
end
return joined(pid, phase, score, 0, '', laned and tostring(lane) or '')
