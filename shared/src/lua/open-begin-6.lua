-- open-begin-6.lua: the first step of the start of a sale. Freezes the pre-queue (from now on no
-- join, leave or sweep changes it: it is the published input of the shuffle), reserves ticket
-- numbers base+1..base+n for its n members (so a join arriving while the numbers are being
-- written gets n+1.., never one of them) and records the progress the chunks resume from. The
-- event stays `prequeue` (with the `opening` field set) until open-chunk writes the last chunk.
-- Called again by a new leader, it changes nothing and returns the recorded progress.
-- KEYS: 1 event, 2 leader, 3 fence, 4 prequeue, 5 seq, 6 opening
-- ARGV: 1 leader id, 2 fencing token
-- Returns: {1, n, base, done}; {-1} not the leader; {0} the event is no longer waiting to open.
if redis.call('GET', KEYS[2]) ~= ARGV[1] or redis.call('GET', KEYS[3]) ~= ARGV[2] then return {-1} end
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'prequeue' and state ~= 'scheduled' then return {0} end
local p = redis.call('HMGET', KEYS[6], 'n', 'base', 'done')
if p[1] then return {1, tonumber(p[1]), tonumber(p[2]), tonumber(p[3])} end
local n = redis.call('ZCARD', KEYS[4])
local base = tonumber(redis.call('GET', KEYS[5]) or '0')
redis.call('SET', KEYS[5], base + n)
redis.call('HSET', KEYS[6], 'n', n, 'base', base, 'done', 0)
redis.call('HSET', KEYS[1], 'opening', base + n)
return {1, n, base, 0}
