// The ops console in Debian's Chromium against a real gate (in-process, startGate), Redis and
// PostgreSQL, with a small simulated crowd of `ws` shoppers: log in, watch the numbers move,
// steer the admission rate with the slider, pause, and check that a viewer and a stranger can
// change nothing. A screenshot of the console during the sale goes to test-artifacts/ (and to
// docs/console.png with UPDATE_SCREENSHOT=1).
import { mkdirSync } from 'node:fs';
import { checkoutSchema, createLogger, eventKeys, gateSchema, getEvent, loadConfig, workerSchema } from '@sluice/shared';
import { type CheckoutApp, startCheckout } from '../../checkout/src/app.ts';
import { type OrderWorker, startWorker } from '../../checkout/src/worker/worker.ts';
import { TEST_REDIS_URL } from '@sluice/shared/testing/index.ts';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGate, startGate } from '../../gate/src/app.ts';
import { crowd } from './test-crowd.ts';
import { ADMIN, eventBody, type Rig, schemaUrl, startRig, until, VIEWER } from './test-support.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url);
const EVT = 'sale1';
const T = 180_000;

let rig: Rig;
let gate: RunningGate;
let checkout: CheckoutApp;
let worker: OrderWorker;
let browser: Browser;
let shoppers: ReturnType<typeof crowd>;

const text = async (page: Page, id: string) => (await page.locator(`#${id}`).textContent()) ?? '';
const admittedTotal = async () => Number((await rig.redis.hget(eventKeys(rig.prefix, EVT).stats, 'admittedTotal')) ?? 0);

/** Admissions per second measured from the gate's own counter over `ms`. */
async function admissionRate(ms: number): Promise<number> {
  const a = await admittedTotal();
  const t = Date.now();
  await new Promise((r) => setTimeout(r, ms));
  return ((await admittedTotal()) - a) / ((Date.now() - t) / 1000);
}

async function login(token: string): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 1500 } });
  const page = await ctx.newPage();
  const res = await page.goto(rig.base + `/?evt=${EVT}`);
  expect(res?.status()).toBe(401);
  await page.fill('#token', token);
  await page.click('#login-submit');
  await page.waitForSelector('#fig-queue', { timeout: 30_000 });
  return page;
}

beforeAll(async () => {
  // The gate, checkout API and order worker on the same Redis prefix and schema as the dashboard,
  // which scrapes checkout's /metrics for the latency chart.
  rig = await startRig({}, 1000, async ({ prefix, schema, pool }) => {
    const common = { REDIS_URL: TEST_REDIS_URL, SLUICE_PREFIX: prefix, LOG_LEVEL: 'silent' };
    gate = await startGate(
      loadConfig(gateSchema, {
        ...common,
        GATE_HOST: '127.0.0.1',
        GATE_PORT: '0',
        GATE_SERVE_PAGE: 'false',
        GATE_TICK_MS: '100',
        GATE_JOIN_RATE_PER_IP: '1000000',
        GATE_MAX_PLACES_PER_IP: '1000000',
        GATE_MAX_SOCKETS_PER_IP: '1000000',
      }),
      { log: createLogger('gate-console-test', 'silent') },
    );
    checkout = await startCheckout(
      loadConfig(checkoutSchema, {
        ...common,
        DATABASE_URL: schemaUrl(schema),
        CHECKOUT_HOST: '127.0.0.1',
        CHECKOUT_PORT: '0',
        JWKS_URL: `http://127.0.0.1:${gate.port}/.well-known/jwks.json`,
      }),
      { pool, log: createLogger('checkout-console-test', 'silent') },
    );
    worker = await startWorker(
      loadConfig(workerSchema, {
        ...common,
        DATABASE_URL: schemaUrl(schema),
        WORKER_METRICS_PORT: '0',
        PAYMENT_LATENCY_MS: '30',
        PAYMENT_DECLINE_RATE: '0.1',
      }),
      { pool, log: createLogger('worker-console-test', 'silent') },
    );
    return { CHECKOUT_METRICS_URLS: `http://127.0.0.1:${checkout.port}/metrics` };
  });
  const now = Date.now();
  const created = await rig.call('POST', '/v1/events', {
    token: ADMIN,
    body: eventBody(EVT, {
      prequeueAt: now - 2000,
      startAt: now - 1000,
      rate: 2,
      burst: 2,
      maxActive: 5000,
      products: [{ sku: 'SNEAKER-1', name: 'Sneaker', priceCents: 12000, stock: 1000, limitPerShopper: 1 }],
    }),
  });
  expect(created.status).toBe(201);
  await until(async () => (await getEvent(rig.redis, rig.prefix, EVT))?.state === 'open', 30_000);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  shoppers = crowd(`http://127.0.0.1:${gate.port}`, EVT, { url: `http://127.0.0.1:${checkout.port}`, sku: 'SNEAKER-1' });
}, T);

afterAll(async () => {
  shoppers?.close();
  await browser?.close();
  await worker?.close();
  await checkout?.close();
  await gate?.close();
  await rig?.close();
}, T);

describe('ops console', () => {
  it('answers 401 without a login (page and API)', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const res = await page.goto(rig.base + '/');
    expect(res?.status()).toBe(401);
    await page.waitForSelector('#login');
    const api = await page.evaluate(async () => (await fetch('/v1/events')).status);
    expect(api).toBe(401);
    await ctx.close();
  }, T);

  it('shows live numbers move, steers the admission rate and pauses admissions', async () => {
    const page = await login(ADMIN);
    expect(await text(page, 'role')).toBe('admin');
    await until(async () => (await text(page, 'conn')) === 'live', 30_000);

    // A crowd arrives: 150 at once, then a steady trickle.
    shoppers.join(150);
    shoppers.trickle(5);
    await until(async () => Number(await text(page, 'fig-queue')) > 50, 60_000);
    const q1 = await text(page, 'fig-queue');
    await until(async () => (await text(page, 'fig-queue')) !== q1, 30_000); // it moves every second
    await until(async () => Number((await text(page, 'fig-joins')).replace('–', '0')) > 0, 30_000);
    // The proof-of-work level is shown (this event asks for none and has no surge).
    expect(await text(page, 'fig-pow')).toBe('0');
    await until(async () => /^\d+ \/ \d+$/.test(await text(page, 'fig-gates')) && (await text(page, 'fig-gates')).startsWith('1 /'), 30_000);

    // Before: the configured 2 shoppers/s.
    const before = await admissionRate(3000);
    expect(before).toBeLessThan(6);

    // The slider's what-if preview changes before anything is applied.
    const waitAt2 = await text(page, 'whatif-wait');
    await page.locator('#rate-slider').fill('40');
    await until(async () => (await text(page, 'whatif-wait')) !== waitAt2, 10_000);
    expect((await getEvent(rig.redis, rig.prefix, EVT))!.config.rate).toBe(2);
    await page.click('#rate-apply');
    await page.waitForSelector('#status-rate[data-applied="all"]', { timeout: 30_000 });
    expect((await getEvent(rig.redis, rig.prefix, EVT))!.config.rate).toBe(40);
    // The gate announces the new rate to its shoppers and admits faster.
    await until(() => shoppers.latestState()?.cfg === 40, 10_000);
    const after = await admissionRate(2000);
    expect(after).toBeGreaterThan(before * 3);
    await until(async () => Number((await text(page, 'fig-admitted')).split(' ')[0]) > 10, 30_000);
    // Admitted shoppers buy: orders are confirmed (and some declined) and checkout latency shows.
    await until(async () => Number((await text(page, 'fig-orders')).split(' / ')[0]) > 0, 60_000);
    await until(async () => /\d ms$/.test(await text(page, 'fig-latency')), 60_000);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.waitForTimeout(1500);
    await page.screenshot({ path: new URL('console.png', ARTIFACTS).pathname, fullPage: true });
    if (process.env.UPDATE_SCREENSHOT === '1') {
      await page.screenshot({ path: new URL('../../docs/console.png', import.meta.url).pathname, fullPage: true });
    }

    // Pause: admissions stop while the line keeps growing.
    await rig.call('PATCH', `/v1/events/${EVT}`, { token: ADMIN, body: { rate: 2 } }); // keep people waiting
    await until(async () => (await rig.redis.zcard(eventKeys(rig.prefix, EVT).queue)) > 10, 60_000);
    await page.click('#pause');
    await page.waitForSelector('#status-pause[data-applied="all"]', { timeout: 30_000 });
    await until(async () => (await text(page, 'fig-state')).startsWith('paused'), 10_000);
    await new Promise((r) => setTimeout(r, 500)); // a tick already in flight may still land
    const pausedAt = await admittedTotal();
    const queuedAt = await rig.redis.zcard(eventKeys(rig.prefix, EVT).queue);
    await new Promise((r) => setTimeout(r, 2500));
    expect(await admittedTotal()).toBe(pausedAt);
    expect(await rig.redis.zcard(eventKeys(rig.prefix, EVT).queue)).toBeGreaterThan(queuedAt);
    await until(async () => (await text(page, 'fig-admitted')).startsWith('0.0'), 10_000);

    // Every change made above is in the audit log, by the console's session or the API.
    const { rows } = await rig.pool.query('SELECT actor, action, after FROM audit_log WHERE event_id = $1 ORDER BY id', [EVT]);
    const actions = rows.map((r: { action: string }) => r.action);
    expect(actions).toEqual(['event.create', 'event.edit', 'event.edit', 'event.pause']);
    expect(rows[1].actor).toMatch(/^admin\/session:/);
    expect(rows[1].after).toMatchObject({ rate: 40 });
    expect(rows[3].actor).toMatch(/^admin\/session:/);
    await page.context().close();
  }, T);

  it('gives a viewer the live console without controls, and refuses its changes', async () => {
    const page = await login(VIEWER);
    expect(await text(page, 'role')).toBe('viewer');
    await until(async () => (await text(page, 'fig-queue')) !== '–', 30_000);
    expect(await page.locator('#controls').count()).toBe(0);
    expect(await page.locator('#rate-slider').count()).toBe(0);
    const status = await page.evaluate(async (evt) => {
      const s = (await (await fetch('/v1/session')).json()) as { csrf: string };
      const res = await fetch(`/v1/events/${evt}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', 'x-csrf-token': s.csrf },
        body: JSON.stringify({ rate: 999 }),
      });
      return res.status;
    }, EVT);
    expect(status).toBe(403);
    expect((await getEvent(rig.redis, rig.prefix, EVT))!.config.rate).not.toBe(999);
    await page.context().close();
  }, T);
});
