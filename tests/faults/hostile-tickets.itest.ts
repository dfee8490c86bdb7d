// Case 9, hostile tickets: a real checkout process (fetching the JWKS over HTTP) and a real
// order worker against the real Redis and PostgreSQL. Every forged, stale, misdirected, replayed
// or garbage ticket is refused with its documented status and code (checkout/openapi.yaml,
// shared/src/protocol/errors.ts), and none of them changes the stock, the `used` hash, the
// per-shopper counts or the reservations. Ends with the reconciliation check.
import { createHmac } from 'node:crypto';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker, type OrderWorker } from '../../checkout/src/worker/worker.ts';
import { loadConfig, workerSchema } from '@sluice/shared';
import { expectReconciled } from '../support/reconcile.ts';
import { buy, type OpenSale, openSale, serveJwks } from '../support/sale.ts';
import { type Service, spawnCheckout } from '../support/services.ts';
import { openStores, type Stores } from '../support/stores.ts';
import { until } from '../support/wait.ts';

let s: Stores;
let sale: OpenSale;
let other: OpenSale;
let jwks: Awaited<ReturnType<typeof serveJwks>>;
let checkout: Service;
let worker: OrderWorker;

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const parts = (t: string) => t.split('.') as [string, string, string];
const payloadOf = (t: string) => JSON.parse(Buffer.from(parts(t)[1], 'base64url').toString()) as Record<string, unknown>;

beforeAll(async () => {
  s = await openStores();
  sale = await openSale(s, [{ sku: 'SKU-1', stock: 20 }]);
  other = await openSale(s, [{ sku: 'OTHER-1', stock: 5 }]);
  jwks = await serveJwks(sale.keyring.jwks);
  checkout = await spawnCheckout(s, { JWKS_URL: jwks.url, CLOCK_TOLERANCE_S: '5' });
  worker = await startWorker(
    loadConfig(workerSchema, { ...s.env, LOG_LEVEL: 'silent', WORKER_METRICS_PORT: '0', WORKER_RETRY_MS: '200', SWEEP_INTERVAL_MS: '200' }),
    { pool: s.pool },
  );
}, 120_000);

afterAll(async () => {
  await worker?.close();
  await checkout?.kill();
  await jwks?.close();
  await s?.cleanup();
});

async function snapshot() {
  const pipe = s.redis.multi();
  for (const k of [sale.k, other.k]) pipe.hgetall(k.stock).hgetall(k.used).hgetall(k.bought).zrange(k.reservations, 0, -1);
  return (await pipe.exec())!.map(([, v]) => v);
}

describe('hostile tickets at checkout', () => {
  it('refuses each forged, stale, misdirected or garbage ticket with its documented code, touching nothing', async () => {
    const good = await sale.ticket();
    const [h, p, sig] = parts(good);
    const payload = payloadOf(good);
    const kid = sale.keyring.current.kid;
    const publicJwk = (sale.keyring.jwks as { keys: { kid: string; x: string }[] }).keys.find((k) => k.kid === kid)!;

    // HS256 "signed" with the public key: the classic algorithm-confusion forgery, both with the
    // raw key bytes and with the JWK text as the HMAC secret.
    const hsWith = (secret: Buffer | string) => {
      const head = b64({ alg: 'HS256', typ: 'JWT', kid });
      const body = b64(payload);
      return `${head}.${body}.${createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url')}`;
    };
    const foreign = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const foreignSigned = (k: string) => new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA', kid: k }).sign(foreign.privateKey);

    const cases: [string, string, number, string][] = [
      ['alg none, empty signature', `${b64({ alg: 'none', kid })}.${b64(payload)}.`, 401, 'TICKET_MALFORMED'],
      ['alg none, any signature', `${b64({ alg: 'none', kid })}.${b64(payload)}.${sig}`, 401, 'TICKET_ALG'],
      ['alg NONE (case games)', `${b64({ alg: 'NONE', kid })}.${b64(payload)}.${sig}`, 401, 'TICKET_ALG'],
      ['HS256 with the public key bytes', hsWith(Buffer.from(publicJwk.x, 'base64url')), 401, 'TICKET_ALG'],
      ['HS256 with the public JWK text', hsWith(JSON.stringify(publicJwk)), 401, 'TICKET_ALG'],
      ['unknown kid', await foreignSigned('k-unknown'), 401, 'TICKET_UNKNOWN_KEY'],
      ['known kid, foreign key', await foreignSigned(kid), 401, 'TICKET_SIGNATURE'],
      ['kid path traversal', await foreignSigned('../../etc/passwd'), 401, 'TICKET_UNKNOWN_KEY'],
      ['no kid', `${b64({ alg: 'EdDSA' })}.${p}.${sig}`, 401, 'TICKET_UNKNOWN_KEY'],
      ['tampered payload (sub)', `${h}.${b64({ ...payload, sub: 'someone-else' })}.${sig}`, 401, 'TICKET_SIGNATURE'],
      ['tampered payload (exp +1 day)', `${h}.${b64({ ...payload, exp: (payload.exp as number) + 86_400 })}.${sig}`, 401, 'TICKET_SIGNATURE'],
      ['tampered header (kid)', `${b64({ alg: 'EdDSA', kid: `${kid}x` })}.${p}.${sig}`, 401, 'TICKET_UNKNOWN_KEY'],
      ['flipped signature bit', `${h}.${p}.${sig.slice(0, 5)}${sig[5] === 'A' ? 'B' : 'A'}${sig.slice(6)}`, 401, 'TICKET_SIGNATURE'],
      ['expired', await sale.ticket(undefined, { admittedAtMs: Date.now() - 3_600_000, ttlS: 60 }), 401, 'TICKET_EXPIRED'],
      ['nbf in the future', await sale.ticket(undefined, { admittedAtMs: Date.now() + 3_600_000 }), 401, 'TICKET_NOT_YET_VALID'],
      ['wrong aud', await sale.ticket(undefined, { aud: 'another-service' }), 401, 'TICKET_CLAIMS'],
      ['wrong iss', await sale.ticket(undefined, { iss: 'evil-gate' }), 401, 'TICKET_CLAIMS'],
      ['event that does not exist', await sale.ticket(undefined, { evt: 'no-such-event' }), 404, 'UNKNOWN_EVENT'],
      ['event id that is not an id', await sale.ticket(undefined, { evt: '{evil}:*' }), 401, 'TICKET_CLAIMS'],
      ['empty bearer', '', 401, 'TICKET_MALFORMED'],
      ['garbage', 'garbage', 401, 'TICKET_MALFORMED'],
      ['three dots', '...', 401, 'TICKET_MALFORMED'],
      ['non-JSON parts', 'aaaa.bbbb.cccc', 401, 'TICKET_MALFORMED'],
      ['JSON array parts', `${b64([1])}.${b64([2])}.${sig}`, 401, 'TICKET_MALFORMED'],
      ['SQL in a claim', `${h}.${b64({ ...payload, jti: "x' OR '1'='1" })}.${sig}`, 401, 'TICKET_SIGNATURE'],
      ['2 kB token', `${h}.${'A'.repeat(2100)}.${sig}`, 401, 'TICKET_MALFORMED'],
    ];
    const before = await snapshot();
    for (const [name, ticket, status, code] of cases) {
      const r = await buy(checkout.base, ticket);
      expect({ name, status: r.status, code: r.code }).toEqual({ name, status, code });
    }
    // A valid ticket of another event asking for this event's product: that event has no such sku.
    const otherTicket = await other.ticket();
    expect(await buy(checkout.base, otherTicket)).toMatchObject({ status: 400, code: 'UNKNOWN_SKU' });
    // No Authorization header at all.
    const bare = await fetch(`${checkout.base}/v1/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"sku":"SKU-1","qty":1}',
    });
    expect([bare.status, ((await bare.json()) as { error: { code: string } }).error.code]).toEqual([401, 'TICKET_MISSING']);
    expect(await snapshot()).toEqual(before);
    expect((await fetch(`${checkout.base}/healthz`)).status).toBe(200);
  });

  it('refuses a ticket replayed after its order (409 TICKET_USED) and a revoked one (401)', async () => {
    const t = await sale.ticket('shopper-replay');
    const first = await buy(checkout.base, t);
    expect(first.status).toBe(202);
    await until(
      async () =>
        (await s.pool.query(`SELECT 1 FROM orders WHERE order_id = $1 AND status = 'confirmed'`, [first.orderId])).rowCount === 1,
      30_000,
      'order confirmed',
    );
    const before = await snapshot();
    for (let i = 0; i < 5; i++) expect(await buy(checkout.base, t)).toMatchObject({ status: 409, code: 'TICKET_USED' });
    // The same ticket re-signed with a new jti is a tampered ticket, not a new one.
    expect(await buy(checkout.base, `${parts(t)[0]}.${b64({ ...payloadOf(t), jti: 'fresh' })}.${parts(t)[2]}`)).toMatchObject({
      status: 401,
      code: 'TICKET_SIGNATURE',
    });
    const revoked = await sale.ticket('shopper-revoked');
    await s.redis.hset(sale.k.revoked, 'shopper-revoked', Date.now());
    expect(await buy(checkout.base, revoked)).toMatchObject({ status: 401, code: 'TICKET_REVOKED' });
    expect(await snapshot()).toEqual(before);

    const { orders } = await expectReconciled(s.redis, s.pool, s.prefix, sale.evt);
    expect(orders.map((o) => o.ticket_jti)).toEqual(['shopper-replay']);
    await expectReconciled(s.redis, s.pool, s.prefix, other.evt);
  });
});
