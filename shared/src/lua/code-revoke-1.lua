-- code-revoke-1.lua: revoke unused access codes of one lane. A code that is unknown, already
-- used or of another lane is left as it is (and not counted); a join with a revoked code is
-- refused like any other (join-14.lua).
-- KEYS: 1 codes
-- ARGV: 1 lane index, 2.. `c:<hmac>` fields (at most 1,000 per call)
-- Returns: the number of codes revoked. Counted in ~r:<lane>.
local lane = ARGV[1]
if not tonumber(lane) or #ARGV > 1001 then return -11 end
local revoked = 0
for i = 2, #ARGV do
  if redis.call('HGET', KEYS[1], ARGV[i]) == lane then
    redis.call('HSET', KEYS[1], ARGV[i], 'r ' .. lane)
    revoked = revoked + 1
  end
end
redis.call('HINCRBY', KEYS[1], '~r:' .. lane, revoked)
return revoked
