--[[ revoke: an operator revokes a place (or a ticket: its jti is the place id) — at once and
everywhere in Redis. Marks it and its owner's client id revoked (the join guard refuses both, the
purchase script refuses the ticket), takes it out of the line and out of `admitted` (so it is never
admitted, holds no slot, and an admitted place gets no ticket on reconnect or poll).
KEYS[1] event        hash: state
KEYS[2] revoked      hash: placeId / jti / `cid:<clientId>` -> time revoked (ms)
KEYS[3] queue  KEYS[4] prequeue  KEYS[5] absent  KEYS[6] admitted (zsets)
KEYS[7] admitted-at  hash: placeId -> admission time
KEYS[8] ident        hash: clientId -> placeId   KEYS[9] owner  hash: placeId -> clientId
ARGV[1] place id / jti  ARGV[2] now (ms)
Returns {previous revocation time or '', where it was: 'queue' | 'prequeue' | 'admitted' | ''}.
After the start the pre-queue is the frozen, published input of the shuffle: the place keeps its
entry there (its ticket number is removed from `queue`). ]]
local id, now = ARGV[1], ARGV[2]
if id == '' or not tonumber(now) then return redis.error_reply('bad arguments') end
local previous = redis.call('HGET', KEYS[2], id) or ''
redis.call('HSET', KEYS[2], id, now)
local state = redis.call('HGET', KEYS[1], 'state')
local was = ''
if redis.call('ZREM', KEYS[3], id) == 1 then was = 'queue' end
if (state == 'prequeue' or state == 'scheduled') and redis.call('ZREM', KEYS[4], id) == 1 then was = 'prequeue' end
if redis.call('ZREM', KEYS[6], id) == 1 then was = 'admitted' end
if redis.call('HDEL', KEYS[7], id) == 1 then was = 'admitted' end
redis.call('ZREM', KEYS[5], id)
local cid = redis.call('HGET', KEYS[9], id)
if cid then
  redis.call('HSET', KEYS[2], 'cid:' .. cid, now)
  redis.call('HDEL', KEYS[9], id)
  if redis.call('HGET', KEYS[8], cid) == id then redis.call('HDEL', KEYS[8], cid) end
end
return {previous, was}
