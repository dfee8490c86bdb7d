-- resign-1.lua: give up the admitter lease (graceful shutdown), only if still held.
-- KEYS: 1 leader
-- ARGV: 1 id of the holder
-- Returns: 1 if released, 0 if someone else (or nobody) held it.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
