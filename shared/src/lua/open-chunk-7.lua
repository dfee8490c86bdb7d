-- open-chunk-7.lua: write the ticket numbers of one chunk of the shuffled pre-queue (members at
-- shuffled positions offset+1..offset+count get base+offset+1..), under the fencing token. The
-- chunk must start where the recorded progress stands, so a new leader resumes exactly where the
-- old one stopped and no number is written twice. The last chunk reveals the seed, records the
-- digest of the published member list and sets the state to open, in the same step.
-- KEYS: 1 event, 2 leader, 3 fence, 4 prequeue, 5 queue, 6 opening, 7 seed
-- ARGV: 1 leader id, 2 fencing token, 3 offset (numbers already written), 4 SHA-256 of the
--       member list as published (hex), 5.. place ids in shuffled order (at most a few thousand)
-- With lanes (open-begin recorded `lanes`, n:L, b:L) the shuffled order is lane 0's members,
-- then lane 1's, ...: position p of lane L's run gets score L * 2^40 + b:L + (p - start of the run).
-- The last chunk also records each lane's count in the event field `prequeueLanes` ('n0,n1,...').
-- Returns: {2, done} more to write; {3, version} the event is open; {-1} not the leader;
--   {0} the event is no longer waiting to open; {-12, done} offset or members do not match the
--   recorded progress / frozen pre-queue (the caller resumes from `done` or recomputes).
if redis.call('GET', KEYS[2]) ~= ARGV[1] or redis.call('GET', KEYS[3]) ~= ARGV[2] then return {-1} end
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'prequeue' and state ~= 'scheduled' then return {0} end
local p = redis.call('HMGET', KEYS[6], 'n', 'base', 'done')
if not p[1] then return {-12, -1} end
local n, base, done = tonumber(p[1]), tonumber(p[2]), tonumber(p[3])
local offset = tonumber(ARGV[3])
local count = #ARGV - 4
if offset ~= done or done + count > n then return {-12, done} end
-- Validate before the first write (a script is not rolled back).
for i = 5, #ARGV do
  if not redis.call('ZSCORE', KEYS[4], ARGV[i]) then return {-12, done} end
end
local L = tonumber(redis.call('HGET', KEYS[6], 'lanes') or '0')
local laneCounts = {}
if L > 0 then
  local SPAN = 1099511627776
  local starts, bases, lane, cum = {}, {}, 0, 0
  for j = 0, L - 1 do
    starts[j] = cum
    bases[j] = tonumber(redis.call('HGET', KEYS[6], 'b:' .. j))
    laneCounts[j + 1] = tonumber(redis.call('HGET', KEYS[6], 'n:' .. j))
    cum = cum + laneCounts[j + 1]
  end
  starts[L] = cum
  for i = 5, #ARGV do
    local pos = offset + i - 4
    while pos > starts[lane + 1] do lane = lane + 1 end
    redis.call('ZADD', KEYS[5], lane * SPAN + bases[lane] + pos - starts[lane], ARGV[i])
  end
else
  for i = 5, #ARGV do
    redis.call('ZADD', KEYS[5], base + offset + i - 4, ARGV[i])
  end
end
done = done + count
if done < n then
  redis.call('HSET', KEYS[6], 'done', done)
  return {2, done}
end
local seed = redis.call('GET', KEYS[7]) or ''
redis.call('HSET', KEYS[1], 'state', 'open', 'seed', seed, 'prequeueN', n, 'prequeueDigest', ARGV[4])
-- With lanes: the size of each lane's run in the published list (verify-shuffle shuffles each).
if L > 0 then redis.call('HSET', KEYS[1], 'prequeueLanes', table.concat(laneCounts, ',')) end
redis.call('HDEL', KEYS[1], 'opening')
redis.call('DEL', KEYS[6])
return {3, redis.call('HINCRBY', KEYS[1], 'version', 1)}
