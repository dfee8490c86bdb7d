// Crafted links and hostile gates against the queue page, in Debian's Chromium with the real gate
// and Redis (issue 13): a pinned page ignores a link's gate / mode / cookie endpoint, so the
// admitted shopper's ticket never goes to another origin; a return URL that is on the shop's
// origin but not one of the event's return URLs is not used (an open redirect on the shop would
// carry the ticket fragment away); a gate that answers a `javascript:` return URL never gets it
// run.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { updateEvent } from '@sluice/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { serveBuiltPage, type Stack, startStack, until } from './e2e/stack.ts';

let stack: Stack;
let evil: { origin: string; server: Server; seen: { method: string; url: string; body: string }[] };

/** Another origin that records everything it receives, and plays a hostile gate for event `e`. */
async function startEvil(): Promise<typeof evil> {
  const seen: { method: string; url: string; body: string }[] = [];
  const read = (req: IncomingMessage) =>
    new Promise<string>((r) => {
      let b = '';
      req.on('data', (d) => {
        b += d;
      });
      req.on('end', () => r(b));
    });
  const server = createServer(async (req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', body: await read(req) });
    const cors = { 'access-control-allow-origin': '*', 'content-type': 'application/json' };
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/v1/events/e') {
      return void res.writeHead(200, cors).end(
        JSON.stringify({
          id: 'e',
          name: 'e',
          state: 'open',
          prequeueAt: 0,
          startAt: 0,
          seedHash: null,
          seed: null,
          powDifficulty: 0,
          returnUrl: 'javascript:document.title="pwned"',
          returnUrls: [],
        }),
      );
    }
    if (path === '/v1/events/e/challenge')
      return void res.writeHead(200, cors).end('{"challenge":"x","difficulty":0}');
    res.writeHead(404, cors).end('{}');
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => {
    ws.on('message', () => {
      ws.send(
        JSON.stringify({
          t: 'welcome',
          evt: 'e',
          placeId: 'p',
          place: 'x',
          phase: 'queue',
          score: 1,
          resumed: false,
        }),
      );
      ws.send(JSON.stringify({ t: 'admitted', ticket: 'T.T.T', exp: Date.now() + 60_000 }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, seen };
}

beforeAll(async () => {
  stack = await startStack();
  evil = await startEvil();
}, 120_000);
afterAll(async () => {
  evil?.server.closeAllConnections();
  await new Promise<void>((r) => (evil ? evil.server.close(() => r()) : r()));
  await stack?.close();
});

const T = 120_000;

describe('queue page against crafted links and hostile gates', () => {
  it(
    'a pinned page ignores a link that asks to post the ticket to another origin or to go elsewhere on the shop',
    async () => {
      const pinned = await serveBuiltPage({ gateUrl: stack.gateUrl });
      try {
        const { evt, store } = await stack.event({ allowedOrigins: [pinned.origin], queueAll: true });
        const crafted = new URL(`${pinned.origin}/`);
        crafted.searchParams.set('event', evt);
        crafted.searchParams.set('gate', evil.origin);
        crafted.searchParams.set('mode', 'cookie');
        crafted.searchParams.set('cookie_endpoint', `${evil.origin}/steal`);
        // Same origin as the shop, but not one of the event's return URLs (think open redirect).
        crafted.searchParams.set('return', `${store.origin}/redirect?to=${encodeURIComponent(evil.origin)}`);
        const page = await stack.browser.newPage();
        await page.goto(crafted.toString());
        await until(
          async () =>
            (await page.evaluate(() => document.getElementById('sluice')?.dataset.screen)) === 'waiting',
          30_000,
          'waiting',
        );
        await updateEvent(stack.fx.redis, stack.fx.prefix, evt, { queueAll: false });
        await page.waitForURL((u) => u.origin === store.origin, { timeout: 60_000 });
        // Before: the page posted the ticket to the link's cookie endpoint on the other origin.
        expect(evil.seen.filter((r) => r.url.startsWith('/steal'))).toEqual([]);
        expect(evil.seen.some((r) => r.body.includes('ticket'))).toBe(false);
        // It went to the event's own return URL, and the storefront accepted the ticket there.
        expect(new URL(page.url()).pathname).toBe(new URL(store.returnUrl).pathname);
        await until(() => store.accepted.length > 0, 30_000, 'storefront accepted the ticket');
        await page.close();
      } finally {
        await pinned.close();
      }
    },
    T,
  );

  it(
    'never runs a javascript: return URL a gate answers, and hands it no ticket',
    async () => {
      // The development (unpinned) page takes `gate` from the link: point it at the hostile gate.
      const page = await stack.browser.newPage();
      const u = new URL(`${stack.pageOrigin}/`);
      u.searchParams.set('gate', evil.origin);
      u.searchParams.set('event', 'e');
      await page.goto(u.toString());
      await until(
        async () =>
          (await page.evaluate(() => document.getElementById('sluice')?.dataset.screen)) === 'error',
        30_000,
        'error screen',
      );
      // Give a navigation to the javascript: URL every chance to happen (before, it did).
      await new Promise((r) => setTimeout(r, 1500));
      expect(await page.title()).not.toBe('pwned');
      expect(await page.evaluate(() => location.hash)).not.toContain('sluice_ticket');
      await page.close();
    },
    T,
  );
});
