// `npm run reconcile -- --event <id>`: print the per-product table; exit 1 on any difference,
// 2 on bad usage. If the Redis serving the event changed since its stock was last checked (a
// failover, a restart from the AOF), the check the order worker's guard runs is done first, and
// its outcome (verified, repaired, or stopped: event paused) is printed.
import { parseArgs } from 'node:util';
import { createPool, createRedis, eventKeys, isEventId, loadConfigOrExit, workerSchema } from '@sluice/shared';
import { formatReport, reconcileEvent } from './check.ts';
import { guardEvent } from './guard.ts';

const { values } = parseArgs({ options: { event: { type: 'string', short: 'e' } } });
if (!values.event || !isEventId(values.event)) {
  process.stderr.write('usage: npm run reconcile -- --event <event id>\n');
  process.exit(2);
}
const config = loadConfigOrExit(workerSchema);
const redis = createRedis(config);
const pool = createPool(config.databaseUrl, { max: 2 });
try {
  const checked = await guardEvent(redis, pool, config.prefix, values.event, Date.now);
  if (checked) {
    process.stdout.write(`stock check after a Redis failover/restart (node ${checked.node}): ${checked.action}\n`);
    for (const r of checked.rows) process.stdout.write(`  ${r.sku}: ${r.left} left in Redis, ${r.expected} by the orders\n`);
  }
  const last = await redis.hget(eventKeys(config.prefix, values.event).event, 'guard');
  if (last && !checked) process.stdout.write(`last stock check: ${last}\n`);
  const report = await reconcileEvent(redis, pool, config.prefix, values.event);
  process.stdout.write(`${formatReport(report)}\n`);
  process.exitCode = report.ok ? 0 : 1;
} finally {
  redis.disconnect();
  await pool.end();
}
