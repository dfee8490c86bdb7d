// Redis ceiling: `redis-benchmark` running EVALSHA of the checkout's own purchase script
// (shared/src/lua/purchase-11.lua) against an open event with ample stock. Every call gets a
// random jti/sub/order id (`__rand_int__`) from a keyspace of recorded tickets twice the request
// count, so most take the full reserve path (a repeated jti is refused as used).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { redisCpuSeconds, usPerOp } from '../lib/redis-cpu.ts';
import { createEvent, eventKeys, purchaseKeys, type Redis, scripts, ticketDigest } from '@sluice/shared';

const run = promisify(execFile);

export interface RedisCeiling {
  script: string;
  clients: number;
  pipeline: number;
  requests: number;
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Redis CPU (INFO cpu) per script call: the floor of a checkout's Redis cost. */
  cpuUs: number | null;
  redisVersion: string;
}

export async function redisBenchmarkAvailable(): Promise<boolean> {
  try {
    await run('redis-benchmark', ['--version']);
    return true;
  } catch {
    return false;
  }
}

/** Parse redis-benchmark --csv output (Redis 7: header line, then one line per test). */
export function parseCsv(out: string): { rps: number; p50: number; p99: number } {
  const lines = out
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('"'));
  const header = lines[0]!.split(',').map((s) => s.replaceAll('"', ''));
  const row = lines[lines.length - 1]!.split('","').map((s) => s.replaceAll('"', ''));
  const col = (name: string) => Number(row[header.indexOf(name)]);
  return { rps: col('rps'), p50: col('p50_latency_ms'), p99: col('p99_latency_ms') };
}

export async function measureRedisCeiling(
  redis: Redis,
  prefix: string,
  o: { redisUrl: string; requests: number; clients: number; pipeline: number },
): Promise<RedisCeiling> {
  const evt = 'rbench';
  const now = Date.now();
  await createEvent(redis, prefix, {
    id: evt,
    name: 'redis ceiling',
    prequeueAt: now - 1000,
    startAt: now - 1000,
    products: [{ sku: 'SKU-1', name: 'bench', priceCents: 100, stock: 100_000_000, limitPerShopper: 1 }],
  });
  const k = eventKeys(prefix, evt);
  await redis.hset(k.event, 'state', 'open');
  const def = scripts().get('purchase');
  if (!def) throw new Error('purchase script not found');
  const sha = (await redis.script('LOAD', def.lua)) as string;
  // The script requires a recorded ticket digest for the jti: record one (the same value) for
  // every jti of the random keyspace, in chunks; redis-benchmark writes __rand_int__ as 12 digits.
  const keyspace = o.requests * 2;
  const digest = ticketDigest('redis-bench');
  for (let from = 0; from < keyspace; from += 5000) {
    const fields: Record<string, string> = {};
    for (let i = from; i < Math.min(keyspace, from + 5000); i++)
      fields[`j${String(i).padStart(12, '0')}`] = digest;
    await redis.hset(k.ticketHash, fields);
  }
  const url = new URL(o.redisUrl);
  const exp = String(now + 3_600_000);
  const args = [
    '-h',
    url.hostname,
    '-p',
    url.port || '6379',
    '-c',
    String(o.clients),
    '-n',
    String(o.requests),
    '-P',
    String(o.pipeline),
    '-r',
    String(keyspace),
    '--csv',
    'EVALSHA',
    sha,
    String(def.numberOfKeys),
    ...purchaseKeys(k),
    'j__rand_int__',
    's__rand_int__',
    'SKU-1',
    '1',
    'o__rand_int__',
    '',
    String(now),
    exp,
    digest,
    evt,
  ];
  const cpu0 = await redisCpuSeconds(redis);
  const { stdout } = await run('redis-benchmark', args, { timeout: 300_000, maxBuffer: 1 << 20 });
  const cpuUs = usPerOp((await redisCpuSeconds(redis)) - cpu0, o.requests);
  const parsed = parseCsv(stdout);
  const sold = 100_000_000 - Number(await redis.hget(k.stock, 'SKU-1'));
  if (sold <= 0)
    throw new Error('redis-benchmark ran, but no purchase went through: check the script arguments');
  const info = await redis.info('server');
  return {
    script: `purchase-${def.numberOfKeys}.lua (${def.lua.length} bytes; jti drawn from ${keyspace} recorded, so repeats hit TICKET_USED)`,
    clients: o.clients,
    pipeline: o.pipeline,
    requests: o.requests,
    opsPerSecond: Math.round(parsed.rps),
    p50Ms: parsed.p50,
    p99Ms: parsed.p99,
    cpuUs,
    redisVersion: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown',
  };
}
