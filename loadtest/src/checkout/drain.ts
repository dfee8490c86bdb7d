// `node --import tsx loadtest/src/checkout/drain.ts [--orders N] [--batches 100,500,1000]`: the
// order drain alone, once per worker batch size. Each run seeds N real reservations (the purchase
// script, pipelined) with their order entries in the event's stream, as checkout leaves them,
// then starts the order worker and measures orders/s, worker CPU and Redis CPU per order
// (measureDrain, as `npm run bench` does) and how busy the whole machine was over the drain,
// worker start-up included (/proc/stat).
// Point REDIS_URL at a private redis-server for the Redis figure to be this run's alone.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createEvent, eventKeys, persistEvent, pipeScript, purchaseKeys } from '@sluice/shared';
import { openStores, type Stores } from '../lib/stores.ts';
import { measureDrain } from './measure-drain.ts';

const CHUNK = 1000;

/** Busy and total jiffies of every core (/proc/stat, first line). */
function machineJiffies(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { busy: total - idle, total };
}

/** An open event with `n` reserved orders whose entries wait in its stream. */
export async function seedOrders(s: Stores, evt: string, n: number): Promise<void> {
  const now = Date.now();
  const rec = await createEvent(s.redis, s.prefix, {
    id: evt,
    name: 'drain bench',
    prequeueAt: now - 1000,
    startAt: now - 1000,
    products: [{ sku: 'SKU-1', name: 'bench', priceCents: 100, stock: n + 1, limitPerShopper: 1 }],
  });
  const k = eventKeys(s.prefix, evt);
  await s.redis.hset(k.event, 'state', 'open');
  await persistEvent(s.pool, rec.config);
  for (let i = 0; i < n; i += CHUNK) {
    const ids = Array.from({ length: Math.min(CHUNK, n - i) }, (_, j) => `d${i + j}`);
    const pipe = s.redis.pipeline();
    for (const jti of ids) pipe.hset(k.ticketHash, jti, `digest-${jti}`);
    for (const jti of ids) {
      pipeScript(pipe, 'purchase', purchaseKeys(k), [
        jti,
        jti,
        'SKU-1',
        1,
        randomUUID(),
        '',
        now,
        now + 3_600_000,
        `digest-${jti}`,
        evt,
      ]);
    }
    // The purchase script appends each order's entry to the stream with its reservation.
    const res = (await pipe.exec()) ?? [];
    for (const [err, reply] of res.slice(ids.length)) {
      if (err || !Array.isArray(reply)) throw new Error(`purchase failed: ${String(err ?? reply)}`);
    }
  }
}

async function main(): Promise<void> {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const orders = Number(arg('--orders') ?? 50_000);
  const batches = (arg('--batches') ?? '100,250,500,1000,2000').split(',').map(Number);
  const s = await openStores('drain');
  try {
    for (const b of batches) {
      const evt = `drain-${b}`;
      await seedOrders(s, evt, orders);
      const load = loadavg().map((l) => Math.round(l * 100) / 100);
      const m0 = machineJiffies();
      const r = await measureDrain(s, evt, 60, { WORKER_BATCH_SIZE: String(b) });
      const m1 = machineJiffies();
      const cores = ((m1.busy - m0.busy) / (m1.total - m0.total)) * availableParallelism();
      console.log(JSON.stringify({ batch: b, load, ...r, machineBusyCores: Math.round(cores * 100) / 100 }));
    }
  } finally {
    await s.cleanup();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
