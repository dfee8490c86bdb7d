// Case 6, a checkout that dies between the stock decrement and the job add: the purchase script
// runs (stock down, ticket used, reservation with its expiry) and no order job is ever added, as
// when the process is killed right after the Lua call. A real order worker process sweeps the
// reservation when it expires: PostgreSQL has no order, so the units go back and the order id is
// voided. Real Redis and PostgreSQL; ends with the reconciliation check.
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
let worker: Service;

beforeAll(async () => {
  s = await openStores();
  sale = await openSale(s, [{ sku: 'SKU-1', stock: 10, limitPerShopper: 2 }]);
  worker = await spawnWorker(s, { SWEEP_INTERVAL_MS: '200' });
}, 90_000);

afterAll(async () => {
  await worker?.kill();
  await s?.cleanup();
});

it('returns the units of a reservation whose job was never added once it expires', async () => {
  const now = Date.now();
  const orphans = [randomUUID(), randomUUID(), randomUUID()];
  for (const [i, orderId] of orphans.entries()) {
    await reserve(s.redis, s.prefix, {
      evt: sale.evt,
      jti: `crashed-${i}`,
      sub: `crashed-${i}`,
      ticketDigest: ticketDigest(await sale.ticket(`crashed-${i}`)),
      sku: 'SKU-1',
      qty: 2,
      orderId,
      idempotencyKey: null,
      now,
      expiresAt: now + 3000, // RESERVATION_TTL_S, shortened
    });
  }
  // The crash left the units reserved: stock is down, and that is consistent (counted as reserved).
  expect(await s.redis.hget(sale.k.stock, 'SKU-1')).toBe('4');
  expect(await s.redis.zcard(sale.k.reservations)).toBe(3);
  await expectReconciled(s.redis, s.pool, s.prefix, sale.evt);

  await until(async () => (await s.redis.zcard(sale.k.reservations)) === 0, 30_000, 'the sweeper to handle the expired reservations');
  expect(await s.redis.hget(sale.k.stock, 'SKU-1')).toBe('10');
  expect((await s.redis.smembers(sale.k.voided)).sort()).toEqual([...orphans].sort());
  expect(await s.redis.hlen(sale.k.reservation)).toBe(0);
  // The shoppers' per-person counts are freed with the units; their tickets stay used.
  for (let i = 0; i < 3; i++) {
    expect(Number((await s.redis.hget(sale.k.bought, `crashed-${i}`)) ?? 0)).toBe(0);
    expect(await s.redis.hget(sale.k.used, `crashed-${i}`)).toBe(orphans[i]);
  }
  expect((await s.pool.query('SELECT count(*)::int AS n FROM orders')).rows[0].n).toBe(0);
  const { confirmedUnits } = await expectReconciled(s.redis, s.pool, s.prefix, sale.evt);
  expect(confirmedUnits).toBe(0);
}, 90_000);
