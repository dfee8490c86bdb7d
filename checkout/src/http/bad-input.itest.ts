// Every kind of bad input gets its documented answer: a JSON error from the catalog, never a
// 500, never a hang. Tickets are checked against a JWKS served over real HTTP.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CheckoutApp, startCheckout } from '../app.ts';
import { type Sale, saleFixture } from '../testing/sale.ts';

let sale: Sale;
let app: CheckoutApp;
let jwks: Server;
let base: string;
let ticket: () => Promise<string>;

beforeAll(async () => {
  sale = await saleFixture({ products: [{ sku: 'SKU-1', stock: 1000, limitPerShopper: 5 }] });
  jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(sale.keyring.jwks)));
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
  const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
  // No injected keys: the app fetches the JWKS like it does in production.
  app = await startCheckout({ ...sale.checkoutConfig, jwksUrl, maxBodyBytes: 256 }, { pool: sale.db.pool });
  base = `http://127.0.0.1:${app.port}`;
  ticket = () => sale.ticket();
});

afterAll(async () => {
  await app?.close();
  jwks?.close();
  await sale?.cleanup();
});

async function post(body: string | ReadableStream, headers: Record<string, string>) {
  const res = await fetch(`${base}/v1/checkout`, {
    method: 'POST',
    headers,
    body,
    ...(typeof body === 'string' ? {} : { duplex: 'half' }),
  } as RequestInit);
  const text = await res.text();
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { error?: { code: string } }).error?.code;
  } catch {
    code = `non-JSON body: ${text.slice(0, 50)}`;
  }
  return { status: res.status, code };
}

const json = async () => ({ 'content-type': 'application/json', authorization: `Bearer ${await ticket()}` });

describe('bad bodies', () => {
  const cases: [string, string, number, string][] = [
    ['not JSON', '{"sku":', 400, 'INVALID_BODY'],
    ['empty body', '', 400, 'INVALID_BODY'],
    ['a JSON array', '[{"sku":"SKU-1","qty":1}]', 400, 'INVALID_BODY'],
    ['a JSON string', '"SKU-1"', 400, 'INVALID_BODY'],
    ['JSON null', 'null', 400, 'INVALID_BODY'],
    ['qty as a string', '{"sku":"SKU-1","qty":"1"}', 400, 'INVALID_FIELD'],
    ['sku as a number', '{"sku":1,"qty":1}', 400, 'INVALID_FIELD'],
    ['missing qty', '{"sku":"SKU-1"}', 400, 'INVALID_FIELD'],
    ['negative qty', '{"sku":"SKU-1","qty":-1}', 400, 'QTY_OUT_OF_RANGE'],
    ['zero qty', '{"sku":"SKU-1","qty":0}', 400, 'QTY_OUT_OF_RANGE'],
    ['fractional qty', '{"sku":"SKU-1","qty":1.5}', 400, 'QTY_OUT_OF_RANGE'],
    ['huge qty', '{"sku":"SKU-1","qty":1e308}', 400, 'QTY_OUT_OF_RANGE'],
    ['qty above the limit', '{"sku":"SKU-1","qty":6}', 400, 'QTY_OUT_OF_RANGE'],
    ['unicode sku', '{"sku":"スニーカー🙂","qty":1}', 400, 'UNKNOWN_SKU'],
    ['SQL-looking sku', `{"sku":"SKU-1'; DROP TABLE orders;--","qty":1}`, 400, 'UNKNOWN_SKU'],
    ['unknown sku', '{"sku":"SKU-2","qty":1}', 400, 'UNKNOWN_SKU'],
    ['prototype pollution', '{"__proto__":{"qty":1},"sku":"SKU-1"}', 400, 'INVALID_FIELD'],
  ];
  it.each(cases)('%s', async (_name, body, status, code) => {
    expect(await post(body, await json())).toEqual({ status, code });
  });

  it('answers 413 with a JSON body for a body over the limit, declared or chunked', async () => {
    const big = JSON.stringify({ sku: 'SKU-1', qty: 1, pad: 'x'.repeat(1000) });
    expect(await post(big, await json())).toEqual({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(big));
        c.close();
      },
    });
    expect(await post(stream, await json())).toEqual({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
  });

  it('accepts a chunked body under the limit', async () => {
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode('{"sku":"SKU-1",'));
        c.enqueue(new TextEncoder().encode('"qty":1}'));
        c.close();
      },
    });
    expect((await post(stream, await json())).status).toBe(202);
  });

  it('answers 415 for a content type other than JSON', async () => {
    const auth = { authorization: `Bearer ${await ticket()}` };
    const body = '{"sku":"SKU-1","qty":1}';
    expect(await post(body, { ...auth, 'content-type': 'text/plain' })).toEqual({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(await post(body, { ...auth, 'content-type': 'application/x-www-form-urlencoded' })).toEqual({
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    });
    expect((await post(body, { ...auth, 'content-type': 'application/json; charset=utf-8' })).status).toBe(202);
  });

  it('refuses an oversized Idempotency-Key with 400 and keeps serving', async () => {
    const r = await post('{"sku":"SKU-1","qty":1}', { ...(await json()), 'idempotency-key': 'x'.repeat(200) });
    expect(r).toEqual({ status: 400, code: 'INVALID_FIELD' });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});

describe('bad tickets', () => {
  const body = '{"sku":"SKU-1","qty":1}';
  const withTicket = (t: string) => post(body, { 'content-type': 'application/json', authorization: `Bearer ${t}` });

  it('401 TICKET_MISSING without Authorization, TICKET_MALFORMED for junk', async () => {
    expect(await post(body, { 'content-type': 'application/json' })).toEqual({ status: 401, code: 'TICKET_MISSING' });
    expect(await post(body, { 'content-type': 'application/json', authorization: 'Basic abc' })).toEqual({
      status: 401,
      code: 'TICKET_MALFORMED',
    });
    expect(await withTicket('not.a.jwt')).toEqual({ status: 401, code: 'TICKET_MALFORMED' });
  });

  it('401 for a bad signature, expiry, not-yet-valid, wrong aud/iss/event', async () => {
    const good = await ticket();
    const [h, p, s] = good.split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), sub: 'someone-else' })).toString('base64url')}.${s}`;
    expect(await withTicket(tampered)).toEqual({ status: 401, code: 'TICKET_SIGNATURE' });
    expect(await withTicket(await sale.ticket(undefined, { nowMs: Date.now() - 3_600_000, ttlS: 60 }))).toEqual({
      status: 401,
      code: 'TICKET_EXPIRED',
    });
    expect(await withTicket(await sale.ticket(undefined, { nowMs: Date.now() + 3_600_000 }))).toEqual({
      status: 401,
      code: 'TICKET_NOT_YET_VALID',
    });
    expect(await withTicket(await sale.ticket(undefined, { aud: 'someone-else' }))).toEqual({ status: 401, code: 'TICKET_CLAIMS' });
    expect(await withTicket(await sale.ticket(undefined, { iss: 'evil' }))).toEqual({ status: 401, code: 'TICKET_CLAIMS' });
    // A validly signed ticket for an event that does not exist.
    expect(await withTicket(await sale.ticket(undefined, { evt: 'no-such-event' }))).toEqual({ status: 404, code: 'UNKNOWN_EVENT' });
  });

  it('401 for alg none, HS256 and an unknown key', async () => {
    const payload = JSON.parse(Buffer.from((await ticket()).split('.')[1]!, 'base64url').toString());
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: sale.keyring.current.kid })).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.x`;
    expect(await withTicket(none)).toEqual({ status: 401, code: 'TICKET_ALG' });
    const hs = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256', kid: sale.keyring.current.kid })
      .sign(new TextEncoder().encode('x'.repeat(32)));
    expect(await withTicket(hs)).toEqual({ status: 401, code: 'TICKET_ALG' });
    const other = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const foreign = await new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA', kid: 'k-unknown' }).sign(other.privateKey);
    expect(await withTicket(foreign)).toEqual({ status: 401, code: 'TICKET_UNKNOWN_KEY' });
  });
});

describe('routes and failures', () => {
  it('404 JSON for unknown routes', async () => {
    const r = await fetch(`${base}/v1/nope`);
    expect(r.status).toBe(404);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });

  it('readiness is 200 with Redis and PostgreSQL up; metrics include the checkout histogram', async () => {
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, checks: { redis: 'ok', postgres: 'ok' } });
    const m = await (await fetch(`${base}/metrics`)).text();
    expect(m).toMatch(/sluice_checkout_duration_seconds_bucket\{.*code="ACCEPTED"/);
    expect(m).toMatch(/sluice_checkout_duration_seconds_count\{.*code="QTY_OUT_OF_RANGE".*\} [1-9]/);
  });

  it('answers 503 within a second when Redis is unreachable, and readiness fails', async () => {
    const dead = await startCheckout(
      { ...sale.checkoutConfig, redisUrl: 'redis://127.0.0.1:1' },
      { keys: sale.keys, pool: sale.db.pool },
    );
    try {
      const url = `http://127.0.0.1:${dead.port}`;
      const started = Date.now();
      const res = await fetch(`${url}/v1/checkout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await ticket()}` },
        body: '{"sku":"SKU-1","qty":1}',
        signal: AbortSignal.timeout(10_000),
      });
      const elapsed = Date.now() - started;
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAVAILABLE');
      // Behaviour, not speed: "never a hung request" means the answer comes before the timeout budget.
      expect(elapsed).toBeLessThan(5000);
      const cat = await fetch(`${url}/v1/events/${sale.evt}/products`);
      expect(cat.status).toBe(503);
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { checks: { redis: string } }).checks.redis).not.toBe('ok');
    } finally {
      await dead.close();
    }
  });
});
