-- leave-6.lua: free a place at once (explicit leave). After the start the pre-queue zset is the
-- frozen, published input of the shuffle, so it is only touched before the start.
-- KEYS: 1 event, 2 queue, 3 prequeue, 4 ident, 5 owner, 6 absent
-- ARGV: 1 place id
-- Returns: 1 if the place was waiting (and is now gone), 0 otherwise.
local state = redis.call('HGET', KEYS[1], 'state')
local removed = redis.call('ZREM', KEYS[2], ARGV[1])
if state == 'prequeue' or state == 'scheduled' then
  removed = removed + redis.call('ZREM', KEYS[3], ARGV[1])
end
redis.call('ZREM', KEYS[6], ARGV[1])
local cid = redis.call('HGET', KEYS[5], ARGV[1])
if cid then
  redis.call('HDEL', KEYS[5], ARGV[1])
  if redis.call('HGET', KEYS[4], cid) == ARGV[1] then redis.call('HDEL', KEYS[4], cid) end
end
if removed > 0 then return 1 end
return 0
