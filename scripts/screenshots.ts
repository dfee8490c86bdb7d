// The README's quickstart screenshots, taken the way a person would see them: `npm start` (as a
// child, its own Redis prefix and PostgreSQL schema), `npm run crowd`'s code for the crowd,
// Debian's Chromium via playwright-core.
//   node --import tsx scripts/screenshots.ts   → docs/queue-page.png, docs/shop-confirmed.png,
//                                                docs/console-crowd.png
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { runCrowd } from '../loadtest/src/crowd/crowd.ts';
import { describeCrowd } from '../loadtest/src/crowd/summary.ts';
import { launchStack } from '../tests/journey/launch.ts';

const DOCS = fileURLToPath(new URL('../docs/', import.meta.url));
const say = (m: string) => process.stdout.write(`${m}\n`);

async function until(fn: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn().catch(() => false))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
const attr = (page: Page, id: string, name: string) =>
  page.evaluate(([i, n]) => document.getElementById(i!)?.getAttribute(n!) ?? null, [id, name]);

const stack = await launchStack({ DEMO_OPENS_IN_S: '40' });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'],
});
try {
  const shop = await browser.newPage({ viewport: { width: 560, height: 700 }, locale: 'en-US' });
  await shop.goto(stack.queuePageUrl);
  await until(async () => (await attr(shop, 'sluice', 'data-screen')) === 'countdown', 60_000, 'countdown');
  await shop.waitForTimeout(1500);
  await shop.screenshot({ path: `${DOCS}queue-page.png` });
  say('docs/queue-page.png');

  await shop.waitForURL((u) => u.origin === new URL(stack.storeUrl).origin, { timeout: 120_000 });
  await shop.waitForSelector('#product:not([hidden])', { timeout: 60_000 });
  await shop.fill('#qty', '2');
  await shop.click('#buy');
  await until(async () => (await attr(shop, 'order', 'data-status')) === 'confirmed', 60_000, 'order confirmed');
  await shop.screenshot({ path: `${DOCS}shop-confirmed.png` });
  say('docs/shop-confirmed.png');

  // The console while a crowd buys. Ops slow the release to 2 a second (admin API, as the
  // console's slider does) so that a line forms even on a loaded machine, where proof of work
  // keeps arrivals slow.
  const patched = await fetch(`${stack.dashboardUrl}/v1/events/demo`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ rate: 2 }),
  });
  if (!patched.ok) throw new Error(`PATCH rate: ${patched.status} ${await patched.text()}`);
  const crowd = runCrowd({
    gateUrl: `http://127.0.0.1:${stack.ports.gate}`,
    checkoutUrl: `http://127.0.0.1:${stack.ports.checkout}`,
    event: 'demo',
    shoppers: 2000,
    joinRatePerS: 50,
    buyShare: 1,
    leaveShare: 0.1,
    maxSeconds: 150,
    shoppersPerAddress: 4,
    powProcs: 2,
    progress: say,
  });
  const ops = await browser.newPage({ viewport: { width: 1400, height: 1500 } });
  await ops.goto(`${stack.dashboardUrl}/?evt=demo`);
  await ops.fill('#token', stack.adminToken);
  await ops.click('#login-submit');
  await ops.waitForSelector('#fig-queue', { timeout: 30_000 });
  const fig = async (id: string) => (await ops.locator(`#${id}`).textContent()) ?? '';
  await until(async () => Number(await fig('fig-queue')) >= 20, 150_000, 'a line of 20');
  await until(async () => Number((await fig('fig-orders')).split(' / ')[0]) > 0, 60_000, 'orders per second');
  await until(async () => /\d ms$/.test(await fig('fig-latency')), 60_000, 'checkout latency');
  await ops.waitForTimeout(20_000); // some history in the charts
  await ops.screenshot({ path: `${DOCS}console-crowd.png`, fullPage: true });
  say('docs/console-crowd.png');
  say(describeCrowd(await crowd));
} finally {
  await browser.close();
  say(`npm start exited with ${await stack.stop()}`);
}
process.exit(0);
