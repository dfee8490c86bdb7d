// What WAIT (a replica must hold a purchase before its 202) costs: POST /v1/checkout latency and
// throughput of an in-process checkout on the single Redis, and on the local Redis Cluster with
// CHECKOUT_WAIT_REPLICAS 0 and 1. Tickets are minted and recorded up front (as the gate does);
// each run has its own prefix and schema, removed afterwards.
//   TEST_REDIS_CLUSTER_NODES=$(scripts/redis-cluster.sh start) node --import tsx loadtest/src/cluster/wait-cost.ts
// Writes loadtest/results/wait-cost.json and prints a table.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  buildClaims,
  checkoutSchema,
  createEvent,
  ensureKeyring,
  issueTicket,
  LocalKeys,
  loadConfig,
  loadKeyring,
  persistEvent,
  setEventState,
} from '@sluice/shared';
import {
  dbFixture,
  redisFixture,
  TEST_CLUSTER_NODES,
  TEST_REDIS_URL,
  testRedisEndpoint,
  uniqueId,
} from '@sluice/shared/testing/index.ts';
import { startCheckout } from '../../../checkout/src/app.ts';

const SERIAL = Number(process.env.WAIT_BENCH_SERIAL ?? 600);
const PARALLEL = Number(process.env.WAIT_BENCH_PARALLEL ?? 3000);
const IN_FLIGHT = 32;

interface RunResult {
  target: string;
  waitReplicas: number;
  serial: { n: number; p50: number; p95: number; p99: number };
  parallel: { n: number; inFlight: number; perS: number; p50: number; p99: number };
  statuses: Record<string, number>;
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 100) / 100;
};

async function run(cluster: boolean, waitReplicas: number): Promise<RunResult> {
  const r = await redisFixture(testRedisEndpoint(cluster));
  const db = await dbFixture();
  const evt = uniqueId('wait');
  const now = Date.now();
  const total = SERIAL + PARALLEL;
  const rec = await createEvent(r.redis, r.prefix, {
    id: evt,
    name: 'WAIT bench',
    startAt: now - 1000,
    products: [{ sku: 'SKU-1', name: 'Thing', priceCents: 100, stock: total + 10, limitPerShopper: 1 }],
  });
  await setEventState(r.redis, r.prefix, evt, 'open');
  await persistEvent(db.pool, rec.config);
  await ensureKeyring(r.redis, r.prefix, now);
  const keyring = await loadKeyring(r.redis, r.prefix, now);
  const tickets: string[] = [];
  for (let i = 0; i < total; i++) {
    const placeId = `p${i}`;
    tickets.push(
      await issueTicket(
        r.redis,
        r.prefix,
        keyring.current,
        buildClaims({ placeId, evt, admittedAtMs: now, ttlS: 3600, nowMs: now, iss: 'sluice-gate', aud: 'sluice-checkout' }),
      ),
    );
  }
  const config = loadConfig(checkoutSchema, {
    REDIS_URL: TEST_REDIS_URL,
    REDIS_CLUSTER_NODES: cluster ? TEST_CLUSTER_NODES.join(',') : '',
    SLUICE_PREFIX: r.prefix,
    CHECKOUT_HOST: '127.0.0.1',
    CHECKOUT_PORT: '0',
    CHECKOUT_WAIT_REPLICAS: String(waitReplicas),
    LOG_LEVEL: 'silent',
  });
  const app = await startCheckout(config, { keys: await LocalKeys.from(keyring.jwks), pool: db.pool });
  const url = `http://127.0.0.1:${app.port}/v1/checkout`;
  const statuses: Record<string, number> = {};
  const buy = async (ticket: string): Promise<number> => {
    const t0 = performance.now();
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ticket}` },
      body: '{"sku":"SKU-1","qty":1}',
    });
    await res.arrayBuffer();
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    return performance.now() - t0;
  };
  try {
    const serial: number[] = [];
    for (let i = 0; i < SERIAL; i++) serial.push(await buy(tickets[i]!));
    const par: number[] = [];
    let next = SERIAL;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < total) par.push(await buy(tickets[next++]!));
      }),
    );
    const secs = (performance.now() - t0) / 1000;
    return {
      target: cluster ? 'cluster 3+3' : 'single',
      waitReplicas,
      serial: { n: serial.length, p50: pct(serial, 50), p95: pct(serial, 95), p99: pct(serial, 99) },
      parallel: { n: par.length, inFlight: IN_FLIGHT, perS: Math.round(par.length / secs), p50: pct(par, 50), p99: pct(par, 99) },
      statuses,
    };
  } finally {
    await app.close();
    await db.cleanup();
    await r.cleanup();
  }
}

if (TEST_CLUSTER_NODES.length === 0) {
  console.error('TEST_REDIS_CLUSTER_NODES is not set: start the cluster with scripts/redis-cluster.sh start');
  process.exit(2);
}
const results: RunResult[] = [];
for (const [cluster, wait] of [
  [false, 0],
  [true, 0],
  [true, 1],
  [true, 0],
  [true, 1],
] as const) {
  const res = await run(cluster, wait);
  results.push(res);
  console.log(JSON.stringify(res));
}
const out = fileURLToPath(new URL('../../results/wait-cost.json', import.meta.url));
writeFileSync(out, `${JSON.stringify({ at: new Date().toISOString(), serial: SERIAL, parallel: PARALLEL, results }, null, 2)}\n`);
console.log('\ntarget        WAIT  serial p50/p95/p99 ms   32 in flight: req/s  p50/p99 ms');
for (const x of results) {
  console.log(
    `${x.target.padEnd(13)} ${String(x.waitReplicas).padStart(4)}  ${`${x.serial.p50}/${x.serial.p95}/${x.serial.p99}`.padStart(20)}   ${String(x.parallel.perS).padStart(18)}  ${x.parallel.p50}/${x.parallel.p99}`,
  );
}
console.log(`written ${out}`);
process.exit(0);
