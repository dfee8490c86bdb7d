--[[ withdraw-key: an emergency withdrawal of a leaked signing key. Its public record stops being
published at once (publishUntil = now) and is marked withdrawn, so gates drop it from the JWKS on
their reload and verifiers that refresh stop accepting its tickets. The current key cannot be
withdrawn here: rotate first (withdrawKey in keyring.ts does both).
KEYS[1] keys hash: kid -> public key record JSON, `current` -> kid
ARGV[1] kid  ARGV[2] now (ms)
Returns 1 when withdrawn, 0 when there is no such key, -40 when it is the current key. ]]
local now = tonumber(ARGV[2])
if not now or ARGV[1] == '' or ARGV[1] == 'current' then return redis.error_reply('bad arguments') end
if redis.call('HGET', KEYS[1], 'current') == ARGV[1] then return -40 end
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local rec = cjson.decode(raw)
rec.publishUntil = now
rec.withdrawnAt = now
if rec.retiredAt == cjson.null or rec.retiredAt == nil then rec.retiredAt = now end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(rec))
return 1
