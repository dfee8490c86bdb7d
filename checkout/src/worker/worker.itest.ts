// The order worker against real Redis and PostgreSQL: redelivery, a dead consumer's pending
// entries, declines, the sweeper.
import { loadConfig, workerSchema } from '@sluice/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { type CheckoutApp, startCheckout } from '../app.ts';
import { ORDER_FIELD, ORDER_GROUP, parseOrderEntry } from '../orders/queue.ts';
import { reconcileEvent } from '../reconcile/check.ts';
import { type Sale, saleFixture, until } from '../testing/sale.ts';
import { SimulatedPayments } from './payment.ts';
import { writeOrders } from './persist.ts';
import { sweepOnce } from './sweeper.ts';
import { type OrderWorker, startWorker } from './worker.ts';

let sale: Sale;
let app: CheckoutApp | undefined;
let worker: OrderWorker | undefined;
const silent = { info() {}, warn() {}, error() {} } as never;

afterEach(async () => {
  await worker?.close();
  await app?.close();
  worker = app = undefined;
  await sale?.cleanup();
});

async function buy(ticket: string, qty = 1): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${app!.port}/v1/checkout`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ticket}` },
    body: JSON.stringify({ sku: 'SKU-1', qty }),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { orderId: string }).orderId;
}

/** Entries in the event's stream, and those delivered but not acknowledged. */
const streamState = async (s: Sale) => ({
  entries: await s.r.redis.xlen(s.k.orders),
  pending: Number(((await s.r.redis.xpending(s.k.orders, ORDER_GROUP)) as [number])[0]),
});

const orderRows = async (s: Sale) =>
  (await s.db.pool.query<{ order_id: string; status: string; fail_reason: string | null }>('SELECT order_id, status, fail_reason FROM orders')).rows;

describe('order worker', () => {
  it('writes one row when the same order job is processed twice', async () => {
    sale = await saleFixture({ products: [{ sku: 'SKU-1', stock: 3 }] });
    app = await startCheckout(sale.checkoutConfig, { keys: sale.keys, pool: sale.db.pool });
    worker = await startWorker(sale.workerConfig, { pool: sale.db.pool });
    const orderId = await buy(await sale.ticket());
    await until(async () => (await orderRows(sale)).length === 1, 'first write');
    await until(async () => (await sale.r.redis.hlen(sale.k.reservation)) === 0, 'reservation closed');

    await until(async () => (await streamState(sale)).entries === 0, 'entry acknowledged and deleted');
    expect(await streamState(sale)).toEqual({ entries: 0, pending: 0 });

    // A redelivery: the same order appended again, twice, so one batch may carry it twice.
    const rec = JSON.parse((await sale.r.redis.hget(sale.k.reservation, orderId)) ?? 'null');
    expect(rec).toBeNull(); // closed by the first delivery
    const data = { orderId, evt: sale.evt, sku: 'SKU-1', qty: 1, jti: 'x', sub: 'x', unitPriceCents: 1000, idempotencyKey: null, at: Date.now() };
    const row = (await orderRows(sale))[0];
    expect(row?.order_id).toBe(orderId);
    const jti = (await sale.db.pool.query<{ ticket_jti: string }>('SELECT ticket_jti FROM orders')).rows[0]!.ticket_jti;
    for (let i = 0; i < 2; i++) await sale.r.redis.xadd(sale.k.orders, '*', ORDER_FIELD, JSON.stringify({ ...data, jti, sub: jti }));
    await until(async () => (await streamState(sale)).entries === 0, 'second deliveries processed');
    expect(await streamState(sale)).toEqual({ entries: 0, pending: 0 });

    expect(await orderRows(sale)).toEqual([{ order_id: orderId, status: 'confirmed', fail_reason: null }]);
    expect(await sale.r.redis.hget(sale.k.stats, 'ordersConfirmed')).toBe('1');
    expect(await sale.r.redis.hget(sale.k.stock, 'SKU-1')).toBe('2');
    expect((await reconcileEvent(sale.r.redis, sale.db.pool, sale.r.prefix, sale.evt)).ok).toBe(true);
  });

  it('writes the orders a dead consumer took and never acknowledged', async () => {
    sale = await saleFixture({ products: [{ sku: 'SKU-1', stock: 10 }] });
    app = await startCheckout(sale.checkoutConfig, { keys: sale.keys, pool: sale.db.pool });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await buy(await sale.ticket(`dead-${i}`)));
    // A worker read them (they are now pending under its name) and died before writing them.
    await sale.r.redis.xgroup('CREATE', sale.k.orders, ORDER_GROUP, '0', 'MKSTREAM');
    const taken = (await sale.r.redis.xreadgroup('GROUP', ORDER_GROUP, 'dead-worker', 'COUNT', 100, 'STREAMS', sale.k.orders, '>')) as [
      string,
      [string, string[]][],
    ][];
    expect(taken[0]![1].map(([, f]) => parseOrderEntry(f)?.orderId).sort()).toEqual([...ids].sort());
    expect(await streamState(sale)).toEqual({ entries: 5, pending: 5 });

    // Another worker takes them over once the dead one has held them WORKER_LOCK_MS.
    const config = loadConfig(workerSchema, { ...sale.workerEnv, WORKER_LOCK_MS: '1000' });
    worker = await startWorker(config, { pool: sale.db.pool });
    await until(async () => (await orderRows(sale)).length === 5, 'orders written by the other worker', 20_000);
    await until(async () => (await streamState(sale)).entries === 0, 'entries acknowledged and deleted', 20_000);
    expect((await orderRows(sale)).map((r) => r.order_id).sort()).toEqual([...ids].sort());
    expect(await streamState(sale)).toEqual({ entries: 0, pending: 0 });
    expect(await sale.r.redis.hget(sale.k.stats, 'ordersConfirmed')).toBe('5');
    expect((await reconcileEvent(sale.r.redis, sale.db.pool, sale.r.prefix, sale.evt)).ok).toBe(true);
  });

  it('returns the units of a declined payment and reopens a soldout event', async () => {
    sale = await saleFixture({ products: [{ sku: 'SKU-1', stock: 1 }] });
    app = await startCheckout(sale.checkoutConfig, { keys: sale.keys, pool: sale.db.pool });
    const orderId = await buy(await sale.ticket());
    expect(await sale.r.redis.hget(sale.k.event, 'state')).toBe('soldout');
    expect(await sale.r.redis.hget(sale.k.stock, 'SKU-1')).toBe('0');

    worker = await startWorker(sale.workerConfig, {
      pool: sale.db.pool,
      payments: new SimulatedPayments({ latencyMs: 0, declineRate: 1 }),
    });
    await until(async () => (await orderRows(sale)).length === 1, 'order written');
    await until(async () => (await sale.r.redis.hget(sale.k.stock, 'SKU-1')) === '1', 'units back');
    expect(await orderRows(sale)).toEqual([{ order_id: orderId, status: 'failed', fail_reason: 'declined' }]);
    expect(await sale.r.redis.hget(sale.k.event, 'state')).toBe('open');
    expect(await sale.r.redis.hget(sale.k.stats, 'ordersFailed')).toBe('1');
    expect((await reconcileEvent(sale.r.redis, sale.db.pool, sale.r.prefix, sale.evt)).ok).toBe(true);
  });

  it('voids an expired reservation with no order; the late job writes its order as failed', async () => {
    sale = await saleFixture({ products: [{ sku: 'SKU-1', stock: 2 }] });
    app = await startCheckout(sale.checkoutConfig, { keys: sale.keys, pool: sale.db.pool });
    const orderId = await buy(await sale.ticket('late-shopper'));
    await sale.r.redis.zadd(sale.k.admitted, Date.now() + 60_000, 'late-shopper');
    const expiry = Number(await sale.r.redis.zscore(sale.k.reservations, orderId));

    const deps = { redis: sale.r.redis, pool: sale.db.pool, prefix: sale.r.prefix, log: silent };
    expect(await sweepOnce(deps, expiry - 1)).toEqual({ finalized: 0, voided: 0 }); // not expired yet
    expect(await sweepOnce(deps, expiry)).toEqual({ finalized: 0, voided: 1 });
    expect(await sale.r.redis.hget(sale.k.stock, 'SKU-1')).toBe('2');
    expect(await sale.r.redis.sismember(sale.k.voided, orderId)).toBe(1);
    expect(await sale.r.redis.zscore(sale.k.admitted, 'late-shopper')).toBeNull();

    worker = await startWorker(sale.workerConfig, { pool: sale.db.pool });
    await until(async () => (await orderRows(sale)).length === 1, 'late order written');
    expect(await orderRows(sale)).toEqual([{ order_id: orderId, status: 'failed', fail_reason: 'expired' }]);
    expect(await sale.r.redis.hget(sale.k.stock, 'SKU-1')).toBe('2'); // returned once, not twice
    expect(await sale.r.redis.hget(sale.k.stats, 'ordersExpired')).toBe('1');
    expect((await reconcileEvent(sale.r.redis, sale.db.pool, sale.r.prefix, sale.evt)).ok).toBe(true);
  });

  it('finalises an expired reservation as written when its order is in PostgreSQL', async () => {
    sale = await saleFixture({ products: [{ sku: 'SKU-1', stock: 2 }] });
    app = await startCheckout(sale.checkoutConfig, { keys: sale.keys, pool: sale.db.pool });
    const orderId = await buy(await sale.ticket('p1'));
    // The worker wrote the order and died before finalising it.
    const rec = JSON.parse((await sale.r.redis.hget(sale.k.reservation, orderId))!);
    await writeOrders(sale.db.pool, [
      {
        orderId,
        evt: sale.evt,
        sku: rec.sku,
        qty: rec.qty,
        jti: rec.jti,
        placeId: rec.sub,
        status: 'confirmed',
        failReason: null,
        amountCents: rec.price * rec.qty,
        paymentRef: 'ref',
        idempotencyKey: null,
        createdAt: rec.at,
      },
    ]);
    expect((await reconcileEvent(sale.r.redis, sale.db.pool, sale.r.prefix, sale.evt)).ok).toBe(true);
    const deps = { redis: sale.r.redis, pool: sale.db.pool, prefix: sale.r.prefix, log: silent };
    expect(await sweepOnce(deps, Date.now() + 3_600_000)).toEqual({ finalized: 1, voided: 0 });
    expect(await sale.r.redis.hlen(sale.k.reservation)).toBe(0);
    expect(await sale.r.redis.hget(sale.k.stock, 'SKU-1')).toBe('1');
    expect(await sale.r.redis.hget(sale.k.stats, 'ordersConfirmed')).toBe('1');
    expect((await reconcileEvent(sale.r.redis, sale.db.pool, sale.r.prefix, sale.evt)).ok).toBe(true);
  });
});
