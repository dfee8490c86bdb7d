-- sweep-8.lua: drop places whose socket has been gone longer than the grace period. A place
-- admitted while it was away (or whose gate process died) and still away at the end of the
-- grace period never got its ticket: its capacity slot is freed and it is dropped. An admitted
-- place that collects its ticket (socket or poll) is un-marked by the join script, so a shopper
-- who has the ticket keeps the slot until the ticket ends.
-- KEYS: 1 event, 2 queue, 3 prequeue, 4 ident, 5 owner, 6 absent, 7 admitted-at, 8 admitted
-- ARGV: 1 cutoff (ms: absent since before this), 2 most places handled in one call
-- Returns: number of places dropped (from the line, or admitted without a ticket collected).
local state = redis.call('HGET', KEYS[1], 'state')
-- While the start is being written the pre-queue is frozen: drop nobody until it is open.
if redis.call('HEXISTS', KEYS[1], 'opening') == 1 then return 0 end
local early = state == 'prequeue' or state == 'scheduled'
local ids = redis.call('ZRANGEBYSCORE', KEYS[6], '-inf', '(' .. ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local dropped = 0
for _, pid in ipairs(ids) do
  redis.call('ZREM', KEYS[6], pid)
  local n
  if redis.call('HDEL', KEYS[7], pid) == 1 then
    n = redis.call('ZREM', KEYS[8], pid)
  else
    n = redis.call('ZREM', KEYS[2], pid)
    if early then n = n + redis.call('ZREM', KEYS[3], pid) end
  end
  local cid = redis.call('HGET', KEYS[5], pid)
  if cid then
    redis.call('HDEL', KEYS[5], pid)
    if redis.call('HGET', KEYS[4], cid) == pid then redis.call('HDEL', KEYS[4], cid) end
  end
  if n > 0 then dropped = dropped + 1 end
end
return dropped
