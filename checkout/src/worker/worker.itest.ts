// The order worker against real Redis, PostgreSQL and BullMQ: redelivery, declines, the sweeper.
import { createRedis, type Redis } from '@sluice/shared';
import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { type CheckoutApp, startCheckout } from '../app.ts';
import { bullPrefix, ORDER_QUEUE, type OrderJobData } from '../orders/queue.ts';
import { reconcileEvent } from '../reconcile/check.ts';
import { type Sale, saleFixture, until } from '../testing/sale.ts';
import { SimulatedPayments } from './payment.ts';
import { writeOrders } from './persist.ts';
import { sweepOnce } from './sweeper.ts';
import { type OrderWorker, startWorker } from './worker.ts';

let sale: Sale;
let app: CheckoutApp | undefined;
let worker: OrderWorker | undefined;
let queue: Queue<OrderJobData> | undefined;
let queueRedis: Redis | undefined;
const silent = { info() {}, warn() {}, error() {} } as never;

afterEach(async () => {
  await worker?.close();
  await app?.close();
  await queue?.close();
  queueRedis?.disconnect();
  worker = app = queue = queueRedis = undefined;
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

    queueRedis = createRedis(sale.workerConfig.redisUrl);
    queue = new Queue<OrderJobData>(ORDER_QUEUE, { connection: queueRedis, prefix: bullPrefix(sale.r.prefix, sale.evt) });
    const first = await queue.getJob(orderId);
    expect(first?.data.orderId).toBe(orderId);
    // A redelivery: the same order under another job id (BullMQ would ignore the same id).
    const again = await queue.add('order', first!.data, { jobId: `${orderId}-again` });
    await until(async () => (await again.getState()) === 'completed', 'second delivery processed');

    expect(await orderRows(sale)).toEqual([{ order_id: orderId, status: 'confirmed', fail_reason: null }]);
    expect(await sale.r.redis.hget(sale.k.stats, 'ordersConfirmed')).toBe('1');
    expect(await sale.r.redis.hget(sale.k.stock, 'SKU-1')).toBe('2');
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
