-- handback-5.lua: the storefront hands an admitted shopper's slot back (finished or left). The
-- presented ticket must be one the gate issued (its digest recorded); the place leaves
-- `admitted` at once, so the admitter may release the next shopper on its next tick; the ticket
-- can no longer buy; the count waits in `stats` for the next admission-log entry. Idempotent.
-- KEYS: 1 ticket-hash, 2 admitted, 3 used, 4 handback, 5 stats
-- ARGV: 1 jti, 2 sub, 3 SHA-256 of the presented ticket (base64url), 4 now (ms), 5 reason
-- Returns: {freed (1 when a slot was freed now), replay (1 when handed back before)} or -22
--          (a ticket the gate never issued) or -11 (bad arguments).
if ARGV[1] == '' or ARGV[2] == '' or ARGV[3] == '' then return -11 end
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[3] then return -22 end
if redis.call('HEXISTS', KEYS[4], ARGV[1]) == 1 then return {0, 1} end
redis.call('HSET', KEYS[4], ARGV[1], ARGV[4] .. ' ' .. ARGV[5])
-- A ticket that was not used to buy can no longer be: the shopper gave the slot up.
redis.call('HSETNX', KEYS[3], ARGV[1], 'handback')
local freed = redis.call('ZREM', KEYS[2], ARGV[2])
if freed == 1 then redis.call('HINCRBY', KEYS[5], 'handback', 1) end
return {freed, 0}
