// Issue 16 item 8: a queue page that fell back to polling goes back to WebSockets once they work
// again. Debian's Chromium against the real gate and Redis (e2e/stack.ts); the page's WebSocket
// constructor is wrapped so that upgrades fail before opening (as behind a proxy that refuses
// them) until the test lifts the block.
import { eventKeys, updateEvent } from '@sluice/shared';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Stack, startStack, until } from './e2e/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

const dataset = (page: Page) => page.evaluate(() => ({ ...document.getElementById('sluice')!.dataset }));

it('returns to WebSockets after falling back to polling, keeping the place, and is admitted over the socket', async () => {
  const { evt } = await stack.event({ queueAll: true });
  const page = await stack.browser.newPage();
  await page.addInitScript(() => {
    const Real = window.WebSocket;
    const w = window as unknown as { __wsBlocked: boolean; __wsTries: number };
    w.__wsBlocked = true;
    w.__wsTries = 0;
    class Blocked extends EventTarget {
      readyState = 0;
      onopen: ((e: Event) => void) | null = null;
      onmessage: ((e: MessageEvent) => void) | null = null;
      onerror: ((e: Event) => void) | null = null;
      onclose: ((e: CloseEvent) => void) | null = null;
      constructor() {
        super();
        setTimeout(() => {
          this.readyState = 3;
          this.onerror?.(new Event('error'));
          this.onclose?.(new CloseEvent('close', { code: 1006, wasClean: false }));
        }, 20);
      }
      send(): void {
        throw new DOMException('not open', 'InvalidStateError');
      }
      close(): void {}
    }
    // Called with `new`: a function that returns an object yields that object.
    function Switchable(url: string): unknown {
      w.__wsTries++;
      return w.__wsBlocked ? new Blocked() : new Real(url);
    }
    (window as unknown as { WebSocket: unknown }).WebSocket = Switchable;
  });
  let sockets = 0;
  page.on('websocket', () => sockets++);
  let polls = 0;
  page.on('request', (r) => {
    if (r.url().includes('/place')) polls++;
  });

  await page.goto(stack.pageUrl(evt));
  await until(async () => (await dataset(page)).screen === 'waiting' && polls > 0, 30_000, 'waiting by polling');
  const before = await dataset(page);
  expect(sockets).toBe(0);

  await page.evaluate(() => {
    (window as unknown as { __wsBlocked: boolean }).__wsBlocked = false;
  });
  // The page retries a WebSocket after a jittered backoff (2.5-5 s, then longer).
  await until(async () => sockets > 0, 60_000, 'a real WebSocket');
  const after = await dataset(page);
  expect(after.placeId).toBe(before.placeId);
  expect(after.score).toBe(before.score);
  expect(await stack.fx.redis.zcard(eventKeys(stack.fx.prefix, evt).queue)).toBe(1);
  // Polling has stopped: no /place request for a few poll periods.
  const polled = polls;
  await new Promise((r) => setTimeout(r, 5000));
  expect(polls).toBe(polled);

  // The ticket comes over the socket: the page leaves for the storefront.
  await updateEvent(stack.fx.redis, stack.fx.prefix, evt, { queueAll: false });
  await page.waitForURL((u) => u.origin !== stack.pageOrigin, { timeout: 60_000 });
  expect(polls).toBe(polled);
  await page.close();
}, 180_000);
