// Killing the worker (SIGKILL, no shutdown) while batches are in flight loses and duplicates
// nothing: after a restart every accepted order is written exactly once, counted once, and the
// stock reconciles. The worker runs as a real child process.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { type CheckoutApp, startCheckout } from '../app.ts';
import { ORDER_GROUP } from '../orders/queue.ts';
import { reconcileEvent } from '../reconcile/check.ts';
import { pool, type Sale, saleFixture, until } from '../testing/sale.ts';

const ORDERS = 300;
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

let sale: Sale;
let app: CheckoutApp;
const children: ChildProcess[] = [];

function spawnWorker(): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'checkout/src/worker/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...sale.workerEnv,
      LOG_LEVEL: 'warn',
      PAYMENT_LATENCY_MS: '100',
      WORKER_BATCH_SIZE: '10',
      WORKER_BATCHES_IN_FLIGHT: '2',
      WORKER_LOCK_MS: '2000',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
}

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await app?.close();
  await sale?.cleanup();
});

const written = async () =>
  (await sale.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM orders')).rows[0]!.n;

it('loses and duplicates nothing when the worker is killed mid-batch', { timeout: 180_000 }, async () => {
  sale = await saleFixture({ products: [{ sku: 'SKU-1', stock: ORDERS + 50 }] });
  app = await startCheckout(sale.checkoutConfig, { keys: sale.keys, pool: sale.db.pool });

  const accepted = await pool(ORDERS, 50, async (i) => {
    const res = await fetch(`http://127.0.0.1:${app.port}/v1/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await sale.ticket(`p${i}`)}` },
      body: '{"sku":"SKU-1","qty":1}',
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as { orderId: string }).orderId;
  });

  const first = spawnWorker();
  await until(async () => (await written()) >= 30, 'first batches written', 90_000, 20);
  // Entries the worker has read and not acknowledged (its batches in progress).
  // 0 reads as "not yet": until returns the first count above 0.
  const activeAtKill = await until(
    async () => Number(((await sale.r.redis.xpending(sale.k.orders, ORDER_GROUP)) as [number])[0]),
    'a batch in progress',
    30_000,
    5,
  );
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  const writtenAtKill = await written();
  expect(activeAtKill).toBeGreaterThan(0); // batches were in flight when it died
  expect(writtenAtKill).toBeLessThan(ORDERS);

  spawnWorker();
  await until(async () => (await sale.r.redis.hlen(sale.k.reservation)) === 0, 'every reservation finalised', 120_000, 100);
  await until(async () => (await sale.r.redis.xlen(sale.k.orders)) === 0, 'every entry acknowledged', 30_000, 100);

  const { rows } = await sale.db.pool.query<{ order_id: string; status: string }>('SELECT order_id, status FROM orders');
  expect(rows).toHaveLength(ORDERS);
  expect(new Set(rows.map((r) => r.order_id))).toEqual(new Set(accepted));
  expect(rows.every((r) => r.status === 'confirmed')).toBe(true);
  expect(await sale.r.redis.hget(sale.k.stats, 'ordersConfirmed')).toBe(String(ORDERS));
  expect(await sale.r.redis.hget(sale.k.stock, 'SKU-1')).toBe('50');
  expect((await reconcileEvent(sale.r.redis, sale.db.pool, sale.r.prefix, sale.evt)).ok).toBe(true);
});
