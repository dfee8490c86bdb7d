// Issue 16 item 4: a checkout that reserved units and then answered 503 (its Redis reply timed
// out) must let a retry of the same ticket recover the same order, with no Idempotency-Key.
// A private Redis is held busy by a long Lua script (as a slow or overloaded Redis would be): the
// purchase command is already on the wire when checkout's 500 ms timeout answers 503; Redis then
// runs it: the units are reserved and the order entry appended (one script). The shopper retries exactly as sluice.js
// does (same ticket, same body, no key). Real Redis, real PostgreSQL, the real checkout app and
// order worker; ends with the reconciliation check.
import { checkoutSchema, LocalKeys, loadConfig, workerSchema } from '@sluice/shared';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type CheckoutApp, startCheckout } from '../../checkout/src/app.ts';
import { type OrderWorker, startWorker } from '../../checkout/src/worker/worker.ts';
import { expectReconciled } from '../support/reconcile.ts';
import { buy } from '../support/sale.ts';
import { openSale, type OpenSale } from '../support/sale.ts';
import { openStores, type PrivateRedis, privateRedis, type Stores } from '../support/stores.ts';
import { until } from '../support/wait.ts';

let redis: PrivateRedis;
let s: Stores;
let sale: OpenSale;
let app: CheckoutApp;
let worker: OrderWorker | undefined;

beforeAll(async () => {
  redis = await privateRedis();
  s = await openStores(redis.url);
  sale = await openSale(s, [{ sku: 'SKU-1', stock: 5, limitPerShopper: 1 }]);
  const env = { ...s.env, LOG_LEVEL: 'silent' };
  const config = loadConfig(checkoutSchema, { ...env, CHECKOUT_HOST: '127.0.0.1', CHECKOUT_PORT: '0', CHECKOUT_REDIS_TIMEOUT_MS: '300' });
  app = await startCheckout(config, { keys: await LocalKeys.from(sale.keyring.jwks), pool: s.pool });
}, 60_000);

afterAll(async () => {
  await worker?.close();
  await app?.close();
  await s?.cleanup();
  await redis?.destroy();
});

/** Keep the server busy in one script for `ms` (every other client waits, none is refused). */
async function holdRedisBusy(ms: number): Promise<void> {
  const busy = s.redis.duplicate();
  const lua = `local t = redis.call('TIME'); local stop = t[1] * 1000000 + t[2] + ${ms * 1000}
    repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] >= stop return 1`;
  try {
    await busy.eval(lua, 0);
  } finally {
    busy.disconnect();
  }
}

it('recovers the order of a checkout that answered 503 after reserving, on a retry without a key', async () => {
  const base = `http://127.0.0.1:${app.port}`;
  const ticket = await sale.ticket('shopper-503');

  const busy = holdRedisBusy(1500);
  await new Promise((r) => setTimeout(r, 100)); // the script is running
  const first = await buy(base, ticket);
  expect(first).toMatchObject({ status: 503, code: 'UNAVAILABLE' });
  await busy;

  // The purchase ran after all: the unit is reserved, the ticket used, the order entry appended.
  const orderId = await until(() => s.redis.hget(sale.k.used, 'shopper-503'), 5000, 'the late purchase to run');
  expect(await s.redis.hget(sale.k.stock, 'SKU-1')).toBe('4');

  const retry = await buy(base, ticket);
  expect(retry).toMatchObject({ status: 202, orderId });
  const again = await buy(base, ticket);
  expect(again).toMatchObject({ status: 202, orderId });
  expect(await s.redis.hget(sale.k.stock, 'SKU-1')).toBe('4');
  expect(await s.redis.xlen(sale.k.orders)).toBe(1); // the retries appended no second entry

  // The worker confirms the very order the shopper holds.
  const workerConfig = loadConfig(workerSchema, { ...s.env, LOG_LEVEL: 'silent', WORKER_METRICS_PORT: '0', WORKER_RETRY_MS: '200' });
  worker = await startWorker(workerConfig, { pool: s.pool });
  await until(
    async () => (await s.pool.query(`SELECT 1 FROM orders WHERE order_id = $1 AND status = 'confirmed'`, [orderId])).rowCount === 1,
    30_000,
    'the recovered order confirmed',
  );
  const done = await expectReconciled(s.redis, s.pool, s.prefix, sale.evt);
  expect(done.confirmedUnits).toBe(1);
  // Once the order is final the ticket is spent: a later use is refused.
  expect(await buy(base, ticket)).toMatchObject({ status: 409, code: 'TICKET_USED' });
});
