// Case 5, PostgreSQL stopped for 30 s mid-sale (an embedded PostgreSQL of the test's own; the
// machine's is never touched): checkout keeps accepting (it needs only Redis), the order entries
// wait in the event's stream and are retried (pending, delivered again with a growing wait), nothing is reported confirmed while the database is away, and when
// it returns every accepted order is written exactly once. Real checkout and worker processes;
// ends with the reconciliation check.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startBuyers } from '../support/buyers.ts';
import { expectReconciled } from '../support/reconcile.ts';
import { type OpenSale, openSale, serveJwks } from '../support/sale.ts';
import { type Service, spawnCheckout, spawnWorker } from '../support/services.ts';
import { openStores, type PrivatePostgres, privatePostgres, type Stores } from '../support/stores.ts';
import { sleep, until } from '../support/wait.ts';

const STOCK = 200;
const BUYERS = 150;
const OUTAGE_MS = 30_000;

let pg: PrivatePostgres;
let s: Stores;
let sale: OpenSale;
let jwks: Awaited<ReturnType<typeof serveJwks>>;
let checkout: Service;
let worker: Service;

beforeAll(async () => {
  pg = await privatePostgres();
  s = await openStores(undefined, pg.url);
  sale = await openSale(s, [{ sku: 'SKU-1', stock: STOCK }]);
  jwks = await serveJwks(sale.keyring.jwks);
  checkout = await spawnCheckout(s, { JWKS_URL: jwks.url });
  worker = await spawnWorker(s, { PAYMENT_LATENCY_MS: '20', WORKER_BATCH_SIZE: '20' });
}, 180_000);

afterAll(async () => {
  await worker?.kill('SIGKILL');
  await checkout?.kill();
  await jwks?.close();
  await pg?.start().catch((err: unknown) => void err) /* best-effort cleanup */;
  await s?.cleanup().catch((err: unknown) => void err) /* best-effort cleanup */;
  await pg?.destroy();
});

const written = async () => (await s.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM orders')).rows[0]!.n;

it('keeps orders in the order stream while PostgreSQL is down for 30 s and writes them all once when it returns', async () => {
  const buyers = startBuyers(() => checkout.base, sale, { concurrency: 5, max: BUYERS, pauseMs: 200 });
  await until(async () => (await written()) >= 20, 120_000, 'first orders written');
  const confirmedBefore = Number((await s.redis.hget(sale.k.stats, 'ordersConfirmed')) ?? 0);

  await pg.stop();
  const downAt = Date.now();
  const acceptedAtStop = buyers.accepted().length;
  // While it is down: checkout still accepts, and no order is confirmed.
  await sleep(OUTAGE_MS / 2);
  expect(buyers.accepted().length).toBeGreaterThan(acceptedAtStop);
  const health = await fetch(`${worker.base}/readyz`).then((r) => r.status);
  expect(health).toBe(503); // the worker reports it cannot reach PostgreSQL
  await sleep(Math.max(0, OUTAGE_MS - (Date.now() - downAt)));
  expect(Number((await s.redis.hget(sale.k.stats, 'ordersConfirmed')) ?? 0)).toBeLessThanOrEqual(
    confirmedBefore + 20, // at most a batch that was already written when the stop began
  );
  const acceptedDuringOutage = buyers.accepted().length - acceptedAtStop;
  await pg.start();

  await buyers.done;
  const accepted = buyers.accepted();
  expect(accepted).toHaveLength(BUYERS);
  expect(acceptedDuringOutage).toBeGreaterThan(0);
  await until(async () => (await s.redis.zcard(sale.k.reservations)) === 0, 180_000, 'every reservation finalised');
  const { rows } = await s.pool.query<{ order_id: string; status: string }>('SELECT order_id::text, status FROM orders');
  expect(rows).toHaveLength(BUYERS);
  expect(new Set(rows.map((r) => r.order_id))).toEqual(new Set(accepted.map((a) => a.orderId)));
  expect(rows.every((r) => r.status === 'confirmed')).toBe(true);
  expect(await s.redis.hget(sale.k.stock, 'SKU-1')).toBe(String(STOCK - BUYERS));
  // The worker came back by itself (same process).
  expect(worker.proc.exitCode).toBeNull();
  const { confirmedUnits } = await expectReconciled(s.redis, s.pool, s.prefix, sale.evt);
  expect(confirmedUnits).toBe(BUYERS);
}, 420_000);
