--[[ join-limit: count one join from a client address in a fixed window, over every gate process.
KEYS[1] joins-by-ip  hash: w -> start of the current window (ms), a:<address> -> joins in it
ARGV[1] client address  ARGV[2] now (ms)  ARGV[3] window (ms, >= 1)
Returns the number of joins from that address in the current window, this one included (the
caller compares it with its limit). A new window starts the hash afresh; the hash expires two
windows after its window began, so nothing outlives the sale. ]]
local now, window = tonumber(ARGV[2]), tonumber(ARGV[3])
if not now or not window or window < 1 or ARGV[1] == '' then return -11 end
local start = now - (now % window)
if tonumber(redis.call('HGET', KEYS[1], 'w') or '-1') ~= start then
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'w', start)
  redis.call('PEXPIREAT', KEYS[1], start + 2 * window)
end
return redis.call('HINCRBY', KEYS[1], 'a:' .. ARGV[1], 1)
