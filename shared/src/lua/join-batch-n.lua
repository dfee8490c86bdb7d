--[[ join-batch: up to 256 public joins of one event in one call, each exactly as one join-14.lua
call (included below as join14), one after another in the order given: what one join counts or
spends (the address's join rate, a proof-of-work challenge, the live places of its address, a lane
credential) is seen by the joins after it, as between separate calls. A join refused (or failing
with a script error) answers only for itself: the others go on.
KEYS[1..14] the keys of join-14.lua (shared/src/keys.ts joinKeys), KEYS[11] being the places-of
  set of the first join's address; KEYS[15..] the places-of sets of the batch's other addresses
  (every key of the event's hash tag: one slot)
ARGV[1] c: the number of joins (1..256), then 14 values per join: the index in KEYS of its
  address's places-of set (11 or 15..), then its ARGV 1..13 of join-14.lua ('' where absent)
Returns c replies, each join-14.lua's {code, placeId, phase, score, resumed, admittedAt, n, pn,
  w, lane}, or {'ERR', message} for a join whose script failed.
Bounded: at most 256 joins (3,585 arguments) per call and 256 replies of 10 values. ]]
--@include join-14.lua as join14
local c = tonumber(ARGV[1])
if not c or c < 1 or c > 256 or #ARGV ~= 1 + 14 * c then return redis.error_reply('join-batch: bad arguments') end
for i = 0, c - 1 do
  local k = tonumber(ARGV[2 + 14 * i])
  if not k or not KEYS[k] or (k ~= 11 and k < 15) then return redis.error_reply('join-batch: bad key index') end
end
local K = {}
for i = 1, 14 do K[i] = KEYS[i] end
-- Shared by the joins of this call (see join-14.lua: reads only this script changes, done once).
local ctx = {ttl = {}}
local out = {}
for i = 0, c - 1 do
  local b = 1 + 14 * i
  K[11] = KEYS[tonumber(ARGV[b + 1])]
  local A = {}
  for j = 1, 13 do A[j] = ARGV[b + 1 + j] end
  A.ctx = ctx
  local ok, r = pcall(join14, K, A)
  if ok then
    out[i + 1] = r
  else
    out[i + 1] = {'ERR', type(r) == 'table' and tostring(r.err) or tostring(r)}
  end
end
return out
