-- Add `delta` units of one product to the live stock, refusing to go below zero.
-- KEYS[1]  stock hash (sku -> units left)
-- ARGV[1]  sku
-- ARGV[2]  delta (integer, may be negative)
-- returns  units left after the change, or
--          -1  unknown sku (no such field)
--          -2  the change would leave fewer than 0 units
local left = redis.call('HGET', KEYS[1], ARGV[1])
if not left then return -1 end
local after = tonumber(left) + tonumber(ARGV[2])
if after < 0 then return -2 end
return redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
