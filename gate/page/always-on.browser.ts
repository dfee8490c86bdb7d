// An always-on room in Debian's Chromium against the real gate: while nobody waits, the
// storefront's drop-in gets the shopper a ticket without leaving the shop (no queue page, the
// shop's server accepts it); once active shoppers reach maxActive, the next shopper is sent to
// the queue page and waits there in line.
import { eventKeys, updateEvent } from '@sluice/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack, until } from './e2e/stack.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

/** An always-on room (no start given) whose storefront may call the gate from its own origin. */
async function room(patch: Record<string, unknown>) {
  const { evt, store } = await stack.event({ alwaysOn: true, startAt: undefined, prequeueAt: undefined, ...patch });
  await updateEvent(stack.fx.redis, stack.fx.prefix, evt, { allowedOrigins: [stack.pageOrigin, store.origin] });
  await until(
    () => stack.gate.ctx.events.get(evt)?.config.allowedOrigins.includes(store.origin),
    10_000,
    'gate applied the storefront origin',
  );
  return { evt, store };
}

describe('always-on room', () => {
  it('lets the shopper straight through from the shop while nobody waits', async () => {
    const { evt, store } = await room({ rate: 50, burst: 50, maxActive: 100 });
    expect(stack.gate.ctx.events.get(evt)?.config.startAt).toBe(0);
    const page = await stack.browser.newPage();
    const visited: string[] = [];
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) visited.push(new URL(f.url()).origin);
    });
    await page.goto(store.returnUrl);
    await until(() => store.accepted.length > 0, 30_000, 'storefront accepted the fast-pass ticket');
    expect(store.accepted[0]!.evt).toBe(evt);
    expect(await page.evaluate((e) => sessionStorage.getItem(`sluice.ticket.${e}`), evt)).toBeTruthy();
    // The shopper never left the shop for the queue page.
    expect(visited.every((o) => o === store.origin)).toBe(true);
    expect(await stack.fx.redis.zcard(eventKeys(stack.fx.prefix, evt).admitted)).toBe(1);
    await page.close();
  }, 90_000);

  it('sends the shopper to the queue page once active shoppers reach maxActive', async () => {
    const { store } = await room({ rate: 50, burst: 50, maxActive: 1 });
    const first = await stack.browser.newPage();
    await first.goto(store.returnUrl);
    await until(() => store.accepted.length > 0, 30_000, 'first shopper straight through');

    // A second shopper (a new tab with a client id of its own) finds the room full: after a
    // moment the drop-in gives its place back and the queue page takes one in line.
    await first.evaluate(() => localStorage.removeItem('sluice.cid'));
    const second = await stack.browser.newPage();
    await second.goto(store.returnUrl);
    await second.waitForURL((u) => u.origin === stack.pageOrigin, { timeout: 30_000 });
    await until(
      async () => (await second.locator('#sluice').getAttribute('data-screen')) === 'waiting',
      30_000,
      'waiting on the queue page',
    );
    expect(store.accepted.length).toBe(1);
    await first.close();
    await second.close();
  }, 120_000);
});
