// Least privilege in Redis, against a private redis-server started with the generated ACL file:
// each service runs its core flow with its own user (dashboard creates an event and rotates the
// signing key, the gate admits a shopper and signs the ticket, checkout sells, the worker
// confirms the order), and each user is refused what it must not touch (private signing keys,
// the place secret, the dashboard's sessions, administration), as is the default user.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEV_REDIS_PASSWORDS, renderAcl, SERVICES, type Service } from '@sluice/shared/acl/users.ts';
import {
  checkoutSchema,
  createLogger,
  createRedis,
  dashboardSchema,
  gateSchema,
  GatePaths,
  globalKeys,
  loadConfig,
  PLACE_HEADER,
  workerSchema,
} from '@sluice/shared';
import { dbFixture, type DbFixture, uniqueId } from '@sluice/shared/testing/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCheckout } from '../../checkout/src/app.ts';
import { startWorker } from '../../checkout/src/worker/worker.ts';
import { startDashboard } from '../../dashboard/src/app.ts';
import { startGate } from '../../gate/src/app.ts';
import { type PrivateRedis, privateRedis } from '../../tests/support/stores.ts';
import { until } from '../../tests/support/wait.ts';
import { ACL_PATH, aclFromEnv } from './acl.ts';

const prefix = uniqueId('acl');
const pw = Object.fromEntries(
  ['admin', ...SERVICES].map((s) => [s, randomBytes(12).toString('hex')]),
) as Record<Service | 'admin', string>;
const kek = randomBytes(32).toString('hex');
const quiet = createLogger('acl-test', 'silent');
let dir: string;
let redis: PrivateRedis;
let db: DbFixture;
const urlOf = (user: Service) => `redis://${user}:${pw[user]}@127.0.0.1:${redis.port}`;
const stops: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-acl-'));
  const file = join(dir, 'users.acl');
  writeFileSync(file, renderAcl(prefix, pw));
  redis = await privateRedis({
    args: ['--aclfile', file, '--protected-mode', 'yes'],
    auth: `admin:${pw.admin}`,
  });
  db = await dbFixture();
}, 60_000);
afterAll(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  await db?.cleanup();
  await redis?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The reply to one command as `user`: 'OK'-ish text, or the error's first word (NOPERM, NOAUTH). */
async function as(user: Service | null, ...cmd: string[]): Promise<string> {
  const url = user ? urlOf(user) : `redis://127.0.0.1:${redis.port}`;
  const c = createRedis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableReadyCheck: false,
  });
  try {
    await c.connect();
    const r = await c.call(cmd[0]!, ...cmd.slice(1));
    return typeof r === 'string' ? r : JSON.stringify(r);
  } catch (err) {
    return String((err as Error).message).split(' ')[0]!;
  } finally {
    c.disconnect();
  }
}

describe('Redis users per service', () => {
  it('runs every service with its own user: event, rotation, admission, purchase, confirmed order', async () => {
    const dash = await startDashboard(
      loadConfig(dashboardSchema, {
        REDIS_URL: urlOf('dashboard'),
        DATABASE_URL: `${db.env.DATABASE_URL}?options=${encodeURIComponent(`-c search_path=${db.schema}`)}`,
        SLUICE_PREFIX: prefix,
        DASHBOARD_HOST: '127.0.0.1',
        DASHBOARD_PORT: '0',
        ADMIN_TOKEN: 'acl-test-admin-token-0123456789',
        SLUICE_KEY_ENCRYPTION_KEY: kek,
        LOG_LEVEL: 'silent',
      }),
      { logger: quiet },
    );
    stops.push(() => dash.close());
    const gate = await startGate(
      loadConfig(gateSchema, {
        REDIS_URL: urlOf('gate'),
        SLUICE_PREFIX: prefix,
        GATE_HOST: '127.0.0.1',
        GATE_PORT: '0',
        GATE_SERVE_PAGE: 'false',
        GATE_TICK_MS: '50',
        SLUICE_KEY_ENCRYPTION_KEY: kek,
      }),
      { log: quiet },
    );
    stops.push(() => gate.close());
    const admin = {
      authorization: 'Bearer acl-test-admin-token-0123456789',
      'content-type': 'application/json',
    };
    const dashUrl = `http://127.0.0.1:${dash.port}`;
    const evt = 'acl-drop';
    const now = Date.now();
    const created = await fetch(`${dashUrl}/v1/events`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({
        id: evt,
        name: 'ACL drop',
        prequeueAt: now - 1000,
        startAt: now - 1000,
        rate: 50,
        burst: 50,
        maxActive: 100,
        powDifficulty: 0,
        powSurgeDifficulty: 0,
        products: [{ sku: 'SKU-1', name: 'Thing', priceCents: 500, stock: 5, limitPerShopper: 1 }],
      }),
    });
    expect(created.status).toBe(201);
    const rotated = await fetch(`${dashUrl}/v1/keys/rotate`, { method: 'POST', headers: admin });
    expect(rotated.status).toBe(201);

    const gateUrl = `http://127.0.0.1:${gate.port}`;
    await until(async () => gate.ctx.events.get(evt)?.state === 'open', 15_000, 'gate sees the event open');
    const join = await fetch(`${gateUrl}${GatePaths.join(evt)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ cid: 'acl-shopper-01' }),
    });
    expect(join.status).toBe(200);
    const { place } = (await join.json()) as { place: string };
    const ticket: string = await until<string>(
      async () => {
        const r = await fetch(`${gateUrl}${GatePaths.place(evt)}`, { headers: { [PLACE_HEADER]: place } });
        return ((await r.json()) as { ticket?: string }).ticket ?? '';
      },
      15_000,
      'ticket',
    );
    // The gate signs with the key the dashboard made (rotation reached it through the control channel).
    const kid = JSON.parse(Buffer.from(ticket.split('.')[0]!, 'base64url').toString()).kid as string;
    const adminRedis = createRedis(redis.url);
    stops.push(async () => adminRedis.disconnect());
    await until(
      async () => (await adminRedis.hget(globalKeys(prefix).keys, 'current')) === kid,
      5000,
      'ticket signed with the current key',
    );

    const common = {
      SLUICE_PREFIX: prefix,
      DATABASE_URL: db.env.DATABASE_URL,
      LOG_LEVEL: 'silent',
    };
    const checkout = await startCheckout(
      loadConfig(checkoutSchema, {
        ...common,
        REDIS_URL: urlOf('checkout'),
        CHECKOUT_HOST: '127.0.0.1',
        CHECKOUT_PORT: '0',
        JWKS_URL: `${gateUrl}/.well-known/jwks.json`,
      }),
      { log: quiet, pool: db.pool },
    );
    stops.push(() => checkout.close());
    const worker = await startWorker(
      loadConfig(workerSchema, {
        ...common,
        REDIS_URL: urlOf('worker'),
        WORKER_METRICS_PORT: '0',
        WORKER_RETRY_MS: '200',
      }),
      { pool: db.pool },
    );
    stops.push(() => worker.close());
    const buy = await fetch(`http://127.0.0.1:${checkout.port}/v1/checkout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ticket}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sku: 'SKU-1', qty: 1 }),
    });
    expect(buy.status).toBe(202);
    const { statusUrl } = (await buy.json()) as { statusUrl: string };
    await until(
      async () => {
        const r = await fetch(`http://127.0.0.1:${checkout.port}${statusUrl}`, {
          headers: { authorization: `Bearer ${ticket}` },
        });
        return ((await r.json()) as { status: string }).status === 'confirmed';
      },
      30_000,
      'order confirmed by the worker',
    );
  }, 120_000);

  it('refuses each user what it must not touch', async () => {
    const g = globalKeys(prefix);
    for (const user of ['checkout', 'worker', 'dashboard'] as const) {
      expect(await as(user, 'HGETALL', g.signingKeys), `${user} reads signing keys`).toBe('NOPERM');
      expect(await as(user, 'GET', g.placeSecret), `${user} reads the place secret`).toBe('NOPERM');
      expect(await as(user, 'FLUSHALL'), `${user} flushes`).toBe('NOPERM');
      expect(await as(user, 'CONFIG', 'GET', 'requirepass'), `${user} reads config`).toBe('NOPERM');
      expect(await as(user, 'KEYS', '*'), `${user} lists keys`).toBe('NOPERM');
    }
    for (const user of ['checkout', 'worker'] as const) {
      expect(await as(user, 'HSET', g.signingKeys, 'k-evil', 'x'), `${user} plants a key`).toBe('NOPERM');
      expect(await as(user, 'HSET', g.keys, 'current', 'k-evil'), `${user} changes the current key`).toBe(
        'NOPERM',
      );
      expect(await as(user, 'SET', `${prefix}:dash:session:x`, '{}'), `${user} forges a session`).toBe(
        'NOPERM',
      );
    }
    // The dashboard writes a sealed key when it rotates, and cannot read one back.
    expect(await as('dashboard', 'HSET', g.signingKeys, 'k-probe', 'x')).toBe('1');
    expect(await as('dashboard', 'HGET', g.signingKeys, 'k-probe')).toBe('NOPERM');
    expect(await as('dashboard', 'HDEL', g.signingKeys, 'k-probe')).toBe('1');
    // The gate cannot forge a console session.
    expect(await as('gate', 'SET', `${prefix}:dash:session:x`, '{}')).toBe('NOPERM');
    expect(await as('gate', 'ACL', 'LIST')).toBe('NOPERM');
    // Nobody gets in without a user.
    expect(await as(null, 'GET', g.placeSecret)).toMatch(/^NOAUTH/);
  });

  it('ships deploy/redis/users.acl as generated from shared/src/acl/users.ts (development passwords)', () => {
    expect(readFileSync(ACL_PATH, 'utf8')).toBe(aclFromEnv({}));
    expect(aclFromEnv({})).toContain(renderAcl('sluice', DEV_REDIS_PASSWORDS).split('\n')[2]);
  });
});
