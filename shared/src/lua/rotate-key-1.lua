--[[ rotate-key: make a new signing key current and retire the previous one in one step, so two
rotations at once cannot both read the same "current" and leave a key unpublished.
KEYS[1] keys hash: kid -> public key record JSON, `current` -> kid
ARGV[1] new kid  ARGV[2] its public record (JSON)  ARGV[3] now (ms)  ARGV[4] publish the retired
key until (ms)
Returns the previous current kid ('' when there was none); a private key left in the old record
(written before they were sealed apart) is removed. Records whose publishUntil has passed
are dropped (a handful of keys at most: one per rotation within the longest ticket lifetime). ]]
local now, untilMs = tonumber(ARGV[3]), tonumber(ARGV[4])
if not now or not untilMs or ARGV[1] == '' or ARGV[1] == 'current' then return redis.error_reply('bad arguments') end
local prev = redis.call('HGET', KEYS[1], 'current') or ''
if prev ~= '' then
  local raw = redis.call('HGET', KEYS[1], prev)
  if raw then
    local rec = cjson.decode(raw)
    rec.retiredAt = now
    rec.publishUntil = untilMs
    -- Records written before private keys moved to `signing-keys` carried them in clear.
    rec.privateJwk = nil
    redis.call('HSET', KEYS[1], prev, cjson.encode(rec))
  end
end
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local f = all[i]
  if f ~= 'current' and f ~= prev then
    local ok, rec = pcall(cjson.decode, all[i + 1])
    if ok and type(rec) == 'table' and type(rec.publishUntil) == 'number' and rec.publishUntil < now then
      redis.call('HDEL', KEYS[1], f)
    end
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], 'current', ARGV[1])
return prev
