// Case 11, hostile HTTP against a real gate cluster and a real checkout process (which fetches
// its keys from the gate's JWKS): slowloris-style slow headers and slow bodies are cut off by the
// servers while a normal client keeps joining and buying; headers and bodies over the limit and
// wrong content types get their documented answers. Ends with the reconciliation check.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEvent } from '../../gate/test/helpers.ts';
import { expectReconciled } from '../support/reconcile.ts';
import { buy, type OpenSale, openSale } from '../support/sale.ts';
import { type Service, type SpawnedGate, spawnCheckout, spawnGateCluster } from '../support/services.ts';
import { openStores, type Stores } from '../support/stores.ts';
import { until } from '../support/wait.ts';

let s: Stores;
let sale: OpenSale;
let gate: SpawnedGate;
let checkout: Service;
let gateEvt: string;
let gateBase: string;

beforeAll(async () => {
  s = await openStores();
  sale = await openSale(s, [{ sku: 'SKU-1', stock: 500 }]);
  gate = await spawnGateCluster(s, 2, { GATE_JOIN_RATE_PER_IP: '100000' });
  gateBase = `http://127.0.0.1:${gate.port}`;
  checkout = await spawnCheckout(s, { JWKS_URL: `${gateBase}/.well-known/jwks.json`, CHECKOUT_MAX_BODY: '2048' });
  gateEvt = (await makeEvent(s.redis, s.prefix, { queueAll: true })).config.id;
  await until(async () => (await s.redis.hget(`${s.prefix}:{${gateEvt}}:event`, 'state')) === 'open', 15_000, 'event open');
  await until(
    async () => ((await (await fetch(`${gateBase}/v1/events/${gateEvt}`)).json()) as { state?: string }).state === 'open',
    15_000,
    'gate sees the event open',
  );
}, 120_000);

afterAll(async () => {
  await checkout?.kill();
  await gate?.stop();
  await s?.cleanup();
});

interface Slow {
  closed: Promise<number>;
  received: () => string;
  stop(): void;
}

/** A raw TCP client that sends `head` and then one `drip` every second, forever. */
function slowClient(port: number, head: string, drip: string): Slow {
  const t0 = Date.now();
  let got = '';
  const sock = net.connect(port, '127.0.0.1');
  let timer: NodeJS.Timeout | undefined;
  sock.on('connect', () => {
    sock.write(head);
    timer = setInterval(() => sock.write(drip), 1000);
  });
  sock.on('data', (d) => {
    got += d.toString();
  });
  sock.on('error', () => {});
  const closed = new Promise<number>((r) =>
    sock.on('close', () => {
      clearInterval(timer);
      r(Date.now() - t0);
    }),
  );
  return { closed, received: () => got, stop: () => sock.destroy() };
}

const json = { 'content-type': 'application/json' };
const codeOf = async (r: Response) => [r.status, ((await r.json()) as { error?: { code: string } }).error?.code];

describe('hostile HTTP', () => {
  it('cuts off slow headers and slow bodies while a normal client keeps working', async () => {
    const checkoutPort = Number(new URL(checkout.base).port);
    const slow: Slow[] = [];
    for (let i = 0; i < 25; i++) {
      slow.push(slowClient(gate.port, `GET /v1/events/${gateEvt} HTTP/1.1\r\nHost: x\r\n`, `X-Slow-${i}: a\r\n`));
      slow.push(
        slowClient(
          gate.port,
          `POST /v1/events/${gateEvt}/join HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 900\r\n\r\n{`,
          ' ',
        ),
      );
      slow.push(slowClient(checkoutPort, 'POST /v1/checkout HTTP/1.1\r\nHost: x\r\n', `X-Slow-${i}: a\r\n`));
      slow.push(
        slowClient(
          checkoutPort,
          'POST /v1/checkout HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer x\r\nContent-Length: 1500\r\n\r\n{',
          ' ',
        ),
      );
    }
    // A normal client meanwhile: joins at the gate and buys at checkout, every answer correct.
    let ok = 0;
    let allClosed = false;
    const closings = Promise.all(slow.map((c) => c.closed)).then((t) => {
      allClosed = true;
      return t;
    });
    const normal = (async () => {
      for (let i = 0; !allClosed || i < 5; i++) {
        const j = await fetch(`${gateBase}/v1/events/${gateEvt}/join`, { method: 'POST', headers: json, body: '{}' });
        expect(j.status).toBe(200);
        const b = await buy(checkout.base, await sale.ticket(`normal-${i}`));
        expect(b.status).toBe(202);
        ok++;
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    const times = await Promise.race([
      closings,
      new Promise<never>((_, rej) => setTimeout(() => rej(new Error('slow clients still connected after 60 s')), 60_000)),
    ]).finally(() => {
      for (const c of slow) c.stop();
    });
    await normal;
    // The servers closed every slow connection (uWS: 10 s to deliver a request); none got an
    // answer it could act on.
    expect(times.every((t) => t < 60_000)).toBe(true);
    expect(slow.every((c) => !/^HTTP\/1\.1 2/.test(c.received()))).toBe(true);
    expect(ok).toBeGreaterThanOrEqual(5);
    await expectReconciled(s.redis, s.pool, s.prefix, sale.evt);
  }, 120_000);

  it('answers headers over the limit, bodies over the limit and wrong content types as documented', async () => {
    // uWS parses a header block that arrives in one read from its receive buffer, and refuses
    // one that spans reads beyond its fallback buffer with 431 (or drops the connection). Either
    // way: never a 5xx, and the process keeps serving. A 1 MB block always spans reads.
    const status = (url: string, size: number) =>
      fetch(url, { headers: { 'x-junk': 'a'.repeat(size) } }).then(
        (r) => r.status,
        () => 0,
      );
    for (const base of [gateBase, checkout.base]) {
      expect([200, 431, 0]).toContain(await status(`${base}/healthz`, 64 * 1024));
      expect([431, 0]).toContain(await status(`${base}/healthz`, 1024 * 1024));
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    }

    const join = (body: string, headers: Record<string, string>) =>
      fetch(`${gateBase}/v1/events/${gateEvt}/join`, { method: 'POST', headers, body });
    expect(await codeOf(await join(JSON.stringify({ pad: 'x'.repeat(5000) }), json))).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    expect(await codeOf(await join('{}', { 'content-type': 'text/plain' }))).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    expect(await codeOf(await join('cid=x', { 'content-type': 'application/x-www-form-urlencoded' }))).toEqual([
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ]);
    expect(await codeOf(await join('{"cid":', json))).toEqual([400, 'INVALID_BODY']);

    const before = await s.redis.hgetall(sale.k.stock);
    const post = async (body: string, headers: Record<string, string>) =>
      codeOf(
        await fetch(`${checkout.base}/v1/checkout`, {
          method: 'POST',
          headers: { authorization: `Bearer ${await sale.ticket()}`, ...headers },
          body,
        }),
      );
    expect(await post(JSON.stringify({ sku: 'SKU-1', qty: 1, pad: 'x'.repeat(10_000) }), json)).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    expect(await post('{"sku":"SKU-1","qty":1}', { 'content-type': 'text/plain' })).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    expect(await post('sku=SKU-1&qty=1', { 'content-type': 'application/x-www-form-urlencoded' })).toEqual([
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ]);
    expect(await post('{"sku":"SKU-1","qty":1}', { 'content-type': 'multipart/form-data; boundary=x' })).toEqual([
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ]);
    expect(await s.redis.hgetall(sale.k.stock)).toEqual(before);
    // Both still serve.
    expect((await fetch(`${gateBase}/readyz`)).status).toBe(200);
    expect((await fetch(`${checkout.base}/readyz`)).status).toBe(200);
    await expectReconciled(s.redis, s.pool, s.prefix, sale.evt);
  }, 60_000);
});
