// Issue 16 item 6: while checkout cannot fetch the gate's JWKS, a well-formed ticket whose key id
// it does not know is answered 503 UNAVAILABLE with Retry-After (try again), not 401 (the ticket
// is bad). The JWKS is served over real HTTP by a server the test can break; checkout is the real
// app with its RemoteJwks; real Redis and PostgreSQL.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type CheckoutApp, startCheckout } from '../../checkout/src/app.ts';
import { type Sale, saleFixture } from '../../checkout/src/testing/sale.ts';
import { until } from '../support/wait.ts';

let sale: Sale;
let app: CheckoutApp;
let server: Server;
let mode: 'down' | 'up' = 'down';
let jwks: unknown;

beforeAll(async () => {
  server = createServer((_req, res) => {
    if (mode === 'down') res.writeHead(503).end('JWKS host down');
    else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  sale = await saleFixture({ products: [{ sku: 'SKU-1', stock: 5 }], env: { JWKS_URL: url } });
  jwks = sale.keyring.jwks;
  // No injected keys: checkout fetches the JWKS itself, and the JWKS is down from the start.
  app = await startCheckout(sale.checkoutConfig, { pool: sale.db.pool });
}, 60_000);

afterAll(async () => {
  await app?.close();
  await new Promise((r) => server?.close(r));
  await sale?.cleanup();
});

const buy = (ticket: string) =>
  fetch(`http://127.0.0.1:${app.port}/v1/checkout`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ticket}` },
    body: '{"sku":"SKU-1","qty":1}',
  });

it('answers 503 with Retry-After for a valid ticket while the JWKS cannot be fetched, and sells once it can', async () => {
  const ticket = await sale.ticket('shopper-jwks');
  for (let i = 0; i < 3; i++) {
    const res = await buy(ticket);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAVAILABLE');
  }
  expect(await sale.r.redis.hget(sale.k.stock, 'SKU-1')).toBe('5');

  mode = 'up';
  const ok = await until(async () => ((await buy(ticket)).status === 202 ? true : null), 10_000, 'a sale once the JWKS is back');
  expect(ok).toBe(true);
  expect(await sale.r.redis.hget(sale.k.stock, 'SKU-1')).toBe('4');
});

it('still answers 401 for a key id the reachable JWKS does not publish', async () => {
  mode = 'up';
  const [h, p, sig] = (await sale.ticket('shopper-kid')).split('.');
  const header = { ...JSON.parse(Buffer.from(h!, 'base64url').toString()), kid: 'no-such-key' };
  const forged = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${p}.${sig}`;
  const res = await until(
    async () => {
      const r = await buy(forged);
      return r.status === 401 ? r : null;
    },
    15_000,
    '401 once the JWKS has been refetched',
  );
  expect(((await res!.json()) as { error: { code: string } }).error.code).toBe('TICKET_UNKNOWN_KEY');
});
