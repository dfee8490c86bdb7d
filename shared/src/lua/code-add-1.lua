-- code-add-1.lua: record single-use access codes of one lane (already hashed by the caller with
-- the event's salt, shared/src/lanes/credentials.ts). A code already on record, in any lane or
-- state, is left as it is (a re-upload never revives a used or revoked code).
-- KEYS: 1 codes
-- ARGV: 1 lane index, 2.. `c:<hmac>` fields (at most 1,000 per call)
-- Returns: the number of codes added (the rest were already on record). Counted in ~n:<lane>.
local lane = ARGV[1]
if not tonumber(lane) or #ARGV > 1001 then return -11 end
local added = 0
for i = 2, #ARGV do
  if string.sub(ARGV[i], 1, 2) ~= 'c:' then return -11 end
end
for i = 2, #ARGV do
  added = added + redis.call('HSETNX', KEYS[1], ARGV[i], lane)
end
redis.call('HINCRBY', KEYS[1], '~n:' .. lane, added)
return added
