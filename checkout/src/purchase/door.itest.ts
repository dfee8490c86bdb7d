// The checkout door over real HTTP and real Redis: junk is refused from its headers with no
// Redis call (counted by sluice_checkout_door_refusals_total), and nobody issued a ticket a
// moment ago, nor before checkout started, is refused.
import { buildClaims, globalKeys, signTicket } from '@sluice/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CheckoutApp, startCheckout } from '../app.ts';
import { type Sale, saleFixture, until } from '../testing/sale.ts';

let sale: Sale;
let app: CheckoutApp;
let base: string;

function buy(ticket: string, body: unknown = { sku: 'SKU-1', qty: 1 }) {
  return fetch(`${base}/v1/checkout`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ticket}` },
    body: JSON.stringify(body),
  });
}

const codeOf = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

async function doorRefusals(code: string): Promise<number> {
  const m = await app.registry.getSingleMetric('sluice_checkout_door_refusals_total')?.get();
  return m?.values.find((v) => v.labels.code === code)?.value ?? 0;
}

/** The first ticket for an event starts its view; wait until the record is read whole. */
async function doorOpen(ticket: string): Promise<void> {
  await buy(ticket, { sku: 'SKU-1', qty: 0 });
  await until(async () => app.issued?.status()[sale.evt]?.synced === true, 'issued view synced');
}

/** A ticket signed with the current key (so it looks valid) that no gate ever issued. */
async function unissued(placeId: string, evt = sale.evt): Promise<string> {
  const now = Date.now();
  const claims = buildClaims({
    placeId,
    evt,
    admittedAtMs: now,
    ttlS: 600,
    nowMs: now,
    iss: sale.checkoutConfig.ticketIssuer,
    aud: sale.checkoutConfig.ticketAudience,
  });
  return signTicket(sale.keyring.current, claims);
}

beforeEach(async () => {
  sale = await saleFixture({ products: [{ sku: 'SKU-1', stock: 5, limitPerShopper: 1 }] });
  app = await startCheckout(sale.checkoutConfig, { keys: sale.keys, pool: sale.db.pool });
  base = `http://127.0.0.1:${app.port}`;
});

afterEach(async () => {
  await app?.close();
  await sale?.cleanup();
});

describe('checkout door', () => {
  it('refuses a valid-looking ticket for a place never admitted, at the door', async () => {
    await doorOpen(await sale.ticket('place-first'));
    const res = await buy(await unissued('place-never'));
    expect(res.status).toBe(401);
    expect(await codeOf(res)).toBe('TICKET_SIGNATURE');
    expect(await doorRefusals('TICKET_SIGNATURE')).toBe(1);
    expect(await sale.r.redis.hlen(sale.k.used)).toBe(0);
  });

  it('refuses a bad signature with a known kid on an admitted place, at the door; the genuine ticket buys', async () => {
    const issued = await sale.ticket('place-admitted');
    await doorOpen(issued);
    const [h, p, s] = issued.split('.') as [string, string, string];
    const forged = `${h}.${p}.${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
    const res = await buy(forged);
    expect(res.status).toBe(401);
    expect(await codeOf(res)).toBe('TICKET_SIGNATURE');
    expect(await doorRefusals('TICKET_SIGNATURE')).toBe(1);
    expect((await buy(issued)).status).toBe(202);
  });

  it('refuses a revoked ticket at the door, revoked before checkout started or while it runs', async () => {
    await sale.r.redis.hset(sale.k.revoked, 'place-old', Date.now());
    const old = await sale.ticket('place-old');
    const live = await sale.ticket('place-live');
    await doorOpen(await sale.ticket('place-first'));
    const r1 = await buy(old);
    expect(r1.status).toBe(401);
    expect(await codeOf(r1)).toBe('TICKET_REVOKED');
    // What the dashboard's revoke does: the `revoked` record, then the control message.
    await sale.r.redis.hset(sale.k.revoked, 'place-live', Date.now());
    await sale.r.redis.publish(globalKeys(sale.r.prefix).control, JSON.stringify({ evt: sale.evt, kind: 'revoke', id: 'place-live', version: 0 }));
    await until(async () => app.issued?.status()[sale.evt]?.revoked === 2, 'revocation heard');
    const r2 = await buy(live);
    expect(r2.status).toBe(401);
    expect(await codeOf(r2)).toBe('TICKET_REVOKED');
    expect(await doorRefusals('TICKET_REVOKED')).toBe(2);
    expect(await sale.r.redis.hget(sale.k.stock, 'SKU-1')).toBe('5');
  });

  it('answers junk held at the barrier whose chunked body then grows past the limit', async () => {
    await doorOpen(await sale.ticket('place-first'));
    const enc = new TextEncoder();
    // The barrier refuses the ticket while the body is still coming; the chunk that crosses
    // CHECKOUT_MAX_BODY (2,048) comes after that refusal and must not leave the request unanswered.
    const body = new ReadableStream({
      async start(c) {
        c.enqueue(enc.encode('{"sku":"SKU-1","qty":1,"pad":"'));
        await new Promise((r) => setTimeout(r, 300));
        c.enqueue(enc.encode('x'.repeat(4000)));
        c.enqueue(enc.encode('"}'));
        c.close();
      },
    });
    const res = await fetch(`${base}/v1/checkout`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await unissued('place-never')}`,
      },
      body,
      duplex: 'half',
      signal: AbortSignal.timeout(10_000),
    } as RequestInit);
    expect(res.status).toBe(401);
    expect(await codeOf(res)).toBe('TICKET_SIGNATURE');
  });

  it('sells to a ticket issued a moment ago, whose digest has not reached checkout yet', async () => {
    await doorOpen(await sale.ticket('place-first'));
    // Hold back what Redis sends the checkout's subscriber: the `issued` message of the next
    // ticket arrives only after the purchase request has reached the door.
    const socket = (app.issued!.sub.client as unknown as { stream: { pause(): void; resume(): void } }).stream;
    socket.pause();
    const fresh = await sale.ticket('place-fresh');
    const pending = buy(fresh);
    await new Promise((r) => setTimeout(r, 300));
    socket.resume();
    const res = await pending;
    expect(res.status).toBe(202);
    expect(await doorRefusals('TICKET_SIGNATURE')).toBe(0);
  });

  // Attack: junk naming a fresh, made-up event id each time found no view, so it took the full
  // path (a purchase script call each, or an EXISTS): the door's "no Redis call per junk" was void.
  it('refuses at the door tickets naming events that do not exist, a new made-up id each time', async () => {
    await doorOpen(await sale.ticket('place-first'));
    for (let i = 0; i < 40; i++) {
      const res = await buy(await unissued(`place-x${i}`, `${sale.evt}x${i}`));
      expect(res.status).toBe(404); // UNKNOWN_EVENT, as the full path answers (bad-input.itest)
    }
    expect(await doorRefusals('UNKNOWN_EVENT')).toBe(40);
    expect((await buy(await sale.ticket('place-genuine'))).status).toBe(202);
  });

  it('stops watching an event once it is deleted', async () => {
    await doorOpen(await sale.ticket('place-first'));
    await app.issued!.sweep();
    expect(app.issued!.status()[sale.evt]?.synced).toBe(true);
    await sale.r.redis.del(sale.k.event);
    await app.issued!.sweep();
    expect(app.issued!.status()[sale.evt]).toBeUndefined();
  });

  it('sells to tickets issued before checkout started (the record is read whole first)', async () => {
    await app.close();
    const early = await sale.ticket('place-early');
    app = await startCheckout(sale.checkoutConfig, { keys: sale.keys, pool: sale.db.pool });
    base = `http://127.0.0.1:${app.port}`;
    await doorOpen(await sale.ticket('place-first'));
    expect((await buy(early)).status).toBe(202);
  });
});
