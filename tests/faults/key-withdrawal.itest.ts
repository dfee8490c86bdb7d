// Emergency key withdrawal (issue 13): a real gate serves the JWKS, a real checkout process reads
// it over HTTP. After the dashboard's withdrawal the key leaves the gate's JWKS at once and
// checkout refuses tickets signed with it within seconds — also one it had already verified (its
// cached verdict) and one whose digest the gate recorded — while tickets of the new key buy.
import { loadKeyring, type Pool, SluiceError, verifyAdmission } from '@sluice/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withdrawKeyAction } from '../../dashboard/src/admin/actions.ts';
import { testGate } from '../../gate/test/gate.ts';
import { buy, type OpenSale, openSale } from '../support/sale.ts';
import { type Service, spawnCheckout } from '../support/services.ts';
import { openStores, type Stores } from '../support/stores.ts';
import { until } from '../support/wait.ts';

let s: Stores;
let sale: OpenSale;
let gate: Awaited<ReturnType<typeof testGate>>;
let checkout: Service;

beforeAll(async () => {
  s = await openStores();
  sale = await openSale(s, [{ sku: 'SKU-1', stock: 50 }]);
  gate = await testGate(s.prefix, { REDIS_URL: s.redisUrl });
  checkout = await spawnCheckout(s, {
    JWKS_URL: `${gate.http}/.well-known/jwks.json`,
    CHECKOUT_JWKS_REFRESH_MS: '500',
  });
}, 120_000);

afterAll(async () => {
  await checkout?.kill();
  await gate?.close();
  await s?.cleanup();
});

const jwksKids = async () =>
  (
    (await (await fetch(`${gate.http}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }
  ).keys.map((k) => k.kid);

describe('emergency key withdrawal', () => {
  it('unpublishes the key at once and stops its tickets at checkout within seconds', async () => {
    const leaked = sale.keyring.current.kid;
    expect(await jwksKids()).toContain(leaked);
    const base = `http://127.0.0.1:${checkout.port}`;
    expect((await buy(base, await sale.ticket())).status).toBe(202);
    // Verified (and cached) by checkout, then refused for a reason that does not use it up.
    const verified = await sale.ticket();
    expect((await buy(base, verified, '{"sku":"NOPE","qty":1}')).status).toBe(400);
    const recorded = await sale.ticket();
    // A storefront helper that re-reads the JWKS every 300 ms has verified (and cached) one too.
    const storefront = {
      jwksUrl: `${gate.http}/.well-known/jwks.json`,
      audience: 'sluice-checkout',
      event: sale.evt,
      jwksRefreshMs: 300,
    };
    const seenByShop = await sale.ticket();
    expect((await verifyAdmission(seenByShop, storefront)).evt).toBe(sale.evt);

    const at = Date.now();
    const ctx = { redis: s.redis, pool: undefined as unknown as Pool, prefix: s.prefix, kek: null };
    const r = await withdrawKeyAction(ctx, leaked, at);
    expect(r.result.current).not.toBe(leaked);
    // At once: the gate reloads on the control message (well under a second here).
    await until(async () => !(await jwksKids()).includes(leaked), 2_000, 'key gone from the JWKS');
    expect(await jwksKids()).toContain(r.result.current);
    // Within seconds at checkout, with its cached verdict and its recorded digest.
    await until(
      async () => (await buy(base, verified)).code === 'TICKET_UNKNOWN_KEY',
      5_000,
      'refused at checkout',
    );
    expect((await buy(base, recorded)).code).toBe('TICKET_UNKNOWN_KEY');
    // And at the storefront, its cached verdict included.
    await until(
      () =>
        verifyAdmission(seenByShop, storefront).then(
          () => false,
          (e) => e instanceof SluiceError && e.code === 'TICKET_UNKNOWN_KEY',
        ),
      5_000,
      'refused at the storefront',
    );
    expect(Date.now() - at).toBeLessThan(5_000);
    // Tickets of the new key still buy.
    const fresh = await loadKeyring(s.redis, s.prefix);
    const { issueTicket, buildClaims } = await import('@sluice/shared');
    const now = Date.now();
    const t = await issueTicket(
      s.redis,
      s.prefix,
      fresh.current,
      buildClaims({
        placeId: 'after-withdrawal',
        evt: sale.evt,
        admittedAtMs: now,
        ttlS: 600,
        nowMs: now,
        iss: 'sluice-gate',
        aud: 'sluice-checkout',
      }),
    );
    expect((await buy(base, t)).status).toBe(202);
  });
});
