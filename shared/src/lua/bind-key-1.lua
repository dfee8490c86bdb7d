-- Bind a place to the shopper's key (events with bindTickets): the first key a place joins with
-- is kept; every later join of that place must present the same one.
-- KEYS[1] bound hash (placeId -> RFC 7638 thumbprint)
-- ARGV[1] placeId
-- ARGV[2] thumbprint presented by this join
-- returns 1 when the place is bound to ARGV[2] (now or before), 0 when bound to another key
redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  return 1
end
return 0
