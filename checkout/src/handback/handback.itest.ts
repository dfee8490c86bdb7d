// POST /v1/handback against the real Redis: the admitted slot is freed at once, the ticket can no
// longer buy, a repeat is a harmless replay, and a ticket the gate never issued is refused.
import { buildClaims, signTicket } from '@sluice/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CheckoutApp, startCheckout } from '../app.ts';
import { type Sale, saleFixture } from '../testing/sale.ts';

let sale: Sale;
let app: CheckoutApp;
let base: string;

beforeAll(async () => {
  sale = await saleFixture();
  app = await startCheckout(sale.checkoutConfig, { keys: sale.keys, pool: sale.db.pool });
  base = `http://127.0.0.1:${app.port}`;
});
afterAll(async () => {
  await app?.close();
  await sale?.cleanup();
});

const post = (path: string, ticket: string, body: unknown = {}) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ticket}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('hand-back', () => {
  it('frees the admitted slot at once, ends the ticket, and counts it for the admission log', async () => {
    const place = 'place-done';
    const ticket = await sale.ticket(place);
    await sale.r.redis.zadd(sale.k.admitted, Date.now() + 600_000, place);

    const first = await post('/v1/handback', ticket, { reason: 'left' });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ freed: true, replay: false });
    expect(await sale.r.redis.zscore(sale.k.admitted, place)).toBeNull();
    expect(await sale.r.redis.hget(sale.k.stats, 'handback')).toBe('1');
    expect(await sale.r.redis.hget(sale.k.handback, place)).toMatch(/^\d+ left$/);

    const again = await post('/v1/handback', ticket);
    expect(await again.json()).toEqual({ freed: false, replay: true });
    expect(await sale.r.redis.hget(sale.k.stats, 'handback')).toBe('1');

    const buy = await post('/v1/checkout', ticket, { sku: 'SKU-1', qty: 1 });
    expect(buy.status).toBe(409);
    expect(((await buy.json()) as { error: { code: string } }).error.code).toBe('TICKET_USED');
  });

  it('refuses a ticket the gate never issued and a bad reason, freeing nothing', async () => {
    const place = 'place-forged';
    await sale.r.redis.zadd(sale.k.admitted, Date.now() + 600_000, place);
    const now = Date.now();
    const forged = await signTicket(
      sale.keyring.current,
      buildClaims({ placeId: place, evt: sale.evt, admittedAtMs: now, ttlS: 600, nowMs: now, iss: sale.checkoutConfig.ticketIssuer, aud: sale.checkoutConfig.ticketAudience }),
    );
    expect((await post('/v1/handback', forged)).status).toBe(401);
    const good = await sale.ticket(place);
    expect((await post('/v1/handback', good, { reason: 'bored' })).status).toBe(400);
    expect(await sale.r.redis.zscore(sale.k.admitted, place)).not.toBeNull();
  });
});
