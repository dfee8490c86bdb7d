// Case 6, a checkout that dies right after the purchase script: the script reserved the units and
// appended the order's entry to the event's stream in one atomic call, so nothing is lost with the
// process: a real order worker process writes the order. A reservation left without its entry
// (deleted by hand, or written by a checkout older than purchase-11.lua) is swept when it expires:
// PostgreSQL has no order, so the units go back and the order id is voided. Real Redis and
// PostgreSQL; each case ends with the reconciliation check.
import { randomUUID } from 'node:crypto';
import { ticketDigest } from '@sluice/shared';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { reserve } from '../../checkout/src/purchase/reserve.ts';
import { expectReconciled } from '../support/reconcile.ts';
import { type OpenSale, openSale } from '../support/sale.ts';
import { type Service, spawnWorker } from '../support/services.ts';
import { openStores, type Stores } from '../support/stores.ts';
import { until } from '../support/wait.ts';

let s: Stores;
let sale: OpenSale;
let worker: Service | undefined;

beforeAll(async () => {
  s = await openStores();
  sale = await openSale(s, [{ sku: 'SKU-1', stock: 10, limitPerShopper: 2 }]);
}, 90_000);

afterAll(async () => {
  await worker?.kill();
  await s?.cleanup();
});

/** The purchase script alone, as a checkout killed right after it leaves it. */
async function reserveOnly(jti: string, orderId: string, ttlMs: number): Promise<void> {
  const now = Date.now();
  await reserve(s.redis, s.prefix, {
    evt: sale.evt,
    jti,
    sub: jti,
    ticketDigest: ticketDigest(await sale.ticket(jti)),
    sku: 'SKU-1',
    qty: 2,
    orderId,
    idempotencyKey: null,
    now,
    expiresAt: now + ttlMs,
  });
}

it('returns the units of a reservation left without its order entry once it expires', async () => {
  const orphans = [randomUUID(), randomUUID(), randomUUID()];
  for (const [i, orderId] of orphans.entries()) await reserveOnly(`orphan-${i}`, orderId, 3000); // RESERVATION_TTL_S, shortened
  expect(await s.redis.xlen(sale.k.orders)).toBe(3);
  await s.redis.del(sale.k.orders); // the entries gone: only the sweeper can close the reservations
  // Stock is down, and that is consistent (counted as reserved).
  expect(await s.redis.hget(sale.k.stock, 'SKU-1')).toBe('4');
  expect(await s.redis.zcard(sale.k.reservations)).toBe(3);
  await expectReconciled(s.redis, s.pool, s.prefix, sale.evt);

  worker = await spawnWorker(s, { SWEEP_INTERVAL_MS: '200' });
  await until(
    async () => (await s.redis.zcard(sale.k.reservations)) === 0,
    30_000,
    'the sweeper to handle the expired reservations',
  );
  expect(await s.redis.hget(sale.k.stock, 'SKU-1')).toBe('10');
  expect((await s.redis.smembers(sale.k.voided)).sort()).toEqual([...orphans].sort());
  expect(await s.redis.hlen(sale.k.reservation)).toBe(0);
  // The shoppers' per-person counts are freed with the units; their tickets stay used.
  for (let i = 0; i < 3; i++) {
    expect(Number((await s.redis.hget(sale.k.bought, `orphan-${i}`)) ?? 0)).toBe(0);
    expect(await s.redis.hget(sale.k.used, `orphan-${i}`)).toBe(orphans[i]);
  }
  expect((await s.pool.query('SELECT count(*)::int AS n FROM orders')).rows[0].n).toBe(0);
  const { confirmedUnits } = await expectReconciled(s.redis, s.pool, s.prefix, sale.evt);
  expect(confirmedUnits).toBe(0);
}, 90_000);

it('writes the orders of a checkout that died right after the purchase script', async () => {
  const crashed = [randomUUID(), randomUUID()];
  for (const [i, orderId] of crashed.entries()) await reserveOnly(`crashed-${i}`, orderId, 60_000);
  await until(
    async () => (await s.redis.zcard(sale.k.reservations)) === 0,
    30_000,
    'the worker to write the orders',
  );
  const { rows } = await s.pool.query<{ order_id: string; status: string }>(
    'SELECT order_id::text, status FROM orders ORDER BY order_id',
  );
  expect(rows).toEqual([...crashed].sort().map((order_id) => ({ order_id, status: 'confirmed' })));
  expect(await s.redis.hget(sale.k.stock, 'SKU-1')).toBe('6');
  expect(await s.redis.xlen(sale.k.orders)).toBe(0);
  const { confirmedUnits } = await expectReconciled(s.redis, s.pool, s.prefix, sale.evt);
  expect(confirmedUnits).toBe(4);
}, 90_000);
