// checkout/openapi.yaml documents exactly the routes the app serves, and every error code it
// names exists in the catalog.
import { readFileSync } from 'node:fs';
import { ErrorCatalog } from '@sluice/shared';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type CheckoutApp, startCheckout } from './app.ts';
import { type Sale, saleFixture } from './testing/sale.ts';

const specText = readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8');
const spec = parse(specText) as { paths: Record<string, Record<string, unknown>> };

let sale: Sale;
let app: CheckoutApp;
beforeAll(async () => {
  sale = await saleFixture();
  app = await startCheckout(sale.checkoutConfig, { keys: sale.keys, pool: sale.db.pool });
});
afterAll(async () => {
  await app?.close();
  await sale?.cleanup();
});

it('documents every route the app serves, and nothing else', () => {
  const served = app.routes.map((r) => `${r.method.toUpperCase()} ${r.path.replace(/:(\w+)/g, '{$1}')}`).sort();
  const documented = Object.entries(spec.paths)
    .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();
  expect(served.length).toBeGreaterThan(0);
  expect(documented).toEqual(served);
});

it('names only error codes that exist in the catalog', () => {
  const named = new Set(specText.match(/\b[A-Z][A-Z_]{3,}[A-Z]\b/g) ?? []);
  const known = new Set(Object.keys(ErrorCatalog));
  const notCodes = new Set(['CHECKOUT_MAX_BODY', 'CHECKOUT_MAX_INFLIGHT', 'CHECKOUT_CORS_ORIGINS', 'JSON', 'ASCII']);
  const unknown = [...named].filter((c) => !known.has(c) && !notCodes.has(c));
  expect(unknown).toEqual([]);
  expect(named.has('SOLD_OUT')).toBe(true);
});
