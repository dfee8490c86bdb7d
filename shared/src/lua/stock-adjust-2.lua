--[[ stock-adjust: an operator adds (or removes) units of one product during a sale, refusing to
go below zero, and keeps the sold-out state true to the stock in the same atomic step, exactly as
purchase-8 (last unit sold) and finalize-8 (units back) do.
KEYS[1] event  hash: state, version
KEYS[2] stock  hash: sku -> units left
ARGV[1] sku
ARGV[2] delta (integer, may be negative)
Returns a negative code (shared/src/lua/codes.ts): -8 no stock counter for the sku, -11 bad
  arguments, -21 the change would leave fewer than 0 units; else {left, version, state}:
  left     units of the sku left after the change
  version  > 0 when the state changed at that version: open or paused -> soldout when no unit of
           any product is left (everyone waiting is told at once), soldout -> open when units
           came back; 0 when the state stayed
  state    the state after the change ]]
local delta = tonumber(ARGV[2])
if ARGV[1] == '' or not delta or delta % 1 ~= 0 then return -11 end
local left = redis.call('HGET', KEYS[2], ARGV[1])
if not left then return -8 end
if tonumber(left) + delta < 0 then return -21 end
left = redis.call('HINCRBY', KEYS[2], ARGV[1], delta)

local state = redis.call('HGET', KEYS[1], 'state') or ''
local total = 0
for _, v in ipairs(redis.call('HVALS', KEYS[2])) do total = total + (tonumber(v) or 0) end
local next = state
if total <= 0 and (state == 'open' or state == 'paused') then next = 'soldout' end
if total > 0 and state == 'soldout' then next = 'open' end
if next == state then return {left, 0, state} end
redis.call('HSET', KEYS[1], 'state', next)
return {left, redis.call('HINCRBY', KEYS[1], 'version', 1), next}
