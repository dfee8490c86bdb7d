// Everything a browser test of the queue page needs, all real and in-process: Redis (unique
// prefix), the gate (startGate on port 0), the built page served from a second origin by a
// static server, the demo storefront whose server verifies tickets against the gate's JWKS, and
// Debian's Chromium driven by playwright-core with a fresh profile.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEvent, createLogger, type EventRecord, gateSchema, loadConfig } from '@sluice/shared';
import { type RedisFixture, redisFixture } from '@sluice/shared/testing/index.ts';
import { type BrowserContext, chromium } from 'playwright-core';
import { type RunningGate, startGate } from '../../src/app.ts';
import { type Storefront, startStorefront } from '../../../examples/storefront/server.ts';
import { buildPage, CACHE_HEADERS, type PageBuild } from '../build.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
};

/** A static file server for the built page, standing in for a CDN on its own origin. */
async function serveStatic(
  dir: string,
  files: PageBuild['files'],
): Promise<{ origin: string; server: Server }> {
  const hashed = new Set([files.script, files.styles, files.sluiceHashed]);
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const rel = normalize(path === '/' ? '/index.html' : path).replace(/^\/+/, '');
    if (rel.startsWith('..')) return void res.writeHead(400).end();
    try {
      const body = await readFile(join(dir, rel));
      const cache = hashed.has(rel)
        ? CACHE_HEADERS.hashed
        : rel === files.sluice
          ? CACHE_HEADERS.sluice
          : CACHE_HEADERS.html;
      res.writeHead(200, {
        'content-type': TYPES[extname(rel)] ?? 'application/octet-stream',
        'cache-control': cache,
      });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** Build the page with `opts` (e.g. pinned to a gate) and serve it on an origin of its own. */
export async function serveBuiltPage(
  opts: Parameters<typeof buildPage>[0] = {},
): Promise<{ origin: string; close(): Promise<void> }> {
  const outDir = await mkdtemp(join(tmpdir(), 'sluice-page-dist-'));
  const built = await buildPage({ ...opts, outDir });
  const { origin, server } = await serveStatic(outDir, built.files);
  return {
    origin,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await rm(outDir, { recursive: true, force: true });
    },
  };
}

export interface Stack {
  fx: RedisFixture;
  gate: RunningGate;
  gateUrl: string;
  pageOrigin: string;
  browser: BrowserContext;
  /**
   * Create an event (allowed origin: the page's, unless the patch says otherwise) and a demo
   * storefront for it, which is the event's return URL.
   */
  event(patch?: Record<string, unknown>): Promise<{ rec: EventRecord; evt: string; store: Storefront }>;
  /** The queue page URL for an event (gate and return URL in the query string). */
  pageUrl(evt: string, extra?: Record<string, string>): string;
  close(): Promise<void>;
}

let n = 0;

export async function startStack(): Promise<Stack> {
  const fx = await redisFixture();
  const config = loadConfig(gateSchema, {
    SLUICE_PREFIX: fx.prefix,
    GATE_HOST: '127.0.0.1',
    GATE_PORT: '0',
    GATE_SERVE_PAGE: 'false',
    GATE_TICK_MS: '50',
    // Every request here comes from 127.0.0.1: lift the per-address join limit.
    GATE_JOIN_RATE_PER_IP: '1000000',
    GATE_MAX_PLACES_PER_IP: '1000000',
    GATE_MAX_SOCKETS_PER_IP: '1000000',
  });
  const gate = await startGate(config, { log: createLogger('gate-browser-test', 'silent') });
  const gateUrl = `http://127.0.0.1:${gate.port}`;

  const outDir = await mkdtemp(join(tmpdir(), 'sluice-page-dist-'));
  const built = await buildPage({ outDir });
  const { origin: pageOrigin, server: pageServer } = await serveStatic(outDir, built.files);

  const stores: Storefront[] = [];

  const profile = await mkdtemp(join(tmpdir(), 'sluice-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 480, height: 760 },
    locale: 'en-US',
  });
  await mkdir(ARTIFACTS, { recursive: true });

  return {
    fx,
    gate,
    gateUrl,
    pageOrigin,
    browser,
    async event(patch = {}) {
      const now = Date.now();
      const evt = `b${++n}-${Math.random().toString(36).slice(2, 7)}`;
      const store = await startStorefront({
        jwksUrl: `${gateUrl}/.well-known/jwks.json`,
        audience: config.ticketAudience,
        issuer: config.ticketIssuer,
        event: evt,
        queuePageUrl: `${pageOrigin}/`,
        gateUrl,
        sluiceJsUrl: `${pageOrigin}/${built.files.sluice}`,
      });
      stores.push(store);
      const rec = await createEvent(fx.redis, fx.prefix, {
        id: evt,
        name: 'Browser test drop',
        prequeueAt: now - 1000,
        startAt: now - 1000,
        rate: 50,
        burst: 50,
        maxActive: 100_000,
        overbook: 1,
        ticketTtlS: 600,
        graceS: 600,
        powDifficulty: 0,
        powSurgeDifficulty: 0,
        allowedOrigins: [pageOrigin],
        returnUrl: store.returnUrl,
        products: [{ sku: 'SKU-1', name: 'Sneaker', priceCents: 100, stock: 100_000, limitPerShopper: 1 }],
        ...patch,
      });
      // Wait until the gate has picked the event up and the admitter moved it out of
      // `scheduled` (it does so on its next tick), so joins do not race the event's creation.
      await until(
        () => gate.ctx.events.get(evt) && gate.ctx.events.get(evt)?.state !== 'scheduled',
        15_000,
        `event ${evt} open`,
      );
      return { rec, evt, store };
    },
    pageUrl(evt, extra = {}) {
      const u = new URL(`${pageOrigin}/`);
      u.searchParams.set('gate', gateUrl);
      u.searchParams.set('event', evt);
      for (const [k, v] of Object.entries(extra)) u.searchParams.set(k, v);
      return u.toString();
    },
    async close() {
      await browser.close().catch((err: unknown) => void err) /* best-effort cleanup */;
      await rm(profile, { recursive: true, force: true });
      for (const st of stores) await st.close();
      pageServer.closeAllConnections();
      await new Promise<void>((r) => pageServer.close(() => r()));
      await rm(outDir, { recursive: true, force: true });
      await gate.close();
      await fx.cleanup();
    },
  };
}

/** Poll until `fn` is truthy or the deadline passes. */
export async function until<T>(fn: () => Promise<T> | T, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
