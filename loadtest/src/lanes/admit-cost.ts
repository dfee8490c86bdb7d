// Redis CPU of the admit script per admitted shopper, for a sale without lanes and the same sale
// with two lanes (shares 3:1) or in strict order: N shoppers joined, then admitter ticks (fake
// clock, 250 ms) until the line is empty. Reads Redis INFO cpu before and after each phase, with
// an idle floor (the same wall time with no work) in the same run. Point REDIS_URL at a private
// redis-server (--save "" --appendonly no): the figure includes everything that Redis did.
//
//   REDIS_URL=redis://127.0.0.1:6415 node --import tsx loadtest/src/lanes/admit-cost.ts [N]
import { loadavg } from 'node:os';
import { createEvent, createLogger, createRedis, ensureKeyring, eventKeys } from '@sluice/shared';
import { Admitter } from '../../../gate/src/admission/admitter.ts';
import { joinQueue } from '../../../gate/src/queue/join.ts';
import { redisCpuSeconds, usPerOp } from '../lib/redis-cpu.ts';

const N = Number(process.argv[2] ?? 20_000);
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redis = createRedis(url);
const prefix = `bench-lanes-${process.pid}`;
const log = createLogger('admit-cost', 'silent');

async function phase(name: string, patch: Record<string, unknown>, lanes: number) {
  const evt = `${name}-${process.pid}`;
  let now = 1_700_000_000_000;
  await createEvent(redis, prefix, {
    id: evt,
    name,
    prequeueAt: now - 1000,
    startAt: now - 1000,
    rate: 4000,
    burst: 1000,
    maxActive: 10_000_000,
    overbook: 1,
    powDifficulty: 0,
    powSurgeDifficulty: 0,
    products: [{ sku: 'S', name: 'S', priceCents: 1, stock: 10_000_000, limitPerShopper: 1 }],
    ...patch,
  }, now);
  const a = new Admitter({ redis, prefix, id: 'bench', now: () => now, bucketClock: () => now, tickMs: 250, leaderTtlMs: 60_000, log, eventIds: () => [evt] });
  await a.tickEvent(evt);
  for (let i = 0; i < N; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, N - i) }, (_, j) =>
        joinQueue(redis, prefix, evt, { cid: '', resumePlaceId: '', now, lane: lanes ? { index: (i + j) % lanes, needs: false, field: '' } : null }),
      ),
    );
  }
  const k = eventKeys(prefix, evt);
  const cpu0 = await redisCpuSeconds(redis);
  const t0 = performance.now();
  let ticks = 0;
  while ((await redis.zcard(k.queue)) > 0) {
    now += 250;
    await a.tickEvent(evt);
    ticks++;
  }
  const ms = performance.now() - t0;
  const cpu = (await redisCpuSeconds(redis)) - cpu0;
  // Floor: Redis idle for the same wall time (what it spends on its own, plus what the zcard polls cost is in the phase).
  const f0 = await redisCpuSeconds(redis);
  await new Promise((r) => setTimeout(r, ms));
  const floor = (await redisCpuSeconds(redis)) - f0;
  await a.stop();
  return { name, admitted: N, ticks, redisCpuS: Math.round(cpu * 1000) / 1000, floorS: Math.round(floor * 1000) / 1000, usPerAdmitted: usPerOp(cpu - floor, N) };
}

const load = loadavg()[0]!.toFixed(1);
await ensureKeyring(redis, prefix);
const out = [];
out.push(await phase('plain', {}, 0));
out.push(await phase('shares', { lanes: [{ id: 'members', share: 3 }, { id: 'public', share: 1 }] }, 2));
out.push(await phase('strict', { lanes: [{ id: 'members', share: 3 }, { id: 'public', share: 1 }], laneMode: 'strict' }, 2));
console.log(JSON.stringify({ loadAverageAtStart: load, redis: url, N, phases: out }, null, 1));
// The keys stay: run it against a private redis-server and stop that afterwards.
redis.disconnect();
