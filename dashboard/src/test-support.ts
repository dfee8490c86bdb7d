// Test helpers: a dashboard started in-process on port 0 against a fresh Redis prefix and
// PostgreSQL schema, plus a small HTTP client. Used by the *.itest.ts and *.browser.ts files.
import { createLogger, dashboardSchema, loadConfig, type Pool as DbPool } from '@sluice/shared';
import { dbFixture, redisFixture, TEST_DATABASE_URL, TEST_REDIS_URL } from '@sluice/shared/testing/index.ts';
import { type Dashboard, startDashboard } from './app.ts';

export const ADMIN = 'admin-token-for-tests';
export const VIEWER = 'viewer-token-for-tests';

export type Rig = Awaited<ReturnType<typeof startRig>>;

/** Postgres URL whose connections use `schema`. */
export function schemaUrl(schema: string): string {
  return `${TEST_DATABASE_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

export async function startRig(
  env: Record<string, string> = {},
  sampleMs = 1000,
  /** Start other services on the same prefix and schema first; returns extra dashboard env. */
  before?: (fx: { prefix: string; schema: string; pool: DbPool }) => Promise<Record<string, string>>,
) {
  const r = await redisFixture();
  const db = await dbFixture();
  const extra = before ? await before({ prefix: r.prefix, schema: db.schema, pool: db.pool }) : {};
  const config = loadConfig(dashboardSchema, {
    REDIS_URL: TEST_REDIS_URL,
    DATABASE_URL: schemaUrl(db.schema),
    SLUICE_PREFIX: r.prefix,
    DASHBOARD_HOST: '127.0.0.1',
    DASHBOARD_PORT: '0',
    ADMIN_TOKEN: ADMIN,
    VIEWER_TOKEN: VIEWER,
    LOG_LEVEL: 'silent',
    ...env,
    ...extra,
  });
  const dash: Dashboard = await startDashboard(config, { logger: createLogger('dashboard-test', 'silent'), sampleMs });
  const base = `http://127.0.0.1:${dash.port}`;
  return {
    ...r,
    pool: db.pool,
    schema: db.schema,
    dash,
    base,
    config,
    /** fetch with a JSON body and an optional bearer token. */
    async call(method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      if (opts.body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(base + path, {
        method,
        headers,
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      });
      const text = await res.text();
      // biome-ignore lint/suspicious/noExplicitAny: tests assert on the shape
      let json: any = null;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        json = null;
      }
      return { status: res.status, json, headers: res.headers, text };
    },
    async close() {
      await dash.close();
      await db.cleanup();
      await r.cleanup();
    },
  };
}

/** A valid event definition starting in an hour unless overridden. */
export function eventBody(id: string, over: Record<string, unknown> = {}) {
  const now = Date.now();
  return {
    id,
    name: `Test drop ${id}`,
    prequeueAt: now,
    startAt: now + 3_600_000,
    rate: 10,
    burst: 10,
    maxActive: 100,
    powDifficulty: 0,
    powSurgeDifficulty: 0,
    products: [
      { sku: 'SKU-A', name: 'Thing A', priceCents: 1000, stock: 50, limitPerShopper: 2 },
      { sku: 'SKU-B', name: 'Thing B', priceCents: 2000, stock: 20, limitPerShopper: 1 },
    ],
    ...over,
  };
}

/** Poll `fn` until it returns a truthy value or the deadline passes. */
export async function until<T>(fn: () => Promise<T> | T, timeoutMs = 15_000, stepMs = 50): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: T;
  do {
    last = await fn();
    if (last) return last as NonNullable<T>;
    await new Promise((r) => setTimeout(r, stepMs));
  } while (Date.now() < end);
  throw new Error(`condition not met within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
}
