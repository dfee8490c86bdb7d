-- leave-6.lua: free a place at once (explicit leave). After the start the pre-queue zset is the
-- frozen, published input of the shuffle, so it is only touched before the start (and not while
-- the start is being written).
-- KEYS: 1 event, 2 queue, 3 prequeue, 4 ident, 5 owner, 6 absent
-- ARGV: 1 place id
-- Returns: 1 if the place was waiting (and is now gone), 0 otherwise.
local state = redis.call('HGET', KEYS[1], 'state')
local early = state == 'prequeue' or state == 'scheduled'
local opening = early and redis.call('HEXISTS', KEYS[1], 'opening') == 1
local removed = redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[6], ARGV[1])
if opening then
  -- The pre-queue is frozen while its numbers are written: a member not numbered yet is marked
  -- absent since 0, so the first sweep after the start drops the number it is about to get.
  if removed == 0 and redis.call('ZSCORE', KEYS[3], ARGV[1]) then
    redis.call('ZADD', KEYS[6], 0, ARGV[1])
    removed = 1
  end
elseif early then
  removed = removed + redis.call('ZREM', KEYS[3], ARGV[1])
end
local cid = redis.call('HGET', KEYS[5], ARGV[1])
if cid then
  redis.call('HDEL', KEYS[5], ARGV[1])
  if redis.call('HGET', KEYS[4], cid) == ARGV[1] then redis.call('HDEL', KEYS[4], cid) end
end
if removed > 0 then return 1 end
return 0
