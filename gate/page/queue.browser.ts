// The queue page in Debian's Chromium against the real gate and Redis: the page is served from
// its own origin (as from a CDN), the gate from another, the demo storefront from a third.
import { join } from 'node:path';
import { eventKeys, updateEvent, type WelcomeMsg } from '@sluice/shared';
import type { Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, type Stack, startStack, until } from './e2e/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

const T = 120_000;

async function screen(page: Page): Promise<string | undefined> {
  return page.evaluate(() => document.getElementById('sluice')?.dataset.screen);
}

async function waitScreen(page: Page, want: string, timeoutMs = 30_000): Promise<void> {
  await until(async () => (await screen(page).catch(() => undefined)) === want, timeoutMs, `screen ${want}`);
}

/** Join `n` other shoppers over the HTTP fallback (no Origin: not a browser page). */
async function joinOthers(evt: string, n: number): Promise<void> {
  for (let i = 0; i < n; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, async (_, k) => {
        const res = await fetch(`${stack.gateUrl}/v1/events/${evt}/join`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ cid: `other-shopper-${i + k}` }),
        });
        if (!res.ok) throw new Error(`join ${res.status}`);
        (await res.json()) as WelcomeMsg;
      }),
    );
  }
}

async function verdict(page: Page): Promise<{ cls: string; sub: string | undefined; text: string }> {
  return page.evaluate(() => {
    const v = document.getElementById('verdict')!;
    return { cls: v.className, sub: v.dataset.sub, text: v.textContent ?? '' };
  });
}

describe('queue page in a browser', () => {
  it(
    'shows the pre-queue countdown, then admits and lands on the storefront, whose server accepts the ticket',
    async () => {
      const { evt, store } = await stack.event({ startAt: Date.now() + 7000, powDifficulty: 8 });
      const page = await stack.browser.newPage();
      // The shopper starts at the storefront: sluice.js finds no ticket and sends them to the queue.
      await page.goto(store.returnUrl);
      await page.waitForURL((u) => u.origin === stack.pageOrigin, { timeout: 30_000 });
      await waitScreen(page, 'countdown');
      await expect.poll(() => page.textContent('#countdown'), { timeout: 10_000 }).toMatch(/^0:0\d$/);
      expect(await page.isVisible('#countdown')).toBe(true);
      expect(await page.textContent('#title')).toBe('The sale starts soon');
      await page.screenshot({ path: join(ARTIFACTS, 'queue-countdown.png') });

      await page.waitForURL((u) => u.origin === store.origin, { timeout: 60_000 });
      await until(async () => (await verdict(page)).cls === 'ok', 30_000, 'storefront verdict');
      const v = await verdict(page);
      expect(v.text).toContain('verified your ticket');
      // The storefront's server verified the ticket (verifyAdmission against the gate's JWKS).
      expect(store.accepted.map((c) => c.sub)).toContain(v.sub);
      expect(store.accepted.every((c) => c.evt === evt)).toBe(true);
      // The ticket was taken out of the address bar.
      expect(new URL(page.url()).hash).toBe('');
      await page.screenshot({ path: join(ARTIFACTS, 'storefront-admitted.png') });
      await page.close();
    },
    T,
  );

  it(
    'shows the position going down and the wait shrinking as the line moves',
    async () => {
      const { evt } = await stack.event({ rate: 5, burst: 1, queueAll: true });
      await joinOthers(evt, 400);
      const page = await stack.browser.newPage();
      await page.goto(stack.pageUrl(evt));
      await waitScreen(page, 'waiting');
      const score = Number(await page.evaluate(() => document.getElementById('sluice')!.dataset.score));
      expect(score).toBe(401);

      await updateEvent(stack.fx.redis, stack.fx.prefix, evt, { queueAll: false });
      const sample = async () => ({
        ahead: Number((await page.textContent('#ahead'))!.replace(/\D/g, '')),
        waitS: Number(await page.getAttribute('#wait', 'data-seconds')),
        wait: (await page.textContent('#wait'))!,
        progress: Number(await page.getAttribute('#progress', 'aria-valuenow')),
      });
      // Let the line get going (the measured rate starts from nothing), then watch it move.
      const start = await sample();
      await until(async () => start.ahead - (await sample()).ahead >= 10, 60_000, 'the line to start moving');
      const first = await sample();
      expect(first.waitS).toBeGreaterThan(0);
      await page.screenshot({ path: join(ARTIFACTS, 'queue-waiting.png') });
      const samples = [first];
      await until(
        async () => {
          samples.push(await sample());
          return first.ahead - samples.at(-1)!.ahead >= 25;
        },
        60_000,
        'the line to move by 25',
      );
      const last = samples.at(-1)!;
      expect(last.ahead).toBeLessThan(first.ahead);
      expect(last.waitS).toBeLessThan(first.waitS);
      expect(last.progress).toBeGreaterThan(first.progress);
      // People ahead never goes up while the line only moves forward.
      for (let i = 1; i < samples.length; i++)
        expect(samples[i]!.ahead).toBeLessThanOrEqual(samples[i - 1]!.ahead);
      await page.close();
    },
    T,
  );

  it(
    'keeps the place across a refresh (same place id and number)',
    async () => {
      const { evt } = await stack.event({ queueAll: true });
      await joinOthers(evt, 3);
      const page = await stack.browser.newPage();
      await page.goto(stack.pageUrl(evt));
      await waitScreen(page, 'waiting');
      const before = await page.evaluate(() => ({ ...document.getElementById('sluice')!.dataset }));
      expect(before.score).toBe('4');
      expect(await page.evaluate((e) => sessionStorage.getItem(`sluice.place.${e}`), evt)).toContain(
        before.placeId!,
      );

      // Forget the browser's client id: only the place token in sessionStorage can bring the place back.
      await page.evaluate(() => localStorage.clear());
      await page.reload();
      await waitScreen(page, 'waiting');
      const after = await page.evaluate(() => ({ ...document.getElementById('sluice')!.dataset }));
      expect(after.placeId).toBe(before.placeId);
      expect(after.score).toBe(before.score);
      expect(await stack.fx.redis.zcard(eventKeys(stack.fx.prefix, evt).queue)).toBe(4);
      await page.close();
    },
    T,
  );

  it(
    'reconnects with backoff and keeps the place when the connection drops',
    async () => {
      const { evt } = await stack.event({ queueAll: true });
      await joinOthers(evt, 2);
      const page = await stack.browser.newPage();
      // Pass the page's WebSockets through to the real gate, keeping a handle to cut them.
      const routes: WebSocketRoute[] = [];
      await page.routeWebSocket(/\/ws$/, (ws) => {
        routes.push(ws);
        ws.connectToServer();
      });
      await page.goto(stack.pageUrl(evt));
      await waitScreen(page, 'waiting');
      const before = await page.evaluate(() => ({ ...document.getElementById('sluice')!.dataset }));
      expect(before.score).toBe('3');
      // The network drops: both ends of the socket close (1001 going away, as a proxy would).
      await routes.at(-1)!.close({ code: 1001, reason: 'network drop' });
      await until(
        async () => ((await page.textContent('#notice')) ?? '').includes('Reconnecting'),
        20_000,
        'reconnecting notice',
      );
      await until(
        async () => routes.length >= 2 && !(await page.isVisible('#notice')),
        60_000,
        'reconnected',
      );
      const after = await page.evaluate(() => ({ ...document.getElementById('sluice')!.dataset }));
      expect(after.placeId).toBe(before.placeId);
      expect(after.score).toBe(before.score);
      expect(await stack.fx.redis.zcard(eventKeys(stack.fx.prefix, evt).queue)).toBe(3);
      await page.close();
    },
    T,
  );

  it(
    'still gets the shopper through by polling when WebSockets are blocked',
    async () => {
      const { store } = await stack.event();
      const page = await stack.browser.newPage();
      // As a proxy that refuses upgrades would: every WebSocket fails before it opens.
      await page.addInitScript(() => {
        class BlockedWebSocket extends EventTarget {
          readyState = 0;
          onopen: ((e: Event) => void) | null = null;
          onmessage: ((e: MessageEvent) => void) | null = null;
          onerror: ((e: Event) => void) | null = null;
          onclose: ((e: CloseEvent) => void) | null = null;
          constructor(_url: string) {
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
        (window as unknown as { WebSocket: unknown }).WebSocket = BlockedWebSocket;
      });
      let sockets = 0;
      page.on('websocket', () => sockets++);
      let polled = 0;
      page.on('request', (r) => {
        if (r.url().includes('/place')) polled++;
      });
      await page.goto(store.returnUrl);
      // sluice.js makes the shopper's key before it sends them on: wait for the queue page first.
      await page.waitForURL((u) => u.origin === stack.pageOrigin, { timeout: 30_000 });
      await page.waitForURL((u) => u.origin === store.origin && u.hash === '', { timeout: 60_000 });
      await until(async () => (await verdict(page)).cls === 'ok', 30_000, 'storefront verdict');
      expect(store.accepted.map((c) => c.sub)).toContain((await verdict(page)).sub);
      expect(sockets).toBe(0);
      expect(polled).toBeGreaterThan(0);
      await page.close();
    },
    T,
  );

  it(
    'refuses a page on an origin the event does not allow, with a clear message',
    async () => {
      const { evt } = await stack.event({ allowedOrigins: ['https://shop.example'] });
      const page = await stack.browser.newPage();
      await page.goto(stack.pageUrl(evt));
      await waitScreen(page, 'error');
      expect(await page.textContent('#title')).toBe('The queue cannot be opened');
      expect(await page.textContent('#body')).toContain('not allowed to open this queue');
      expect(await stack.fx.redis.zcard(eventKeys(stack.fx.prefix, evt).queue)).toBe(0);

      // The gate's CORS answer: no allow-origin for this origin, the exact origin for an allowed one.
      const refused = await fetch(`${stack.gateUrl}/v1/events/${evt}/status`, {
        headers: { origin: stack.pageOrigin },
      });
      expect(refused.status).toBe(403);
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
      expect(refused.headers.get('vary')).toMatch(/origin/i);
      const allowed = await fetch(`${stack.gateUrl}/v1/events/${evt}/status`, {
        headers: { origin: 'https://shop.example' },
      });
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://shop.example');
      await page.close();
    },
    T,
  );

  it(
    'leaves the queue from the keyboard and frees the place; speaks German when asked',
    async () => {
      const { evt } = await stack.event({ queueAll: true });
      const page = await stack.browser.newPage();
      await page.goto(stack.pageUrl(evt, { lang: 'de' }));
      await waitScreen(page, 'waiting');
      expect(await page.textContent('#title')).toBe('Sie sind in der Warteschlange');
      expect(await page.getAttribute('html', 'lang')).toBe('de');
      const queue = eventKeys(stack.fx.prefix, evt).queue;
      expect(await stack.fx.redis.zcard(queue)).toBe(1);
      // Tab to the leave button and press Enter.
      await until(
        async () => {
          await page.keyboard.press('Tab');
          return page.evaluate(() => document.activeElement?.id === 'leave');
        },
        10_000,
        'focus on the leave button',
      );
      await page.keyboard.press('Enter');
      await waitScreen(page, 'left');
      expect(await page.textContent('#title')).toBe('Sie haben die Warteschlange verlassen');
      await until(async () => (await stack.fx.redis.zcard(queue)) === 0, 10_000, 'place freed');
      expect(await page.evaluate((e) => sessionStorage.getItem(`sluice.place.${e}`), evt)).toBeNull();
      await page.close();
    },
    T,
  );
});
