// Case 1, kill -9 of the order worker mid-batch while shoppers keep buying, then a restart: every
// accepted order is written exactly once and confirmed, the stock and counters agree. Real
// checkout and worker processes, real Redis and PostgreSQL; ends with the reconciliation check.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ORDER_GROUP } from '../../checkout/src/orders/queue.ts';
import { startBuyers } from '../support/buyers.ts';
import { expectReconciled } from '../support/reconcile.ts';
import { type OpenSale, openSale, serveJwks } from '../support/sale.ts';
import { type Service, spawnCheckout, spawnWorker } from '../support/services.ts';
import { openStores, type Stores } from '../support/stores.ts';
import { until } from '../support/wait.ts';

const STOCK = 400;
const BUYERS = 300;

let s: Stores;
let sale: OpenSale;
let jwks: Awaited<ReturnType<typeof serveJwks>>;
let checkout: Service;
const workers: Service[] = [];
const workerEnv = {
  PAYMENT_LATENCY_MS: '100',
  WORKER_BATCH_SIZE: '10',
  WORKER_BATCHES_IN_FLIGHT: '2',
  WORKER_LOCK_MS: '2000',
};

beforeAll(async () => {
  s = await openStores();
  sale = await openSale(s, [{ sku: 'SKU-1', stock: STOCK }]);
  jwks = await serveJwks(sale.keyring.jwks);
  checkout = await spawnCheckout(s, { JWKS_URL: jwks.url });
}, 120_000);

afterAll(async () => {
  for (const w of workers) await w.kill('SIGKILL');
  await checkout?.kill();
  await jwks?.close();
  await s?.cleanup();
});

const written = async () => (await s.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM orders')).rows[0]!.n;

it('persists every accepted order once after the worker is killed mid-batch and restarted', async () => {
  workers.push(await spawnWorker(s, workerEnv));
  const buyers = startBuyers(() => checkout.base, sale, { concurrency: 10, max: BUYERS, pauseMs: 20 });
  await until(async () => (await written()) >= 30, 120_000, 'first batches written');

  // Entries the worker has read and not acknowledged: its batches in progress, which the next
  // worker takes over (XCLAIM) once they have been idle WORKER_LOCK_MS.
  // The kill waits for a moment when a batch is in progress (a payment takes 100 ms each batch).
  const pending = async () => Number(((await s.redis.xpending(sale.k.orders, ORDER_GROUP)) as [number])[0]);
  const activeAtKill = await until(pending, 60_000, 'a batch in progress'); // the first count above 0
  await workers[0]!.kill('SIGKILL');
  const writtenAtKill = await written();
  expect(activeAtKill).toBeGreaterThan(0); // batches were in flight when it died
  // Shoppers keep buying with no worker: checkout accepts (the entries wait in the stream).
  const acceptedAtKill = buyers.accepted().length;
  await until(() => buyers.accepted().length >= acceptedAtKill + 20, 60_000, 'orders accepted while no worker runs');
  workers.push(await spawnWorker(s, workerEnv));
  await buyers.done;

  const accepted = buyers.accepted();
  expect(accepted).toHaveLength(BUYERS);
  await until(async () => (await s.redis.zcard(sale.k.reservations)) === 0, 180_000, 'every reservation finalised');
  await until(async () => (await s.redis.xlen(sale.k.orders)) === 0, 60_000, 'every entry acknowledged and deleted');
  const { rows } = await s.pool.query<{ order_id: string; status: string }>('SELECT order_id::text, status FROM orders');
  expect(writtenAtKill).toBeLessThan(BUYERS);
  expect(rows).toHaveLength(BUYERS);
  expect(new Set(rows.map((r) => r.order_id))).toEqual(new Set(accepted.map((a) => a.orderId)));
  expect(rows.every((r) => r.status === 'confirmed')).toBe(true);
  expect(await s.redis.hget(sale.k.stats, 'ordersConfirmed')).toBe(String(BUYERS));
  expect(await s.redis.hget(sale.k.stock, 'SKU-1')).toBe(String(STOCK - BUYERS));
  const { confirmedUnits } = await expectReconciled(s.redis, s.pool, s.prefix, sale.evt);
  expect(confirmedUnits).toBe(BUYERS);
}, 300_000);
