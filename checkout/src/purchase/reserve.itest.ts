// The purchase script on its own (real Redis, PostgreSQL for the worker): the reservation and the
// order's stream entry are one atomic call, a replay adds no second entry, and the order worker
// writes what the script alone left.
import { randomUUID } from 'node:crypto';
import { ticketDigest } from '@sluice/shared';
import { afterEach, expect, it } from 'vitest';
import { type OrderJobData, parseOrderEntry } from '../orders/queue.ts';
import { type Sale, saleFixture, until } from '../testing/sale.ts';
import { type OrderWorker, startWorker } from '../worker/worker.ts';
import { reserve } from './reserve.ts';

let sale: Sale;
let worker: OrderWorker | undefined;

afterEach(async () => {
  await worker?.close();
  worker = undefined;
  await sale?.cleanup();
});

const entries = async (): Promise<OrderJobData[]> =>
  ((await sale.r.redis.xrange(sale.k.orders, '-', '+')) as [string, string[]][]).map(
    ([, f]) => parseOrderEntry(f)!,
  );

async function buy(jti: string, orderId: string, idempotencyKey: string | null, qty = 1) {
  const now = 1_764_480_000_123;
  return reserve(sale.r.redis, sale.r.prefix, {
    evt: sale.evt,
    jti,
    sub: jti,
    ticketDigest: ticketDigest(await sale.ticket(jti)),
    sku: 'SKU-1',
    qty,
    orderId,
    idempotencyKey,
    now,
    expiresAt: Date.now() + 60_000,
  });
}

it('appends the order entry in the same call as the reservation; a replay adds none; the worker writes it once', async () => {
  sale = await saleFixture({ products: [{ sku: 'SKU-1', stock: 5, limitPerShopper: 2, priceCents: 1500 }] });
  const first = randomUUID();
  expect(await buy('place-a', first, null, 2)).toEqual({ orderId: first, replay: false, soldOutVersion: 0 });
  // What the worker reads: the same fields checkout used to append itself.
  expect(await entries()).toEqual([
    {
      orderId: first,
      evt: sale.evt,
      sku: 'SKU-1',
      qty: 2,
      jti: 'place-a',
      sub: 'place-a',
      unitPriceCents: 1500,
      idempotencyKey: null,
      at: 1_764_480_000_123,
    },
  ]);
  // A retry (its first answer lost) gets the first order back and appends nothing.
  expect(await buy('place-a', randomUUID(), null, 2)).toEqual({
    orderId: first,
    replay: true,
    soldOutVersion: 0,
  });
  const keyed = randomUUID();
  await buy('place-b', keyed, 'key-1');
  expect(await buy('place-b', randomUUID(), 'key-1')).toMatchObject({ orderId: keyed, replay: true });
  expect((await entries()).map((e) => [e.orderId, e.idempotencyKey])).toEqual([
    [first, null],
    [keyed, 'key-1'],
  ]);
  expect(await sale.r.redis.hget(sale.k.stock, 'SKU-1')).toBe('2');

  worker = await startWorker(sale.workerConfig, { pool: sale.db.pool });
  await until(async () => (await sale.r.redis.xlen(sale.k.orders)) === 0, 'every entry written and deleted');
  const { rows } = await sale.db.pool.query(
    'SELECT order_id, status, qty, idempotency_key FROM orders ORDER BY qty DESC',
  );
  expect(rows).toEqual([
    { order_id: first, status: 'confirmed', qty: 2, idempotency_key: null },
    { order_id: keyed, status: 'confirmed', qty: 1, idempotency_key: 'key-1' },
  ]);
  expect(await sale.r.redis.hlen(sale.k.reservation)).toBe(0);
  // Once the order is written: the same Idempotency-Key still answers the same order; a retry
  // without one is a second use. Neither appends anything.
  expect(await buy('place-b', randomUUID(), 'key-1')).toMatchObject({ orderId: keyed, replay: true });
  await expect(buy('place-a', randomUUID(), null, 2)).rejects.toMatchObject({ code: 'TICKET_USED' });
  expect(await sale.r.redis.xlen(sale.k.orders)).toBe(0);
});

it('writes nothing when the order entry cannot be appended (the XADD is the first write)', async () => {
  sale = await saleFixture({ products: [{ sku: 'SKU-1', stock: 5 }] });
  await sale.r.redis.set(sale.k.orders, 'not a stream');
  await expect(buy('place-c', randomUUID(), null)).rejects.toThrow(/WRONGTYPE/);
  expect(await sale.r.redis.hget(sale.k.stock, 'SKU-1')).toBe('5');
  expect(await sale.r.redis.hlen(sale.k.used)).toBe(0);
  expect(await sale.r.redis.zcard(sale.k.reservations)).toBe(0);
});
