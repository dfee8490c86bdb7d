-- reap-4.lua: a gate process stopped sending its heartbeat (killed, frozen): mark the places it
-- held absent, a batch per call, so the sweep drops them after the grace period unless they
-- reconnect elsewhere (the new gate un-marks them). Marked as absent since the last heartbeat.
-- A place admitted before that heartbeat was handed its ticket by the live gate and is left
-- alone; one admitted after it could not have been: it is marked too (its slot is freed by the
-- sweep if nobody collects the ticket).
-- KEYS: 1 presence (zset gate -> last heartbeat ms), 2 places held by that gate (set), 3 absent,
--       4 admitted-at
-- ARGV: 1 gate id, 2 cutoff (a heartbeat older than this has lapsed), 3 most places per call
-- A place now held by a live gate (its shopper reconnected there, whose join un-marked it) is
-- left alone too: marking it again would drop a connected shopper after the grace period. The
-- held sets of the live gates are `KEYS[1] .. ':' .. gate` (keys.ts heldKey), on this slot.
-- Returns: {marked, left}: places marked absent by this call and places still to go;
--   {-1, 0} when the gate is alive (heartbeat after the cutoff) or already reaped.
local hb = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not hb or tonumber(hb) >= tonumber(ARGV[2]) then return {-1, 0} end
local ids = redis.call('SPOP', KEYS[2], tonumber(ARGV[3]))
-- Live gates: at most a few dozen processes hold sockets of one event.
local alive = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[2], '+inf', 'LIMIT', 0, 256)
local marked = 0
for _, pid in ipairs(ids) do
  local at = redis.call('HGET', KEYS[4], pid)
  if not at or tonumber(at) >= tonumber(hb) then
    local held = false
    for _, g in ipairs(alive) do
      if redis.call('SISMEMBER', KEYS[1] .. ':' .. g, pid) == 1 then
        held = true
        break
      end
    end
    if not held then marked = marked + redis.call('ZADD', KEYS[3], 'NX', hb, pid) end
  end
end
local left = redis.call('SCARD', KEYS[2])
if left == 0 then redis.call('ZREM', KEYS[1], ARGV[1]) end
return {marked, left}
