--[[ finalize: close one reservation. Idempotent: only the call that finds the reservation acts.
KEYS[1] event         hash: state, version
KEYS[2] stock         hash: sku -> units left
KEYS[3] bought        hash: sub -> units held or bought
KEYS[4] reservations  zset: orderId -> expiry (ms)
KEYS[5] reservation   hash: orderId -> JSON {sku, qty, jti, sub, at, price}
KEYS[6] voided        set: orderIds closed by the sweeper without an order
KEYS[7] admitted      zset: placeId -> ticket expiry (the gate's capacity)
KEYS[8] stats         hash: ordersConfirmed, ordersFailed, ordersExpired
ARGV[1] orderId
ARGV[2] outcome: 'confirmed' (order written as confirmed: units stay sold),
        'failed' (declined / failed: units back to stock),
        'void' (sweeper, no order written: units back, orderId into voided; only once expired)
ARGV[3] now (ms)
Returns {result, reopenedVersion}:
  result 'done'    this call closed the reservation
         'voided'  already voided by the sweeper (a 'confirmed' order must be marked failed)
         'gone'    already closed by an earlier call (redelivered job)
         'live'    outcome 'void' but the reservation has not expired: left alone
  reopenedVersion > 0 when units came back to a soldout event and state went back to open. ]]
local orderId, outcome, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
if orderId == '' or not now or (outcome ~= 'confirmed' and outcome ~= 'failed' and outcome ~= 'void') then
  return redis.error_reply('finalize: bad arguments')
end
local raw = redis.call('HGET', KEYS[5], orderId)
if not raw then
  if redis.call('SISMEMBER', KEYS[6], orderId) == 1 then return {'voided', 0} end
  return {'gone', 0}
end
if outcome == 'void' then
  local expiry = tonumber(redis.call('ZSCORE', KEYS[4], orderId) or '0')
  if expiry > now then return {'live', 0} end
end
local rec = cjson.decode(raw)

redis.call('HDEL', KEYS[5], orderId)
redis.call('ZREM', KEYS[4], orderId)
-- The shopper is done either way: free the admission slot so the gate can let the next one in.
redis.call('ZREM', KEYS[7], rec.sub)

local reopened = 0
if outcome == 'confirmed' then
  redis.call('HINCRBY', KEYS[8], 'ordersConfirmed', 1)
else
  redis.call('HINCRBY', KEYS[2], rec.sku, rec.qty)
  if tonumber(redis.call('HINCRBY', KEYS[3], rec.sub, -rec.qty)) <= 0 then redis.call('HDEL', KEYS[3], rec.sub) end
  if outcome == 'void' then
    redis.call('SADD', KEYS[6], orderId)
    redis.call('HINCRBY', KEYS[8], 'ordersExpired', 1)
  else
    redis.call('HINCRBY', KEYS[8], 'ordersFailed', 1)
  end
  if redis.call('HGET', KEYS[1], 'state') == 'soldout' then
    redis.call('HSET', KEYS[1], 'state', 'open')
    reopened = redis.call('HINCRBY', KEYS[1], 'version', 1)
  end
end
return {'done', reopened}
