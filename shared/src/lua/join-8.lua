-- join-8.lua: join the line, or resume a place (named by a verified place token, or found
-- through the browser's client id). One place per client id and event.
-- KEYS: 1 event, 2 queue, 3 prequeue, 4 seq, 5 ident, 6 owner, 7 absent, 8 admitted-at
-- ARGV: 1 new place id, 2 client id ('' = none), 3 place id from a token ('' = none), 4 now (ms)
-- A join while the sale is opening (event field `opening` set) goes into the line after the
-- frozen pre-queue.
-- Returns: {1, placeId, phase, score ('' in the pre-queue), resumed (0|1), admittedAt ('' unless
--   admitted)} or {code}: -2 unknown event, -3 not open yet, -4 closed, -5 sold out, -9 place gone,
--   -33 the client id names an admitted place: only its place token may resume it (the ticket).
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {-2} end
local early = state == 'prequeue' or state == 'scheduled'
-- While the start is being written (open-begin .. last open-chunk) the pre-queue is frozen and
-- its numbers reserved: a new shopper gets the next number after them.
local opening = early and redis.call('HEXISTS', KEYS[1], 'opening') == 1

local function find(pid)
  local at = redis.call('HGET', KEYS[8], pid)
  if at then return 'admitted', '', at end
  local s = redis.call('ZSCORE', KEYS[2], pid)
  if s then return 'queue', s, '' end
  if early and redis.call('ZSCORE', KEYS[3], pid) then return 'prequeue', '', '' end
  return nil, '', ''
end

local byToken = ARGV[3] ~= ''
local resume = ARGV[3]
if not byToken and ARGV[2] ~= '' then resume = redis.call('HGET', KEYS[5], ARGV[2]) or '' end
if resume ~= '' then
  local phase, score, at = find(resume)
  if phase == 'admitted' then
    if not byToken then return {-33} end
    redis.call('ZREM', KEYS[7], resume)
    return {1, resume, phase, score, 1, at}
  end
  if phase then
    if state == 'soldout' then return {-5} end
    if state == 'closed' then return {-4} end
    redis.call('ZREM', KEYS[7], resume)
    return {1, resume, phase, score, 1, ''}
  end
  if byToken then return {-9} end
  -- The client id pointed at a place that was dropped: forget it and join afresh.
  redis.call('HDEL', KEYS[5], ARGV[2])
  redis.call('HDEL', KEYS[6], resume)
end

if state == 'soldout' then return {-5} end
if state == 'closed' then return {-4} end
if state == 'scheduled' then return {-3} end

local pid = ARGV[1]
local phase, score
if early and not opening then
  redis.call('ZADD', KEYS[3], ARGV[4], pid)
  phase, score = 'prequeue', ''
else
  score = redis.call('INCR', KEYS[4])
  redis.call('ZADD', KEYS[2], score, pid)
  phase, score = 'queue', tostring(score)
end
if ARGV[2] ~= '' then
  redis.call('HSET', KEYS[5], ARGV[2], pid)
  redis.call('HSET', KEYS[6], pid, ARGV[2])
end
return {1, pid, phase, score, 0, ''}
