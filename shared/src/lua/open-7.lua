-- open-7.lua: the start of the sale. Gives the pre-queue its ticket numbers in the shuffled
-- order computed by the leader (SHA-256 of seed:placeId, see shared/src/events/shuffle.ts),
-- reveals the seed and sets the state to open. The pre-queue zset is kept, frozen, as the
-- published input of the shuffle.
-- KEYS: 1 event, 2 leader, 3 fence, 4 prequeue, 5 queue, 6 seq, 7 seed
-- ARGV: 1 leader id, 2 fencing token, 3.. place ids in shuffled order
-- Returns: the new event version; -1 not the leader; -12 the pre-queue changed (recompute);
--   0 the event is no longer waiting to open.
if redis.call('GET', KEYS[2]) ~= ARGV[1] or redis.call('GET', KEYS[3]) ~= ARGV[2] then return -1 end
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'prequeue' and state ~= 'scheduled' then return 0 end
local n = #ARGV - 2
if redis.call('ZCARD', KEYS[4]) ~= n then return -12 end
for i = 3, #ARGV do
  if not redis.call('ZSCORE', KEYS[4], ARGV[i]) then return -12 end
end
local base = tonumber(redis.call('GET', KEYS[6]) or '0')
for i = 3, #ARGV do
  redis.call('ZADD', KEYS[5], base + i - 2, ARGV[i])
end
redis.call('SET', KEYS[6], base + n)
local seed = redis.call('GET', KEYS[7]) or ''
redis.call('HSET', KEYS[1], 'state', 'open', 'seed', seed)
return redis.call('HINCRBY', KEYS[1], 'version', 1)
