-- transition-1.lua: a time-driven state change (scheduled -> prequeue), applied only from the
-- expected state so it never overrides an operator's action.
-- KEYS: 1 event
-- ARGV: 1 expected state, 2 new state
-- Returns: the new event version, or 0 if the state was not the expected one.
if redis.call('HGET', KEYS[1], 'state') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[2])
return redis.call('HINCRBY', KEYS[1], 'version', 1)
