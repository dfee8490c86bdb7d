// The release-rate autopilot against real services: a checkout process, an order worker whose
// payments are slowed down (PAYMENT_LATENCY_MS) and the dashboard that runs the autopilot, on
// the real Redis and PostgreSQL. Orders pile up unwritten, so the rate comes down to its floor
// within seconds; a worker with fast payments drains the backlog and the rate climbs back; it
// never leaves [floor, ceiling]; every change is in the audit log with its reason; a manual rate
// change switches it off.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, workerSchema, getEvent, dashboardSchema, createLogger } from '@sluice/shared';
import { startWorker, type OrderWorker } from '../../checkout/src/worker/worker.ts';
import { type Dashboard, startDashboard } from '../../dashboard/src/app.ts';
import { buy, type OpenSale, openSale, serveJwks } from '../support/sale.ts';
import { type Service, spawnCheckout } from '../support/services.ts';
import { openStores, type Stores } from '../support/stores.ts';
import { until } from '../support/wait.ts';

const FLOOR = 10;
const CEILING = 80;
const ADMIN = 'autopilot-test-admin';

let s: Stores;
let sale: OpenSale;
let jwks: Awaited<ReturnType<typeof serveJwks>>;
let checkout: Service;
let worker: OrderWorker | undefined;
let dash: Dashboard;
const seen: number[] = [];
let watching: NodeJS.Timeout;

const workerWith = (latencyMs: number) =>
  startWorker(
    loadConfig(workerSchema, {
      ...s.env,
      LOG_LEVEL: 'silent',
      WORKER_METRICS_PORT: '0',
      SWEEP_INTERVAL_MS: '500',
      WORKER_BATCH_SIZE: '1',
      WORKER_BATCHES_IN_FLIGHT: '1',
      PAYMENT_LATENCY_MS: String(latencyMs),
    }),
    { pool: s.pool },
  );

type AuditRows = { before: { rate: number }; after: { rate: number; reason: string } }[];
const rate = async () => (await getEvent(s.redis, s.prefix, sale.evt))!.config.rate;
const autopilotRows = async () =>
  (
    await s.pool.query<{ before: { rate: number }; after: { rate: number; reason: string } }>(
      `SELECT before, after FROM audit_log WHERE actor = 'autopilot' AND event_id = $1 AND status = 'applied' ORDER BY id`,
      [sale.evt],
    )
  ).rows;

beforeAll(async () => {
  s = await openStores();
  sale = await openSale(s, [{ sku: 'SKU-1', stock: 100_000, limitPerShopper: 1 }], {
    rate: 50,
    burst: 50,
    autopilot: { enabled: true, floor: FLOOR, ceiling: CEILING, maxStep: 10, intervalS: 1, maxBacklog: 10, targetP99Ms: 5000 },
  });
  // Shoppers waiting in the line (no admitter runs here): the autopilot raises the rate only
  // while somebody waits.
  await s.redis.zadd(sale.k.queue, ...Array.from({ length: 500 }, (_, i) => [i + 1, `w${i}`]).flat());
  jwks = await serveJwks(sale.keyring.jwks);
  checkout = await spawnCheckout(s, { JWKS_URL: jwks.url });
  worker = await workerWith(3000);
  dash = await startDashboard(
    loadConfig(dashboardSchema, {
      ...s.env,
      DATABASE_URL: `${s.databaseUrl}?options=${encodeURIComponent(s.pgOptions)}`,
      DASHBOARD_HOST: '127.0.0.1',
      DASHBOARD_PORT: '0',
      ADMIN_TOKEN: ADMIN,
      LOG_LEVEL: 'silent',
      CHECKOUT_METRICS_URLS: `${checkout.base}/metrics`,
    }),
    { logger: createLogger('dashboard-test', 'silent'), autopilotMs: 200 },
  );
  watching = setInterval(() => {
    rate().then(
      (r) => seen.push(r),
      () => undefined, // a missed reading only thins the record of rates
    );
  }, 100);
}, 120_000);

afterAll(async () => {
  clearInterval(watching);
  await dash?.close();
  await worker?.close();
  await checkout?.kill();
  await jwks?.close();
  await s?.cleanup();
});

describe('release-rate autopilot', () => {
  it('brings the rate down while orders pile up and back up once they drain, within its bounds', async () => {
    // 40 purchases against a worker that writes one order every 3 s: a backlog of open reservations.
    const answers = await Promise.all(Array.from({ length: 40 }, async () => buy(checkout.base, await sale.ticket())));
    expect(answers.filter((a) => a.status === 202)).toHaveLength(40);

    await until(async () => (await rate()) === FLOOR, 30_000, 'rate down to the floor');
    // 50 → 40 → 30 → 20 → 10, one step per decision. The audit row is marked applied just after
    // the change itself (same transaction as the mark), so wait for the last one to commit.
    const down = await until<AuditRows | undefined>(async () => {
      const rows = await autopilotRows();
      return rows.length >= 4 ? rows : undefined;
    }, 10_000, 'four audited steps down');
    for (const row of down!) {
      expect(row.after.rate).toBeLessThan(row.before.rate);
      expect(row.before.rate - row.after.rate).toBeLessThanOrEqual(10);
      expect(row.after.reason).toMatch(/order backlog \d+ > 10/);
    }

    // Fast payments: the backlog drains and the rate climbs back.
    await worker!.close();
    worker = await workerWith(0);
    await until(async () => (await s.redis.zcard(sale.k.reservations)) === 0, 60_000, 'backlog drained');
    await until(async () => (await rate()) >= FLOOR + 15, 30_000, 'rate back up');
    const up = await until<AuditRows | undefined>(async () => {
      const rows = (await autopilotRows()).filter((r) => r.after.rate > r.before.rate);
      return rows.length >= 3 ? rows : undefined;
    }, 10_000, 'three audited steps up');
    for (const row of up!) {
      expect(row.after.rate - row.before.rate).toBeLessThanOrEqual(10);
      expect(row.after.reason).toMatch(/checkout healthy/);
    }
    // The console's live sample shows the autopilot and its last decision with the reason.
    const stats = await fetch(`http://127.0.0.1:${dash.port}/v1/events/${sale.evt}/stats`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const sample = (await stats.json()) as { autopilot: { enabled: boolean; floor: number; last: { reason: string } | null } };
    expect(sample.autopilot).toMatchObject({ enabled: true, floor: FLOOR });
    expect(sample.autopilot.last?.reason).toBeTruthy();
    expect(seen.length).toBeGreaterThan(50);
    // 50 is where the operator started it; from the first decision on it stays inside the bounds.
    expect(seen.filter((r) => r !== 50).every((r) => r >= FLOOR && r <= CEILING)).toBe(true);
  }, 180_000);

  it('switches itself off when an operator sets the rate by hand', async () => {
    const res = await fetch(`http://127.0.0.1:${dash.port}/v1/events/${sale.evt}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ rate: 33 }),
    });
    expect(res.status).toBe(200);
    const rec = (await getEvent(s.redis, s.prefix, sale.evt))!;
    expect(rec.config.rate).toBe(33);
    expect(rec.config.autopilot.enabled).toBe(false);
    const before = (await autopilotRows()).length;
    await new Promise((r) => setTimeout(r, 2500)); // several passes of the autopilot (every 200 ms, interval 1 s)
    expect(await rate()).toBe(33);
    expect((await autopilotRows()).length).toBe(before);
  }, 60_000);
});
