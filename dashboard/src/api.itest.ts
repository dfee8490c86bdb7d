// The admin API against the real Redis and PostgreSQL: auth, roles, CSRF, validation, every
// change applied in Redis, announced on the control channel and written to the audit log.
import { createRedis, eventKeys, getEvent, globalKeys, loadKeyring } from '@sluice/shared';
import { TEST_REDIS_URL } from '@sluice/shared/testing/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, eventBody, type Rig, startRig, until, VIEWER } from './test-support.ts';

let rig: Rig;
const EVT = 'drop1';

async function auditRows(evt?: string) {
  const { rows } = await rig.pool.query(
    `SELECT actor, action, event_id, before, after FROM audit_log ${evt ? 'WHERE event_id = $1' : ''} ORDER BY id`,
    evt ? [evt] : [],
  );
  // biome-ignore lint/suspicious/noExplicitAny: audit JSON is checked by assertions
  type Json = any;
  return rows as { actor: string; action: string; event_id: string | null; before: Json; after: Json }[];
}

async function login(token: string, headers: Record<string, string> = {}) {
  const res = await rig.call('POST', '/v1/login', { body: { token }, headers });
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  return { ...res, cookie, csrf: res.json?.csrf as string };
}

beforeAll(async () => {
  rig = await startRig();
  const res = await rig.call('POST', '/v1/events', { token: ADMIN, body: eventBody(EVT) });
  expect(res.status).toBe(201);
});
afterAll(async () => {
  await rig?.close();
});

describe('authentication', () => {
  it('answers 401 without a login, on the API and the console page', async () => {
    expect((await rig.call('GET', '/v1/events')).status).toBe(401);
    expect((await rig.call('PATCH', `/v1/events/${EVT}`, { body: { rate: 5 } })).status).toBe(401);
    expect((await rig.call('POST', '/v1/keys/rotate')).status).toBe(401);
    const page = await rig.call('GET', '/');
    expect(page.status).toBe(401);
    expect((await rig.call('GET', '/v1/events', { token: 'wrong' })).status).toBe(401);
  });

  it('exchanges the token for an HttpOnly SameSite=Strict cookie, Secure only over https', async () => {
    const bad = await login('nope');
    expect(bad.status).toBe(401);
    const res = await login(ADMIN);
    expect(res.status).toBe(200);
    const set = res.headers.get('set-cookie')!;
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    expect(set).not.toMatch(/Secure/);
    const https = await login(ADMIN, { 'x-forwarded-proto': 'https' });
    expect(https.headers.get('set-cookie')).toMatch(/; Secure/);
    const me = await rig.call('GET', '/v1/session', { headers: { cookie: res.cookie } });
    expect(me.json).toMatchObject({ role: 'admin', via: 'session', csrf: res.csrf });
    expect((await rig.call('GET', '/', { headers: { cookie: res.cookie } })).status).toBe(200);
  });

  it('logout ends the session', async () => {
    const s = await login(ADMIN);
    expect((await rig.call('GET', '/v1/events', { headers: { cookie: s.cookie } })).status).toBe(200);
    expect((await rig.call('POST', '/v1/logout', { headers: { cookie: s.cookie } })).status).toBe(204);
    expect((await rig.call('GET', '/v1/events', { headers: { cookie: s.cookie } })).status).toBe(401);
  });

  it('lets the viewer read but not change anything (403)', async () => {
    expect((await rig.call('GET', `/v1/events/${EVT}`, { token: VIEWER })).status).toBe(200);
    expect((await rig.call('GET', `/v1/events/${EVT}/stats`, { token: VIEWER })).status).toBe(200);
    const before = await getEvent(rig.redis, rig.prefix, EVT);
    for (const [m, p, body] of [
      ['PATCH', `/v1/events/${EVT}`, { rate: 99 }],
      ['POST', `/v1/events/${EVT}/close`, undefined],
      ['POST', `/v1/events/${EVT}/stock`, { sku: 'SKU-A', delta: 5 }],
      ['POST', `/v1/events/${EVT}/revocations`, { jti: 'x1' }],
      ['POST', '/v1/keys/rotate', undefined],
      ['POST', '/v1/events', eventBody('viewer-made')],
    ] as const) {
      const res = await rig.call(m, p, { token: VIEWER, body });
      expect(res.status, `${m} ${p}`).toBe(403);
      expect(res.json.error.code).toBe('FORBIDDEN');
    }
    const s = await login(VIEWER);
    const res = await rig.call('PATCH', `/v1/events/${EVT}`, {
      body: { rate: 99 },
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrf },
    });
    expect(res.status).toBe(403);
    expect(await getEvent(rig.redis, rig.prefix, EVT)).toEqual(before);
  });

  it('refuses cookie-authenticated changes without the CSRF token or from another origin', async () => {
    const s = await login(ADMIN);
    const host = new URL(rig.base).host;
    const noToken = await rig.call('PATCH', `/v1/events/${EVT}`, { body: { rate: 11 }, headers: { cookie: s.cookie } });
    expect(noToken.status).toBe(403);
    expect(noToken.json.error.code).toBe('CSRF');
    const wrongToken = await rig.call('PATCH', `/v1/events/${EVT}`, {
      body: { rate: 11 },
      headers: { cookie: s.cookie, 'x-csrf-token': 'guess' },
    });
    expect(wrongToken.json.error.code).toBe('CSRF');
    const evil = await rig.call('PATCH', `/v1/events/${EVT}`, {
      body: { rate: 11 },
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, origin: 'https://evil.example' },
    });
    expect(evil.status).toBe(403);
    expect(evil.json.error.code).toBe('CSRF');
    expect((await getEvent(rig.redis, rig.prefix, EVT))!.config.rate).toBe(10);
    const good = await rig.call('PATCH', `/v1/events/${EVT}`, {
      body: { rate: 11 },
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, origin: `http://${host}` },
    });
    expect(good.status).toBe(200);
    expect((await getEvent(rig.redis, rig.prefix, EVT))!.config.rate).toBe(11);
    const rows = await auditRows(EVT);
    expect(rows.at(-1)).toMatchObject({ action: 'event.edit', before: { rate: 10 }, after: { rate: 11 } });
    expect(rows.at(-1)!.actor).toMatch(/^admin\/session:/);
  });
});

describe('validation', () => {
  it.each([
    [{ rate: 'fast' }, 'rate'],
    [{ rate: -1 }, 'rate'],
    [{ burst: 0 }, 'burst'],
    [{ maxActive: 1.5 }, 'maxActive'],
    [{ overbook: 0.5 }, 'overbook'],
    [{ ticketTtlS: 1 }, 'ticketTtlS'],
    [{ powDifficulty: 99 }, 'powDifficulty'],
    [{ allowedOrigins: ['https://shop.example/path'] }, 'allowedOrigins[0]'],
    [{ queueAll: 'yes' }, 'queueAll'],
    [{ prequeueAt: 8e15 }, 'prequeueAt'],
    [{ products: [] }, 'products'],
    [{ colour: 'red' }, 'colour'],
    [{ version: 0 }, 'version'],
  ])('PATCH %j → 400 naming %s', async (body, field) => {
    const before = await getEvent(rig.redis, rig.prefix, EVT);
    const res = await rig.call('PATCH', `/v1/events/${EVT}`, { token: ADMIN, body });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'INVALID_FIELD', field });
    expect(await getEvent(rig.redis, rig.prefix, EVT)).toEqual(before);
  });

  it('names the field of a bad new event and of bad stock and revocation bodies', async () => {
    const bad = await rig.call('POST', '/v1/events', { token: ADMIN, body: eventBody('bad1', { maxActive: 0 }) });
    expect(bad.json.error.field).toBe('maxActive');
    const badSku = await rig.call('POST', '/v1/events', {
      token: ADMIN,
      body: eventBody('bad2', { products: [{ sku: '', name: 'x', priceCents: 1, stock: 1 }] }),
    });
    expect(badSku.json.error.field).toBe('products[0].sku');
    expect((await rig.call('POST', `/v1/events/${EVT}/stock`, { token: ADMIN, body: { sku: 'SKU-A', delta: 0 } })).json.error.field).toBe('delta');
    expect((await rig.call('POST', `/v1/events/${EVT}/revocations`, { token: ADMIN, body: { jti: 'a', placeId: 'b' } })).status).toBe(400);
    const notJson = await rig.call('PATCH', `/v1/events/${EVT}`, { token: ADMIN, headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    expect(await rig.redis.sismember(globalKeys(rig.prefix).events, 'bad1')).toBe(0);
  });

  it('refuses a stale version (409) and an unknown event (404)', async () => {
    const rec = await getEvent(rig.redis, rig.prefix, EVT);
    const res = await rig.call('PATCH', `/v1/events/${EVT}`, { token: ADMIN, body: { rate: 12, version: rec!.version - 1 } });
    expect(res.status).toBe(409);
    expect((await rig.call('PATCH', '/v1/events/nope', { token: ADMIN, body: { rate: 1 } })).status).toBe(404);
  });
});

describe('changes', () => {
  it('applies a setting through Redis, announces it on the control channel and audits it', async () => {
    const sub = createRedis(TEST_REDIS_URL);
    const seen: { evt: string; kind: string; version: number }[] = [];
    await sub.subscribe(globalKeys(rig.prefix).control);
    sub.on('message', (_c, m) => seen.push(JSON.parse(m)));
    try {
      const body = { rate: 25, burst: 30, maxActive: 200, overbook: 1.2, ticketTtlS: 300, powDifficulty: 4, allowedOrigins: ['https://shop.example'], queueAll: true };
      const res = await rig.call('PATCH', `/v1/events/${EVT}`, { token: ADMIN, body });
      expect(res.status).toBe(200);
      const rec = await getEvent(rig.redis, rig.prefix, EVT);
      expect(rec!.config).toMatchObject(body);
      await until(() => seen.some((m) => m.evt === EVT && m.kind === 'event' && m.version === rec!.version));
      const row = (await auditRows(EVT)).at(-1)!;
      expect(row).toMatchObject({ actor: 'admin/bearer', action: 'event.edit', event_id: EVT });
      expect(row.before).toMatchObject({ rate: 11, queueAll: false });
      expect(row.after).toMatchObject({ ...body, version: rec!.version });
    } finally {
      sub.disconnect();
    }
  });

  it('pauses, resumes and closes with a version bump each, refusing impossible transitions', async () => {
    await rig.call('POST', '/v1/events', { token: ADMIN, body: eventBody('drop2', { startAt: Date.now() + 3_600_000 }) });
    expect((await rig.call('POST', '/v1/events/drop2/pause', { token: ADMIN })).status).toBe(409);
    const opened = await rig.call('POST', '/v1/events/drop2/open', { token: ADMIN });
    expect(opened.status).toBe(200);
    expect((await getEvent(rig.redis, rig.prefix, 'drop2'))!.config.startAt).toBeLessThanOrEqual(Date.now());
    // The admitter (a gate) would now move it to open; stand in for that transition here.
    await rig.redis.hset(eventKeys(rig.prefix, 'drop2').event, 'state', 'open');
    const v0 = (await getEvent(rig.redis, rig.prefix, 'drop2'))!.version;
    const p = await rig.call('POST', '/v1/events/drop2/pause', { token: ADMIN });
    expect(p.json).toMatchObject({ state: 'paused', version: v0 + 1 });
    const r = await rig.call('POST', '/v1/events/drop2/resume', { token: ADMIN });
    expect(r.json).toMatchObject({ state: 'open', version: v0 + 2 });
    const c = await rig.call('POST', '/v1/events/drop2/close', { token: ADMIN });
    expect(c.json).toMatchObject({ state: 'closed' });
    expect((await rig.call('POST', '/v1/events/drop2/resume', { token: ADMIN })).status).toBe(409);
    const actions = (await auditRows('drop2')).map((x) => x.action);
    expect(actions).toEqual(['event.create', 'event.open', 'event.pause', 'event.resume', 'event.close']);
  });

  it('moves stock in Redis and the products row by the same delta', async () => {
    const k = eventKeys(rig.prefix, EVT);
    await rig.redis.hincrby(k.stock, 'SKU-A', -7); // seven units sold meanwhile
    const res = await rig.call('POST', `/v1/events/${EVT}/stock`, { token: ADMIN, body: { sku: 'SKU-A', delta: 5 } });
    expect(res.status).toBe(200);
    expect(Number(await rig.redis.hget(k.stock, 'SKU-A'))).toBe(48);
    const { rows } = await rig.pool.query("SELECT initial_stock FROM products WHERE event_id = $1 AND sku = 'SKU-A'", [EVT]);
    expect(rows[0].initial_stock).toBe(55);
    expect((await getEvent(rig.redis, rig.prefix, EVT))!.config.products[0]!.stock).toBe(55);
    const tooMuch = await rig.call('POST', `/v1/events/${EVT}/stock`, { token: ADMIN, body: { sku: 'SKU-A', delta: -49 } });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.json.error.field).toBe('delta');
    expect(Number(await rig.redis.hget(k.stock, 'SKU-A'))).toBe(48);
    const unknown = await rig.call('POST', `/v1/events/${EVT}/stock`, { token: ADMIN, body: { sku: 'NOPE', delta: 1 } });
    expect(unknown.json.error.field).toBe('sku');
    const row = (await auditRows(EVT)).at(-1)!;
    expect(row).toMatchObject({ action: 'stock.adjust', before: { sku: 'SKU-A', left: 43 }, after: { sku: 'SKU-A', left: 48, initial: 55 } });
  });

  it('revokes a ticket and a place into the revoked hash', async () => {
    const k = eventKeys(rig.prefix, EVT);
    expect((await rig.call('POST', `/v1/events/${EVT}/revocations`, { token: ADMIN, body: { jti: 'p-abc123' } })).status).toBe(201);
    expect((await rig.call('POST', `/v1/events/${EVT}/revocations`, { token: ADMIN, body: { placeId: 'p-def456' } })).status).toBe(201);
    const revoked = await rig.redis.hgetall(k.revoked);
    expect(Object.keys(revoked).sort()).toEqual(['p-abc123', 'p-def456']);
    const actions = (await auditRows(EVT)).slice(-2).map((r) => [r.action, r.after.id]);
    expect(actions).toEqual([
      ['revoke.ticket', 'p-abc123'],
      ['revoke.place', 'p-def456'],
    ]);
  });

  it('rotates the signing key: a new current key, the old one still published', async () => {
    const before = await loadKeyring(rig.redis, rig.prefix);
    const res = await rig.call('POST', '/v1/keys/rotate', { token: ADMIN });
    expect(res.status).toBe(201);
    const after = await loadKeyring(rig.redis, rig.prefix);
    expect(after.current.kid).toBe(res.json.current);
    expect(after.current.kid).not.toBe(before.current.kid);
    const kids = after.jwks.keys.map((k) => k.kid);
    expect(kids).toContain(before.current.kid);
    expect(kids).toContain(after.current.kid);
    const keys = await rig.call('GET', '/v1/keys', { token: VIEWER });
    expect(keys.json.current).toBe(after.current.kid);
    const row = (await auditRows()).filter((r) => r.action === 'keys.rotate').at(-1)!;
    expect(row).toMatchObject({ event_id: null, before: { kid: before.current.kid }, after: { kid: after.current.kid } });
  });

  it('records every successful change, and only those', async () => {
    const { rows } = await rig.pool.query(
      "SELECT count(*)::int AS n FROM audit_log WHERE action <> 'login'",
    );
    const changes = await rig.call('GET', '/metrics');
    const counted = [...changes.text.matchAll(/^sluice_dashboard_changes_total\{[^}]*\} (\d+)/gm)].reduce((a, m) => a + Number(m[1]), 0);
    expect(rows[0].n).toBe(counted);
    expect(counted).toBeGreaterThanOrEqual(12);
  });
});

describe('service endpoints', () => {
  it('serves healthz, readyz, live stats, what-if and a live stream', async () => {
    expect((await rig.call('GET', '/healthz')).status).toBe(200);
    expect((await rig.call('GET', '/readyz')).json).toMatchObject({ ready: true, checks: { redis: 'ok', postgres: 'ok' } });
    const stats = await rig.call('GET', `/v1/events/${EVT}/stats`, { token: ADMIN });
    expect(stats.json).toMatchObject({ evt: EVT, stock: { 'SKU-A': 48, 'SKU-B': 20 } });
    const stopped = await rig.call('GET', `/v1/events/${EVT}/whatif?rate=5`, { token: VIEWER });
    expect(stopped.json.sellOutS).toBeNull(); // queue-all is on: nothing moves
    expect((await rig.call('PATCH', `/v1/events/${EVT}`, { token: ADMIN, body: { queueAll: false } })).status).toBe(200);
    const w = await rig.call('GET', `/v1/events/${EVT}/whatif?rate=5`, { token: VIEWER });
    expect(w.json.rate).toBe(5);
    expect(w.json.sellOutS).toBeCloseTo(68 / 5, 5);
    const ctl = new AbortController();
    const res = await fetch(`${rig.base}/v1/events/${EVT}/live`, { headers: { authorization: `Bearer ${VIEWER}` }, signal: ctl.signal });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toMatch(/event: sample/);
    const data = JSON.parse(/data: (.*)/.exec(text)![1]!);
    expect(data.evt).toBe(EVT);
    ctl.abort();
  });
});
