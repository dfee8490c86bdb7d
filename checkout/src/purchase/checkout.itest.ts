// The purchase flow over real HTTP against real Redis, PostgreSQL and an in-process worker.
import { randomUUID } from 'node:crypto';
import { buildClaims, globalKeys, type Redis, signTicket, ticketDigest, updateEvent } from '@sluice/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CheckoutApp, startCheckout } from '../app.ts';
import { pool, type Sale, saleFixture, until } from '../testing/sale.ts';
import { type OrderWorker, startWorker } from '../worker/worker.ts';
import { reserve } from './reserve.ts';

let sale: Sale;
let app: CheckoutApp;
let worker: OrderWorker | undefined;
let base: string;

async function setup(products: Parameters<typeof saleFixture>[0]) {
  sale = await saleFixture(products);
  app = await startCheckout(sale.checkoutConfig, { keys: sale.keys, pool: sale.db.pool });
  base = `http://127.0.0.1:${app.port}`;
}

afterEach(async () => {
  await worker?.close();
  worker = undefined;
  await app?.close();
  await sale?.cleanup();
});

function buy(ticket: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${base}/v1/checkout`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ticket}`, ...headers },
    body: JSON.stringify(body),
  });
}

describe('checkout', () => {
  beforeEach(async () => {
    await setup({ products: [{ sku: 'SKU-1', stock: 5, limitPerShopper: 2, priceCents: 1500 }] });
  });

  it('accepts an order, the worker confirms it, and only its ticket can see it', async () => {
    worker = await startWorker(sale.workerConfig, { pool: sale.db.pool });
    const ticket = await sale.ticket('place-a');
    const res = await buy(ticket, { sku: 'SKU-1', qty: 2 });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { orderId: string; status: string; statusUrl: string };
    expect(body.status).toBe('pending');
    expect(body.statusUrl).toBe(`/v1/orders/${body.orderId}`);
    expect(res.headers.get('location')).toBe(body.statusUrl);

    const seen = await until(async () => {
      const r = await fetch(base + body.statusUrl, { headers: { authorization: `Bearer ${ticket}` } });
      const v = (await r.json()) as { status: string; amountCents: number; qty: number };
      return v.status === 'confirmed' ? v : null;
    }, 'order confirmed');
    expect(seen).toMatchObject({ qty: 2, amountCents: 3000, sku: 'SKU-1' });

    const other = await sale.ticket('place-b');
    const r2 = await fetch(base + body.statusUrl, { headers: { authorization: `Bearer ${other}` } });
    expect(r2.status).toBe(404);
    expect(((await r2.json()) as { error: { code: string } }).error.code).toBe('ORDER_NOT_FOUND');
    const r3 = await fetch(base + body.statusUrl);
    expect(r3.status).toBe(401);

    const { rows } = await sale.db.pool.query('SELECT status, qty, ticket_jti FROM orders');
    expect(rows).toEqual([{ status: 'confirmed', qty: 2, ticket_jti: 'place-a' }]);
    expect(await sale.r.redis.hget(sale.k.stock, 'SKU-1')).toBe('3');
    expect(await sale.r.redis.hlen(sale.k.reservation)).toBe(0);
    expect(await sale.r.redis.hget(sale.k.stats, 'ordersConfirmed')).toBe('1');
  });

  it('shows a pending order before the worker runs', async () => {
    const ticket = await sale.ticket();
    const { orderId } = (await (await buy(ticket, { sku: 'SKU-1', qty: 1 })).json()) as { orderId: string };
    const r = await fetch(`${base}/v1/orders/${orderId}`, { headers: { authorization: `Bearer ${ticket}` } });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ orderId, status: 'pending', sku: 'SKU-1', qty: 1 });
    const junk = await fetch(`${base}/v1/orders/not-a-uuid'--`, { headers: { authorization: `Bearer ${ticket}` } });
    expect(junk.status).toBe(404);
  });

  it('serves the catalogue with remaining stock, cacheable for a second', async () => {
    await buy(await sale.ticket(), { sku: 'SKU-1', qty: 1 });
    const r = await fetch(`${base}/v1/events/${sale.evt}/products`);
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('public, max-age=1');
    expect(await r.json()).toEqual({
      event: sale.evt,
      state: 'open',
      products: [{ sku: 'SKU-1', name: 'Product SKU-1', priceCents: 1500, limitPerShopper: 2, remaining: 4 }],
    });
    expect((await fetch(`${base}/v1/events/nope/products`)).status).toBe(404);
    expect((await fetch(`${base}/v1/events/NOT%20AN%20ID/products`)).status).toBe(404);
  });

  it('sells one ticket once when it is sent 50 times in parallel', async () => {
    const ticket = await sale.ticket('place-x');
    const answers = await Promise.all(Array.from({ length: 50 }, () => buy(ticket, { sku: 'SKU-1', qty: 1 })));
    const bodies = await Promise.all(answers.map(async (r) => ({ http: r.status, ...((await r.json()) as { orderId?: string; replay?: boolean }) })));
    // Every copy is the same purchase (same ticket, sku, qty): one order, the others replay it.
    expect(bodies.filter((b) => b.http !== 202)).toEqual([]);
    expect(new Set(bodies.map((b) => b.orderId)).size).toBe(1);
    expect(bodies.filter((b) => b.replay === false)).toHaveLength(1);
    expect(await sale.r.redis.hget(sale.k.stock, 'SKU-1')).toBe('4');
    expect(await sale.r.redis.hlen(sale.k.reservation)).toBe(1);
    // A different purchase with the same ticket is refused.
    const other = await buy(ticket, { sku: 'SKU-1', qty: 2 });
    expect(other.status).toBe(409);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe('TICKET_USED');
  });

  it('recovers the same order for a retry without Idempotency-Key after the first answer was lost', async () => {
    // The reservation is made and its answer never reaches the client (what a 503 after the
    // purchase script leaves: reply timed out, replication not confirmed): its entry is in the
    // stream already, written by the same script call.
    const ticket = await sale.ticket('place-lost');
    const lost = randomUUID();
    const now = Date.now();
    await reserve(sale.r.redis, sale.r.prefix, {
      evt: sale.evt, jti: 'place-lost', sub: 'place-lost', ticketDigest: ticketDigest(ticket), sku: 'SKU-1', qty: 1, orderId: lost,
      idempotencyKey: null, now, expiresAt: now + 60_000,
    });
    const retry = await buy(ticket, { sku: 'SKU-1', qty: 1 });
    expect(retry.status).toBe(202);
    expect(await retry.json()).toMatchObject({ orderId: lost, replay: true });
    expect(await sale.r.redis.hget(sale.k.stock, 'SKU-1')).toBe('4');
    expect(await sale.r.redis.xlen(sale.k.orders)).toBe(1); // the retry added no second entry
    worker = await startWorker(sale.workerConfig, { pool: sale.db.pool });
    await until(async () => {
      const { rows } = await sale.db.pool.query('SELECT status FROM orders WHERE order_id = $1', [lost]);
      return rows[0]?.status === 'confirmed';
    }, 'the recovered order confirmed');
  });

  it('answers a repeat with the same Idempotency-Key with the same order', async () => {
    const ticket = await sale.ticket();
    const h = { 'idempotency-key': 'key-123' };
    const first = (await (await buy(ticket, { sku: 'SKU-1', qty: 1 }, h)).json()) as { orderId: string };
    const again = await buy(ticket, { sku: 'SKU-1', qty: 1 }, h);
    expect(again.status).toBe(202);
    expect(((await again.json()) as { orderId: string }).orderId).toBe(first.orderId);
    const other = await buy(ticket, { sku: 'SKU-1', qty: 1 }, { 'idempotency-key': 'key-456' });
    expect(other.status).toBe(409);
    expect(await sale.r.redis.hget(sale.k.stock, 'SKU-1')).toBe('4');
  });

  it('refuses over the per-shopper limit, revoked tickets and an event that is not open', async () => {
    const over = await buy(await sale.ticket(), { sku: 'SKU-1', qty: 3 });
    expect(over.status).toBe(400);
    expect(((await over.json()) as { error: { code: string } }).error.code).toBe('QTY_OUT_OF_RANGE');

    await sale.r.redis.hset(sale.k.revoked, 'place-r', Date.now());
    const revoked = await buy(await sale.ticket('place-r'), { sku: 'SKU-1', qty: 1 });
    expect(revoked.status).toBe(401);
    expect(((await revoked.json()) as { error: { code: string } }).error.code).toBe('TICKET_REVOKED');

    const unknown = await buy(await sale.ticket(), { sku: 'SKU-2', qty: 1 });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('UNKNOWN_SKU');

    await sale.r.redis.hset(sale.k.event, 'state', 'closed');
    const closed = await buy(await sale.ticket(), { sku: 'SKU-1', qty: 1 });
    expect(closed.status).toBe(409);
    expect(((await closed.json()) as { error: { code: string } }).error.code).toBe('EVENT_NOT_OPEN');
    expect(await sale.r.redis.hget(sale.k.stock, 'SKU-1')).toBe('5');
  });

  it('refuses a ticket the gate never issued, even one signed with the current key, and a forged copy of an issued one', async () => {
    // Signed with the right key but never recorded by a gate (a leaked signing key, a replayed
    // key from another deployment): refused by the purchase script's digest check.
    const claims = buildClaims({ placeId: 'place-unissued', evt: sale.evt, admittedAtMs: Date.now(), ttlS: 600, nowMs: Date.now(), iss: sale.checkoutConfig.ticketIssuer, aud: sale.checkoutConfig.ticketAudience });
    const unissued = await signTicket(sale.keyring.current, claims);
    const r1 = await buy(unissued, { sku: 'SKU-1', qty: 1 });
    expect(r1.status).toBe(401);
    expect(((await r1.json()) as { error: { code: string } }).error.code).toBe('TICKET_SIGNATURE');
    // An issued ticket with its signature changed: the digest differs.
    const issued = await sale.ticket('place-issued');
    const [h, p, s] = issued.split('.') as [string, string, string];
    const r2 = await buy(`${h}.${p}.${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`, { sku: 'SKU-1', qty: 1 });
    expect(r2.status).toBe(401);
    expect(await sale.r.redis.hget(sale.k.stock, 'SKU-1')).toBe('5');
    expect(await sale.r.redis.hlen(sale.k.used)).toBe(0);
    // The genuine one still buys.
    expect((await buy(issued, { sku: 'SKU-1', qty: 1 })).status).toBe(202);
  });

  it('reads the per-shopper limit and price from the products hash written with the config', async () => {
    expect(await sale.r.redis.hget(sale.k.products, 'SKU-1')).toBe('2 1500');
    await updateEvent(sale.r.redis, sale.r.prefix, sale.evt, {
      products: [{ ...sale.config.products[0]!, limitPerShopper: 3, priceCents: 1700 }],
    });
    expect(await sale.r.redis.hget(sale.k.products, 'SKU-1')).toBe('3 1700');
    const res = await buy(await sale.ticket('place-three'), { sku: 'SKU-1', qty: 3 });
    expect(res.status).toBe(202);
    const { orderId } = (await res.json()) as { orderId: string };
    expect(JSON.parse((await sale.r.redis.hget(sale.k.reservation, orderId))!)).toMatchObject({ qty: 3, price: 1700 });
  });

  it('marks the event soldout with the last unit and tells the gates on the control channel', async () => {
    const sub: Redis = sale.r.redis.duplicate();
    const messages: { evt: string; kind: string; version: number }[] = [];
    await sub.subscribe(globalKeys(sale.r.prefix).control);
    sub.on('message', (_c, m) => messages.push(JSON.parse(m)));
    try {
      const results = await pool(8, 8, async () => (await buy(await sale.ticket(), { sku: 'SKU-1', qty: 1 })).status);
      expect(results.filter((s) => s === 202)).toHaveLength(5);
      expect(results.filter((s) => s === 409)).toHaveLength(3);
      expect(await sale.r.redis.hget(sale.k.event, 'state')).toBe('soldout');
      const version = Number(await sale.r.redis.hget(sale.k.event, 'version'));
      await until(async () => messages.find((m) => m.kind === 'state' && m.evt === sale.evt && m.version === version), 'soldout announcement', 5000);
    } finally {
      sub.disconnect();
    }
  });
});
