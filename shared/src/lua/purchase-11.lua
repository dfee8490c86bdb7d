--[[ purchase: reserve stock for one admission ticket and append its order to the event's order
stream, all or nothing: a checkout is one round trip to Redis, and no reservation exists without
its order entry (docs/adr/002-order-stream.md).
KEYS[1] event         hash: config (JSON EventConfig), state, version
KEYS[2] stock         hash: sku -> units left
KEYS[3] used          hash: jti -> orderId
KEYS[4] idem          hash: jti -> Idempotency-Key of the first use
KEYS[5] bought        hash: sub -> units held or bought
KEYS[6] reservations  zset: orderId -> expiry (ms)
KEYS[7] reservation   hash: orderId -> JSON {sku, qty, jti, sub, at, price}
KEYS[8] revoked       hash: jti / sub -> time
KEYS[9] ticket-hash   hash: jti -> SHA-256 of the ticket the gate issued (shared/src/tickets/record.ts)
KEYS[10] products     hash: sku -> "limitPerShopper priceCents" (written with the config; when
                      absent, an event written before it: the config JSON is decoded instead)
KEYS[11] orders       stream: one entry per accepted order, field `j` = JSON OrderJobData
                      (checkout/src/orders/queue.ts), read by the order worker's consumer group
ARGV[1] jti  ARGV[2] sub  ARGV[3] sku  ARGV[4] qty (integer >= 1)  ARGV[5] orderId
ARGV[6] Idempotency-Key ('' = none)  ARGV[7] now (ms)  ARGV[8] reservation expiry (ms)
ARGV[9] SHA-256 of the presented ticket (base64url): a ticket the gate never issued is -22
ARGV[10] event id (the entry's `evt`)
Returns a negative code (shared/src/lua/codes.ts) when refused (-13: the stock on this Redis
incarnation is not verified yet, see node-1.lua), else
  {orderId, replay, soldOutVersion}
  replay 1: the ticket was already used with the same Idempotency-Key, or is retried for the same
  sku and qty while the first order's reservation is open (no key, or no key the first time);
  orderId is the first. No second entry: the first one was appended with the reservation.
  soldOutVersion > 0: this purchase took the last unit and set state = soldout at that version.
All checks run before the first write, and the XADD is the first write (a Lua error after a write
keeps the write: a stream key of another type fails the call before anything changed). ]]
local jti, sub, sku, orderId, idemKey = ARGV[1], ARGV[2], ARGV[3], ARGV[5], ARGV[6]
local qty, now, expiry = tonumber(ARGV[4]), tonumber(ARGV[7]), tonumber(ARGV[8])
if jti == '' or sub == '' or sku == '' or orderId == '' or not qty or qty < 1 or qty % 1 ~= 0
  or not now or not expiry or ARGV[9] == '' or ARGV[10] == '' then
  return -11
end
if redis.call('HGET', KEYS[9], jti) ~= ARGV[9] then return -22 end

local prev = redis.call('HGET', KEYS[3], jti)
if prev then
  local firstKey = redis.call('HGET', KEYS[4], jti)
  -- A replay rewrites the ticket's order id (the same value): a write, so the caller's WAIT on
  -- this connection covers the first purchase's writes even when another connection made them.
  if idemKey ~= '' and firstKey == idemKey then
    redis.call('HSET', KEYS[3], jti, prev)
    return {prev, 1, 0}
  end
  -- A retry of the same ticket whose first answer was lost (a 503 after the reservation: reply
  -- timed out, replication not confirmed) gets the same order while its reservation is open,
  -- with or without an Idempotency-Key, as long as it asks for the same thing. Two different
  -- keys, or a different sku/qty, are a second purchase: refused.
  local open = redis.call('HGET', KEYS[7], prev)
  if open and (idemKey == '' or not firstKey) then
    local r = cjson.decode(open)
    if r.sku == sku and tonumber(r.qty) == qty then
      redis.call('HSET', KEYS[3], jti, prev)
      return {prev, 1, 0}
    end
  end
  return -6
end
if redis.call('HEXISTS', KEYS[8], jti) == 1 or redis.call('HEXISTS', KEYS[8], sub) == 1 then return -10 end

local ev = redis.call('HMGET', KEYS[1], 'state', 'node')
local state = ev[1]
if not state then return -2 end
if state == 'soldout' then return -5 end
if state ~= 'open' and state ~= 'paused' then return -3 end
-- This Redis (restarted, or a promoted replica) has not had its stock checked yet (node-1.lua).
if ev[2] and ev[2] ~= string.match(redis.call('INFO', 'server'), 'run_id:(%w+)') then return -13 end
local limit, price
local pr = redis.call('HGET', KEYS[10], sku)
if pr then
  local l, p = string.match(pr, '^(%d+) (%d+)$')
  limit, price = tonumber(l), tonumber(p)
elseif redis.call('EXISTS', KEYS[10]) == 0 then
  local config = redis.call('HGET', KEYS[1], 'config')
  if not config then return -2 end
  for _, p in ipairs(cjson.decode(config).products) do
    if p.sku == sku then limit, price = tonumber(p.limitPerShopper) or 1, p.priceCents break end
  end
end
if not limit or not price then return -8 end
if qty > limit then return -20 end
if tonumber(redis.call('HGET', KEYS[5], sub) or '0') + qty > limit then return -7 end
local left = tonumber(redis.call('HGET', KEYS[2], sku) or '0')
if left < qty then return -5 end

-- The order's entry first (see the header); the worker reads these fields (OrderJobData).
redis.call('XADD', KEYS[11], '*', 'j', cjson.encode({
  orderId = orderId, evt = ARGV[10], sku = sku, qty = qty, jti = jti, sub = sub, unitPriceCents = price,
  idempotencyKey = idemKey ~= '' and idemKey or cjson.null, at = now,
}))
redis.call('HINCRBY', KEYS[2], sku, -qty)
redis.call('HINCRBY', KEYS[5], sub, qty)
redis.call('HSET', KEYS[3], jti, orderId)
if idemKey ~= '' then redis.call('HSET', KEYS[4], jti, idemKey) end
local rec = cjson.encode({sku = sku, qty = qty, jti = jti, sub = sub, at = now, price = price})
redis.call('ZADD', KEYS[6], expiry, orderId)
redis.call('HSET', KEYS[7], orderId, rec)

local soldOutVersion = 0
if left - qty <= 0 then
  local total = 0
  for _, v in ipairs(redis.call('HVALS', KEYS[2])) do total = total + (tonumber(v) or 0) end
  if total <= 0 then
    redis.call('HSET', KEYS[1], 'state', 'soldout')
    soldOutVersion = redis.call('HINCRBY', KEYS[1], 'version', 1)
  end
end
return {orderId, 0, soldOutVersion}
