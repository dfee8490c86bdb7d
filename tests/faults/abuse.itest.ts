// Case 12, abuse: 1,000 joins from one address against a two-process gate hit the per-address
// limit once for the whole cluster (not once per process); behind a trusted proxy the limit
// follows X-Real-IP / the last X-Forwarded-For hop; an upgrade from a disallowed origin is
// refused; the admin API answers 401 without a login and 403 to a viewer's changes; SQL- and
// script-looking strings are stored and shown literally by the dashboard, PostgreSQL, the gate
// and checkout.
import { checkoutSchema, CloseCode, getEvent, loadConfig } from '@sluice/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCheckout } from '../../checkout/src/app.ts';
import { ADMIN, eventBody, type Rig, startRig, VIEWER } from '../../dashboard/src/test-support.ts';
import { connect, upgradeStatus } from '../../gate/test/client.ts';
import { testGate } from '../../gate/test/gate.ts';
import { makeEvent } from '../../gate/test/helpers.ts';
import { type SpawnedGate, spawnGateCluster } from '../support/services.ts';
import { openStores, type Stores } from '../support/stores.ts';
import { sleep, until } from '../support/wait.ts';

const LIMIT = 30;
const WINDOW_MS = 10_000;

describe('join limit per address', () => {
  let s: Stores;
  let gate: SpawnedGate;
  beforeAll(async () => {
    s = await openStores();
  });
  afterAll(async () => {
    await gate?.stop();
    await s?.cleanup();
  });

  it('1,000 joins from one address: at most the limit per window over all gate processes', async () => {
    gate = await spawnGateCluster(s, 2, { GATE_JOIN_RATE_PER_IP: String(LIMIT) });
    const evt = (await makeEvent(s.redis, s.prefix, { queueAll: true })).config.id;
    const url = `ws://127.0.0.1:${gate.port}/v1/events/${evt}/ws`;
    await until(async () => (await s.redis.hget(`${s.prefix}:{${evt}}:event`, 'state')) === 'open', 15_000, 'open');
    // Start just after a window begins, so most attempts fall inside one window.
    while (Date.now() % WINDOW_MS > 300) await sleep(50);
    const attempts: { sent: number; answered: number; code: number }[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 25 }, async () => {
        while (next < 1000) {
          next++;
          const sent = Date.now();
          const c = await connect(url);
          c.send({ t: 'join' });
          const code = await Promise.race([c.next('welcome', 30_000).then(() => 0), c.closed.then((x) => x.code)]);
          attempts.push({ sent, answered: Date.now(), code });
          c.close();
        }
      }),
    );
    expect(attempts).toHaveLength(1000);
    expect(attempts.every((a) => a.code === 0 || a.code === CloseCode.RATE_LIMITED)).toBe(true);
    // Attempts sent and answered in the first window were decided in it.
    const w0 = Math.floor(attempts[0]!.sent / WINDOW_MS);
    const inW0 = attempts.filter((a) => Math.floor(a.sent / WINDOW_MS) === w0 && Math.floor(a.answered / WINDOW_MS) === w0);
    expect(inW0.length).toBeGreaterThan(2 * LIMIT); // enough to tell a global limit from a per-process one
    expect(inW0.filter((a) => a.code === 0).length).toBeLessThanOrEqual(LIMIT);
    // Over the whole run: never more than the limit in any window the run touched.
    const windows = Math.floor(Math.max(...attempts.map((a) => a.answered)) / WINDOW_MS) - w0 + 1;
    const accepted = attempts.filter((a) => a.code === 0).length;
    expect(accepted).toBeLessThanOrEqual(LIMIT * windows);
    expect(accepted).toBeGreaterThan(0);
    // The HTTP fallback shares the count.
    while (Date.now() % WINDOW_MS > WINDOW_MS - 2000) await sleep(50); // not at a window's edge
    const burst = await Promise.all(
      Array.from({ length: LIMIT + 5 }, () =>
        fetch(`http://127.0.0.1:${gate.port}/v1/events/${evt}/join`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        }).then((r) => r.status),
      ),
    );
    expect(burst.filter((st) => st === 429).length).toBeGreaterThanOrEqual(5);
    // Both processes are still up.
    expect(gate.proc.exitCode).toBeNull();
  }, 180_000);

  it('behind a trusted proxy counts X-Real-IP / the last X-Forwarded-For hop, not the proxy', async () => {
    await gate?.stop();
    gate = await spawnGateCluster(s, 2, { GATE_JOIN_RATE_PER_IP: '3', GATE_TRUSTED_PROXIES: '127.0.0.1', GATE_TRUST_PROXY: 'true' });
    const evt = (await makeEvent(s.redis, s.prefix, { queueAll: true })).config.id;
    await until(async () => (await s.redis.hget(`${s.prefix}:{${evt}}:event`, 'state')) === 'open', 15_000, 'open');
    while (Date.now() % WINDOW_MS > WINDOW_MS - 3000) await sleep(50);
    const join = (headers: Record<string, string>) =>
      fetch(`http://127.0.0.1:${gate.port}/v1/events/${evt}/join`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: '{}',
      }).then((r) => r.status);
    const a: number[] = [];
    for (let i = 0; i < 4; i++) a.push(await join({ 'x-real-ip': '203.0.113.7' }));
    expect(a).toEqual([200, 200, 200, 429]);
    // Another shopper behind the same proxy is not affected.
    expect(await join({ 'x-real-ip': '203.0.113.8' })).toBe(200);
    // A client-supplied first hop does not buy new addresses: the proxy's (last) hop counts.
    const b: number[] = [];
    for (let i = 0; i < 4; i++) b.push(await join({ 'x-forwarded-for': `10.9.9.${i}, 198.51.100.1` }));
    expect(b).toEqual([200, 200, 200, 429]);
  }, 120_000);

  it('ignores X-Real-IP / X-Forwarded-For from a peer that is not a configured proxy', async () => {
    await gate?.stop();
    // The proxy list names another host: this test's requests come from 127.0.0.1, a stranger.
    // (GATE_TRUST_PROXY is what the gate read before GATE_TRUSTED_PROXIES: it trusted any peer.)
    gate = await spawnGateCluster(s, 2, { GATE_JOIN_RATE_PER_IP: '3', GATE_TRUSTED_PROXIES: '10.0.0.1', GATE_TRUST_PROXY: 'true' });
    const evt = (await makeEvent(s.redis, s.prefix, { queueAll: true })).config.id;
    await until(async () => (await s.redis.hget(`${s.prefix}:{${evt}}:event`, 'state')) === 'open', 15_000, 'open');
    while (Date.now() % WINDOW_MS > WINDOW_MS - 3000) await sleep(50);
    const join = (headers: Record<string, string>) =>
      fetch(`http://127.0.0.1:${gate.port}/v1/events/${evt}/join`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: '{}',
      }).then((r) => r.status);
    const a: number[] = [];
    for (let i = 0; i < 4; i++) a.push(await join({ 'x-real-ip': `203.0.113.${i}`, 'x-forwarded-for': `198.51.100.${i}` }));
    expect(a).toEqual([200, 200, 200, 429]);
  }, 120_000);
});

describe('origins, admin auth and literal storage', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('refuses an upgrade from a disallowed origin (403) and accepts the allowed one', async () => {
    const gate = await testGate(rig.prefix);
    try {
      const evt = (await makeEvent(rig.redis, rig.prefix, { queueAll: true })).config.id;
      await until(() => gate.ctx.events.get(evt)?.state === 'open', 10_000, 'open');
      expect(await upgradeStatus(gate.ws(evt), 'https://evil.example')).toBe(403);
      expect(await upgradeStatus(gate.ws(evt), 'https://shop.example.evil.example')).toBe(403);
      expect(await upgradeStatus(gate.ws(evt), 'null')).toBe(403);
      const ok = await connect(gate.ws(evt), 'https://shop.example');
      ok.send({ t: 'join' });
      expect((await ok.next('welcome')).phase).toBe('queue');
      ok.close();
    } finally {
      await gate.close();
    }
  });

  it('answers 401 without a login and 403 to every change a viewer tries', async () => {
    const evt = 'abuse-auth';
    expect((await rig.call('POST', '/v1/events', { token: ADMIN, body: eventBody(evt) })).status).toBe(201);
    const changes: [string, string, unknown][] = [
      ['POST', '/v1/events', eventBody('abuse-other')],
      ['PATCH', `/v1/events/${evt}`, { rate: 99 }],
      ['POST', `/v1/events/${evt}/pause`, undefined],
      ['POST', `/v1/events/${evt}/close`, undefined],
      ['POST', `/v1/events/${evt}/stock`, { sku: 'SKU-A', delta: 5 }],
      ['POST', `/v1/events/${evt}/revocations`, { jti: 'x1' }],
      ['POST', '/v1/keys/rotate', undefined],
    ];
    const before = await getEvent(rig.redis, rig.prefix, evt);
    for (const [m, p, body] of [...changes, ['GET', '/v1/events', undefined] as const]) {
      expect((await rig.call(m, p, { body })).status, `${m} ${p} without login`).toBe(401);
      expect((await rig.call(m, p, { body, token: 'admin-token-guess' })).status, `${m} ${p} wrong token`).toBe(401);
    }
    for (const [m, p, body] of changes) {
      const r = await rig.call(m, p, { body, token: VIEWER });
      expect([r.status, r.json?.error?.code], `${m} ${p} as viewer`).toEqual([403, 'FORBIDDEN']);
    }
    expect(await getEvent(rig.redis, rig.prefix, evt)).toEqual(before);
    expect(await rig.redis.hlen(`${rig.prefix}:{${evt}}:revoked`)).toBe(0);
    const { rows } = await rig.pool.query('SELECT count(*)::int AS n FROM audit_log WHERE event_id = $1', [evt]);
    expect(rows[0].n).toBe(1); // only the admin's creation
  });

  it('stores and shows SQL- and script-looking strings literally', async () => {
    const evil = `<script>alert('x')</script>'; DROP TABLE orders; -- " \\ {{7*7}} \${7*7} %s \u0000`;
    const name = evil.replace('\u0000', ''); // PostgreSQL text cannot hold NUL
    const evt = 'abuse-literal';
    const body = eventBody(evt, {
      name,
      products: [{ sku: 'SKU-A', name: `${name} (product)`, priceCents: 1000, stock: 5, limitPerShopper: 1 }],
    });
    const created = await rig.call('POST', '/v1/events', { token: ADMIN, body });
    expect(created.status).toBe(201);
    // Fields with a pattern refuse such strings instead of storing them.
    const badSku = await rig.call('POST', '/v1/events', {
      token: ADMIN,
      body: eventBody('abuse-literal-2', {
        products: [{ sku: "A'; DROP TABLE products;--", name: 'x', priceCents: 1, stock: 1, limitPerShopper: 1 }],
      }),
    });
    expect([badSku.status, badSku.json?.error?.code]).toEqual([400, 'INVALID_FIELD']);
    const badId = await rig.call('POST', '/v1/events', { token: ADMIN, body: eventBody("x'; DROP TABLE events;--") });
    expect([badId.status, badId.json?.error?.code]).toEqual([400, 'INVALID_FIELD']);
    const badJti = await rig.call('POST', `/v1/events/${evt}/revocations`, { token: ADMIN, body: { jti: name } });
    expect([badJti.status, badJti.json?.error?.code]).toEqual([400, 'INVALID_FIELD']);

    // Shown literally: the admin API, PostgreSQL, the audit log, the gate's public info and
    // checkout's catalogue.
    const shown = await rig.call('GET', `/v1/events/${evt}`, { token: VIEWER });
    expect(shown.json.config.name).toBe(name);
    expect(shown.json.config.products[0].name).toBe(`${name} (product)`);
    expect(shown.headers.get('content-type')).toMatch(/application\/json/);
    const db = await rig.pool.query('SELECT e.name, p.name AS product FROM events e JOIN products p ON p.event_id = e.id WHERE e.id = $1', [
      evt,
    ]);
    expect(db.rows).toEqual([{ name, product: `${name} (product)` }]);
    expect((await rig.pool.query('SELECT count(*)::int AS n FROM orders')).rows[0].n).toBe(0); // the table is still there
    const audit = await rig.pool.query(`SELECT after FROM audit_log WHERE event_id = $1 AND action = 'event.create'`, [evt]);
    expect(JSON.stringify(audit.rows)).toContain(JSON.stringify(name).slice(1, -1));
    expect(await rig.redis.hlen(`${rig.prefix}:{${evt}}:revoked`)).toBe(0);

    const gate = await testGate(rig.prefix);
    try {
      await until(async () => (await fetch(`${gate.http}/v1/events/${evt}`)).status === 200, 10_000, 'gate sees the event');
      const info = await fetch(`${gate.http}/v1/events/${evt}`);
      expect(info.headers.get('content-type')).toMatch(/application\/json/);
      expect(((await info.json()) as { name: string }).name).toBe(name);
      const config = loadConfig(checkoutSchema, {
        SLUICE_PREFIX: rig.prefix,
        CHECKOUT_HOST: '127.0.0.1',
        CHECKOUT_PORT: '0',
        LOG_LEVEL: 'silent',
        JWKS_URL: `${gate.http}/.well-known/jwks.json`,
      });
      const checkout = await startCheckout(config, { pool: rig.pool });
      try {
        const cat = await fetch(`http://127.0.0.1:${checkout.port}/v1/events/${evt}/products`);
        expect(cat.status).toBe(200);
        expect(JSON.stringify(await cat.json())).toContain(JSON.stringify(`${name} (product)`));
      } finally {
        await checkout.close();
      }
    } finally {
      await gate.close();
    }
  });
});
