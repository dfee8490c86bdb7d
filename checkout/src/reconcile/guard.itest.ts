// The stock check after a Redis failover or restart, on the real Redis and PostgreSQL. A new
// Redis incarnation is simulated the way it looks from inside: the event's `node` record names
// another run_id, and the stock lost the last decrements (units sold in PostgreSQL are back in
// Redis). Until the guard has checked, purchase-8 and admit-11 refuse; the guard then repairs the
// stock from the orders and reservations, or pauses the event when more was sold than stock.
import { createRedis, eventKeys, loadConfig, readNode, type Redis, runScript, workerSchema } from '@sluice/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CheckoutApp, startCheckout } from '../app.ts';
import { type Sale, saleFixture, until } from '../testing/sale.ts';
import { type OrderWorker, startWorker } from '../worker/worker.ts';
import { guardEvent } from './guard.ts';

let sale: Sale;
let app: CheckoutApp;
let worker: OrderWorker;
let own: Redis;
beforeEach(async () => {
  sale = await saleFixture({ products: [{ sku: 'SKU-1', stock: 10 }] });
  app = await startCheckout(sale.checkoutConfig, { keys: sale.keys, pool: sale.db.pool });
  // The worker's own guard loop is slowed down: this test calls the guard itself.
  worker = await startWorker(loadConfig(workerSchema, { ...sale.workerEnv, GUARD_INTERVAL_MS: '60000' }), { pool: sale.db.pool });
  own = createRedis(sale.workerConfig);
});
afterEach(async () => {
  own.disconnect();
  await worker.close();
  await app.close();
  await sale.cleanup();
});

async function buy(): Promise<{ status: number; code?: string }> {
  const res = await fetch(`http://127.0.0.1:${app.port}/v1/checkout`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await sale.ticket()}` },
    body: JSON.stringify({ sku: 'SKU-1', qty: 1 }),
  });
  const body = (await res.json()) as { error?: { code: string } };
  return { status: res.status, ...(body.error ? { code: body.error.code } : {}) };
}

/** Three units sold and written; then the Redis "forgets" them and is a new incarnation. */
async function sellThreeThenLoseThem(): Promise<void> {
  for (let i = 0; i < 3; i++) expect((await buy()).status).toBe(202);
  await until(async () => (await sale.r.redis.hlen(sale.k.reservation)) === 0, 'orders written and finalised');
  expect(await sale.r.redis.hget(sale.k.stock, 'SKU-1')).toBe('7');
  await sale.r.redis.hset(sale.k.stock, 'SKU-1', '10');
  await sale.r.redis.hset(sale.k.event, 'node', 'a-previous-incarnation');
}

/** admit-11 as the leader would call it, with one shopper waiting: how many it admitted. */
async function admitOne(): Promise<number> {
  const k = eventKeys(sale.r.prefix, sale.evt);
  await sale.r.redis.set(k.leader, 'me');
  await sale.r.redis.set(k.fence, '1');
  await sale.r.redis.zadd(k.queue, 1, 'p-waiting');
  const r = await runScript<number[]>(
    sale.r.redis,
    'admit',
    [k.event, k.leader, k.fence, k.queue, k.admitted, k.admittedAt, k.stock, k.stats, k.absent, k.prequeue, k.seq, k.log],
    ['me', '1', 5, Date.now(), 600_000, 1000, 1, 100, 100, ''],
  );
  return Number(r[0]);
}

describe('stock check after a Redis failover or restart', () => {
  it('refuses purchases and admissions until checked, then repairs the lost decrements from PostgreSQL', async () => {
    await sellThreeThenLoseThem();
    expect(await buy()).toEqual({ status: 503, code: 'UNAVAILABLE' });
    expect(await admitOne()).toBe(0);

    const out = await guardEvent(own, sale.db.pool, sale.r.prefix, sale.evt, Date.now);
    expect(out).toMatchObject({ action: 'repaired', rows: [{ sku: 'SKU-1', left: 10, expected: 7, sold: 3 }] });
    expect(await sale.r.redis.hget(sale.k.stock, 'SKU-1')).toBe('7');
    const node = await readNode(sale.r.redis, sale.r.prefix, sale.evt);
    expect(node.recorded).toBe(node.current);
    expect(JSON.parse((await sale.r.redis.hget(sale.k.event, 'guard'))!)).toMatchObject({ action: 'repaired', was: 'a-previous-incarnation' });
    // Checked once: the next round has nothing to do, and the sale goes on.
    expect(await guardEvent(own, sale.db.pool, sale.r.prefix, sale.evt, Date.now)).toBeNull();
    expect((await buy()).status).toBe(202);
    expect(await admitOne()).toBe(1);
  });

  it('says verified when nothing was lost', async () => {
    expect((await buy()).status).toBe(202);
    await sale.r.redis.hset(sale.k.event, 'node', 'a-previous-incarnation');
    const out = await guardEvent(own, sale.db.pool, sale.r.prefix, sale.evt, Date.now);
    expect(out).toMatchObject({ action: 'verified', rows: [{ sku: 'SKU-1', left: 9, expected: 9 }] });
  });

  it('records when it checked, not when it was asked to (after a failover its first read can wait)', async () => {
    expect((await buy()).status).toBe(202);
    await sale.r.redis.hset(sale.k.event, 'node', 'a-previous-incarnation');
    const askedAt = Date.now();
    // The guard's connection is held for 300 ms by a blocking pop queued ahead of its reads, as
    // the connection to a shard waiting for its promoted replica is.
    const held = own.blpop(`${sale.r.prefix}:{${sale.evt}}:nothing`, 0.3);
    const out = await guardEvent(own, sale.db.pool, sale.r.prefix, sale.evt, Date.now);
    expect(await held).toBeNull();
    expect(out?.action).toBe('verified');
    const g = JSON.parse((await sale.r.redis.hget(sale.k.event, 'guard'))!) as { at: number };
    expect(g.at).toBeGreaterThanOrEqual(askedAt + 300);
  });

  it('pauses the event when PostgreSQL holds more than the stock, and stays unverified', async () => {
    await sellThreeThenLoseThem();
    await sale.db.pool.query('UPDATE products SET initial_stock = 2 WHERE event_id = $1', [sale.evt]);
    const out = await guardEvent(own, sale.db.pool, sale.r.prefix, sale.evt, Date.now);
    expect(out).toMatchObject({ action: 'stopped', rows: [{ sku: 'SKU-1', expected: -1 }] });
    expect(await sale.r.redis.hget(sale.k.event, 'state')).toBe('paused');
    expect(await buy()).toEqual({ status: 503, code: 'UNAVAILABLE' });
    // Said once: the next round leaves the paused event alone.
    const version = await sale.r.redis.hget(sale.k.event, 'version');
    expect(await guardEvent(own, sale.db.pool, sale.r.prefix, sale.evt, Date.now)).toBeNull();
    expect(await sale.r.redis.hget(sale.k.event, 'version')).toBe(version);
  });
});
