-- lease-2.lua: acquire or renew the admitter lease of one event. A new leader gets a new,
-- higher fencing token; the admit script refuses calls that carry a stale one.
-- KEYS: 1 leader, 2 fence
-- ARGV: 1 candidate id, 2 lease (ms)
-- Returns: the fencing token (> 0) when the candidate holds the lease, 0 otherwise.
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return tonumber(redis.call('GET', KEYS[2]) or '0')
end
if cur then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return redis.call('INCR', KEYS[2])
