--[[ node: which Redis incarnation last vouched for an event's stock.
A Redis restarted from its AOF, or a replica promoted by a failover, may have lost the last
acknowledged writes; it has a new run_id. The event hash records the run_id of the node whose
stock was last known right (`node`); admit and purchase refuse while it differs from the node
they run on, until the order worker's guard has checked the stock against PostgreSQL.
KEYS[1] event  hash: config, state, version, node
ARGV[1] 'read' | 'stamp' ('stamp': record this node as verified, only if the event exists)
Returns {recorded node ('' = none), this node's run_id} ]]
local rid = string.match(redis.call('INFO', 'server'), 'run_id:(%w+)')
if ARGV[1] == 'stamp' and redis.call('HEXISTS', KEYS[1], 'config') == 1 then
  redis.call('HSET', KEYS[1], 'node', rid)
end
return {redis.call('HGET', KEYS[1], 'node') or '', rid}
