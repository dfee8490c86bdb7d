// Case 4, Redis stopped for 10 s mid-sale and started again. The Redis is the test's own
// (redis-server on a random port, its own directory, the deployment's AOF setting: appendonly,
// fsync every second); the machine's shared Redis is never touched. The whole stack runs as real
// processes on it: a two-process gate cluster with waiting shoppers, the checkout API and the
// order worker, with PostgreSQL (a fresh schema) behind them.
// While Redis is down checkout answers 503 UNAVAILABLE fast instead of hanging; afterwards every
// process carries on without a restart (same pids), shoppers keep their sockets and places and
// receive state frames again, purchases resume, nothing is oversold, and the books reconcile.
import { eventKeys, globalKeys } from '@sluice/shared';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Client, connect } from '../../gate/test/client.ts';
import { makeEvent } from '../../gate/test/helpers.ts';
import { startBuyers } from '../support/buyers.ts';
import { expectReconciled } from '../support/reconcile.ts';
import { buy, type OpenSale, openSale } from '../support/sale.ts';
import { type Service, type SpawnedGate, spawnCheckout, spawnGateCluster, spawnWorker } from '../support/services.ts';
import { openStores, type PrivateRedis, privateRedis, type Stores } from '../support/stores.ts';
import { sleep, until } from '../support/wait.ts';

const STOCK = 120;
const OUTAGE_MS = 10_000;

let redis: PrivateRedis;
let s: Stores;
let sale: OpenSale;
let gate: SpawnedGate;
let checkout: Service;
let worker: Service;
const shoppers: Client[] = [];

beforeAll(async () => {
  redis = await privateRedis();
  s = await openStores(redis.url);
  sale = await openSale(s, [{ sku: 'SKU-1', stock: STOCK }]);
  gate = await spawnGateCluster(s, 2);
  checkout = await spawnCheckout(s, { JWKS_URL: `http://127.0.0.1:${gate.port}/.well-known/jwks.json` });
  worker = await spawnWorker(s, { PAYMENT_LATENCY_MS: '20' });
}, 180_000);

afterAll(async () => {
  for (const c of shoppers) c.close();
  await worker?.kill();
  await checkout?.kill();
  await gate?.stop();
  await redis?.start().catch((err: unknown) => void err) /* best-effort cleanup */;
  await s?.cleanup().catch((err: unknown) => void err) /* best-effort cleanup */;
  await redis?.destroy();
});

it('survives Redis stopping for 10 s: fast 503s, reconnection without restarts, no oversell', async () => {
  // Waiting shoppers at the gate (a second event that holds everyone in line).
  const line = (await makeEvent(s.redis, s.prefix, { queueAll: true })).config.id;
  const lk = eventKeys(s.prefix, line);
  await until(async () => (await s.redis.hget(lk.event, 'state')) === 'open', 15_000, 'line open');
  const places: string[] = [];
  for (let i = 0; i < 20; i++) {
    const c = await connect(`ws://127.0.0.1:${gate.port}/v1/events/${line}/ws`);
    c.send({ t: 'join' });
    places.push((await c.next('welcome')).placeId);
    shoppers.push(c);
  }
  const gatePids = (await s.redis.hkeys(globalKeys(s.prefix).gates)).sort();

  // Buyers for the sale, until it is sold out.
  const buyers = startBuyers(() => checkout.base, sale, { concurrency: 4, max: 100_000, pauseMs: 100, stopOnCode: 'SOLD_OUT' });
  await until(() => buyers.accepted().length >= 30, 60_000, 'first purchases');

  // Issued tickets are recorded in Redis, so none can be minted while it is down: the probes use
  // tickets of shoppers admitted before the outage.
  const spare: string[] = [];
  for (let i = 0; i < 60; i++) spare.push(await sale.ticket());
  await redis.stop();
  const downAt = Date.now();
  // While down: checkout refuses quickly with 503 UNAVAILABLE; the buyers' answers agree.
  const probes = [];
  while (Date.now() - downAt < OUTAGE_MS - 1000) {
    probes.push(await buy(checkout.base, spare.pop()!, '{"sku":"SKU-1","qty":1}', 10_000));
    await sleep(250);
  }
  await redis.start();
  const upAt = Date.now();

  expect(probes.length).toBeGreaterThan(5);
  expect(probes.every((p) => p.status === 503 && p.code === 'UNAVAILABLE')).toBe(true);
  const ms = probes.map((p) => p.ms).sort((a, b) => a - b);
  // "Within a second": CHECKOUT_REDIS_TIMEOUT_MS is 500, connection refusals are immediate.
  expect(ms[Math.floor(ms.length / 2)]!).toBeLessThan(1000);
  expect(ms.at(-1)!).toBeLessThan(3000);
  console.log(`redis outage: ${probes.length} probes answered 503, median ${ms[Math.floor(ms.length / 2)]} ms, max ${ms.at(-1)} ms`);
  const during = buyers.attempts.filter((a) => a.at > downAt + 1000 && a.at < upAt - 1000);
  expect(during.every((a) => a.status === 503)).toBe(true);

  // Afterwards: same processes, purchases succeed again, shoppers still in line and fed.
  await until(
    async () => (await buy(checkout.base, await sale.ticket())).status !== 503,
    30_000,
    'checkout serving again',
  );
  await buyers.done;
  expect(checkout.proc.exitCode).toBeNull();
  expect(worker.proc.exitCode).toBeNull();
  expect(gate.proc.exitCode).toBeNull();
  expect(gate.output()).not.toMatch(/gate worker died/);
  await until(async () => (await s.redis.hkeys(globalKeys(s.prefix).gates)).sort().join() === gatePids.join(), 15_000, 'same gate processes reporting');
  expect(shoppers.every((c) => c.ws.readyState === c.ws.OPEN)).toBe(true);
  const seen = shoppers.map((c) => c.messages.length);
  await until(() => shoppers.every((c, i) => c.messages.length > seen[i]! + 1), 15_000, 'state frames flowing again');
  for (const p of places) expect(await s.redis.zscore(lk.queue, p)).not.toBeNull();

  // Sold out, never oversold; every order written once.
  await until(async () => (await s.redis.zcard(sale.k.reservations)) === 0, 120_000, 'reservations finalised');
  const { confirmedUnits, orders } = await expectReconciled(s.redis, s.pool, s.prefix, sale.evt);
  expect(confirmedUnits).toBeLessThanOrEqual(STOCK);
  expect(confirmedUnits).toBe(STOCK);
  const accepted = buyers.accepted().map((a) => a.orderId);
  for (const id of accepted) expect(orders.map((o) => o.order_id)).toContain(id);
}, 300_000);
