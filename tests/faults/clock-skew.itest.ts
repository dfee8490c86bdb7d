// Case 7, a checkout whose clock is off (injected clock; CLOCK_TOLERANCE_S = 5): tickets signed
// by a gate with the true clock pass when the skew is inside the tolerance and fail with the
// documented code outside it — TICKET_NOT_YET_VALID (401) when checkout runs 60 s behind (the
// ticket's nbf is in its future), TICKET_EXPIRED (401) when it runs 60 s ahead and the ticket has
// less than 60 s left. A refused ticket changes nothing. Real Redis and PostgreSQL, real HTTP;
// ends with the reconciliation check.
import { checkoutSchema, LocalKeys, loadConfig } from '@sluice/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CheckoutApp, startCheckout } from '../../checkout/src/app.ts';
import { expectReconciled } from '../support/reconcile.ts';
import { buy, type OpenSale, openSale } from '../support/sale.ts';
import { openStores, type Stores } from '../support/stores.ts';

let s: Stores;
let sale: OpenSale;
const apps: CheckoutApp[] = [];

beforeAll(async () => {
  s = await openStores();
  sale = await openSale(s, [{ sku: 'SKU-1', stock: 100 }]);
});

afterAll(async () => {
  for (const a of apps) await a.close();
  await s?.cleanup();
});

/** A checkout (real HTTP server) whose clock is `skewMs` off the true clock. */
async function skewedCheckout(skewMs: number): Promise<string> {
  const config = loadConfig(checkoutSchema, {
    ...s.env,
    CHECKOUT_HOST: '127.0.0.1',
    CHECKOUT_PORT: '0',
    LOG_LEVEL: 'silent',
    CLOCK_TOLERANCE_S: '5',
  });
  const app = await startCheckout(config, {
    keys: await LocalKeys.from(sale.keyring.jwks),
    pool: s.pool,
    now: () => Date.now() + skewMs,
  });
  apps.push(app);
  return `http://127.0.0.1:${app.port}`;
}

describe('checkout with a skewed clock', () => {
  it('accepts fresh tickets within the tolerance and refuses them outside it with the documented codes', async () => {
    const results: Record<string, string> = {};
    const stockBefore = Number(await s.redis.hget(sale.k.stock, 'SKU-1'));
    let accepted = 0;
    const cases: [string, number, number, string][] = [
      // name, checkout skew (ms), ticket lifetime left (s), expected
      ['4 s behind, fresh ticket', -4_000, 600, '202'],
      ['4 s ahead, fresh ticket', 4_000, 600, '202'],
      ['4 s ahead, ticket with 2 s left', 4_000, 2, '202'],
      ['60 s behind, fresh ticket', -60_000, 600, '401 TICKET_NOT_YET_VALID'],
      ['60 s ahead, fresh ticket (10 min left)', 60_000, 600, '202'],
      ['60 s ahead, ticket with 30 s left', 60_000, 30, '401 TICKET_EXPIRED'],
      ['60 s behind, ticket admitted 70 s ago', -60_000, 600, '202'],
    ];
    for (const [name, skew, ttlS] of cases) {
      const base = await skewedCheckout(skew);
      const admittedAtMs = name.includes('70 s ago') ? Date.now() - 70_000 : Date.now();
      const r = await buy(base, await sale.ticket(undefined, { admittedAtMs, ttlS: ttlS + Math.round((Date.now() - admittedAtMs) / 1000) }));
      results[name] = r.status === 202 ? '202' : `${r.status} ${r.code}`;
      if (r.status === 202) accepted++;
    }
    expect(results).toEqual(Object.fromEntries(cases.map(([n, , , want]) => [n, want])));
    // Only accepted tickets took stock.
    expect(Number(await s.redis.hget(sale.k.stock, 'SKU-1'))).toBe(stockBefore - accepted);
    expect(await s.redis.hlen(sale.k.used)).toBe(accepted);
    await expectReconciled(s.redis, s.pool, s.prefix, sale.evt);
  }, 90_000);
});
