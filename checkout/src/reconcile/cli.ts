// `npm run reconcile -- --event <id>`: print the per-product table; exit 1 on any difference,
// 2 on bad usage.
import { parseArgs } from 'node:util';
import { createPool, createRedis, isEventId, loadConfigOrExit, workerSchema } from '@sluice/shared';
import { formatReport, reconcileEvent } from './check.ts';

const { values } = parseArgs({ options: { event: { type: 'string', short: 'e' } } });
if (!values.event || !isEventId(values.event)) {
  process.stderr.write('usage: npm run reconcile -- --event <event id>\n');
  process.exit(2);
}
const config = loadConfigOrExit(workerSchema);
const redis = createRedis(config);
const pool = createPool(config.databaseUrl, { max: 2 });
try {
  const report = await reconcileEvent(redis, pool, config.prefix, values.event);
  process.stdout.write(`${formatReport(report)}\n`);
  process.exitCode = report.ok ? 0 : 1;
} finally {
  redis.disconnect();
  await pool.end();
}
