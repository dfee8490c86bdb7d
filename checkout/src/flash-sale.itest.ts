// The "done when": 5,000 concurrent checkout attempts (5,000 distinct tickets) for 100
// units end with exactly 100 confirmed orders, nothing oversold, and reconciliation passing.
// Real HTTP, Redis, PostgreSQL, BullMQ and a running worker. Asserts counts, never timings.
import { afterAll, expect, it } from 'vitest';
import { type CheckoutApp, startCheckout } from './app.ts';
import { reconcileEvent } from './reconcile/check.ts';
import { pool, type Sale, saleFixture, until } from './testing/sale.ts';
import { type OrderWorker, startWorker } from './worker/worker.ts';

const ATTEMPTS = 5000;
const UNITS = 100;
const CONCURRENCY = 250;
const MAX_TRIES = 20;

let sale: Sale;
let app: CheckoutApp;
let worker: OrderWorker;

afterAll(async () => {
  await worker?.close();
  await app?.close();
  await sale?.cleanup();
});

it(`${ATTEMPTS} attempts for ${UNITS} units: exactly ${UNITS} confirmed, none oversold, reconcile passes`, { timeout: 180_000 }, async () => {
  sale = await saleFixture({ products: [{ sku: 'DROP-1', stock: UNITS, limitPerShopper: 1 }] });
  app = await startCheckout(sale.checkoutConfig, { keys: sale.keys, pool: sale.db.pool });
  worker = await startWorker(sale.workerConfig, { pool: sale.db.pool });
  const tickets = await pool(ATTEMPTS, 64, (i) => sale.ticket(`shopper-${i}`));
  const url = `http://127.0.0.1:${app.port}/v1/checkout`;

  // Shoppers behave like the storefront: one Idempotency-Key per attempt, retried on 503 / 429 /
  // a dropped connection (a 503 can follow a reservation that did happen; the retry recovers it).
  let retries = 0;
  const answers = await pool(ATTEMPTS, CONCURRENCY, async (i) => {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${tickets[i]}`,
            'idempotency-key': `attempt-${i}`,
          },
          body: JSON.stringify({ sku: 'DROP-1', qty: 1 }),
        });
        const body = (await res.json()) as { orderId?: string; error?: { code: string } };
        if ((res.status !== 503 && res.status !== 429) || attempt === MAX_TRIES) {
          return { status: res.status, code: body.error?.code, orderId: body.orderId };
        }
      } catch (err) {
        if (attempt === MAX_TRIES) throw err;
      }
      retries++;
      await new Promise((r) => setTimeout(r, 50 * attempt));
    }
  });
  console.log(`flash sale: ${ATTEMPTS} attempts, ${retries} retries after 503/429/connection errors`);

  const accepted = answers.filter((a) => a.status === 202);
  expect(accepted).toHaveLength(UNITS);
  expect(new Set(accepted.map((a) => a.orderId)).size).toBe(UNITS);
  const refused = answers.filter((a) => a.status !== 202);
  expect(refused.every((a) => a.status === 409 && a.code === 'SOLD_OUT')).toBe(true);
  expect(refused).toHaveLength(ATTEMPTS - UNITS);

  const k = sale.k;
  await until(async () => (await sale.r.redis.hlen(k.reservation)) === 0, 'every reservation finalised', 120_000, 200);
  const { rows } = await sale.db.pool.query<{ status: string; n: number; units: number }>(
    'SELECT status, count(*)::int AS n, sum(qty)::int AS units FROM orders GROUP BY status',
  );
  expect(rows).toEqual([{ status: 'confirmed', n: UNITS, units: UNITS }]);
  const jtis = await sale.db.pool.query<{ n: number }>('SELECT count(DISTINCT ticket_jti)::int AS n FROM orders');
  expect(jtis.rows[0]!.n).toBe(UNITS);
  expect(await sale.r.redis.hget(k.stock, 'DROP-1')).toBe('0');
  expect(await sale.r.redis.hget(k.stats, 'ordersConfirmed')).toBe(String(UNITS));
  expect(await sale.r.redis.hget(k.event, 'state')).toBe('soldout');

  const report = await reconcileEvent(sale.r.redis, sale.db.pool, sale.r.prefix, sale.evt);
  expect(report.rows).toEqual([{ sku: 'DROP-1', initial: UNITS, left: 0, reserved: 0, sold: UNITS, diff: 0 }]);
  expect(report.ok).toBe(true);
});
