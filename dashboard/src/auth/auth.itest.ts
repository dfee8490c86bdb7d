// The operator's door under attack, over real HTTP with Redis and PostgreSQL: wrong bearer tokens
// are throttled like wrong logins, the limiter counts the operator's own address (through a
// trusted proxy, never through a spoofed header), a session ends when the token changes, a live
// stream ends at logout or when its session is gone, and every login, logout, refusal and
// throttled attempt is in auth_log.
import { createLogger, dashboardSchema, loadConfig } from '@sluice/shared';
import { dbFixture, type DbFixture, redisFixture, type RedisFixture } from '@sluice/shared/testing/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dashboard, startDashboard } from '../app.ts';
import { dashboardKeys, sha256 } from '../keys.ts';
import { eventBody, schemaUrl } from '../test-support.ts';
import { LOGIN_FAILURES_MAX } from './access.ts';

const T1 = 'first-admin-token-0123456789abcdef';
const T2 = 'second-admin-token-0123456789abcdef';
let fx: RedisFixture;
let db: DbFixture;
const started: Dashboard[] = [];

async function dashboard(env: Record<string, string>): Promise<string> {
  const config = loadConfig(dashboardSchema, {
    REDIS_URL: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
    DATABASE_URL: schemaUrl(db.schema),
    SLUICE_PREFIX: fx.prefix,
    DASHBOARD_HOST: '127.0.0.1',
    DASHBOARD_PORT: '0',
    ADMIN_TOKEN: T1,
    LOG_LEVEL: 'silent',
    ...env,
  });
  const d = await startDashboard(config, {
    logger: createLogger('auth-test', 'silent'),
    streamRecheckMs: 200,
  });
  started.push(d);
  return `http://127.0.0.1:${d.port}`;
}

beforeAll(async () => {
  fx = await redisFixture();
  db = await dbFixture();
});
afterAll(async () => {
  for (const d of started) await d.close();
  await db?.cleanup();
  await fx?.cleanup();
});

const bearer = (base: string, token: string, headers: Record<string, string> = {}) =>
  fetch(`${base}/v1/events`, { headers: { authorization: `Bearer ${token}`, ...headers } });
const login = (base: string, token: string, headers: Record<string, string> = {}) =>
  fetch(`${base}/v1/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ token }),
  });
const cookieOf = (res: Response) => (res.headers.get('set-cookie') ?? '').split(';')[0]!;

async function authLog(): Promise<{ kind: string; address: string; via: string; role: string | null }[]> {
  const { rows } = await db.pool.query('SELECT kind, address, via, role FROM auth_log ORDER BY id');
  return rows;
}

describe('dashboard authentication', () => {
  it('throttles wrong bearer tokens per operator address, behind a trusted proxy', async () => {
    const base = await dashboard({ DASHBOARD_TRUSTED_PROXIES: '127.0.0.1' });
    const mallory = { 'x-real-ip': '203.0.113.7' };
    for (let i = 0; i < LOGIN_FAILURES_MAX; i++)
      expect((await bearer(base, `wrong-${i}`, mallory)).status).toBe(401);
    // Over the budget: refused before the token is even compared, the right one too.
    expect((await bearer(base, T1, mallory)).status).toBe(429);
    expect((await login(base, T1, mallory)).status).toBe(429);
    // Another operator behind the same proxy is not locked out.
    expect((await bearer(base, T1, { 'x-real-ip': '203.0.113.8' })).status).toBe(200);
    expect((await login(base, T1, { 'x-real-ip': '203.0.113.8' })).status).toBe(200);
    const log = await authLog();
    expect(
      log.filter((r) => r.kind === 'refused' && r.address === '203.0.113.7' && r.via === 'bearer'),
    ).toHaveLength(LOGIN_FAILURES_MAX);
    expect(
      log.filter((r) => r.kind === 'throttled' && r.address === '203.0.113.7').length,
    ).toBeGreaterThanOrEqual(2);
    expect(log.some((r) => r.kind === 'login' && r.address === '203.0.113.8' && r.role === 'admin')).toBe(
      true,
    );
  });

  it('does not believe X-Real-IP from a peer that is not a configured proxy', async () => {
    await fx.redis.del(dashboardKeys(fx.prefix).loginFailures('127.0.0.1'));
    const base = await dashboard({});
    // Rotating the claimed address does not buy more guesses: they all count against the peer.
    for (let i = 0; i < LOGIN_FAILURES_MAX; i++) {
      expect((await login(base, `wrong-${i}`, { 'x-real-ip': `198.51.100.${i}` })).status).toBe(401);
    }
    expect((await login(base, T1, { 'x-real-ip': '198.51.100.250' })).status).toBe(429);
    await fx.redis.del(dashboardKeys(fx.prefix).loginFailures('127.0.0.1'));
  });

  it('ends sessions opened with a token that has since changed', async () => {
    const before = await dashboard({});
    const res = await login(before, T1);
    expect(res.status).toBe(200);
    const cookie = cookieOf(res);
    expect((await fetch(`${before}/v1/session`, { headers: { cookie } })).status).toBe(200);
    // The operator rotates ADMIN_TOKEN: a dashboard with the new token refuses the old session.
    const after = await dashboard({ ADMIN_TOKEN: T2 });
    expect((await fetch(`${after}/v1/session`, { headers: { cookie } })).status).toBe(401);
    // And it is gone for good (not revived by a dashboard still on the old token).
    const id = cookie.split('=')[1]!;
    expect(await fx.redis.exists(`${fx.prefix}:dash:session:${sha256(id)}`)).toBe(0);
  });

  it('closes live streams at logout and when the session is gone', async () => {
    const base = await dashboard({});
    const created = await bearer(base, T1);
    expect(created.status).toBe(200);
    const evt = `auth-${Math.random().toString(36).slice(2, 8)}`;
    const mk = await fetch(`${base}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${T1}`, 'content-type': 'application/json' },
      body: JSON.stringify(eventBody(evt)),
    });
    expect(mk.status).toBe(201);

    /** Open a stream with the cookie; resolves when the server ends it. */
    const stream = async (cookie: string) => {
      const res = await fetch(`${base}/v1/events/${evt}/live`, { headers: { cookie } });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      await reader.read(); // the first sample
      // Wrapped: an async function returning a bare promise would be awaited to its end.
      return {
        ended: (async () => {
          for (;;) if ((await reader.read()).done) return 'ended';
        })(),
      };
    };
    const within = <T>(p: Promise<T>, ms: number) =>
      Promise.race([p, new Promise<'still open'>((r) => setTimeout(() => r('still open'), ms))]);

    const a = await login(base, T1);
    const aCookie = cookieOf(a);
    const { csrf } = (await a.json()) as { csrf: string };
    const aEnded = (await stream(aCookie)).ended;
    const out = await fetch(`${base}/v1/logout`, {
      method: 'POST',
      headers: { cookie: aCookie, origin: base, 'x-csrf-token': csrf },
    });
    expect(out.status).toBe(204);
    expect(await within(aEnded, 3000)).toBe('ended');

    // A session that disappears elsewhere (expiry, logout on another dashboard process).
    const b = await login(base, T1);
    const bCookie = cookieOf(b);
    await b.body?.cancel();
    const bEnded = (await stream(bCookie)).ended;
    await fx.redis.del(`${fx.prefix}:dash:session:${sha256(bCookie.split('=')[1]!)}`);
    expect(await within(bEnded, 3000)).toBe('ended');
    expect((await authLog()).some((r) => r.kind === 'logout' && r.role === 'admin')).toBe(true);
  });
});
