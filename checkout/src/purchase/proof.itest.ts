// Bound tickets at checkout over real HTTP and Redis: a ticket carrying cnf.jkt buys only with a
// fresh DPoP proof signed by the shopper's key; a copied ticket (no key, or another key), a
// replayed proof and a proof for another URL are refused; unbound tickets work as before.
import { makeTestKey, makeTestProof } from '@sluice/shared/testing/dpop.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CheckoutApp, startCheckout } from '../app.ts';
import { type Sale, saleFixture } from '../testing/sale.ts';

let sale: Sale;
let app: CheckoutApp;
let url: string;

beforeAll(async () => {
  sale = await saleFixture({ products: [{ sku: 'SKU-1', stock: 10, limitPerShopper: 1 }] });
  app = await startCheckout(sale.checkoutConfig, { keys: sale.keys, pool: sale.db.pool });
  url = `http://127.0.0.1:${app.port}/v1/checkout`;
});
afterAll(async () => {
  await app?.close();
  await sale?.cleanup();
});

async function buy(ticket: string, dpop?: string): Promise<{ status: number; code?: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${ticket}`,
      ...(dpop ? { dpop } : {}),
    },
    body: JSON.stringify({ sku: 'SKU-1', qty: 1 }),
  });
  const body = (await res.json()) as { error?: { code: string } };
  return { status: res.status, ...(body.error ? { code: body.error.code } : {}) };
}

describe('checkout with tickets bound to a key', () => {
  it("refuses a bound ticket without a proof, or with a thief's key, and sells with the owner's", async () => {
    const owner = await makeTestKey();
    const thief = await makeTestKey();
    const ticket = await sale.ticket('bound-1', { jkt: owner.jkt });

    expect(await buy(ticket)).toEqual({ status: 401, code: 'TICKET_PROOF' });
    expect(await buy(ticket, await makeTestProof(thief, { method: 'POST', url, ticket }))).toEqual({
      status: 401,
      code: 'TICKET_PROOF',
    });
    // A proof the owner made for another endpoint or another ticket does not carry over.
    const elsewhere = await makeTestProof(owner, {
      method: 'POST',
      url: url.replace('/v1/checkout', '/v1/other'),
      ticket,
    });
    expect(await buy(ticket, elsewhere)).toEqual({ status: 401, code: 'TICKET_PROOF' });
    const forOther = await makeTestProof(owner, {
      method: 'POST',
      url,
      ticket: await sale.ticket('bound-x', { jkt: owner.jkt }),
    });
    expect(await buy(ticket, forOther)).toEqual({ status: 401, code: 'TICKET_PROOF' });
    expect(await sale.r.redis.hlen(sale.k.reservation)).toBe(0);

    const proof = await makeTestProof(owner, { method: 'POST', url, ticket });
    expect(await buy(ticket, proof)).toEqual({ status: 202 });
    // The same proof again (a replay captured on the wire) is refused before the ticket is looked at.
    expect(await buy(ticket, proof)).toEqual({ status: 401, code: 'TICKET_PROOF' });
    expect(await sale.r.redis.hget(sale.k.stock, 'SKU-1')).toBe('9');
  });

  it('keeps proof ids for a bounded time only', async () => {
    const owner = await makeTestKey();
    const ticket = await sale.ticket('bound-2', { jkt: owner.jkt });
    const proof = await makeTestProof(owner, { method: 'POST', url, ticket });
    expect(await buy(ticket, proof)).toEqual({ status: 202 });
    const jti = JSON.parse(Buffer.from(proof.split('.')[1]!, 'base64url').toString()).jti as string;
    const ttl = await sale.r.redis.pttl(`${sale.r.prefix}:{${sale.evt}}:proof:${jti}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(66_000);
  });

  it('shows the order of a bound ticket only with a proof for that status URL', async () => {
    const owner = await makeTestKey();
    const ticket = await sale.ticket('bound-3', { jkt: owner.jkt });
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${ticket}`,
        dpop: await makeTestProof(owner, { method: 'POST', url, ticket }),
      },
      body: JSON.stringify({ sku: 'SKU-1', qty: 1 }),
    });
    expect(res.status).toBe(202);
    const statusUrl = url.replace('/v1/checkout', ((await res.json()) as { statusUrl: string }).statusUrl);
    const look = async (dpop?: string) => {
      const r = await fetch(statusUrl, {
        headers: { authorization: `Bearer ${ticket}`, ...(dpop ? { dpop } : {}) },
      });
      const body = (await r.json()) as { error?: { code: string }; status?: string };
      return body.error?.code ?? body.status;
    };
    expect(await look()).toBe('TICKET_PROOF');
    expect(await look(await makeTestProof(owner, { method: 'POST', url: statusUrl, ticket }))).toBe(
      'TICKET_PROOF',
    );
    expect(await look(await makeTestProof(owner, { method: 'GET', url: statusUrl, ticket }))).toBe('pending');
  });

  it('sells to an unbound ticket without a proof, as before', async () => {
    expect(await buy(await sale.ticket('plain-1'))).toEqual({ status: 202 });
  });
});
