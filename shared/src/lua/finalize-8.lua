--[[ finalize: close reservations, up to 500 per call. Idempotent: only the call that finds a
reservation acts on it.
KEYS[1] event         hash: state, version
KEYS[2] stock         hash: sku -> units left
KEYS[3] bought        hash: sub -> units held or bought
KEYS[4] reservations  zset: orderId -> expiry (ms)
KEYS[5] reservation   hash: orderId -> JSON {sku, qty, jti, sub, at, price}
KEYS[6] voided        set: orderIds closed by the sweeper without an order
KEYS[7] admitted      zset: placeId -> ticket expiry (the gate's capacity)
KEYS[8] stats         hash: ordersConfirmed, ordersFailed, ordersExpired
ARGV[1] now (ms)
ARGV[2k], ARGV[2k+1] (k >= 1): orderId, outcome: 'confirmed' (order written as confirmed: units
        stay sold), 'failed' (declined / failed: units back to stock), 'void' (sweeper, no order
        written: units back, orderId into voided; only once expired)
Returns {result_1, ..., result_n, reopenedVersion}, result_k for the k-th order:
  'done'    this call closed the reservation
  'voided'  already voided by the sweeper (a 'confirmed' order must be marked failed)
  'gone'    already closed by an earlier call (redelivered order)
  'live'    outcome 'void' but the reservation has not expired: left alone
  reopenedVersion > 0 when units came back to a soldout event and state went back to open.
Every argument is checked before the first write. ]]
local now = tonumber(ARGV[1])
local n = (#ARGV - 1) / 2
if not now or n < 1 or n > 500 or n % 1 ~= 0 then return redis.error_reply('finalize: bad arguments') end
for k = 1, n do
  local orderId, outcome = ARGV[2 * k], ARGV[2 * k + 1]
  if orderId == '' or (outcome ~= 'confirmed' and outcome ~= 'failed' and outcome ~= 'void') then
    return redis.error_reply('finalize: bad arguments')
  end
end

local out = {}
local unitsBack = false
local confirmed, failed, expired = 0, 0, 0
for k = 1, n do
  local orderId, outcome = ARGV[2 * k], ARGV[2 * k + 1]
  local raw = redis.call('HGET', KEYS[5], orderId)
  local result = 'done'
  if not raw then
    if redis.call('SISMEMBER', KEYS[6], orderId) == 1 then result = 'voided' else result = 'gone' end
  elseif outcome == 'void' and tonumber(redis.call('ZSCORE', KEYS[4], orderId) or '0') > now then
    result = 'live'
  else
    local rec = cjson.decode(raw)
    redis.call('HDEL', KEYS[5], orderId)
    redis.call('ZREM', KEYS[4], orderId)
    -- The shopper is done either way: free the admission slot so the gate can let the next one in.
    redis.call('ZREM', KEYS[7], rec.sub)
    if outcome == 'confirmed' then
      confirmed = confirmed + 1
    else
      redis.call('HINCRBY', KEYS[2], rec.sku, rec.qty)
      if tonumber(redis.call('HINCRBY', KEYS[3], rec.sub, -rec.qty)) <= 0 then redis.call('HDEL', KEYS[3], rec.sub) end
      unitsBack = true
      if outcome == 'void' then
        redis.call('SADD', KEYS[6], orderId)
        expired = expired + 1
      else
        failed = failed + 1
      end
    end
  end
  out[k] = result
end
if confirmed > 0 then redis.call('HINCRBY', KEYS[8], 'ordersConfirmed', confirmed) end
if failed > 0 then redis.call('HINCRBY', KEYS[8], 'ordersFailed', failed) end
if expired > 0 then redis.call('HINCRBY', KEYS[8], 'ordersExpired', expired) end

local reopened = 0
if unitsBack and redis.call('HGET', KEYS[1], 'state') == 'soldout' then
  redis.call('HSET', KEYS[1], 'state', 'open')
  reopened = redis.call('HINCRBY', KEYS[1], 'version', 1)
end
out[n + 1] = reopened
return out
