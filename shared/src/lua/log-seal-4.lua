-- log-seal-4.lua: extend the hash chain of the public admission log by a bounded chunk and set
-- its signed head, under the admitter's lease and fencing token. The hashes are computed by the
-- leader (SHA-256 of the previous hash, a newline and the raw entry; shared/src/fairness), so a
-- log entry is written atomically with its tick by the admit script and sealed right after; a new
-- leader continues from the length of `log-hash`.
-- KEYS: 1 leader, 2 fence, 3 log-hash, 4 log-head
-- ARGV: 1 leader id, 2 fencing token, 3 expected length of log-hash before this call,
--       4 head JSON {evt, n, hash, at, jws}, 5 the new hashes, 64 hex characters each, concatenated
-- Returns: the new length of log-hash, -1 (not the leader) or -12 (someone sealed meanwhile).
if redis.call('GET', KEYS[1]) ~= ARGV[1] or redis.call('GET', KEYS[2]) ~= ARGV[2] then return -1 end
if redis.call('LLEN', KEYS[3]) ~= tonumber(ARGV[3]) then return -12 end
local hs = ARGV[5]
if #hs % 64 ~= 0 then return -11 end
for i = 1, #hs, 64 do redis.call('RPUSH', KEYS[3], string.sub(hs, i, i + 63)) end
redis.call('SET', KEYS[4], ARGV[4])
return redis.call('LLEN', KEYS[3])
