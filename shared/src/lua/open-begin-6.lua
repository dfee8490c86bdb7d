-- open-begin-6.lua: the first step of the start of a sale. Freezes the pre-queue (from now on no
-- join, leave or sweep changes it: it is the published input of the shuffle), reserves ticket
-- numbers base+1..base+n for its n members (so a join arriving while the numbers are being
-- written gets n+1.., never one of them) and records the progress the chunks resume from. The
-- event stays `prequeue` (with the `opening` field set) until open-chunk writes the last chunk.
-- Called again by a new leader, it changes nothing and returns the recorded progress.
-- KEYS: 1 event, 2 leader, 3 fence, 4 prequeue, 5 seq, 6 opening
-- ARGV: 1 leader id, 2 fencing token, 3 number of lanes (absent or 0 = no lanes)
-- With lanes (shared/src/lanes) the pre-queue's scores are lane * 2^42 + join time, so lane L's
-- members are one score range and one run of ranks: each lane's count n:L is recorded and its
-- own numbers b:L+1..b:L+n:L reserved (event field lseq:L), base stays 0.
-- Returns: {1, n, base, done, n:0, n:1, ...}; {-1} not the leader; {0} the event is no longer
--   waiting to open.
if redis.call('GET', KEYS[2]) ~= ARGV[1] or redis.call('GET', KEYS[3]) ~= ARGV[2] then return {-1} end
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'prequeue' and state ~= 'scheduled' then return {0} end
local p = redis.call('HMGET', KEYS[6], 'n', 'base', 'done')
local L = tonumber(ARGV[3] or '0') or 0
local PSPAN = 4398046511104
local function counts(out)
  for i = 0, L - 1 do out[#out + 1] = tonumber(redis.call('HGET', KEYS[6], 'n:' .. i) or '0') end
  return out
end
if p[1] then return counts({1, tonumber(p[1]), tonumber(p[2]), tonumber(p[3])}) end
local n = redis.call('ZCARD', KEYS[4])
if L > 0 then
  for i = 0, L - 1 do
    local ni = redis.call('ZCOUNT', KEYS[4], i * PSPAN, '(' .. ((i + 1) * PSPAN))
    local bi = tonumber(redis.call('HGET', KEYS[1], 'lseq:' .. i) or '0')
    redis.call('HSET', KEYS[1], 'lseq:' .. i, bi + ni)
    redis.call('HSET', KEYS[6], 'n:' .. i, ni, 'b:' .. i, bi)
  end
  redis.call('HSET', KEYS[6], 'n', n, 'base', 0, 'done', 0, 'lanes', L)
  -- `opening` bounds the numbers already counted in `queue` (admit-12): none of a laned sale's.
  redis.call('HSET', KEYS[1], 'opening', -1)
  return counts({1, n, 0, 0})
end
local base = tonumber(redis.call('GET', KEYS[5]) or '0')
redis.call('SET', KEYS[5], base + n)
redis.call('HSET', KEYS[6], 'n', n, 'base', base, 'done', 0)
redis.call('HSET', KEYS[1], 'opening', base + n)
return {1, n, base, 0}
