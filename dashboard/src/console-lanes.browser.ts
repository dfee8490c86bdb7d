// The console's lanes panel in Debian's Chromium against a real gate (in-process), Redis and
// PostgreSQL: a sale with a `members` lane (access codes, share 3) and a `public` lane (share 1);
// the panel shows each lane's shoppers waiting and how far admission reached, an admin uploads
// codes through it and sees the counters, a viewer sees the table but no upload form. A screenshot
// goes to test-artifacts/console-lanes.png.
import { mkdirSync } from 'node:fs';
import { createLogger, gateSchema, getEvent, loadConfig } from '@sluice/shared';
import { TEST_REDIS_URL } from '@sluice/shared/testing/index.ts';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGate, startGate } from '../../gate/src/app.ts';
import { joinQueue } from '../../gate/src/queue/join.ts';
import { ADMIN, eventBody, type Rig, startRig, until, VIEWER } from './test-support.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url);
const EVT = 'laned1';
const T = 120_000;

let rig: Rig;
let gate: RunningGate;
let browser: Browser;

async function login(token: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 1400 } })).newPage();
  await page.goto(`${rig.base}/?evt=${EVT}`);
  await page.fill('#token', token);
  await page.click('#login-submit');
  await page.waitForSelector('#fig-queue', { timeout: 30_000 });
  return page;
}

/** The lanes table as rows of cell texts, keyed by lane id. */
async function table(page: Page): Promise<Record<string, string[]>> {
  const rows = await page.locator('#lanes-table tr[data-lane]').evaluateAll((trs) =>
    trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
  );
  return Object.fromEntries(rows.map((r) => [r[0]!, r]));
}

beforeAll(async () => {
  rig = await startRig({}, 1000, async ({ prefix }) => {
    gate = await startGate(
      loadConfig(gateSchema, {
        REDIS_URL: TEST_REDIS_URL,
        SLUICE_PREFIX: prefix,
        LOG_LEVEL: 'silent',
        GATE_HOST: '127.0.0.1',
        GATE_PORT: '0',
        GATE_SERVE_PAGE: 'false',
        GATE_TICK_MS: '100',
      }),
      { log: createLogger('gate-console-lanes-test', 'silent') },
    );
    return {};
  });
  const now = Date.now();
  const body = eventBody(EVT, {
    prequeueAt: now - 2000,
    startAt: now - 1000,
    rate: 4,
    burst: 4,
    maxActive: 5000,
    lanes: [
      { id: 'members', share: 3, access: 'code' },
      { id: 'public', share: 1 },
    ],
  });
  expect((await rig.call('POST', '/v1/events', { token: ADMIN, body })).status).toBe(201);
  await until(async () => (await getEvent(rig.redis, rig.prefix, EVT))?.state === 'open', 30_000);
  // 100 shoppers in each lane (joined directly: the codes path has its own test).
  for (let i = 0; i < 200; i++) {
    const lane = { index: i % 2, needs: false, field: '' };
    await joinQueue(rig.redis, rig.prefix, EVT, { cid: '', resumePlaceId: '', now: Date.now(), lane });
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
}, T);

afterAll(async () => {
  await browser?.close();
  await gate?.close();
  await rig?.close();
}, T);

describe('console lanes panel', () => {
  it('shows each lane moving by its share and takes access codes from an admin', async () => {
    const page = await login(ADMIN);
    await page.waitForSelector('#lanes-table tr[data-lane="public"]', { timeout: 30_000 });
    expect(await page.locator('#lane-mode').textContent()).toBe('(release split by share)');
    // Admission moves members three times as fast as public (4/s in all).
    const moved = await until(async () => {
      const t = await table(page);
      const m = Number(t.members?.[4]);
      const p = Number(t.public?.[4]);
      return m >= 9 && p >= 3 ? { m, p, t } : null;
    }, 30_000);
    expect(moved.m).toBeGreaterThan(moved.p * 2);
    expect(Number(moved.t.members![3]) + moved.m).toBe(100);

    await page.fill('#lane-codes', 'VIP-CODE-0001\nVIP-CODE-0002\nVIP-CODE-0003');
    await page.click('#lane-upload');
    await until(async () => (await page.locator('#lane-result').textContent())?.includes('3 added'), 10_000);
    await until(async () => (await table(page)).members?.[6] === '3', 10_000);
    await page.fill('#lane-codes', 'VIP-CODE-0003');
    await page.click('#lane-revoke');
    await until(async () => (await table(page)).members?.[8] === '1', 10_000);
    expect((await table(page)).members?.[6]).toBe('2');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: new URL('console-lanes.png', ARTIFACTS).pathname, fullPage: true });
  }, T);

  it('shows a viewer the lanes but no upload form', async () => {
    const page = await login(VIEWER);
    await page.waitForSelector('#lanes-table tr[data-lane="members"]', { timeout: 30_000 });
    expect(await page.locator('#lane-upload').count()).toBe(0);
  }, T);
});
